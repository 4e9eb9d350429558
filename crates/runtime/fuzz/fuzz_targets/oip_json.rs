//! OIP JSON inference requests (flat and nested `data`), against the tiny and the typed model;
//! and the `data` reader alone for every datatype: input = datatype byte, rank byte, one byte
//! per dimension (each 0–7), then JSON. Inputs that start with `{` are also whole requests.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::tiny().infer(data, None);
    common::typed().infer(data, None);
    if let [datatype, rank, rest @ ..] = data {
        let rank = usize::from(*rank % 4);
        if rest.len() >= rank {
            let (dims, json) = rest.split_at(rank);
            let shape: Vec<usize> = dims.iter().map(|d| usize::from(d % 8)).collect();
            slipway_serve::fuzzing::json_tensor(*datatype, &shape, json);
        }
    }
});
