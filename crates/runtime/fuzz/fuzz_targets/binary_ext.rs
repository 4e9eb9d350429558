//! The binary tensor data extension: input = the `Inference-Header-Content-Length` value as 4
//! little-endian bytes, then the body (JSON part and tensor bytes), against the tiny and the
//! typed model; and the byte reader alone: datatype byte, rank byte, one byte per dimension
//! (each 0–15), then the tensor bytes.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let [a, b, c, d, body @ ..] = data {
        let json_len = u32::from_le_bytes([*a, *b, *c, *d]) as usize;
        common::tiny().infer(body, Some(json_len));
        common::typed().infer(body, Some(json_len));
    }
    if let [datatype, rank, rest @ ..] = data {
        let rank = usize::from(*rank % 4);
        if rest.len() >= rank {
            let (dims, bytes) = rest.split_at(rank);
            let shape: Vec<usize> = dims.iter().map(|d| usize::from(d % 16)).collect();
            slipway_serve::fuzzing::binary_tensor(*datatype, &shape, bytes);
        }
    }
});
