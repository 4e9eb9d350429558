//! Entry points for the fuzz targets (`crates/runtime/fuzz`): the server's own request parsing
//! and answer writing, bytes in, no sockets. Each takes what a client controls and checks what
//! must hold whatever it sent: no panic, and an accepted request's answer is well-formed (JSON
//! that parses, a binary tail of the declared length, a protobuf message that decodes). Not an
//! API for anything else.

use std::path::Path;

use prost::Message;

use crate::grpc::convert;
use crate::grpc::proto::{ModelInferRequest, ModelInferResponse};
use crate::metrics::Metrics;
use crate::model::Model;
use crate::protocol::{self, Reply, Served};
use crate::tensor::{self, DataType};

/// A loaded and warmed model with the limits the server has by default.
#[derive(Debug)]
pub struct Fixture {
    model: Model,
    metrics: Metrics,
    /// Run accepted requests and write their answers, or stop after parsing.
    run: bool,
}

impl Fixture {
    /// Loads and warms a model; panics when it cannot (a fuzz target's set-up). With `run`,
    /// accepted requests are run and answered too; without, they stop once parsed and checked
    /// (for a model whose arithmetic on client values can overflow: tract's integer `Add`
    /// panics on overflow where debug assertions are on, as in fuzz builds, and wraps in
    /// release builds, as onnxruntime does — the model's behaviour, not the parser's).
    pub fn load(path: &Path, run: bool) -> Fixture {
        let mut model = Model::load(path).expect("the fuzz model loads");
        model.warm_up().expect("the fuzz model warms up");
        Fixture {
            model,
            metrics: Metrics::new("fuzz", "1"),
            run,
        }
    }

    fn served(&self) -> Served<'_> {
        Served {
            model: &self.model,
            name: "fuzz",
            version: "1",
            metrics: &self.metrics,
            // The default --max-output-bytes.
            max_output_bytes: 64 << 20,
        }
    }

    /// `POST /v2/models/{name}/infer` with `body` (and `Inference-Header-Content-Length:
    /// json_len`, the binary tensor extension, when given): parsed and checked, and, when
    /// accepted, run and answered. Returns whether it was accepted.
    pub fn infer(&self, body: &[u8], json_len: Option<usize>) -> bool {
        match protocol::infer(self.served(), body, json_len) {
            Ok(_) if !self.run => true,
            Ok(prepared) => {
                let reply =
                    protocol::serve(self.served(), prepared).expect("an accepted request runs");
                check_reply(&reply);
                true
            }
            Err(e) => {
                assert!(e.is_client_error(), "a bad request is a client error: {e}");
                false
            }
        }
    }

    /// `POST /predict` with `body`.
    pub fn predict(&self, body: &[u8]) -> bool {
        match protocol::predict(self.served(), body) {
            Ok(_) if !self.run => true,
            Ok(prepared) => {
                let reply =
                    protocol::serve(self.served(), prepared).expect("an accepted request runs");
                check_reply(&reply);
                true
            }
            Err(e) => {
                assert!(e.is_client_error(), "a bad request is a client error: {e}");
                false
            }
        }
    }

    /// gRPC `ModelInfer` with the protobuf `message`: decoded as tonic decodes it, converted
    /// to input tensors, and, when accepted, run and answered.
    pub fn grpc_infer(&self, message: &[u8]) -> bool {
        let Ok(req) = ModelInferRequest::decode(message) else {
            return false;
        };
        self.grpc_request(&req)
    }

    /// gRPC `ModelInfer` with a request message already built.
    pub fn grpc_request(&self, req: &ModelInferRequest) -> bool {
        match convert::prepare(self.served(), req) {
            Ok(_) if !self.run => true,
            Ok(prepared) => {
                let resp: ModelInferResponse =
                    protocol::serve(self.served(), prepared).expect("an accepted request runs");
                let bytes = resp.encode_to_vec();
                let back = ModelInferResponse::decode(&bytes[..]).expect("the answer decodes");
                // Compared as bytes: outputs may hold NaN (large inputs overflow the model).
                assert_eq!(back.encode_to_vec(), bytes);
                true
            }
            Err(e) => {
                assert!(e.is_client_error(), "a bad request is a client error: {e}");
                false
            }
        }
    }
}

/// An answer's JSON part parses, and a binary tail follows it exactly.
fn check_reply(reply: &Reply) {
    let json = match reply.json_len {
        Some(n) => &reply.bytes[..n],
        None => &reply.bytes[..],
    };
    let v: serde_json::Value = serde_json::from_slice(json).expect("the answer is JSON");
    if reply.json_len.is_some() {
        let declared: u64 = v["outputs"]
            .as_array()
            .expect("outputs")
            .iter()
            .filter_map(|o| o["parameters"]["binary_data_size"].as_u64())
            .sum();
        assert_eq!(declared, (reply.bytes.len() - json.len()) as u64);
    }
}

/// The binary tensor extension's reader alone: `bytes` as a tensor of the `datatype`-th
/// datatype (modulo their number) and `shape`; an accepted tensor writes back the same bytes.
pub fn binary_tensor(datatype: u8, shape: &[usize], bytes: &[u8]) {
    let datatype = DataType::ALL[usize::from(datatype) % DataType::ALL.len()];
    if let Ok(t) = tensor::from_le_bytes(datatype, shape, bytes) {
        let mut out = Vec::new();
        let written = tensor::append_le_bytes(&t, &mut out).expect("an input tensor writes back");
        assert_eq!(written, datatype);
        assert_eq!(out, bytes);
    }
}

/// The V2 JSON `data` reader alone: `data` (JSON text) as a tensor of the `datatype`-th
/// datatype and `shape`; flat and nested readings must agree.
pub fn json_tensor(datatype: u8, shape: &[usize], data: &[u8]) {
    let datatype = DataType::ALL[usize::from(datatype) % DataType::ALL.len()];
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(t) = tensor::parse(datatype, shape, &v) {
        assert_eq!(t.shape(), shape);
        let out = tensor::to_output(&t).expect("an input tensor converts");
        // The flat form of what was read is read back the same.
        let flat = serde_json::to_value(&out.data).expect("data serializes");
        let again = tensor::parse(datatype, shape, &flat).expect("flat data reads back");
        assert_eq!(again, t);
    }
}
