//! The fuzz targets' inputs on stable Rust: every committed seed (`fuzz/seeds/<target>/`) and
//! every crash found by fuzzing and kept as a regression (`fuzz/regressions/<target>/`) goes
//! through the same entry points (`slipway_serve::fuzzing`) the targets call, in the same way
//! (see `fuzz/fuzz_targets/`).

use std::path::PathBuf;

use slipway_serve::fuzzing::{self, Fixture};

fn dir(kind: &str, target: &str) -> Vec<Vec<u8>> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&d) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let mut all = dir("seeds", target);
    all.extend(dir("regressions", target));
    all
}

fn model(file: &str, run: bool) -> Fixture {
    Fixture::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/models")
            .join(file),
        run,
    )
}

#[test]
fn fuzz_seeds_and_regressions_pass_the_targets_checks() {
    // As the targets load them (fuzz/fuzz_targets/common.rs).
    let (tiny, typed) = (model("tiny.onnx", true), model("typed.onnx", false));
    let mut accepted = 0;
    for data in inputs("oip_json") {
        accepted += usize::from(tiny.infer(&data, None)) + usize::from(typed.infer(&data, None));
        if let [datatype, rank, rest @ ..] = &data[..] {
            let rank = usize::from(*rank % 4);
            if rest.len() >= rank {
                let (dims, json) = rest.split_at(rank);
                let shape: Vec<usize> = dims.iter().map(|d| usize::from(d % 8)).collect();
                fuzzing::json_tensor(*datatype, &shape, json);
            }
        }
    }
    for data in inputs("binary_ext") {
        if let [a, b, c, d, body @ ..] = &data[..] {
            let json_len = u32::from_le_bytes([*a, *b, *c, *d]) as usize;
            accepted += usize::from(tiny.infer(body, Some(json_len)))
                + usize::from(typed.infer(body, Some(json_len)));
        }
        if let [datatype, rank, rest @ ..] = &data[..] {
            let rank = usize::from(*rank % 4);
            if rest.len() >= rank {
                let (dims, bytes) = rest.split_at(rank);
                let shape: Vec<usize> = dims.iter().map(|d| usize::from(d % 16)).collect();
                fuzzing::binary_tensor(*datatype, &shape, bytes);
            }
        }
    }
    for data in inputs("predict") {
        accepted += usize::from(tiny.predict(&data)) + usize::from(typed.predict(&data));
    }
    for data in inputs("grpc_proto") {
        accepted += usize::from(tiny.grpc_infer(&data)) + usize::from(typed.grpc_infer(&data));
    }
    // The seeds are mostly valid requests: most are accepted by one of the models.
    assert!(accepted > 100, "{accepted}");
}
