//! End-to-end tests: the real `slipway-serve` binary on 127.0.0.1, driven over HTTP.
//!
//! Every server picks a free port (`--port 0`) and announces it in its `listening` log line;
//! every wait is bounded and every child is killed when its test ends.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

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

/// A running server; killed on drop.
struct Server {
    child: Child,
    base: String,
    lines: Arc<Mutex<Vec<String>>>,
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway-serve"));
    // A clean environment: no PORT/MODEL_PATH/... from the caller.
    cmd.env_clear()
        .args(["--host", "127.0.0.1", "--port", "0", "--threads", "2"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Collects stdout lines into `lines` and forwards them to the returned channel.
fn pump(child: &mut Child) -> (Arc<Mutex<Vec<String>>>, Receiver<String>) {
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
    (lines, rx)
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = command(args).spawn().expect("spawn slipway-serve");
        let (lines, rx) = pump(&mut child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no `listening` line; got {:?}", lines.lock()));
            let v: Value = serde_json::from_str(&line).expect("log line is JSON");
            if v["message"] == "listening" {
                break v["address"].as_str().expect("address").to_owned();
            }
        };
        Server {
            child,
            base: format!("http://{address}"),
            lines,
        }
    }

    /// Starts the tiny model and waits until ready.
    fn tiny(extra: &[&str]) -> Server {
        let path = model_path("tiny.onnx");
        let mut args = vec!["--model", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let server = Server::start(&args);
        server.wait_ready(Duration::from_secs(30));
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if get(&self.url("/v2/health/ready")).0 == 200 {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("not ready within {within:?}; log: {:?}", self.lines.lock());
    }

    fn get(&self, path: &str) -> (u16, String) {
        get(&self.url(path))
    }

    fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let (status, _, text) = post(&self.url(path), body);
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("non-JSON response {text:?}: {e}"));
        (status, v)
    }

    fn metrics(&self) -> String {
        let (status, text) = self.get("/metrics");
        assert_eq!(status, 200);
        text
    }

    fn sigterm(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(ok.success());
    }

    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        wait_exit(&mut self.child, within)
    }

    fn log(&self) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).expect("every log line is JSON"))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "process still running after {within:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn get(url: &str) -> (u16, String) {
    match agent().get(url).call() {
        Ok(mut r) => (r.status().as_u16(), r.body_mut().read_to_string().unwrap()),
        Err(e) => (0, e.to_string()),
    }
}

/// POST returning (status, Retry-After header, body).
fn post(url: &str, body: &str) -> (u16, Option<String>, String) {
    let mut r = agent()
        .post(url)
        .header("content-type", "application/json")
        .send(body)
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        r.status().as_u16(),
        retry,
        r.body_mut().read_to_string().unwrap(),
    )
}

fn flatten(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Value::Bool(b) => out.push(f64::from(u8::from(*b))),
        other => out.push(other.as_f64().expect("number")),
    }
}

fn assert_close(got: &Value, expected: &Value, what: &str) {
    let (mut g, mut e) = (Vec::new(), Vec::new());
    flatten(got, &mut g);
    flatten(expected, &mut e);
    assert_eq!(g.len(), e.len(), "{what}: element count");
    for (i, (a, b)) in g.iter().zip(&e).enumerate() {
        assert!(
            (a - b).abs() <= TOLERANCE,
            "{what}[{i}]: got {a}, reference {b}"
        );
    }
}

#[test]
fn v2_infer_and_predict_return_the_reference_outputs() {
    let server = Server::tiny(&[]);
    let reference = reference("tiny.reference.json");
    let input = &reference["inputs"]["input"];
    let logits = &reference["outputs"]["logits"]["data"];
    let probabilities = &reference["outputs"]["probabilities"]["data"];

    // V2, nested data, every output, id echoed.
    let body = json!({
        "id": "req-42",
        "inputs": [{"name": "input", "shape": input["shape"], "datatype": "FP32", "data": input["data"]}]
    });
    let (status, v) = server.post("/v2/models/tiny/infer", &body.to_string());
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["id"], "req-42");
    assert_eq!(v["model_name"], "tiny");
    assert_eq!(v["model_version"], "1");
    assert_eq!(v["outputs"][0]["name"], "logits");
    assert_eq!(v["outputs"][0]["datatype"], "FP32");
    assert_eq!(v["outputs"][0]["shape"], json!([5, 3]));
    assert_close(&v["outputs"][0]["data"], logits, "v2 logits");
    assert_eq!(v["outputs"][1]["name"], "probabilities");
    assert_close(&v["outputs"][1]["data"], probabilities, "v2 probabilities");

    // V2 with flat data, the versioned route and an output filter.
    let mut flat = Vec::new();
    flatten(&input["data"], &mut flat);
    let body = json!({
        "inputs": [{"name": "input", "shape": [5, 4], "datatype": "FP32", "data": flat}],
        "outputs": [{"name": "probabilities"}]
    });
    let (status, v) = server.post("/v2/models/tiny/versions/1/infer", &body.to_string());
    assert_eq!(status, 200, "{v}");
    assert!(v.get("id").is_none());
    assert_eq!(v["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(v["outputs"][0]["name"], "probabilities");
    assert_close(
        &v["outputs"][0]["data"],
        probabilities,
        "filtered probabilities",
    );

    // /predict with the same batch: nested prediction, first output.
    let body = json!({ "features": input["data"] });
    let (status, v) = server.post("/predict", &body.to_string());
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "success");
    assert_eq!(v["prediction"].as_array().unwrap().len(), 5);
    assert_close(&v["prediction"], logits, "predict batch");

    // /predict with one row: [[...]].
    let body = json!({ "features": input["data"][2] });
    let (status, v) = server.post("/predict", &body.to_string());
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["prediction"].as_array().unwrap().len(), 1);
    assert_close(&v["prediction"][0], &logits[2], "predict one row");
}

#[test]
fn every_datatype_reaches_the_model_and_comes_back() {
    let path = model_path("typed.onnx");
    let server = Server::start(&["--model", path.to_str().unwrap()]);
    server.wait_ready(Duration::from_secs(30));
    let reference = reference("typed.reference.json");
    let datatypes = [("a", "FP64"), ("b", "INT32"), ("c", "INT64"), ("d", "BOOL")];
    let inputs: Vec<Value> = datatypes
        .iter()
        .map(|(name, dt)| {
            let t = &reference["inputs"][name];
            json!({"name": name, "shape": t["shape"], "datatype": dt, "data": t["data"]})
        })
        .collect();
    let (status, v) = server.post(
        "/v2/models/typed/infer",
        &json!({ "inputs": inputs }).to_string(),
    );
    assert_eq!(status, 200, "{v}");
    let expected_types = [
        ("out_f64", "FP64"),
        ("out_i64", "INT64"),
        ("out_i32", "INT32"),
        ("out_bool", "BOOL"),
    ];
    for (ix, (name, dt)) in expected_types.iter().enumerate() {
        let out = &v["outputs"][ix];
        assert_eq!(out["name"], *name);
        assert_eq!(out["datatype"], *dt);
        assert_eq!(out["shape"], json!([2, 2]));
        let mut expected = Vec::new();
        flatten(&reference["outputs"][name]["data"], &mut expected);
        if *dt == "BOOL" {
            let want: Vec<Value> = expected.iter().map(|x| Value::Bool(*x != 0.0)).collect();
            assert_eq!(out["data"], Value::Array(want));
        } else if *dt == "FP64" {
            assert_close(&out["data"], &reference["outputs"][name]["data"], name);
        } else {
            // Integers must come back exact, including 2^40.
            assert_eq!(
                out["data"],
                json!(
                    reference["outputs"][name]["data"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|r| r.as_array().unwrap().clone())
                        .collect::<Vec<_>>()
                )
            );
        }
    }
    // The same model rejects a BOOL sent as INT32.
    let mut wrong = inputs.clone();
    wrong[3]["datatype"] = json!("INT32");
    wrong[3]["data"] = json!([1, 0, 0, 1]);
    let (status, v) = server.post(
        "/v2/models/typed/infer",
        &json!({ "inputs": wrong }).to_string(),
    );
    assert_eq!(status, 400);
    assert_eq!(
        v["error"],
        "input \"d\" has datatype INT32, the model expects BOOL"
    );
}

#[test]
fn metadata_and_probes() {
    let server = Server::tiny(&["--model-name", "fraud", "--model-version", "3"]);
    let (status, text) = server.get("/v2");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["name"], "slipway-serve");

    for path in ["/v2/models/fraud", "/v2/models/fraud/versions/3"] {
        let (status, text) = server.get(path);
        assert_eq!(status, 200, "{path}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["name"], "fraud");
        assert_eq!(v["versions"], json!(["3"]));
        assert_eq!(v["platform"], "onnx_onnxv1");
        assert_eq!(
            v["inputs"],
            json!([{"name": "input", "datatype": "FP32", "shape": [-1, 4]}])
        );
        assert_eq!(v["outputs"][0]["shape"], json!([-1, 3]));
    }
    for path in [
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/fraud/ready",
        "/v2/models/fraud/versions/3/ready",
        "/health",
    ] {
        assert_eq!(server.get(path).0, 200, "{path}");
    }
    let (_, text) = server.get("/health");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["status"],
        "healthy"
    );
    for path in [
        "/v2/models/tiny",
        "/v2/models/fraud/versions/1",
        "/v2/models/other/ready",
        "/nowhere",
    ] {
        let (status, text) = server.get(path);
        assert_eq!(status, 404, "{path}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v["error"].is_string(), "{path}: {text}");
    }
    let (status, v) = server.post(
        "/v2/models/tiny/infer",
        r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#,
    );
    assert_eq!(status, 404);
    assert_eq!(
        v["error"],
        "unknown model \"tiny\": this server serves \"fraud\" (version \"3\")"
    );
}

#[test]
fn bad_requests_get_a_4xx_that_says_what_was_expected() {
    let server = Server::tiny(&["--max-body-bytes", "2048"]);
    let ok_input = r#"{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}"#;
    let infer = "/v2/models/tiny/infer";
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[1,5],"datatype":"FP32","data":[1,2,3,4,5]}]}"#.into(),
            400,
            "input \"input\" expects shape [-1, 4], got [1, 5] (dimension 1 must be 4)",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[4],"datatype":"FP32","data":[1,2,3,4]}]}"#.into(),
            400,
            "expects shape [-1, 4] (2 dimensions), got [4]",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP64","data":[1,2,3,4]}]}"#.into(),
            400,
            "input \"input\" has datatype FP64, the model expects FP32",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FLOAT","data":[1,2,3,4]}]}"#.into(),
            400,
            "unsupported datatype \"FLOAT\"; the model expects FP32",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[2,4],"datatype":"FP32","data":[1,2,3,4]}]}"#.into(),
            400,
            "shape [2, 4] needs 8 elements, data has 4",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,"x",4]}]}"#.into(),
            400,
            "element 2 is a string, expected a finite number for FP32",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,1e39,4]}]}"#.into(),
            400,
            "out of range for FP32",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,NaN,3,4]}]}"#.into(),
            400,
            "NaN and Infinity are not JSON numbers",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,Infinity,3,4]}]}"#.into(),
            400,
            "NaN and Infinity are not JSON numbers",
        ),
        (infer, r#"{"inputs": [ "#.into(), 400, "malformed JSON"),
        (infer, "".into(), 400, "malformed JSON"),
        (infer, r#"{"input": []}"#.into(), 400, "missing field `inputs`"),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[-1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#.into(),
            400,
            "invalid request",
        ),
        (infer, r#"{"inputs":[]}"#.into(), 400, "missing input \"input\""),
        (
            infer,
            format!(r#"{{"inputs":[{ok_input},{ok_input}]}}"#),
            400,
            "given more than once",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#.into(),
            400,
            "unknown input \"x\"; the model's inputs are \"input\" (FP32, shape [-1, 4])",
        ),
        (
            infer,
            format!(r#"{{"inputs":[{ok_input}],"outputs":[{{"name":"nope"}}]}}"#),
            400,
            "unknown output \"nope\"",
        ),
        (
            infer,
            r#"{"inputs":[{"name":"input","shape":[0,4],"datatype":"FP32","data":[]}]}"#.into(),
            400,
            "must be at least 1",
        ),
        (
            "/v2/models/unknown/infer",
            format!(r#"{{"inputs":[{ok_input}]}}"#),
            404,
            "unknown model \"unknown\"",
        ),
        ("/predict", r#"{"features":[1,2,3]}"#.into(), 400, "dimension 1 must be 4"),
        ("/predict", r#"{"features":[[1,2,3,4],[1,2]]}"#.into(), 400, "not a rectangular array"),
        ("/predict", r#"{"features":[[[1,2,3,4]]]}"#.into(), 400, "features must be one row (shape [4])"),
        ("/predict", r#"{"rows":[1,2,3,4]}"#.into(), 400, "missing field `features`"),
        ("/predict", r#"{"features":[1,2,true,4]}"#.into(), 400, "element 2 is a boolean"),
        ("/predict", "[1,2,3,4]".into(), 400, "expected {\"features\": [...]}"),
        ("/predict", format!(r#"{{"features":[{}]}}"#, vec!["1.0"; 1000].join(",")), 413, "larger than the limit of 2048 bytes"),
    ];
    for (path, body, status, message) in &cases {
        let (got, v) = server.post(path, body);
        let error = v["error"].as_str().unwrap_or_default();
        assert_eq!(got, *status, "{path} {body}: {v}");
        assert!(
            error.contains(message),
            "{path} {body}: {error:?} lacks {message:?}"
        );
    }
    // Still serving, nothing answered 5xx, and the 413 was counted.
    let (status, _) = server.post("/predict", r#"{"features":[1,2,3,4]}"#);
    assert_eq!(status, 200);
    let metrics = server.metrics();
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("slipway_http_requests_total"))
    {
        let route_is_model = line.contains("/infer") || line.contains("/predict");
        assert!(!(route_is_model && line.contains("status=\"5")), "{line}");
    }
    assert!(metrics.contains("slipway_http_requests_rejected_total{reason=\"body_too_large\"} 1"));
    // Client errors are logged as warnings with the message (request lines are written
    // within 100 ms: wait for it briefly).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.log().iter().any(|l| {
        l["level"] == "warn"
            && l["status"] == 400
            && l["error"]
                .as_str()
                .is_some_and(|e| e.contains("malformed JSON"))
    }) {
        assert!(
            Instant::now() < deadline,
            "no warn line for the malformed JSON"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn metrics_expose_every_contract_name() {
    let server = Server::tiny(&[]);
    let (status, _) = server.post("/predict", r#"{"features":[[1,2,3,4],[5,6,7,8]]}"#);
    assert_eq!(status, 200);
    server.get("/v2/models/tiny");
    let mut r = agent().get(&server.url("/metrics")).call().unwrap();
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = r.body_mut().read_to_string().unwrap();
    for name in [
        "slipway_http_requests_total",
        "slipway_http_request_duration_seconds_bucket",
        "slipway_http_request_duration_seconds_sum",
        "slipway_http_request_duration_seconds_count",
        "slipway_inference_duration_seconds_bucket",
        "slipway_http_requests_in_flight",
        "slipway_http_requests_rejected_total{reason=\"saturated\"}",
        "slipway_http_requests_rejected_total{reason=\"body_too_large\"}",
        "slipway_model_loaded{model=\"tiny\",version=\"1\"} 1",
        "slipway_inference_batch_size_bucket",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        assert!(text.contains(name), "missing {name} in\n{text}");
    }
    assert!(text.contains(
        "slipway_http_requests_total{route=\"/predict\",method=\"POST\",status=\"200\"} 1"
    ));
    // Route templates, never raw paths.
    assert!(text.contains("route=\"/v2/models/{name}\""));
    assert!(!text.contains("route=\"/v2/models/tiny\""));
    // The two-row request landed in the batch-size histogram.
    assert!(text.contains("slipway_inference_batch_size_bucket{model=\"tiny\",le=\"1\"} 0"));
    assert!(text.contains("slipway_inference_batch_size_bucket{model=\"tiny\",le=\"2\"} 1"));
}

#[test]
fn json_logs_carry_the_fields_fluentd_parses() {
    let server = Server::tiny(&[]);
    let (status, _) = server.post("/predict", r#"{"features":[1,2,3,4]}"#);
    assert_eq!(status, 200);
    let log = server.log();
    for line in &log {
        let ts = line["timestamp"].as_str().expect("timestamp");
        assert!(ts.ends_with('Z') && ts.contains('T'), "{ts}");
        assert!(["debug", "info", "warn", "error"].contains(&line["level"].as_str().unwrap()));
        assert!(line["message"].is_string());
    }
    let loaded = log
        .iter()
        .find(|l| l["message"] == "model loaded and warmed up")
        .expect("load line");
    assert_eq!(loaded["inputs"][0]["name"], "input");
    assert_eq!(loaded["outputs"][1]["name"], "probabilities");
    // The request line may be written just after the response: wait for it briefly.
    let deadline = Instant::now() + Duration::from_secs(5);
    let request = loop {
        if let Some(l) = server.log().into_iter().find(|l| l["route"] == "/predict") {
            break l;
        }
        assert!(Instant::now() < deadline, "no request log line");
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(request["level"], "info");
    assert_eq!(request["method"], "POST");
    assert_eq!(request["status"], 200);
    assert_eq!(request["model"], "tiny");
    assert!(request["response_time_ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn ready_only_after_the_model_is_loaded_and_warmed() {
    let path = model_path("tiny.onnx");
    let server = Server::start(&[
        "--model",
        path.to_str().unwrap(),
        "--test-ready-delay-ms",
        "1500",
    ]);
    // Live at once, not ready, inference refused with 503 + Retry-After.
    assert_eq!(server.get("/v2/health/live").0, 200);
    assert_eq!(server.get("/v2/health/ready").0, 503);
    assert_eq!(server.get("/health").0, 503);
    assert_eq!(server.get("/v2/models/tiny/ready").0, 503);
    let (status, retry, body) = post(&server.url("/predict"), r#"{"features":[1,2,3,4]}"#);
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(body.contains("still loading"), "{body}");
    assert!(
        server
            .metrics()
            .contains("slipway_model_loaded{model=\"tiny\",version=\"1\"} 0")
    );
    server.wait_ready(Duration::from_secs(30));
    assert_eq!(server.get("/v2/models/tiny/ready").0, 200);
    assert!(
        server
            .metrics()
            .contains("slipway_model_loaded{model=\"tiny\",version=\"1\"} 1")
    );
    assert_eq!(server.post("/predict", r#"{"features":[1,2,3,4]}"#).0, 200);
}

#[test]
fn saturation_answers_503_with_retry_after() {
    let server = Server::tiny(&["--max-concurrency", "1", "--test-infer-delay-ms", "2500"]);
    let url = server.url("/predict");
    let slow = {
        let url = url.clone();
        thread::spawn(move || post(&url, r#"{"features":[1,2,3,4]}"#))
    };
    // Wait until the slow request holds the only slot (in flight: it and this scrape).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .metrics()
        .contains("slipway_http_requests_in_flight 2")
    {
        assert!(Instant::now() < deadline, "slow request never started");
        thread::sleep(Duration::from_millis(10));
    }
    let (status, retry, body) = post(&url, r#"{"features":[1,2,3,4]}"#);
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(body.contains("saturated"), "{body}");
    // Readiness says so (no slot free), liveness does not.
    let (status, body) = server.get("/v2/health/ready");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("saturated"), "{body}");
    assert_eq!(server.get("/v2/health/live").0, 200);
    let (status, _, _) = slow.join().unwrap();
    assert_eq!(status, 200);
    assert!(
        server
            .metrics()
            .contains("slipway_http_requests_rejected_total{reason=\"saturated\"} 1")
    );
    // The slot is free again.
    assert_eq!(server.post("/predict", r#"{"features":[1,2,3,4]}"#).0, 200);
}

#[test]
fn sigterm_drains_in_flight_requests_and_exits_zero() {
    let mut server = Server::tiny(&[
        "--test-infer-delay-ms",
        "2000",
        "--drain-delay-seconds",
        "2",
    ]);
    let url = server.url("/v2/models/tiny/infer");
    let body = r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#;
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            thread::spawn(move || post(&url, body))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .metrics()
        .contains("slipway_http_requests_in_flight 7")
    {
        assert!(Instant::now() < deadline, "requests never all in flight");
        thread::sleep(Duration::from_millis(10));
    }
    server.sigterm();
    // During the drain delay: not ready, still answering.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.get("/v2/health/ready").0 != 503 {
        assert!(Instant::now() < deadline, "still ready after SIGTERM");
        thread::sleep(Duration::from_millis(10));
    }
    for client in clients {
        let (status, _, text) = client.join().unwrap();
        assert_eq!(status, 200, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["outputs"][0]["shape"], json!([1, 3]));
    }
    let status = server.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "log: {:?}", server.lines.lock());
    assert!(
        server
            .log()
            .iter()
            .any(|l| l["message"] == "stopped: every request answered")
    );
    // The listener is closed.
    assert_eq!(server.get("/v2/health/live").0, 0);
}

#[test]
fn missing_or_corrupt_model_exits_non_zero_with_a_clear_message() {
    let corrupt = model_path("tiny.reference.json");
    for (model, message) in [
        ("/nonexistent/model.onnx", "model file not readable"),
        (corrupt.to_str().unwrap(), "not a valid ONNX model"),
    ] {
        let mut child = command(&["--model", model]).spawn().unwrap();
        let (lines, _rx) = pump(&mut child);
        let status = wait_exit(&mut child, Duration::from_secs(30));
        assert!(!status.success(), "{model}: {status}");
        // Give the reader thread a moment to drain the pipe.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = lines.lock().unwrap().join("\n");
            if text.contains(message) {
                assert!(text.contains("\"level\":\"error\""), "{text}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{model}: no {message:?} in {text}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
    // No model at all is a usage error from the argument parser.
    let out = command(&[]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--model"));
}

#[test]
fn grace_period_bounds_the_drain_then_closes_and_exits_zero() {
    let mut server = Server::tiny(&[
        "--test-infer-delay-ms",
        "20000",
        "--shutdown-grace-seconds",
        "1",
    ]);
    let url = server.url("/predict");
    // The client gives up when the server exits; its result does not matter.
    let _client = thread::spawn(move || {
        let _ = agent()
            .post(&url)
            .header("content-type", "application/json")
            .send(r#"{"features":[1,2,3,4]}"#);
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .metrics()
        .contains("slipway_http_requests_in_flight 2")
    {
        assert!(Instant::now() < deadline, "request never started");
        thread::sleep(Duration::from_millis(10));
    }
    let start = Instant::now();
    server.sigterm();
    let status = server.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // The line says honestly what was cut: one request, on one connection.
    let log = server.log();
    let line = log
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .unwrap_or_default()
                .contains("grace period elapsed")
        })
        .unwrap_or_else(|| panic!("no grace line in {log:?}"));
    assert_eq!(line["in_flight"], 1, "{line}");
    assert_eq!(line["connections"], 1, "{line}");
}
