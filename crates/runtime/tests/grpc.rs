//! The gRPC half of the Open Inference Protocol, end to end: the real binary with
//! `--grpc-port 0`, driven by a tonic client generated from the same `.proto`. Every RPC, typed
//! and raw tensors, batch 1 and 1,024 rows, malformed requests, the shared limits, metrics,
//! logs and the drain.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;

#[allow(clippy::all, clippy::pedantic, missing_docs)]
mod pb {
    tonic::include_proto!("inference");
}

use pb::grpc_inference_service_client::GrpcInferenceServiceClient;
use pb::model_infer_request::{InferInputTensor, InferRequestedOutputTensor};
use pb::{InferParameter, InferTensorContents, ModelInferRequest, ModelInferResponse};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const TOLERANCE: f64 = 1e-5;

fn model_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/models")
        .join(file)
}

fn reference(file: &str) -> Value {
    let text = std::fs::read_to_string(model_path(file)).expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

/// A running server with a gRPC port; killed on drop.
struct Server {
    child: Child,
    http: String,
    grpc: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(model: &str, extra: &[&str]) -> Server {
        let path = model_path(model);
        let mut child = Command::new(env!("CARGO_BIN_EXE_slipway-serve"))
            .env_clear()
            .args(["--host", "127.0.0.1", "--port", "0", "--grpc-port", "0"])
            .args(["--threads", "2", "--model", path.to_str().unwrap()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn slipway-serve");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = channel();
        let sink = lines.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let (http, grpc) = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).expect("a `listening` line");
            let v: Value = serde_json::from_str(&line).expect("log line is JSON");
            if v["message"] == "listening" {
                break (
                    format!("http://{}", v["address"].as_str().unwrap()),
                    format!(
                        "http://{}",
                        v["grpc_address"].as_str().expect("grpc_address")
                    ),
                );
            }
        };
        let server = Server {
            child,
            http,
            grpc,
            lines,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_get(&format!("{}/v2/health/ready", server.http)).0 != 200 {
            assert!(Instant::now() < deadline, "not ready");
            thread::sleep(Duration::from_millis(20));
        }
        server
    }

    async fn client(&self) -> GrpcInferenceServiceClient<Channel> {
        GrpcInferenceServiceClient::new(self.channel().await)
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20)
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(self.grpc.clone())
            .unwrap()
            .connect()
            .await
            .expect("connect")
    }

    fn log(&self) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits for a log line matching `pred` (request lines are flushed every 100 ms).
    fn wait_log(&self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(v) = self.log().into_iter().find(&pred) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "no such log line: {:?}",
                self.log()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    match agent.get(url).call() {
        Ok(mut r) => (r.status().as_u16(), r.body_mut().read_to_string().unwrap()),
        Err(e) => (0, e.to_string()),
    }
}

fn http_post(url: &str, body: &str) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.post(url).send(body).expect("POST");
    assert_eq!(r.status().as_u16(), 200);
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn flatten(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Value::Bool(b) => out.push(f64::from(u8::from(*b))),
        other => out.push(other.as_f64().expect("number")),
    }
}

fn flat(v: &Value) -> Vec<f64> {
    let mut out = Vec::new();
    flatten(v, &mut out);
    out
}

fn assert_close(got: &[f64], expected: &[f64], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: element count");
    for (i, (a, b)) in got.iter().zip(expected).enumerate() {
        assert!(
            (a - b).abs() <= TOLERANCE,
            "{what}[{i}]: got {a}, reference {b}"
        );
    }
}

/// An input tensor with its data as typed contents or as raw little-endian bytes.
fn input(
    name: &str,
    datatype: &str,
    shape: &[i64],
    data: &[f64],
    raw: &mut Option<Vec<Vec<u8>>>,
) -> InferInputTensor {
    let mut contents = InferTensorContents::default();
    let bytes: Vec<u8>;
    match datatype {
        "FP32" => {
            contents.fp32_contents = data.iter().map(|&x| x as f32).collect();
            bytes = contents
                .fp32_contents
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect();
        }
        "FP64" => {
            contents.fp64_contents = data.to_vec();
            bytes = data.iter().flat_map(|x| x.to_le_bytes()).collect();
        }
        "INT32" => {
            contents.int_contents = data.iter().map(|&x| x as i32).collect();
            bytes = contents
                .int_contents
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect();
        }
        "INT64" => {
            contents.int64_contents = data.iter().map(|&x| x as i64).collect();
            bytes = contents
                .int64_contents
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect();
        }
        "BOOL" => {
            contents.bool_contents = data.iter().map(|&x| x != 0.0).collect();
            bytes = contents
                .bool_contents
                .iter()
                .map(|&b| u8::from(b))
                .collect();
        }
        other => panic!("{other}"),
    }
    let contents = match raw {
        Some(raws) => {
            raws.push(bytes);
            None
        }
        None => Some(contents),
    };
    InferInputTensor {
        name: name.to_owned(),
        datatype: datatype.to_owned(),
        shape: shape.to_vec(),
        contents,
        ..Default::default()
    }
}

/// An output's elements as numbers, from typed contents or from `raw_output_contents`.
fn output(resp: &ModelInferResponse, name: &str) -> Vec<f64> {
    let (ix, out) = resp
        .outputs
        .iter()
        .enumerate()
        .find(|(_, o)| o.name == name)
        .unwrap_or_else(|| panic!("no output {name}"));
    if let Some(raw) = resp.raw_output_contents.get(ix) {
        assert!(out.contents.is_none());
        return match out.datatype.as_str() {
            "FP32" => raw
                .chunks(4)
                .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap())))
                .collect(),
            "FP64" => raw
                .chunks(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect(),
            "INT32" => raw
                .chunks(4)
                .map(|c| f64::from(i32::from_le_bytes(c.try_into().unwrap())))
                .collect(),
            "INT64" => raw
                .chunks(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f64)
                .collect(),
            "BOOL" => raw.iter().map(|&b| f64::from(b)).collect(),
            other => panic!("{other}"),
        };
    }
    let c = out.contents.as_ref().expect("contents");
    match out.datatype.as_str() {
        "FP32" => c.fp32_contents.iter().map(|&x| f64::from(x)).collect(),
        "FP64" => c.fp64_contents.clone(),
        "INT32" => c.int_contents.iter().map(|&x| f64::from(x)).collect(),
        "INT64" => c.int64_contents.iter().map(|&x| x as f64).collect(),
        "BOOL" => c
            .bool_contents
            .iter()
            .map(|&b| f64::from(u8::from(b)))
            .collect(),
        other => panic!("{other}"),
    }
}

/// A request for `model` from a reference file's inputs (`datatypes` by input name).
fn request_from(
    model: &str,
    inputs: &Value,
    datatypes: &[(&str, &str)],
    raw: bool,
) -> ModelInferRequest {
    let mut raws = raw.then(Vec::new);
    let inputs = datatypes
        .iter()
        .map(|(name, datatype)| {
            let v = &inputs[*name];
            let shape: Vec<i64> = v["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_i64().unwrap())
                .collect();
            input(name, datatype, &shape, &flat(&v["data"]), &mut raws)
        })
        .collect();
    ModelInferRequest {
        model_name: model.to_owned(),
        id: "req-7".to_owned(),
        inputs,
        raw_input_contents: raws
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        ..Default::default()
    }
}

#[test]
fn health_metadata_and_readiness_over_grpc() {
    let server = Server::start("tiny.onnx", &[]);
    runtime().block_on(async {
        let mut c = server.client().await;
        assert!(
            c.server_live(pb::ServerLiveRequest {})
                .await
                .unwrap()
                .into_inner()
                .live
        );
        assert!(
            c.server_ready(pb::ServerReadyRequest {})
                .await
                .unwrap()
                .into_inner()
                .ready
        );
        let ready = c
            .model_ready(pb::ModelReadyRequest {
                name: "tiny".into(),
                version: String::new(),
            })
            .await
            .unwrap();
        assert!(ready.into_inner().ready);
        let ready = c
            .model_ready(pb::ModelReadyRequest {
                name: "tiny".into(),
                version: "1".into(),
            })
            .await
            .unwrap();
        assert!(ready.into_inner().ready);
        for (name, version) in [("nope", ""), ("tiny", "2")] {
            let e = c
                .model_ready(pb::ModelReadyRequest {
                    name: name.into(),
                    version: version.into(),
                })
                .await
                .unwrap_err();
            assert_eq!(e.code(), Code::NotFound, "{e:?}");
        }
        let meta = c
            .server_metadata(pb::ServerMetadataRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(meta.name, "slipway-serve");
        assert_eq!(meta.extensions, vec!["binary_tensor_data".to_owned()]);
        let meta = c
            .model_metadata(pb::ModelMetadataRequest {
                name: "tiny".into(),
                version: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(meta.name, "tiny");
        assert_eq!(meta.versions, vec!["1".to_owned()]);
        assert_eq!(meta.platform, "onnx_onnxv1");
        assert_eq!(meta.inputs.len(), 1);
        assert_eq!(
            (
                meta.inputs[0].name.as_str(),
                meta.inputs[0].datatype.as_str()
            ),
            ("input", "FP32")
        );
        assert_eq!(meta.inputs[0].shape, vec![-1, 4]);
        let outputs: Vec<&str> = meta.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(outputs, ["logits", "probabilities"]);
        assert_eq!(meta.properties["batching_enabled"], "true");
        let e = c
            .model_metadata(pb::ModelMetadataRequest {
                name: "x".into(),
                version: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::NotFound);

        let mut health = HealthClient::new(server.channel().await);
        for service in [
            slipway_contract::GRPC_HEALTH_SERVICE_LIVE,
            slipway_contract::GRPC_HEALTH_SERVICE_READY,
        ] {
            let status = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
        }
        let e = health
            .check(HealthCheckRequest {
                service: "other".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::NotFound);
    });
}

#[test]
fn model_infer_typed_and_raw_match_the_references() {
    let server = Server::start("tiny.onnx", &[]);
    let tiny = reference("tiny.reference.json");
    let typed_server = Server::start("typed.onnx", &[]);
    let typed = reference("typed.reference.json");
    runtime().block_on(async {
        let mut c = server.client().await;
        for raw in [false, true] {
            let req = request_from("tiny", &tiny["inputs"], &[("input", "FP32")], raw);
            let resp = c.model_infer(req).await.unwrap().into_inner();
            assert_eq!(
                (
                    resp.model_name.as_str(),
                    resp.model_version.as_str(),
                    resp.id.as_str()
                ),
                ("tiny", "1", "req-7")
            );
            assert_eq!(resp.raw_output_contents.is_empty(), !raw, "raw answers raw");
            for name in ["logits", "probabilities"] {
                let o = resp.outputs.iter().find(|o| o.name == name).unwrap();
                assert_eq!(o.datatype, "FP32");
                let expected: Vec<i64> = tiny["outputs"][name]["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_i64().unwrap())
                    .collect();
                assert_eq!(o.shape, expected);
                assert_close(
                    &output(&resp, name),
                    &flat(&tiny["outputs"][name]["data"]),
                    name,
                );
            }
            // One output asked for; outputs raw on request with typed inputs.
            let mut req = request_from("tiny", &tiny["inputs"], &[("input", "FP32")], raw);
            req.outputs = vec![InferRequestedOutputTensor {
                name: "probabilities".into(),
                ..Default::default()
            }];
            req.parameters.insert(
                "binary_data_output".into(),
                InferParameter {
                    parameter_choice: Some(pb::infer_parameter::ParameterChoice::BoolParam(true)),
                },
            );
            let resp = c.model_infer(req).await.unwrap().into_inner();
            assert_eq!(resp.outputs.len(), 1);
            assert_eq!(resp.raw_output_contents.len(), 1);
            assert_close(
                &output(&resp, "probabilities"),
                &flat(&tiny["outputs"]["probabilities"]["data"]),
                "probabilities",
            );
        }
        let mut c = typed_server.client().await;
        let datatypes = [("a", "FP64"), ("b", "INT32"), ("c", "INT64"), ("d", "BOOL")];
        for raw in [false, true] {
            let req = request_from("typed", &typed["inputs"], &datatypes, raw);
            let resp = c.model_infer(req).await.unwrap().into_inner();
            for (name, expected) in typed["outputs"].as_object().unwrap() {
                assert_close(&output(&resp, name), &flat(&expected["data"]), name);
            }
        }
    });
}

#[test]
fn a_batch_of_1024_rows_answers_as_the_rest_side_does() {
    let server = Server::start("tiny.onnx", &[]);
    let rows: Vec<Vec<f64>> = (0..1024)
        .map(|i| {
            (0..4)
                .map(|j| f64::from((i * 7 + j * 13) % 29) / 7.0 - 2.0)
                .collect()
        })
        .collect();
    let rest = http_post(
        &format!("{}/v2/models/tiny/infer", server.http),
        &json!({"inputs": [{"name": "input", "shape": [1024, 4], "datatype": "FP32", "data": rows}]}).to_string(),
    );
    let flat_rows: Vec<f64> = rows.concat();
    runtime().block_on(async {
        let mut c = server.client().await;
        for raw in [false, true] {
            let mut raws = raw.then(Vec::new);
            let req = ModelInferRequest {
                model_name: "tiny".into(),
                inputs: vec![input("input", "FP32", &[1024, 4], &flat_rows, &mut raws)],
                raw_input_contents: raws
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                ..Default::default()
            };
            let resp = c.model_infer(req).await.unwrap().into_inner();
            for (ix, name) in ["logits", "probabilities"].iter().enumerate() {
                assert_eq!(resp.outputs[ix].shape, vec![1024, 3]);
                let expected = flat(&rest["outputs"][ix]["data"]);
                let got = output(&resp, name);
                for (a, b) in got.iter().zip(&expected) {
                    assert!((a - b).abs() <= 1e-6, "{name}: {a} vs {b}");
                }
            }
        }
    });
}

/// A message whose field 5 (`inputs`, a message) is sent as a number: malformed protobuf.
#[derive(Clone, PartialEq, prost::Message)]
struct Malformed {
    #[prost(string, tag = "1")]
    model_name: String,
    #[prost(uint64, tag = "5")]
    inputs: u64,
}

#[test]
fn malformed_requests_get_status_codes_and_the_server_keeps_serving() {
    let server = Server::start("tiny.onnx", &["--max-body-bytes", "4096"]);
    let tiny = reference("tiny.reference.json");
    runtime().block_on(async {
        let mut c = server.client().await;
        let good = || request_from("tiny", &tiny["inputs"], &[("input", "FP32")], false);
        let mut cases: Vec<(&str, ModelInferRequest, Code, &str)> = Vec::new();
        let mut r = good();
        r.model_name = "other".into();
        cases.push(("unknown model", r, Code::NotFound, "unknown model"));
        let mut r = good();
        r.inputs[0].name = "x".into();
        cases.push(("unknown input", r, Code::InvalidArgument, "unknown input"));
        let mut r = good();
        r.inputs.push(r.inputs[0].clone());
        cases.push((
            "duplicate input",
            r,
            Code::InvalidArgument,
            "more than once",
        ));
        let mut r = good();
        r.inputs.clear();
        cases.push(("missing input", r, Code::InvalidArgument, "missing input"));
        let mut r = good();
        r.inputs[0].datatype = "FP64".into();
        cases.push(("datatype", r, Code::InvalidArgument, "datatype FP64"));
        let mut r = good();
        r.inputs[0].datatype = "FP16".into();
        cases.push((
            "unsupported datatype",
            r,
            Code::InvalidArgument,
            "unsupported datatype",
        ));
        let mut r = good();
        r.inputs[0].shape = vec![2, 5];
        cases.push(("shape", r, Code::InvalidArgument, "expects shape"));
        let mut r = good();
        r.inputs[0].shape = vec![-2, 4];
        cases.push(("negative dimension", r, Code::InvalidArgument, "negative"));
        let mut r = good();
        r.inputs[0].shape = vec![3, 4];
        cases.push((
            "element count",
            r,
            Code::InvalidArgument,
            "needs 12 elements",
        ));
        let mut r = good();
        let c0 = r.inputs[0].contents.take().unwrap();
        r.inputs[0].contents = Some(InferTensorContents {
            fp64_contents: c0.fp32_contents.iter().map(|&x| f64::from(x)).collect(),
            ..Default::default()
        });
        cases.push((
            "wrong contents field",
            r,
            Code::InvalidArgument,
            "fp32_contents",
        ));
        let mut r = good();
        r.inputs[0].contents.as_mut().unwrap().fp32_contents[0] = f32::NAN;
        cases.push(("NaN", r, Code::InvalidArgument, "out of range"));
        let mut r = good();
        r.raw_input_contents = vec![vec![0u8; 32].into()];
        cases.push(("contents and raw", r, Code::InvalidArgument, "both"));
        let mut r = request_from("tiny", &tiny["inputs"], &[("input", "FP32")], true);
        r.raw_input_contents.push(vec![0u8; 4].into());
        cases.push(("raw count", r, Code::InvalidArgument, "one per input"));
        let mut r = request_from("tiny", &tiny["inputs"], &[("input", "FP32")], true);
        r.raw_input_contents[0] = vec![0u8; 7].into();
        cases.push((
            "raw byte length",
            r,
            Code::InvalidArgument,
            "input \"input\"",
        ));
        let mut r = good();
        r.outputs = vec![InferRequestedOutputTensor {
            name: "nope".into(),
            ..Default::default()
        }];
        cases.push(("unknown output", r, Code::InvalidArgument, "unknown output"));
        let mut r = good();
        r.inputs[0].shape = vec![300, 4];
        r.inputs[0].contents = Some(InferTensorContents {
            fp32_contents: vec![0.5; 1200],
            ..Default::default()
        });
        cases.push((
            "message over --max-body-bytes",
            r,
            Code::ResourceExhausted,
            "",
        ));
        for (what, req, code, says) in cases {
            let e = c.model_infer(req).await.unwrap_err();
            assert_eq!(e.code(), code, "{what}: {e:?}");
            assert!(e.message().contains(says), "{what}: {:?}", e.message());
        }
        // Malformed protobuf, sent by hand through the same channel.
        let channel = server.channel().await;
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.unwrap();
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(
            "/inference.GRPCInferenceService/ModelInfer",
        );
        let codec = tonic_prost::ProstCodec::<Malformed, ModelInferResponse>::default();
        let e = grpc
            .unary(
                tonic::Request::new(Malformed {
                    model_name: "tiny".into(),
                    inputs: 3,
                }),
                path,
                codec,
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        assert!(e.message().contains("malformed request message"), "{e:?}");
        // An unknown method.
        grpc.ready().await.unwrap();
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(
            "/inference.GRPCInferenceService/RepositoryIndex",
        );
        let codec =
            tonic_prost::ProstCodec::<pb::ServerLiveRequest, pb::ServerLiveResponse>::default();
        let e = grpc
            .unary(tonic::Request::new(pb::ServerLiveRequest {}), path, codec)
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unimplemented);
        // Still serving.
        let resp = c.model_infer(good()).await.unwrap().into_inner();
        assert_close(
            &output(&resp, "logits"),
            &flat(&tiny["outputs"]["logits"]["data"]),
            "logits",
        );
    });
    let (_, metrics) = http_get(&format!("{}/metrics", server.http));
    for line in [
        "slipway_grpc_requests_total{rpc=\"ModelInfer\",code=\"OK\"} 1",
        "slipway_grpc_requests_total{rpc=\"ModelInfer\",code=\"NOT_FOUND\"} 1",
        "slipway_grpc_requests_total{rpc=\"ModelInfer\",code=\"RESOURCE_EXHAUSTED\"} 1",
        "slipway_grpc_requests_total{rpc=\"other\",code=\"UNIMPLEMENTED\"} 1",
        "slipway_grpc_request_duration_seconds_count{rpc=\"ModelInfer\"}",
        "slipway_http_requests_rejected_total{reason=\"body_too_large\"} 1",
    ] {
        assert!(metrics.contains(line), "{line}\n{metrics}");
    }
    let line = server.wait_log(|v| v["target"] == "grpc" && v["grpc_code"] == "INVALID_ARGUMENT");
    assert_eq!(line["rpc"], "ModelInfer");
    assert_eq!(line["level"], "warn");
    assert!(line["error"].as_str().unwrap().len() <= 1100);
    let ok = server
        .wait_log(|v| v["target"] == "grpc" && v["grpc_code"] == "OK" && v["rpc"] == "ModelInfer");
    assert_eq!(ok["model"], "tiny");
    assert!(ok["response_time_ms"].is_number());
}

#[test]
fn saturation_and_drain_are_shared_with_http() {
    let mut server = Server::start(
        "tiny.onnx",
        &["--max-concurrency", "1", "--test-infer-delay-ms", "600"],
    );
    let tiny = reference("tiny.reference.json");
    let rt = runtime();
    let (first, second) = rt.block_on(async {
        let c = server.client().await;
        let req = request_from("tiny", &tiny["inputs"], &[("input", "FP32")], false);
        // Another connection: on one connection, a second call would wait for a stream (each
        // connection gets --max-concurrency streams).
        let (mut a, mut b) = (c, server.client().await);
        let first = tokio::spawn(async move { a.model_infer(req).await });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let second = b
            .model_infer(request_from(
                "tiny",
                &tiny["inputs"],
                &[("input", "FP32")],
                false,
            ))
            .await;
        (first.await.unwrap(), second)
    });
    assert!(first.is_ok(), "{first:?}");
    let e = second.unwrap_err();
    assert_eq!(e.code(), Code::Unavailable, "{e:?}");
    assert!(e.message().contains("saturated"));
    let (_, metrics) = http_get(&format!("{}/metrics", server.http));
    assert!(
        metrics.contains("slipway_http_requests_rejected_total{reason=\"saturated\"} 1"),
        "{metrics}"
    );

    // SIGTERM with a gRPC call in flight: it is answered, then the server exits 0.
    let answered = rt.block_on(async {
        let mut c = server.client().await;
        let call = tokio::spawn(async move {
            c.model_infer(request_from(
                "tiny",
                &reference("tiny.reference.json")["inputs"],
                &[("input", "FP32")],
                true,
            ))
            .await
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let ok = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        call.await.unwrap()
    });
    assert!(answered.is_ok(), "{answered:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "still running");
        thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}
