//! Prometheus metrics, kept in memory and written in the text exposition format (0.0.4).
//!
//! The names are a contract (`slipway-contract`): the alerts and the dashboard that `slipway`
//! generates query them. Every label comes from a closed set, so no client can grow the
//! exposition: `route` is a route template of the contract or `unmatched`, `method` one of the
//! contract's methods or `other`, `status` a code the server answers with.
//!
//! Recording a request is a few relaxed atomic additions into fixed arrays, no lock and no
//! allocation; only `/metrics` walks them.

use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use slipway_contract as contract;

/// Buckets of the request and inference duration histograms, in seconds.
pub const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Buckets of the batch-size histogram, in rows.
pub const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// Buckets of the batch queue delay histogram, in seconds: from 10 µs, since a queue delay
/// of 0 to a few hundred microseconds is the usual setting.
pub const QUEUE_DELAY_BUCKETS: &[f64] = &[
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0,
];

/// Status codes that get their own series; any other code the server answers with (none
/// today) is counted under `status="other"`.
pub const STATUSES: [u16; 12] = [200, 400, 404, 405, 408, 413, 414, 415, 422, 431, 500, 503];

/// Why a request (or a connection) was turned away before reaching the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// `--max-concurrency` requests were already being served (503).
    Saturated,
    /// The body exceeded `--max-body-bytes` (413).
    BodyTooLarge,
    /// The bodies being read already took `--max-buffered-body-bytes` (503).
    BufferedBodies,
    /// The outputs would exceed `--max-output-bytes` (413).
    OutputTooLarge,
    /// The body did not arrive within `--body-read-timeout-seconds` (408).
    BodyTimeout,
    /// A connection beyond `--max-connections`.
    Connections,
}

impl Rejection {
    const ALL: [Rejection; 6] = [
        Rejection::Saturated,
        Rejection::BodyTooLarge,
        Rejection::BufferedBodies,
        Rejection::OutputTooLarge,
        Rejection::BodyTimeout,
        Rejection::Connections,
    ];

    /// The `reason` label value.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::Saturated => contract::REASON_SATURATED,
            Rejection::BodyTooLarge => contract::REASON_BODY_TOO_LARGE,
            Rejection::BufferedBodies => contract::REASON_BUFFERED_BODIES,
            Rejection::OutputTooLarge => contract::REASON_OUTPUT_TOO_LARGE,
            Rejection::BodyTimeout => contract::REASON_BODY_TIMEOUT,
            Rejection::Connections => contract::REASON_CONNECTIONS,
        }
    }
}

/// A route label: an index into the contract's routes, or unmatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route(usize);

impl Route {
    /// A path that matches no route.
    pub const UNMATCHED: Route = Route(contract::ROUTES.len());

    /// The route of a contract route template.
    pub const fn of(index: usize) -> Route {
        Route(index)
    }

    /// The label value.
    pub fn name(self) -> &'static str {
        contract::ROUTES
            .get(self.0)
            .copied()
            .unwrap_or(contract::ROUTE_UNMATCHED)
    }
}

/// A method label: an index into the contract's methods, or other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodLabel(usize);

impl MethodLabel {
    /// The label of a request method.
    pub fn of(method: &str) -> MethodLabel {
        MethodLabel(
            contract::METHODS
                .iter()
                .position(|m| *m == method)
                .unwrap_or(contract::METHODS.len()),
        )
    }

    /// The label value.
    pub fn name(self) -> &'static str {
        contract::METHODS
            .get(self.0)
            .copied()
            .unwrap_or(contract::METHOD_OTHER)
    }
}

/// An `rpc` label: an index into the contract's gRPC methods, then the health check, then
/// other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpcLabel(usize);

impl RpcLabel {
    /// The health check (`grpc.health.v1.Health/Check`).
    pub const HEALTH_CHECK: RpcLabel = RpcLabel(contract::GRPC_RPCS.len());
    /// Any other gRPC path.
    pub const OTHER: RpcLabel = RpcLabel(contract::GRPC_RPCS.len() + 1);

    /// The label of a gRPC request path (`/package.Service/Method`).
    pub fn of_path(path: &str) -> RpcLabel {
        if path == "/grpc.health.v1.Health/Check" {
            return RpcLabel::HEALTH_CHECK;
        }
        path.strip_prefix('/')
            .and_then(|p| p.strip_prefix(contract::GRPC_SERVICE))
            .and_then(|p| p.strip_prefix('/'))
            .and_then(|m| contract::GRPC_RPCS.iter().position(|r| *r == m))
            .map_or(RpcLabel::OTHER, RpcLabel)
    }

    /// The label value.
    pub fn name(self) -> &'static str {
        match contract::GRPC_RPCS.get(self.0) {
            Some(rpc) => rpc,
            None if self == RpcLabel::HEALTH_CHECK => contract::GRPC_RPC_HEALTH_CHECK,
            None => contract::GRPC_RPC_OTHER,
        }
    }
}

const RPC_LABELS: usize = contract::GRPC_RPCS.len() + 2;

/// The calls of one gRPC method.
#[derive(Debug)]
struct RpcStats {
    /// One counter per gRPC status code.
    by_code: [AtomicU64; contract::GRPC_CODES.len()],
    duration: Histogram,
}

const ROUTE_LABELS: usize = contract::ROUTES.len() + 1;
const METHOD_LABELS: usize = contract::METHODS.len() + 1;
const STATUS_LABELS: usize = STATUSES.len() + 1;

/// A histogram of atomics: cumulative at render time.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    /// One count per bound, then the overflow.
    counts: Box<[AtomicU64]>,
    /// Sum of the observations, in millionths of the unit (microseconds, micro-rows).
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, v: f64) {
        let i = self
            .bounds
            .iter()
            .position(|&b| v <= b)
            .unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // v >= 0, small
        self.sum_micros
            .fetch_add((v * 1e6).round() as u64, Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, n) in self.bounds.iter().zip(self.counts.iter()) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = cumulative + self.counts[self.bounds.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        #[allow(clippy::cast_precision_loss)] // sums far below 2^52 micro-units
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// Counters and duration of one (route, method) pair.
#[derive(Debug)]
struct RouteStats {
    /// One counter per entry of [`STATUSES`], then `other`.
    by_status: [AtomicU64; STATUS_LABELS],
    duration: Histogram,
}

/// All metrics of the server.
#[derive(Debug)]
pub struct Metrics {
    model: String,
    version: String,
    /// Indexed by route × method.
    http: Box<[RouteStats]>,
    /// Indexed by [`RpcLabel`].
    grpc: Box<[RpcStats]>,
    inference: Histogram,
    batch: Histogram,
    queue_delay: Histogram,
    queue_depth: AtomicI64,
    in_flight: AtomicI64,
    rejected: [AtomicU64; Rejection::ALL.len()],
    loaded: AtomicBool,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Metrics for a server of one model.
    pub fn new(model: &str, version: &str) -> Metrics {
        Metrics {
            model: escape(model),
            version: escape(version),
            http: (0..ROUTE_LABELS * METHOD_LABELS)
                .map(|_| RouteStats {
                    by_status: std::array::from_fn(|_| AtomicU64::new(0)),
                    duration: Histogram::new(DURATION_BUCKETS),
                })
                .collect(),
            grpc: (0..RPC_LABELS)
                .map(|_| RpcStats {
                    by_code: std::array::from_fn(|_| AtomicU64::new(0)),
                    duration: Histogram::new(DURATION_BUCKETS),
                })
                .collect(),
            inference: Histogram::new(DURATION_BUCKETS),
            batch: Histogram::new(BATCH_BUCKETS),
            queue_delay: Histogram::new(QUEUE_DELAY_BUCKETS),
            queue_depth: AtomicI64::new(0),
            in_flight: AtomicI64::new(0),
            rejected: std::array::from_fn(|_| AtomicU64::new(0)),
            loaded: AtomicBool::new(false),
        }
    }

    /// Counts one finished request.
    pub fn request(&self, route: Route, method: MethodLabel, status: u16, elapsed: Duration) {
        let stats = &self.http[route.0 * METHOD_LABELS + method.0];
        let s = STATUSES
            .iter()
            .position(|&c| c == status)
            .unwrap_or(STATUSES.len());
        stats.by_status[s].fetch_add(1, Ordering::Relaxed);
        stats.duration.observe(elapsed.as_secs_f64());
    }

    /// Counts one finished gRPC call with its status code (a number; unknown codes count as
    /// `UNKNOWN`).
    pub fn grpc_call(&self, rpc: RpcLabel, code: i32, elapsed: Duration) {
        let stats = &self.grpc[rpc.0];
        let c = usize::try_from(code)
            .ok()
            .filter(|&c| c < contract::GRPC_CODES.len())
            .unwrap_or(2);
        stats.by_code[c].fetch_add(1, Ordering::Relaxed);
        stats.duration.observe(elapsed.as_secs_f64());
    }

    /// Records one model execution of `rows` rows.
    pub fn inference(&self, elapsed: Duration, rows: usize) {
        self.inference.observe(elapsed.as_secs_f64());
        #[allow(clippy::cast_precision_loss)] // row counts are far below 2^52
        self.batch.observe(rows as f64);
    }

    /// Records the time one request waited in the batch queue.
    pub fn queued(&self, waited: Duration) {
        self.queue_delay.observe(waited.as_secs_f64());
    }

    /// Sets the number of requests waiting in the batch queue.
    pub fn queue_depth(&self, depth: usize) {
        self.queue_depth
            .store(i64::try_from(depth).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// A request started (+1) or finished (-1).
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// Requests being served now.
    pub fn in_flight_now(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a rejected request or connection.
    pub fn rejected(&self, why: Rejection) {
        let i = Rejection::ALL.iter().position(|r| *r == why).unwrap_or(0);
        self.rejected[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Marks the model loaded and ready (or not).
    pub fn set_loaded(&self, loaded: bool) {
        self.loaded.store(loaded, Ordering::Relaxed);
    }

    fn pairs(&self) -> impl Iterator<Item = (Route, MethodLabel, &RouteStats)> {
        self.http.iter().enumerate().filter_map(|(i, stats)| {
            (stats.duration.count() > 0).then_some((
                Route(i / METHOD_LABELS),
                MethodLabel(i % METHOD_LABELS),
                stats,
            ))
        })
    }

    /// The text exposition of every metric, process metrics included.
    pub fn render(&self) -> String {
        use contract::{LABEL_METHOD as M, LABEL_ROUTE as R};
        let mut out = String::with_capacity(16384);
        let model = &self.model;
        let name = contract::METRIC_REQUESTS;
        let _ = write!(
            out,
            "# HELP {name} HTTP requests served, by route template, method and status code.\n\
             # TYPE {name} counter\n"
        );
        for (route, method, stats) in self.pairs() {
            for (i, n) in stats.by_status.iter().enumerate() {
                let n = n.load(Ordering::Relaxed);
                if n == 0 {
                    continue;
                }
                let status = STATUSES
                    .get(i)
                    .map_or_else(|| "other".to_owned(), u16::to_string);
                let _ = writeln!(
                    out,
                    "{name}{{{R}=\"{}\",{M}=\"{}\",{}=\"{status}\"}} {n}",
                    route.name(),
                    method.name(),
                    contract::LABEL_STATUS,
                );
            }
        }
        let name = contract::METRIC_REQUEST_DURATION;
        let _ = write!(
            out,
            "# HELP {name} Time from request to response, by route template and method.\n\
             # TYPE {name} histogram\n"
        );
        for (route, method, stats) in self.pairs() {
            let labels = format!("{R}=\"{}\",{M}=\"{}\"", route.name(), method.name());
            stats.duration.render(&mut out, name, &labels);
        }
        self.render_grpc(&mut out);
        let labels = format!("{}=\"{model}\"", contract::LABEL_MODEL);
        let name = contract::METRIC_INFERENCE_DURATION;
        let _ = write!(
            out,
            "# HELP {name} Model execution time, without HTTP and JSON.\n\
             # TYPE {name} histogram\n"
        );
        self.inference.render(&mut out, name, &labels);
        let name = contract::METRIC_BATCH_SIZE;
        let _ = write!(
            out,
            "# HELP {name} Rows per model execution.\n# TYPE {name} histogram\n"
        );
        self.batch.render(&mut out, name, &labels);
        let name = contract::METRIC_BATCH_QUEUE_DELAY;
        let _ = write!(
            out,
            "# HELP {name} Time a request waited in the batch queue before its model execution \
             started.\n# TYPE {name} histogram\n"
        );
        self.queue_delay.render(&mut out, name, &labels);
        let name = contract::METRIC_BATCH_QUEUE_DEPTH;
        let _ = write!(
            out,
            "# HELP {name} Requests waiting in the batch queue.\n# TYPE {name} gauge\n\
             {name}{{{labels}}} {}\n",
            self.queue_depth.load(Ordering::Relaxed)
        );
        let name = contract::METRIC_IN_FLIGHT;
        let _ = write!(
            out,
            "# HELP {name} Requests being served (HTTP and gRPC).\n# TYPE {name} gauge\n{name} {}\n",
            self.in_flight.load(Ordering::Relaxed)
        );
        let name = contract::METRIC_REJECTED;
        let _ = write!(
            out,
            "# HELP {name} Requests and connections turned away before the model, by reason.\n\
             # TYPE {name} counter\n"
        );
        for (why, n) in Rejection::ALL.iter().zip(&self.rejected) {
            let _ = writeln!(
                out,
                "{name}{{{}=\"{}\"}} {}",
                contract::LABEL_REASON,
                why.reason(),
                n.load(Ordering::Relaxed)
            );
        }
        let name = contract::METRIC_MODEL_LOADED;
        let _ = write!(
            out,
            "# HELP {name} 1 when the model is loaded, warmed up and ready.\n\
             # TYPE {name} gauge\n\
             {name}{{{}=\"{model}\",{}=\"{}\"}} {}\n",
            contract::LABEL_MODEL,
            contract::LABEL_VERSION,
            self.version,
            u8::from(self.loaded.load(Ordering::Relaxed)),
        );
        crate::process::render(&mut out);
        out
    }

    /// The gRPC families: calls by method and code, durations by method (methods called at
    /// least once).
    fn render_grpc(&self, out: &mut String) {
        use contract::{LABEL_GRPC_CODE as C, LABEL_RPC as R};
        let called = || {
            self.grpc
                .iter()
                .enumerate()
                .filter(|(_, s)| s.duration.count() > 0)
                .map(|(i, s)| (RpcLabel(i), s))
        };
        let name = contract::METRIC_GRPC_REQUESTS;
        let _ = write!(
            out,
            "# HELP {name} gRPC calls answered, by method and status code.\n\
             # TYPE {name} counter\n"
        );
        for (rpc, stats) in called() {
            for (code, n) in contract::GRPC_CODES.iter().zip(&stats.by_code) {
                let n = n.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(out, "{name}{{{R}=\"{}\",{C}=\"{code}\"}} {n}", rpc.name());
                }
            }
        }
        let name = contract::METRIC_GRPC_REQUEST_DURATION;
        let _ = write!(
            out,
            "# HELP {name} Time from gRPC call to the end of its answer, by method.\n\
             # TYPE {name} histogram\n"
        );
        for (rpc, stats) in called() {
            stats
                .duration
                .render(out, name, &format!("{R}=\"{}\"", rpc.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFER: Route = Route::of(7);

    #[test]
    fn histograms_are_cumulative_and_labels_bounded() {
        assert_eq!(INFER.name(), "/v2/models/{name}/infer");
        let m = Metrics::new("tiny", "1");
        let post = MethodLabel::of("POST");
        m.request(INFER, post, 200, Duration::from_micros(300));
        m.request(INFER, post, 400, Duration::from_millis(30));
        m.inference(Duration::from_micros(50), 3);
        m.queued(Duration::from_micros(40));
        m.queue_depth(5);
        m.rejected(Rejection::Saturated);
        m.set_loaded(true);
        let text = m.render();
        assert!(text.contains(
            "slipway_http_requests_total{route=\"/v2/models/{name}/infer\",method=\"POST\",status=\"400\"} 1"
        ));
        assert!(text.contains(
            "slipway_http_request_duration_seconds_bucket{route=\"/v2/models/{name}/infer\",method=\"POST\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "slipway_http_request_duration_seconds_bucket{route=\"/v2/models/{name}/infer\",method=\"POST\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains(
            "slipway_http_request_duration_seconds_sum{route=\"/v2/models/{name}/infer\",method=\"POST\"} 0.0303"
        ));
        assert!(text.contains("slipway_inference_batch_size_bucket{model=\"tiny\",le=\"2\"} 0"));
        assert!(text.contains("slipway_inference_batch_size_bucket{model=\"tiny\",le=\"4\"} 1"));
        assert!(text.contains(
            "slipway_batch_queue_delay_seconds_bucket{model=\"tiny\",le=\"0.000025\"} 0"
        ));
        assert!(
            text.contains(
                "slipway_batch_queue_delay_seconds_bucket{model=\"tiny\",le=\"0.00005\"} 1"
            )
        );
        assert!(text.contains("slipway_batch_queue_depth{model=\"tiny\"} 5"));
        assert!(text.contains("slipway_http_requests_rejected_total{reason=\"saturated\"} 1"));
        assert!(text.contains("slipway_model_loaded{model=\"tiny\",version=\"1\"} 1"));
    }

    #[test]
    fn methods_outside_the_closed_set_share_one_label() {
        let m = Metrics::new("tiny", "1");
        for method in ["FOO", "BAR", &"X".repeat(10_000)] {
            m.request(
                Route::UNMATCHED,
                MethodLabel::of(method),
                405,
                Duration::ZERO,
            );
        }
        let text = m.render();
        assert!(text.contains(
            "slipway_http_requests_total{route=\"unmatched\",method=\"other\",status=\"405\"} 3"
        ));
        assert!(
            !text.contains("FOO") && text.len() < 16_384,
            "{}",
            text.len()
        );
    }

    /// The families and label values the generated alerts and dashboard query.
    #[test]
    fn every_contract_family_and_reason_is_exported() {
        let text = Metrics::new("tiny", "1").render();
        for family in contract::METRICS.iter().chain(&contract::GRPC_METRICS) {
            assert!(text.contains(&format!("# TYPE {family} ")), "{family}");
        }
        for reason in contract::REJECTION_REASONS {
            assert!(
                text.contains(&format!(
                    "{}{{{}=\"{reason}\"}} 0",
                    contract::METRIC_REJECTED,
                    contract::LABEL_REASON
                )),
                "{reason}"
            );
        }
        assert_eq!(Rejection::ALL.len(), contract::REJECTION_REASONS.len());
    }

    /// gRPC calls are counted by method and code name, each label from a closed set.
    #[test]
    fn grpc_calls_by_method_and_code() {
        let m = Metrics::new("tiny", "1");
        let infer = RpcLabel::of_path("/inference.GRPCInferenceService/ModelInfer");
        assert_eq!(infer.name(), "ModelInfer");
        assert_eq!(
            RpcLabel::of_path("/inference.GRPCInferenceService/Nope"),
            RpcLabel::OTHER
        );
        assert_eq!(RpcLabel::of_path("/x/ModelInfer"), RpcLabel::OTHER);
        assert_eq!(
            RpcLabel::of_path("/grpc.health.v1.Health/Check").name(),
            contract::GRPC_RPC_HEALTH_CHECK
        );
        m.grpc_call(infer, 0, Duration::from_millis(1));
        m.grpc_call(infer, 3, Duration::from_millis(1));
        m.grpc_call(RpcLabel::OTHER, 99, Duration::from_millis(1));
        let text = m.render();
        for line in [
            "slipway_grpc_requests_total{rpc=\"ModelInfer\",code=\"OK\"} 1",
            "slipway_grpc_requests_total{rpc=\"ModelInfer\",code=\"INVALID_ARGUMENT\"} 1",
            "slipway_grpc_requests_total{rpc=\"other\",code=\"UNKNOWN\"} 1",
            "slipway_grpc_request_duration_seconds_count{rpc=\"ModelInfer\"} 2",
        ] {
            assert!(text.contains(line), "{line}\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
