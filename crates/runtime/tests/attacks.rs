//! Hostile and unlucky clients (issue 14): each test plays one attack against the real
//! `slipway-serve` binary on 127.0.0.1 and checks that the server keeps serving through it.
//!
//! Every server picks a free port and is killed when its test ends; every socket has read and
//! write timeouts and every wait is bounded, so a regression fails instead of hanging.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

const IO_TIMEOUT: Duration = Duration::from_secs(20);

fn model(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/models")
        .join(file)
        .to_str()
        .unwrap()
        .to_owned()
}

/// A running server; killed on drop.
struct Server {
    child: Child,
    port: u16,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

fn collect(pipe: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

impl Server {
    /// Starts a server for `file` with `args` and waits until it is ready.
    fn start(file: &str, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_slipway-serve"))
            .env_clear()
            .args(["--host", "127.0.0.1", "--port", "0", "--threads", "2"])
            .args(["--model", &model(file)])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn slipway-serve");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            let found = stdout.lock().unwrap().iter().find_map(|l| {
                let v: Value = serde_json::from_str(l).ok()?;
                (v["message"] == "listening").then(|| {
                    let address = v["address"].as_str().unwrap();
                    address.rsplit(':').next().unwrap().parse::<u16>().unwrap()
                })
            });
            if let Some(port) = found {
                break port;
            }
            assert!(
                Instant::now() < deadline,
                "no listening line: {:?} {:?}",
                stdout.lock(),
                stderr.lock()
            );
            thread::sleep(Duration::from_millis(10));
        };
        let server = Server {
            child,
            port,
            stdout,
            stderr,
        };
        server.wait_for(Duration::from_secs(30), "ready", || {
            server.get("/v2/health/ready").0 == 200
        });
        server
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        s
    }

    /// One request on a fresh connection: (status, headers, body); status 0 when the
    /// connection fails.
    fn request(&self, method: &str, path: &str, headers: &str, body: &[u8]) -> Response {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return Response::default();
        };
        s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        if s.write_all(head.as_bytes()).is_err() || s.write_all(body).is_err() {
            return Response::default();
        }
        read_response(&mut s)
    }

    fn get(&self, path: &str) -> (u16, String) {
        let r = self.request("GET", path, "", b"");
        (r.status, String::from_utf8_lossy(&r.body).into_owned())
    }

    fn post(&self, path: &str, body: &str) -> (u16, String) {
        let r = self.request(
            "POST",
            path,
            "Content-Type: application/json\r\n",
            body.as_bytes(),
        );
        (r.status, String::from_utf8_lossy(&r.body).into_owned())
    }

    fn metrics(&self) -> String {
        let (status, text) = self.get("/metrics");
        assert_eq!(status, 200);
        text
    }

    fn assert_live_and_serving(&self) {
        assert_eq!(self.get("/v2/health/live").0, 200, "not live");
        let (status, body) = self.post("/predict", r#"{"features":[1,2,3,4]}"#);
        assert_eq!(status, 200, "{body}");
    }

    fn wait_for(&self, within: Duration, what: &str, mut ok: impl FnMut() -> bool) {
        let deadline = Instant::now() + within;
        while !ok() {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {within:?}; stdout {:?}",
                self.stdout
                    .lock()
                    .unwrap()
                    .iter()
                    .rev()
                    .take(5)
                    .collect::<Vec<_>>()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn sigterm(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {within:?}");
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Default)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one response (Content-Length framed) from a stream.
fn read_response(s: &mut TcpStream) -> Response {
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return Response::default();
    }
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let mut r = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let length: usize = r
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    r.body.resize(length, 0);
    if reader.read_exact(&mut r.body).is_err() {
        r.body.clear();
    }
    r
}

/// Whether the server closed the connection (EOF or reset) within the read timeout.
fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

/// Attack: uploads that stall after their headers. Before, each took a concurrency slot
/// before its body was read and no timeout applied: 64 of them made every /predict 503 while
/// readiness said 200. Now the slot is taken after the body, and the body has a deadline.
#[test]
fn stalled_uploads_hold_no_inference_slot_and_time_out() {
    let server = Server::start(
        "tiny.onnx",
        &["--max-concurrency", "4", "--body-read-timeout-seconds", "2"],
    );
    let mut stalled: Vec<TcpStream> = (0..16)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(
                b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                  Content-Length: 1000\r\n\r\n{",
            )
            .unwrap();
            s
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    // Inference and readiness are unaffected.
    server.assert_live_and_serving();
    assert_eq!(server.get("/v2/health/ready").0, 200);
    // Each stalled upload gets 408 and its connection closed once the body deadline passes.
    for s in &mut stalled {
        let r = read_response(s);
        assert_eq!(r.status, 408, "{r:?}");
        assert!(closed_by_server(s, Duration::from_secs(5)));
    }
    assert_eq!(
        metric(
            &server.metrics(),
            "slipway_http_requests_rejected_total{reason=\"body_timeout\"}"
        ),
        16.0
    );
    server.assert_live_and_serving();
}

/// Attack: many concurrent uploads of bodies near the size limit, each within the per-body
/// limit, would together buffer `connections × max-body-bytes`. The bytes of bodies buffered
/// across all requests are bounded: beyond the budget a body gets 503 with Retry-After (its
/// connection closed) at once, while small requests and the probes still get through, and the
/// budget comes back when the uploads end. Chunked bodies (no Content-Length) count as they
/// arrive.
#[test]
fn concurrent_large_uploads_are_bounded_by_the_buffered_body_budget() {
    let server = Server::start(
        "tiny.onnx",
        &[
            "--max-body-bytes",
            "400000",
            "--max-buffered-body-bytes",
            "1000000",
            "--body-read-timeout-seconds",
            "20",
        ],
    );
    let upload = |length: usize| {
        let mut s = server.connect();
        s.write_all(
            format!(
                "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 Content-Length: {length}\r\n\r\n{{\"features\": ["
            )
            .as_bytes(),
        )
        .unwrap();
        s
    };
    // Two uploads of 390,000 declared bytes hold 780,000 of the 1,000,000.
    let mut holding = vec![upload(390_000), upload(390_000)];
    thread::sleep(Duration::from_millis(200));
    // A third would pass the budget: 503 at once, Retry-After, connection closed.
    let mut third = upload(390_000);
    let r = read_response(&mut third);
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(String::from_utf8_lossy(&r.body).contains("--max-buffered-body-bytes"));
    assert!(closed_by_server(&mut third, Duration::from_secs(5)));
    // A chunked upload counts as it arrives: 100,000 bytes fit, 200,000 more do not.
    let mut chunked = server.connect();
    chunked
        .write_all(
            b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
        )
        .unwrap();
    let chunk = |n: usize| {
        let mut c = format!("{n:x}\r\n").into_bytes();
        c.extend(std::iter::repeat_n(b' ', n));
        c.extend_from_slice(b"\r\n");
        c
    };
    chunked.write_all(&chunk(100_000)).unwrap();
    thread::sleep(Duration::from_millis(200));
    let _ = chunked.write_all(&chunk(200_000));
    let r = read_response(&mut chunked);
    assert_eq!(r.status, 503, "{r:?}");
    // Small requests and probes still pass.
    server.assert_live_and_serving();
    assert_eq!(server.get("/v2/health/ready").0, 200);
    assert_eq!(
        metric(
            &server.metrics(),
            "slipway_http_requests_rejected_total{reason=\"buffered_bodies\"}"
        ),
        2.0
    );
    // The uploads end (clients gone): their budget comes back, and a large body passes.
    holding.clear();
    let row = "[0.5, 1.0, -1.0, 2.0]";
    let mut rows = vec![row; 15_000].join(", ");
    rows.insert(0, '[');
    rows.push(']');
    let big = format!("{{\"features\": {rows}}}");
    assert!(big.len() > 300_000 && big.len() < 400_000, "{}", big.len());
    server.wait_for(Duration::from_secs(5), "budget back", || {
        server.post("/predict", &big).0 == 200
    });
}

/// Attack: a client that sends its request head one byte at a time never finishes it. The
/// head has a deadline from its first byte.
#[test]
fn slow_request_heads_are_cut_at_the_header_deadline() {
    let server = Server::start("tiny.onnx", &["--header-read-timeout-seconds", "1"]);
    let mut s = server.connect();
    let start = Instant::now();
    let head = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa";
    let mut cut = false;
    for b in head {
        if s.write_all(&[*b]).is_err() {
            cut = true;
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    assert!(cut || closed_by_server(&mut s, Duration::from_secs(3)));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    server.assert_live_and_serving();
}

/// Attack: thousands of idle keep-alive connections. Idle connections are closed after the
/// keep-alive timeout, and connections beyond the cap are closed at once.
#[test]
fn idle_connections_are_closed_and_capped() {
    let server = Server::start(
        "tiny.onnx",
        &[
            "--keep-alive-timeout-seconds",
            "1",
            "--max-connections",
            "20",
        ],
    );
    // 20 connections that made one keep-alive request each, then idle.
    let mut idle: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            assert_eq!(read_response(&mut s).status, 200);
            s
        })
        .collect();
    // Beyond the cap: closed at once, counted.
    let mut extra = server.connect();
    assert!(closed_by_server(&mut extra, Duration::from_secs(2)));
    assert!(
        metric(
            &server.metrics_when_possible(),
            "slipway_http_requests_rejected_total{reason=\"connection_limit\"}"
        ) >= 1.0
    );
    // The idle ones are closed by the keep-alive timeout.
    let start = Instant::now();
    for s in &mut idle {
        assert!(closed_by_server(s, Duration::from_secs(5)));
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    server.assert_live_and_serving();
}

impl Server {
    /// `/metrics` once a connection slot is free.
    fn metrics_when_possible(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, text) = self.get("/metrics");
            if status == 200 {
                return text;
            }
            assert!(Instant::now() < deadline, "no /metrics");
            thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The `gram` model's request for `rows` rows of one feature (output rows × rows).
fn gram_request(rows: usize) -> String {
    let data = vec!["0.5"; rows].join(",");
    format!(
        r#"{{"inputs":[{{"name":"input","shape":[{rows},1],"datatype":"FP32","data":[{data}]}}]}}"#
    )
}

/// Attack: clients that send a request with a large answer and never read it. Before, the
/// slot was freed before the response was written, so answers piled up in memory (30 such
/// clients: 1.5 GB). Now an unread answer keeps its slot: at most `--max-concurrency` of them
/// exist, others are refused with 503 while readiness says saturated, and the write timeout
/// closes the stalled connections and frees the slots.
#[test]
fn unread_responses_keep_their_slot_until_the_write_timeout() {
    let server = Server::start(
        "gram.onnx",
        &["--max-concurrency", "2", "--write-timeout-seconds", "3"],
    );
    // 1,500 rows: a 9 MB output, about 25 MB of JSON, far more than loopback socket buffers.
    let body = gram_request(1500);
    let readers: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = server.connect();
            write!(
                s,
                "POST /v2/models/gram/infer HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            s
        })
        .collect();
    server.wait_for(Duration::from_secs(60), "saturated", || {
        server.get("/v2/health/ready").1.contains("saturated")
    });
    let (status, text) = server.post("/v2/models/gram/infer", &gram_request(2));
    assert_eq!(status, 503, "{text}");
    // The write timeout frees both slots.
    server.wait_for(Duration::from_secs(20), "slots freed", || {
        server.get("/v2/health/ready").0 == 200
    });
    let (status, text) = server.post("/v2/models/gram/infer", &gram_request(2));
    assert_eq!(status, 200, "{text}");
    drop(readers);
    assert_eq!(server.get("/v2/health/live").0, 200);
}

/// Attack: a request whose output grows faster than its input. x·xᵀ of 100,000 rows is a
/// 40 GB output from an 800 KB request; before, the allocation aborted the process. Now the
/// output size is computed from the model's output shapes before running and refused (413).
#[test]
fn outputs_over_the_limit_are_refused_before_running() {
    let server = Server::start("gram.onnx", &["--max-output-bytes", "16777216"]);
    let (status, text) = server.post("/v2/models/gram/infer", &gram_request(100_000));
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("16777216"), "{text}");
    // Just below the limit runs: 2,048² × 4 bytes = 16 MiB.
    let (status, _) = server.post("/v2/models/gram/infer", &gram_request(2048));
    assert_eq!(status, 200);
    let (status, _) = server.post("/v2/models/gram/infer", &gram_request(2049));
    assert_eq!(status, 413);
    assert_eq!(
        metric(
            &server.metrics(),
            "slipway_http_requests_rejected_total{reason=\"output_too_large\"}"
        ),
        2.0
    );
    assert_eq!(server.get("/v2/health/live").0, 200);
}

/// Attack: request methods as metric labels. Before, every method token became a label value
/// (5,000 methods: a 9 MB /metrics) and 405s were counted as `route="unmatched"`.
#[test]
fn metric_labels_come_from_closed_sets() {
    let server = Server::start("tiny.onnx", &[]);
    for i in 0..300 {
        let method = format!("M{i}{}", "X".repeat(1000));
        let r = server.request(&method, "/predict", "", b"");
        assert!(r.status >= 400, "{method}: {r:?}");
    }
    assert_eq!(server.request("DELETE", "/predict", "", b"").status, 405);
    let text = server.metrics();
    assert!(text.len() < 64 * 1024, "/metrics is {} bytes", text.len());
    assert!(!text.contains("M17X"), "a method token became a label");
    assert!(text.contains(
        "slipway_http_requests_total{route=\"/predict\",method=\"other\",status=\"405\"} 300"
    ));
    assert!(text.contains(
        "slipway_http_requests_total{route=\"/predict\",method=\"DELETE\",status=\"405\"} 1"
    ));
    server.assert_live_and_serving();
}

/// Attack: SIGTERM while a client is half-way through its request headers. Before, the server
/// waited for it, exited 1 and logged `in_flight: 0`. Now it drains, closes what is left when
/// the grace period ends, exits 0 and says what it closed.
#[test]
fn sigterm_with_half_sent_headers_exits_zero() {
    let mut server = Server::start(
        "tiny.onnx",
        &[
            "--shutdown-grace-seconds",
            "2",
            "--header-read-timeout-seconds",
            "30",
        ],
    );
    let mut half = server.connect();
    half.write_all(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Le")
        .unwrap();
    thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    server.sigterm();
    let status = server.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{:?}", server.log());
    assert!(start.elapsed() < Duration::from_secs(6));
    let log = server.log();
    let stopping: Value = log
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| {
            l["message"]
                .as_str()
                .unwrap_or_default()
                .contains("grace period elapsed")
        })
        .unwrap_or_else(|| panic!("no grace line in {log:?}"));
    assert_eq!(stopping["connections"], 1, "{stopping}");
    assert_eq!(stopping["in_flight"], 0, "{stopping}");
    assert!(closed_by_server(&mut half, Duration::from_secs(2)));
}

/// Attack: huge or secret client input echoed back. Before, a 3 MB `datatype` came back in a
/// 3 MB error body and a 3 MB log line, and short input strings were logged.
#[test]
fn client_input_is_clipped_in_errors_and_logs() {
    let server = Server::start("tiny.onnx", &[]);
    let huge = "D".repeat(3 * 1024 * 1024);
    let body = format!(
        r#"{{"inputs":[{{"name":"input","shape":[1,4],"datatype":"{huge}","data":[1,2,3,4]}}]}}"#
    );
    let (status, text) = server.post("/v2/models/tiny/infer", &body);
    assert_eq!(status, 400);
    assert!(text.len() < 2048, "error body of {} bytes", text.len());
    let name = "N".repeat(6000);
    let (status, text) = server.post(&format!("/v2/models/{name}/infer"), "{}");
    assert_eq!(status, 404);
    assert!(text.len() < 2048, "error body of {} bytes", text.len());
    // Tensor values never reach an error body or a log line.
    let (status, text) = server.post("/predict", r#"{"features":["s3cr3t-value",2,3,4]}"#);
    assert_eq!(status, 400);
    assert!(!text.contains("s3cr3t"), "{text}");
    let (status, text) = server.post("/predict", r#"{"features":[1e300,2,3,4]}"#);
    assert_eq!(status, 400);
    assert!(!text.contains("1e300") && !text.contains("e+300"), "{text}");
    server.assert_live_and_serving();
    // Request lines are written within 100 ms: wait for the last one.
    server.wait_for(Duration::from_secs(5), "request lines written", || {
        server
            .log()
            .iter()
            .filter(|l| l.contains("\"route\":\"/predict\""))
            .count()
            >= 3
    });
    for line in server.log() {
        assert!(line.len() < 4096, "log line of {} bytes", line.len());
        assert!(
            !line.contains("s3cr3t") && !line.contains("1e300"),
            "{line}"
        );
    }
}

/// A panic inside a request is one JSON log line (no multi-line text on stdout or stderr), the
/// request gets a 500 and the server keeps serving.
#[test]
fn a_panic_is_one_json_log_line() {
    let server = Server::start("tiny.onnx", &["--test-panic-on-infer"]);
    let (status, _) = server.post(
        "/v2/models/tiny/infer",
        r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#,
    );
    assert_eq!(status, 500);
    assert_eq!(server.get("/v2/health/live").0, 200);
    thread::sleep(Duration::from_millis(200));
    let log = server.log();
    let panics: Vec<Value> = log
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).expect("every stdout line is JSON"))
        .filter(|l| l["target"] == "panic")
        .collect();
    assert_eq!(panics.len(), 1, "{log:?}");
    assert_eq!(panics[0]["level"], "error");
    assert!(panics[0]["location"].as_str().unwrap().contains(".rs:"));
    let stderr = server.stderr.lock().unwrap().clone();
    assert!(stderr.is_empty(), "stderr: {stderr:?}");
}

/// Attack: with the output limit lifted, a 1 MB request asks the x·xᵀ model for a 250 GB
/// output. The allocation fails inside the model run: this request gets a 500, the failure is
/// one JSON log line (no plain-text abort message), and the server keeps serving. (Relies on
/// the kernel refusing a 250 GB allocation, as Linux's default overcommit heuristic does on
/// any machine with less memory and swap than that.)
#[test]
fn an_allocation_failure_fails_one_request_with_one_json_line() {
    let server = Server::start("gram.onnx", &["--max-output-bytes", "1000000000000000"]);
    let (status, body) = server.post("/v2/models/gram/infer", &gram_request(250_000));
    assert_eq!(status, 500, "{body}");
    let (status, _) = server.post("/v2/models/gram/infer", &gram_request(3));
    assert_eq!(status, 200);
    assert_eq!(server.get("/v2/health/live").0, 200);
    thread::sleep(Duration::from_millis(200));
    let log = server.log();
    let failures: Vec<Value> = log
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).expect("every stdout line is JSON"))
        .filter(|l| l["target"] == "panic")
        .collect();
    assert_eq!(failures.len(), 1, "{log:?}");
    assert!(
        failures[0]["error"]
            .as_str()
            .unwrap()
            .contains("failed to allocate"),
        "{:?}",
        failures[0]
    );
    let stderr = server.stderr.lock().unwrap().clone();
    assert!(stderr.is_empty(), "stderr: {stderr:?}");
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Attack (of a friendly kind): Triton/KServe clients send tensors with the binary data
/// extension by default. Before, they got 400 "missing field `data`".
#[test]
fn binary_tensor_data_in_and_out() {
    let server = Server::start("tiny.onnx", &[]);
    let (_, meta) = server.get("/v2");
    assert!(meta.contains("binary_tensor_data"), "{meta}");
    let input = [0.1f32, 2.0, -1.5, 0.3, 1.0, 2.0, 3.0, 4.0];
    let json = format!(
        r#"{{"inputs":[{{"name":"input","shape":[2,4],"datatype":"FP32","parameters":{{"binary_data_size":{}}}}}],"outputs":[{{"name":"logits","parameters":{{"binary_data":true}}}},{{"name":"probabilities"}}]}}"#,
        input.len() * 4
    );
    let mut body = json.clone().into_bytes();
    body.extend(f32_bytes(&input));
    let headers = format!("Inference-Header-Content-Length: {}\r\n", json.len());
    let r = server.request("POST", "/v2/models/tiny/infer", &headers, &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let n: usize = r
        .header("inference-header-content-length")
        .expect("binary reply header")
        .parse()
        .unwrap();
    let head: Value = serde_json::from_slice(&r.body[..n]).unwrap();
    let logits = &head["outputs"][0];
    assert_eq!(logits["name"], "logits");
    assert_eq!(logits["parameters"]["binary_data_size"], 24);
    assert!(logits.get("data").is_none());
    // The other output stays JSON.
    assert_eq!(head["outputs"][1]["data"].as_array().unwrap().len(), 6);
    assert_eq!(r.body.len(), n + 24);
    // The same request in JSON gives the same numbers.
    let (status, text) = server.post(
        "/v2/models/tiny/infer",
        &format!(
            r#"{{"inputs":[{{"name":"input","shape":[2,4],"datatype":"FP32","data":{input:?}}}]}}"#
        ),
    );
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    let expected: Vec<f32> = v["outputs"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    let got: Vec<f32> = r.body[n..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(got, expected);
    // A size that does not match the shape is a 400 that says so.
    let bad = json.replace("\"binary_data_size\":32", "\"binary_data_size\":28");
    let mut body = bad.clone().into_bytes();
    body.extend(&f32_bytes(&input)[..28]);
    let headers = format!("Inference-Header-Content-Length: {}\r\n", bad.len());
    let r = server.request("POST", "/v2/models/tiny/infer", &headers, &body);
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("needs 32 bytes"));
    server.assert_live_and_serving();
}
