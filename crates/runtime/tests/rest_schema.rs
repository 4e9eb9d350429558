//! Every REST response shape of the server, validated against the Open Inference Protocol's
//! own OpenAPI description (`proto/open_inference_rest.yaml`, `components.schemas`): server and
//! model metadata, inference answers (all outputs, selected outputs, every datatype, the JSON
//! part of a binary answer), and the error bodies of metadata and inference. The requests sent
//! are checked against `inference_request` too.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A validator for `components.schemas.<name>` of the OpenAPI file.
struct Schemas {
    components: Value,
}

impl Schemas {
    fn load() -> Schemas {
        let text = std::fs::read_to_string(path("proto/open_inference_rest.yaml")).unwrap();
        let doc: Value = serde_saphyr::from_str(&text).expect("the OpenAPI file is YAML");
        Schemas {
            components: doc["components"].clone(),
        }
    }

    fn check(&self, name: &str, instance: &Value) {
        assert!(
            self.components["schemas"].get(name).is_some(),
            "no schema {name}"
        );
        let schema = json!({
            "$ref": format!("#/components/schemas/{name}"),
            "components": self.components,
        });
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}\n{instance}");
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(model: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_slipway-serve"))
            .env_clear()
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--threads",
                "2",
                "--model",
            ])
            .arg(path("tests/models").join(model))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let address = loop {
            let line = lines.next().expect("a listening line").unwrap();
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["message"] == "listening" {
                break v["address"].as_str().unwrap().to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        let server = Server {
            child,
            base: format!("http://{address}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.call("/v2/health/ready", None, &[]).0 != 200 {
            assert!(Instant::now() < deadline, "not ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// (status, body bytes, the JSON part's length header).
    fn call(
        &self,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, String)],
    ) -> (u16, Vec<u8>, Option<usize>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let url = format!("{}{path}", self.base);
        let result = match body {
            None => agent.get(&url).call(),
            Some(body) => {
                let mut req = agent.post(&url);
                for (k, v) in headers {
                    req = req.header(*k, v);
                }
                req.send(&body[..])
            }
        };
        let Ok(mut r) = result else {
            return (0, Vec::new(), None);
        };
        let json_len = r
            .headers()
            .get("inference-header-content-length")
            .map(|v| v.to_str().unwrap().parse().unwrap());
        (
            r.status().as_u16(),
            r.body_mut().read_to_vec().unwrap(),
            json_len,
        )
    }

    fn json(&self, path: &str, body: Option<&Value>) -> (u16, Value) {
        let (status, bytes, _) = self.call(path, body.map(|b| b.to_string().into_bytes()), &[]);
        (status, serde_json::from_slice(&bytes).unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_rest_response_matches_the_protocols_openapi_schemas() {
    let schemas = Schemas::load();
    let tiny = Server::start("tiny.onnx");
    let typed = Server::start("typed.onnx");

    // Server metadata.
    let (status, v) = tiny.json("/v2", None);
    assert_eq!(status, 200);
    schemas.check("metadata_server_response", &v);

    // Model metadata, with and without a version; unknown models and versions.
    for server in [&tiny, &typed] {
        let name = if std::ptr::eq(server, &tiny) {
            "tiny"
        } else {
            "typed"
        };
        for path in [
            format!("/v2/models/{name}"),
            format!("/v2/models/{name}/versions/1"),
        ] {
            let (status, v) = server.json(&path, None);
            assert_eq!(status, 200, "{path}");
            schemas.check("metadata_model_response", &v);
        }
    }
    for path in ["/v2/models/nope", "/v2/models/tiny/versions/9"] {
        let (status, v) = tiny.json(path, None);
        assert_eq!(status, 404);
        schemas.check("metadata_model_error_response", &v);
    }

    // Inference: all outputs, one output, flat and nested data, an id, parameters.
    let requests = [
        json!({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [0.1, 2.0, -1.5, 0.3]}]}),
        json!({"id": "r1", "parameters": {"x": 1},
               "inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32",
                           "data": [[0.1, 2.0, -1.5, 0.3], [1, 2, 3, 4]]}],
               "outputs": [{"name": "probabilities"}]}),
    ];
    for req in &requests {
        schemas.check("inference_request", req);
        let (status, v) = tiny.json("/v2/models/tiny/infer", Some(req));
        assert_eq!(status, 200, "{v}");
        schemas.check("inference_response", &v);
    }
    // Every datatype of the typed model.
    let req = json!({"inputs": [
        {"name": "a", "shape": [1, 2], "datatype": "FP64", "data": [0.5, -1.25]},
        {"name": "b", "shape": [1, 2], "datatype": "INT32", "data": [1, -2]},
        {"name": "c", "shape": [1, 2], "datatype": "INT64", "data": [10, 20]},
        {"name": "d", "shape": [1, 2], "datatype": "BOOL", "data": [true, false]}]});
    schemas.check("inference_request", &req);
    let (status, v) = typed.json("/v2/models/typed/infer", Some(&req));
    assert_eq!(status, 200, "{v}");
    schemas.check("inference_response", &v);

    // The JSON part of a binary answer (binary tensor data extension).
    let req = json!({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32",
                                 "parameters": {"binary_data_size": 16}}],
                     "parameters": {"binary_data_output": true}});
    let mut body = req.to_string().into_bytes();
    let json_len = body.len();
    for x in [0.1f32, 2.0, -1.5, 0.3] {
        body.extend_from_slice(&x.to_le_bytes());
    }
    let (status, bytes, answer_len) = tiny.call(
        "/v2/models/tiny/infer",
        Some(body),
        &[("inference-header-content-length", json_len.to_string())],
    );
    assert_eq!(status, 200);
    let n = answer_len.expect("a binary answer");
    let mut v: Value = serde_json::from_slice(&bytes[..n]).unwrap();
    // The extension moves each output's `data` (required by the base schema) to the bytes
    // after the JSON part, declared by `parameters.binary_data_size`: the rest must conform.
    for out in v["outputs"].as_array_mut().unwrap() {
        assert!(out.get("data").is_none());
        assert!(out["parameters"]["binary_data_size"].as_u64().unwrap() > 0);
        out["data"] = json!([]);
    }
    schemas.check("inference_response", &v);

    // Inference errors: malformed JSON, a wrong shape, an unknown input, an unknown model.
    for (path, body) in [
        ("/v2/models/tiny/infer", "{".to_owned()),
        (
            "/v2/models/tiny/infer",
            json!({"inputs": [{"name": "input", "shape": [1, 5], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}]}).to_string(),
        ),
        (
            "/v2/models/tiny/infer",
            json!({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}).to_string(),
        ),
        ("/v2/models/nope/infer", json!({"inputs": []}).to_string()),
    ] {
        let (status, bytes, _) = tiny.call(path, Some(body.into_bytes()), &[]);
        assert!(status == 400 || status == 404, "{status}");
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        schemas.check("inference_error_response", &v);
    }
}
