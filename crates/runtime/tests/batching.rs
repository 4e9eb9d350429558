//! Dynamic batching, end to end: the real `slipway-serve` binary on 127.0.0.1.
//!
//! Mixed concurrent requests (1 to 7 rows, V2 and `/predict`, some invalid) go to a server
//! that batches with a queue delay, and every answer is compared with the same request sent
//! alone to a server with batching off (to 1e-6) and with onnxruntime's outputs for that
//! request alone (`tests/models/batch.reference.json`, made by `make_models.py`; to 1e-5).
//! Every server picks a free port, every wait is bounded, every child is killed at the end.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Batched against unbatched answers of the same server code.
const SAME_RUN: f64 = 1e-6;
/// tract against onnxruntime.
const REFERENCE: f64 = 1e-5;

fn model_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/models")
        .join(file)
}

fn reference() -> Value {
    let text = std::fs::read_to_string(model_path("batch.reference.json")).expect("reference");
    serde_json::from_str(&text).expect("reference JSON")
}

/// A running server; killed on drop.
struct Server {
    child: Child,
    base: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(model: &str, extra: &[&str]) -> Server {
        let path = model_path(model);
        let mut child = Command::new(env!("CARGO_BIN_EXE_slipway-serve"))
            .env_clear()
            .args(["--host", "127.0.0.1", "--port", "0", "--threads", "2"])
            .args(["--model", path.to_str().unwrap()])
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
        let address = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).expect("a `listening` line");
            let v: Value = serde_json::from_str(&line).expect("log line is JSON");
            if v["message"] == "listening" {
                break v["address"].as_str().expect("address").to_owned();
            }
        };
        let server = Server {
            child,
            base: format!("http://{address}"),
            lines,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/v2/health/ready").0 != 200 {
            assert!(
                Instant::now() < deadline,
                "not ready: {:?}",
                server.lines.lock()
            );
            thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn get(&self, path: &str) -> (u16, String) {
        match agent().get(format!("{}{path}", self.base)).call() {
            Ok(mut r) => (r.status().as_u16(), r.body_mut().read_to_string().unwrap()),
            Err(e) => (0, e.to_string()),
        }
    }

    fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut r = agent()
            .post(&url)
            .header("content-type", "application/json")
            .send(body)
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        let text = r.body_mut().read_to_string().unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        (r.status().as_u16(), v)
    }

    /// The value of a metric series, by its exact name and labels.
    fn metric(&self, series: &str) -> f64 {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
            .parse()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn flatten(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Value::Bool(b) => out.push(f64::from(u8::from(*b))),
        other => out.push(other.as_f64().expect("number")),
    }
}

fn assert_close(got: &Value, expected: &Value, tolerance: f64, what: &str) {
    let (mut g, mut e) = (Vec::new(), Vec::new());
    flatten(got, &mut g);
    flatten(expected, &mut e);
    assert_eq!(g.len(), e.len(), "{what}: element count");
    for (i, (a, b)) in g.iter().zip(&e).enumerate() {
        assert!(
            (a - b).abs() <= tolerance * b.abs().max(1.0),
            "{what}[{i}]: got {a}, expected {b}"
        );
    }
}

/// One request of the test, with what it must get.
struct Case {
    path: &'static str,
    body: String,
    /// Output name → onnxruntime's values, for a valid request.
    reference: Option<Value>,
    /// Rows of a valid request.
    rows: usize,
}

fn v2_inputs(inputs: &Value, datatypes: &[(&str, &str)]) -> Vec<Value> {
    datatypes
        .iter()
        .map(|(name, datatype)| {
            json!({"name": name, "datatype": datatype,
                   "shape": inputs[name]["shape"], "data": inputs[name]["data"]})
        })
        .collect()
}

/// The tiny model's cases: every reference request as V2 (nested or flat data) or
/// `/predict`, and invalid requests between them: wrong width, wrong datatype, a data count
/// that does not match the shape, an unknown input, a malformed body.
fn tiny_cases() -> Vec<Case> {
    let reference = reference();
    let mut cases = Vec::new();
    for (i, request) in reference["tiny"].as_array().unwrap().iter().enumerate() {
        let input = &request["inputs"]["input"];
        let rows = input["shape"][0].as_u64().unwrap() as usize;
        let (path, body) = if i % 3 == 2 {
            ("/predict", json!({"features": input["data"]}).to_string())
        } else {
            let mut inputs = v2_inputs(&request["inputs"], &[("input", "FP32")]);
            if i % 3 == 1 {
                let mut flat = Vec::new();
                flatten(&input["data"], &mut flat);
                inputs[0]["data"] = json!(flat);
            }
            (
                "/v2/models/tiny/infer",
                json!({"id": format!("r{i}"), "inputs": inputs}).to_string(),
            )
        };
        let outputs = &request["outputs"];
        cases.push(Case {
            path,
            body,
            reference: Some(if path == "/predict" {
                json!({"logits": outputs["logits"]})
            } else {
                outputs.clone()
            }),
            rows,
        });
        if i % 6 == 0 {
            let rows = 1 + i % 4;
            let wide: Vec<f64> = (0..rows * 5).map(|k| k as f64 * 0.1).collect();
            let narrow: Vec<f64> = (0..rows * 4).map(|k| k as f64 * 0.1).collect();
            let bad = [
                json!({"inputs": [{"name": "input", "datatype": "FP32", "shape": [rows, 5], "data": wide}]}),
                json!({"inputs": [{"name": "input", "datatype": "FP64", "shape": [rows, 4], "data": narrow}]}),
                json!({"inputs": [{"name": "input", "datatype": "FP32", "shape": [rows + 1, 4], "data": narrow}]}),
                json!({"inputs": [{"name": "nope", "datatype": "FP32", "shape": [rows, 4], "data": narrow}]}),
            ];
            let k = (i / 6) % (bad.len() + 1);
            let body = bad
                .get(k)
                .map_or_else(|| "{\"inputs\": [".to_owned(), Value::to_string);
            cases.push(Case {
                path: "/v2/models/tiny/infer",
                body,
                reference: None,
                rows: 0,
            });
        }
    }
    cases
}

/// The typed model's cases (four inputs: FP64, INT32, INT64, BOOL), and invalid ones: an
/// INT64 input sent as INT32, and a BOOL input with a wrong width.
fn typed_cases() -> Vec<Case> {
    let reference = reference();
    let datatypes = [("a", "FP64"), ("b", "INT32"), ("c", "INT64"), ("d", "BOOL")];
    let mut cases = Vec::new();
    for (i, request) in reference["typed"].as_array().unwrap().iter().enumerate() {
        let inputs = v2_inputs(&request["inputs"], &datatypes);
        let rows = request["inputs"]["a"]["shape"][0].as_u64().unwrap() as usize;
        cases.push(Case {
            path: "/v2/models/typed/infer",
            body: json!({"inputs": inputs}).to_string(),
            reference: Some(request["outputs"].clone()),
            rows,
        });
        if i % 4 == 0 {
            let mut bad = inputs.clone();
            if i % 8 == 0 {
                bad[2]["datatype"] = json!("INT32");
            } else {
                bad[3]["shape"] = json!([rows, 3]);
            }
            cases.push(Case {
                path: "/v2/models/typed/infer",
                body: json!({"inputs": bad}).to_string(),
                reference: None,
                rows: 0,
            });
        }
    }
    cases
}

/// The outputs of an answer, by name.
fn outputs(path: &str, answer: &Value) -> Value {
    if path == "/predict" {
        return json!({"logits": answer["prediction"]});
    }
    let mut out = serde_json::Map::new();
    for o in answer["outputs"].as_array().expect("outputs") {
        out.insert(o["name"].as_str().unwrap().to_owned(), o["data"].clone());
    }
    Value::Object(out)
}

/// Fires every case at once (one client thread each) at a batching server, sends them one by
/// one to a server with batching off, and compares.
fn batched_answers_match_unbatched_and_onnxruntime(model: &str, cases: &[Case]) {
    let batching = Server::start(
        model,
        &[
            "--batch-max-size",
            "16",
            "--batch-queue-delay-micros",
            "3000",
            "--max-concurrency",
            "256",
        ],
    );
    let alone = Server::start(model, &["--batch-max-size", "1"]);
    let (_, metadata) = batching.get(&format!("/v2/models/{}", model.trim_end_matches(".onnx")));
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(
        metadata["batching"],
        json!({"enabled": true, "max_batch_size": 16, "max_queue_delay_microseconds": 3000})
    );

    let start = Arc::new(std::sync::Barrier::new(cases.len()));
    let answers: Vec<(u16, Value)> = thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                let (start, server) = (start.clone(), &batching);
                scope.spawn(move || {
                    start.wait();
                    server.post(case.path, &case.body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut valid = 0;
    let mut rows = 0;
    for (i, (case, (status, answer))) in cases.iter().zip(&answers).enumerate() {
        let (alone_status, alone_answer) = alone.post(case.path, &case.body);
        assert_eq!(
            *status, alone_status,
            "case {i}: {answer} vs {alone_answer}"
        );
        match &case.reference {
            Some(reference) => {
                assert_eq!(*status, 200, "case {i}: {answer}");
                valid += 1;
                rows += case.rows;
                let got = outputs(case.path, answer);
                let unbatched = outputs(case.path, &alone_answer);
                for (name, expected) in reference.as_object().unwrap() {
                    let what = format!("case {i} {name}");
                    assert_close(&got[name], &unbatched[name], SAME_RUN, &what);
                    assert_close(&got[name], expected, REFERENCE, &what);
                }
                if case.path != "/predict" {
                    assert_eq!(answer["id"], alone_answer["id"]);
                }
            }
            None => {
                assert_eq!(*status, 400, "case {i}: {answer}");
                assert_eq!(answer, &alone_answer, "case {i}: the same error");
            }
        }
    }
    assert!(
        valid > 20 && valid < cases.len(),
        "{valid} of {}",
        cases.len()
    );
    // Every valid row ran, in fewer model executions than requests: batches formed.
    let label = format!("{{model=\"{}\"}}", model.trim_end_matches(".onnx"));
    let runs = batching.metric(&format!("slipway_inference_batch_size_count{label}"));
    let ran = batching.metric(&format!("slipway_inference_batch_size_sum{label}"));
    // One warm-up-free count: the server records request runs only.
    assert_eq!(ran as usize, rows, "rows run");
    assert!(
        (runs as usize) < valid,
        "{runs} executions for {valid} requests: nothing was batched"
    );
    assert_eq!(
        batching.metric(&format!("slipway_batch_queue_delay_seconds_count{label}")) as usize,
        valid
    );
    assert_eq!(
        batching.metric(&format!("slipway_batch_queue_depth{label}")),
        0.0
    );
    // The unbatched server ran every request alone.
    let alone_runs = alone.metric(&format!("slipway_inference_batch_size_count{label}"));
    assert_eq!(alone_runs as usize, valid);
}

#[test]
fn tiny_batched_answers_match_unbatched_runs_and_onnxruntime() {
    batched_answers_match_unbatched_and_onnxruntime("tiny.onnx", &tiny_cases());
}

#[test]
fn typed_batched_answers_match_unbatched_runs_and_onnxruntime() {
    batched_answers_match_unbatched_and_onnxruntime("typed.onnx", &typed_cases());
}

/// A model whose rows see each other is served unbatched, and says why.
#[test]
fn a_model_that_mixes_rows_is_not_batched() {
    let server = Server::start("center.onnx", &[]);
    let (status, metadata) = server.get("/v2/models/center");
    assert_eq!(status, 200);
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(metadata["batching"]["enabled"], false, "{metadata}");
    assert!(
        metadata["batching"]["reason"]
            .as_str()
            .unwrap()
            .contains("mixes rows"),
        "{metadata}"
    );
    // Two requests of two rows each: centered on their own mean, whatever runs beside them.
    let body = json!({"inputs": [{"name": "input", "datatype": "FP32", "shape": [2, 4],
                                  "data": [0, 1, 2, 3, 4, 5, 6, 7]}]})
    .to_string();
    let answers: Vec<(u16, Value)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| server.post("/v2/models/center/infer", &body)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, answer) in answers {
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer["outputs"][0]["data"],
            json!([-2.0, -2.0, -2.0, -2.0, 2.0, 2.0, 2.0, 2.0])
        );
    }
}

/// Requests with large bodies (over the 16 KiB that a fast model parses on the runtime
/// thread) take the other path: parsed on the inference pool, queued from there, answered
/// there once their batch ran. Their answers equal the same requests run alone.
#[test]
fn large_requests_parsed_on_the_pool_are_batched_too() {
    let batching = Server::start(
        "tiny.onnx",
        &[
            "--batch-max-size",
            "4096",
            "--batch-queue-delay-micros",
            "5000",
        ],
    );
    let alone = Server::start("tiny.onnx", &["--batch-max-size", "1"]);
    let bodies: Vec<String> = (0..12)
        .map(|i| {
            let rows = 1000 + 97 * i;
            let data: Vec<f64> = (0..rows * 4)
                .map(|k| ((k * 7 + i * 13) % 101) as f64 / 25.0 - 2.0)
                .collect();
            json!({"inputs": [{"name": "input", "datatype": "FP32", "shape": [rows, 4], "data": data}]})
                .to_string()
        })
        .collect();
    assert!(bodies.iter().all(|b| b.len() > 16 * 1024));
    let start = Arc::new(std::sync::Barrier::new(bodies.len()));
    let answers: Vec<(u16, Value)> = thread::scope(|scope| {
        let handles: Vec<_> = bodies
            .iter()
            .map(|body| {
                let (start, server) = (start.clone(), &batching);
                scope.spawn(move || {
                    start.wait();
                    server.post("/v2/models/tiny/infer", body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, (body, (status, answer))) in bodies.iter().zip(&answers).enumerate() {
        assert_eq!(*status, 200, "{answer}");
        let (_, expected) = alone.post("/v2/models/tiny/infer", body);
        let (got, expected) = (outputs("", answer), outputs("", &expected));
        for name in ["logits", "probabilities"] {
            assert_close(
                &got[name],
                &expected[name],
                SAME_RUN,
                &format!("{i} {name}"),
            );
        }
    }
    let runs = batching.metric("slipway_inference_batch_size_count{model=\"tiny\"}");
    assert!(
        runs < bodies.len() as f64,
        "{runs} executions: nothing was batched"
    );
}
