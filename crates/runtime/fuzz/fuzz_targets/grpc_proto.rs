//! gRPC `ModelInfer` messages (protobuf bytes, typed contents and raw_input_contents) decoded
//! and converted to input tensors, run and answered, against the tiny and the typed model.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::tiny().grpc_infer(data);
    common::typed().grpc_infer(data);
});
