// The models every target loads once: tiny (FP32 [N, 4] → two FP32 outputs) and typed (FP64,
// INT32, INT64 and BOOL inputs and outputs), from the runtime's test models.

use std::path::PathBuf;
use std::sync::OnceLock;

use slipway_serve::fuzzing::Fixture;

fn load(file: &str) -> Fixture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/models").join(file);
    Fixture::load(&path)
}

pub fn tiny() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| load("tiny.onnx"))
}

pub fn typed() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| load("typed.onnx"))
}
