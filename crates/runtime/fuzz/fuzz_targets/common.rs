// The models every target loads once, from the runtime's test models: tiny (FP32 [N, 4] → two
// FP32 outputs; accepted requests are run and answered) and typed (FP64, INT32, INT64 and BOOL
// inputs; parsed and checked only: its INT64 `c + c` overflows on client values, which tract
// checks in this debug-assertion build — see `Fixture::load`).

use std::path::PathBuf;
use std::sync::OnceLock;

use slipway_serve::fuzzing::Fixture;

fn load(file: &str, run: bool) -> Fixture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/models").join(file);
    Fixture::load(&path, run)
}

pub fn tiny() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| load("tiny.onnx", true))
}

pub fn typed() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| load("typed.onnx", false))
}
