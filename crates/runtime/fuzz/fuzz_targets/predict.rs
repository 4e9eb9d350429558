//! `/predict` bodies (`{"features": row or rows}`) against the tiny model (FP32: the fast float
//! reader and the general path) and the typed one (several inputs: refused).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::tiny().predict(data);
    common::typed().predict(data);
});
