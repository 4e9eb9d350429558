//! The runtime contract, checked against the real server: every `slipway_*` metric the
//! generated alerts and dashboard query (seed spec), and the canary AnalysisTemplates and KEDA
//! ScaledObjects query (production spec), is one `slipway-serve`'s `/metrics` exposes, and its
//! request log lines carry the fields the Fluentd parser and the Kibana queries use.
//!
//! The test starts the `slipway-serve` binary of this workspace on 127.0.0.1 (a free port)
//! with the committed tiny test model, sends one `/predict` so the histograms have samples,
//! scrapes `/metrics` and compares. Every wait is bounded and the server is killed at the end.
//!
//! Binary: `$SLIPWAY_SERVE_BIN`, else `$CARGO_TARGET_DIR/debug/slipway-serve`, else
//! `<workspace>/target/debug/slipway-serve`; built with `cargo build -p slipway-serve` when
//! missing (`cargo test --workspace` builds it anyway). Model: `$SLIPWAY_SERVE_MODEL`, else
//! `crates/runtime/tests/models/tiny.onnx` (it must exist).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use slipway_core::compile::{Object, Workload};
use slipway_core::contract as runtime;
use slipway_core::{Pipeline, promql};

/// Longest wait for the server to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for one HTTP exchange.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The compiled seed spec (the source article's application).
fn seed_bundle() -> slipway_core::compile::Bundle {
    let template = std::fs::read_to_string(workspace().join("specs/seed-article.yaml")).unwrap();
    Pipeline::new("specs/seed-article.yaml", &template)
        .run()
        .unwrap_or_else(|failed| panic!("{}", failed.render()))
        .bundle
}

/// Every `slipway_*` metric family the seed spec's alerts and dashboard query, read from the
/// PromQL syntax trees (histogram series reduced to their family).
fn queried_runtime_metrics() -> BTreeSet<String> {
    let bundle = seed_bundle();
    let mut exprs: Vec<promql::Expr> = Vec::new();
    for object in &bundle.objects {
        if let Object::PrometheusRule(rule) = object {
            for alert in rule.spec.groups.iter().flat_map(|g| &g.rules) {
                exprs.push(promql::parse(&alert.expr).unwrap());
            }
        }
    }
    let alerts = exprs.len();
    let dashboard: serde_json::Value =
        serde_json::from_str(&bundle.files["dashboards/ai-inference.json"]).unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            exprs.push(promql::parse_grafana(target["expr"].as_str().unwrap()).unwrap());
        }
    }
    assert!(
        alerts > 0 && exprs.len() > alerts,
        "the seed spec has alerts and panels"
    );
    exprs
        .iter()
        .flat_map(promql::metric_names)
        .filter(|name| name.starts_with("slipway_"))
        .map(|name| promql::family(&name).to_string())
        .collect()
}

/// Every `slipway_*` metric family the production spec's canary analysis (AnalysisTemplates)
/// and autoscaling (KEDA ScaledObjects' Prometheus triggers) query.
fn production_queried_metrics() -> BTreeSet<String> {
    let file = "specs/production.yaml";
    let template = std::fs::read_to_string(workspace().join(file)).unwrap();
    let bundle = Pipeline::new(file, &template)
        .run()
        .unwrap_or_else(|failed| panic!("{}", failed.render()))
        .bundle;
    let mut queries: Vec<String> = Vec::new();
    let (mut analyses, mut triggers) = (0, 0);
    for object in &bundle.objects {
        match object {
            Object::AnalysisTemplate(template) => {
                analyses += 1;
                queries.extend(
                    template
                        .spec
                        .metrics
                        .iter()
                        .map(|m| m.provider.prometheus.query.clone()),
                );
            }
            Object::ScaledObject(scaled) => {
                triggers += 1;
                queries.extend(
                    scaled
                        .spec
                        .triggers
                        .iter()
                        .filter_map(|t| t.metadata.get("query").cloned()),
                );
            }
            _ => {}
        }
    }
    assert!(
        analyses > 0 && triggers > 0,
        "the production spec has AnalysisTemplates and ScaledObjects"
    );
    queries
        .iter()
        .map(|query| promql::parse(query).unwrap_or_else(|e| panic!("{query}: {e}")))
        .flat_map(|expr| promql::metric_names(&expr))
        .filter(|name| name.starts_with("slipway_"))
        .map(|name| promql::family(&name).to_string())
        .collect()
}

#[test]
fn analysis_and_autoscaling_query_declared_runtime_metrics() {
    let queried = production_queried_metrics();
    let expected: BTreeSet<String> = [
        runtime::METRIC_REQUESTS,
        runtime::METRIC_REQUEST_DURATION,
        runtime::METRIC_IN_FLIGHT,
    ]
    .iter()
    .map(|m| m.to_string())
    .collect();
    assert_eq!(queried, expected);
}

#[test]
fn queried_runtime_metrics_are_the_declared_ones() {
    let queried = queried_runtime_metrics();
    let declared: BTreeSet<String> = runtime::METRICS.iter().map(|m| m.to_string()).collect();
    let unknown: Vec<&String> = queried.difference(&declared).collect();
    assert!(unknown.is_empty(), "not in compile/runtime.rs: {unknown:?}");
    // The dashboard shows every metric the server has.
    assert_eq!(queried, declared);
}

/// The server containers of the seed spec's Deployments probe endpoints the server has, on the
/// named port, and set only variables the server reads (`slipway_contract::SETTINGS`).
#[test]
fn generated_deployments_use_the_servers_endpoints_and_settings() {
    let bundle = seed_bundle();
    let settings: BTreeSet<&str> = runtime::SETTINGS.iter().map(|s| s.env).collect();
    let mut servers = 0;
    for object in &bundle.objects {
        let Object::Deployment(deployment) = object else {
            continue;
        };
        let pod = deployment
            .pod_spec()
            .expect("a Deployment has a pod template");
        for container in &pod.containers {
            let serves = container
                .ports
                .iter()
                .flatten()
                .any(|p| p.name.as_deref() == Some(runtime::PORT_NAME));
            if !serves {
                continue;
            }
            servers += 1;
            for probe in [
                &container.liveness_probe,
                &container.readiness_probe,
                &container.startup_probe,
            ]
            .into_iter()
            .flatten()
            {
                let get = probe.http_get.as_ref().expect("HTTP probe");
                let path = get.path.as_deref().unwrap_or_default();
                assert!(
                    [
                        runtime::PATH_LIVE,
                        runtime::PATH_READY,
                        runtime::PATH_HEALTH
                    ]
                    .contains(&path),
                    "probe path {path} is not a probe endpoint of slipway-serve"
                );
            }
            let env: Vec<&str> = container
                .env
                .iter()
                .flatten()
                .map(|e| e.name.as_str())
                .collect();
            for name in [runtime::ENV_MODEL_PATH, runtime::ENV_PORT] {
                assert!(env.contains(&name), "{name} not set in {env:?}");
            }
            for name in env.iter().filter(|n| n.starts_with("SLIPWAY_")) {
                assert!(
                    settings.contains(name),
                    "slipway-serve does not read {name}"
                );
            }
        }
    }
    assert!(servers > 0, "no server container in the seed bundle");
}

fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SLIPWAY_SERVE_BIN") {
        return path.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let binary = target.join("debug/slipway-serve");
    if !binary.exists() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "slipway-serve"])
            .current_dir(workspace())
            .status()
            .expect("run cargo build -p slipway-serve");
        assert!(status.success(), "cargo build -p slipway-serve failed");
    }
    binary
}

/// The server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl Server {
    fn start(binary: &Path, model: &Path) -> Server {
        let port = free_port();
        let mut child = Command::new(binary)
            .env_clear()
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--model",
            ])
            .arg(model)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout is piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut server = Server { child, port, lines };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("slipway-serve exited with {status} before it was ready");
            }
            if server
                .request("GET", "/v2/health/ready", "")
                .is_some_and(|(s, _)| s == 200)
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "slipway-serve not ready in {READY_TIMEOUT:?}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// One HTTP/1.1 exchange; `None` when the server does not answer (yet).
    fn request(&mut self, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
        stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split(' ').nth(1)?.parse().ok()?;
        let (_, body) = response.split_once("\r\n\r\n")?;
        Some((status, body.to_string()))
    }
}

#[test]
fn every_queried_metric_is_exposed_by_the_running_server() {
    let model = std::env::var_os("SLIPWAY_SERVE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("crates/runtime/tests/models/tiny.onnx"));
    assert!(
        model.exists(),
        "no test model at {}: crates/runtime/tests/models/make_models.py makes it",
        model.display()
    );
    let mut queried = queried_runtime_metrics();
    queried.extend(production_queried_metrics());
    let mut server = Server::start(&server_binary(), &model);

    let (status, answer) = server
        .request(
            "POST",
            "/predict",
            r#"{"features": [[1.0, 2.0, 3.0, 4.0]]}"#,
        )
        .expect("/predict answers");
    assert_eq!(status, 200, "{answer}");
    let (status, exposition) = server
        .request("GET", "/metrics", "")
        .expect("/metrics answers");
    assert_eq!(status, 200);

    let exposed: BTreeSet<String> = exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(|name| promql::family(name).to_string())
        .collect();
    let missing: Vec<&String> = queried.difference(&exposed).collect();
    assert!(
        missing.is_empty(),
        "queried but not exposed by slipway-serve: {missing:?}\nexposed: {exposed:?}"
    );
    // And the histograms the quantiles read have buckets with samples: the request, the
    // model execution, its batch size and its wait in the batch queue (batching is on by
    // default, so the one /predict went through the batcher).
    for histogram in [
        runtime::METRIC_REQUEST_DURATION,
        runtime::METRIC_INFERENCE_DURATION,
        runtime::METRIC_BATCH_SIZE,
        runtime::METRIC_BATCH_QUEUE_DELAY,
    ] {
        assert!(
            exposition.contains(&format!("{histogram}_bucket{{")),
            "{histogram} has no buckets"
        );
        let samples: f64 = exposition
            .lines()
            .filter(|line| line.starts_with(&format!("{histogram}_count{{")))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert!(samples >= 1.0, "{histogram} has no samples:\n{exposition}");
    }

    // The request log line carries every field Fluentd types and Kibana queries.
    let deadline = Instant::now() + IO_TIMEOUT;
    let line = loop {
        let found = server
            .lines
            .lock()
            .unwrap()
            .iter()
            .find(|line| line.contains("\"/predict\""))
            .cloned();
        if let Some(line) = found {
            break line;
        }
        assert!(
            Instant::now() < deadline,
            "no request log line for /predict"
        );
        thread::sleep(Duration::from_millis(50));
    };
    let record: serde_json::Value = serde_json::from_str(&line).expect("log lines are JSON");
    for field in runtime::LOG_FIELDS {
        assert!(
            record.get(field).is_some(),
            "log field `{field}` missing in {line}"
        );
    }
    assert!(
        record[runtime::LOG_FIELD_STATUS].is_u64(),
        "status is an integer"
    );
    assert!(record[runtime::LOG_FIELD_RESPONSE_TIME].is_number());
}
