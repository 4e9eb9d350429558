//! Prometheus metrics, kept in memory and written in the text exposition format (0.0.4).
//!
//! The names are a contract: the alerts and the dashboard that `slipway` generates query them.
//! Labels are bounded: `route` is the route template (`/v2/models/{name}/infer`), never the
//! raw path, and unmatched paths share the route `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Buckets of the request and inference duration histograms, in seconds.
pub const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Buckets of the batch-size histogram, in rows.
pub const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// Why a request was turned away before reaching the model.
#[derive(Debug, Clone, Copy)]
pub enum Rejection {
    /// `--max-concurrency` requests were already being served (503).
    Saturated,
    /// The body exceeded `--max-body-bytes` (413).
    BodyTooLarge,
}

#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, v: f64) {
        if let Some(i) = self.bounds.iter().position(|&b| v <= b) {
            self.counts[i] += 1;
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, n) in self.bounds.iter().zip(&self.counts) {
            cumulative += n;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Debug)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    duration: Histogram,
}

/// All metrics of the server.
#[derive(Debug)]
pub struct Metrics {
    model: String,
    version: String,
    /// route → method → stats.
    http: Mutex<BTreeMap<String, BTreeMap<String, RouteStats>>>,
    inference: Mutex<Histogram>,
    batch: Mutex<Histogram>,
    in_flight: AtomicI64,
    saturated: AtomicU64,
    body_too_large: AtomicU64,
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
            http: Mutex::default(),
            inference: Mutex::new(Histogram::new(DURATION_BUCKETS)),
            batch: Mutex::new(Histogram::new(BATCH_BUCKETS)),
            in_flight: AtomicI64::new(0),
            saturated: AtomicU64::new(0),
            body_too_large: AtomicU64::new(0),
            loaded: AtomicBool::new(false),
        }
    }

    /// Counts one finished request.
    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut http = self.http.lock().unwrap_or_else(|e| e.into_inner());
        let by_method = match http.get_mut(route) {
            Some(m) => m,
            None => http.entry(route.to_owned()).or_default(),
        };
        let stats = match by_method.get_mut(method) {
            Some(s) => s,
            None => by_method
                .entry(method.to_owned())
                .or_insert_with(|| RouteStats {
                    by_status: BTreeMap::new(),
                    duration: Histogram::new(DURATION_BUCKETS),
                }),
        };
        *stats.by_status.entry(status).or_default() += 1;
        stats.duration.observe(elapsed.as_secs_f64());
    }

    /// Records one model execution of `rows` rows.
    pub fn inference(&self, elapsed: Duration, rows: usize) {
        self.inference
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(elapsed.as_secs_f64());
        #[allow(clippy::cast_precision_loss)] // row counts are far below 2^52
        self.batch
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(rows as f64);
    }

    /// A request started (+1) or finished (-1).
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// Requests being served now.
    pub fn in_flight_now(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a rejected request.
    pub fn rejected(&self, why: Rejection) {
        let counter = match why {
            Rejection::Saturated => &self.saturated,
            Rejection::BodyTooLarge => &self.body_too_large,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks the model loaded and ready (or not).
    pub fn set_loaded(&self, loaded: bool) {
        self.loaded.store(loaded, Ordering::Relaxed);
    }

    /// The text exposition of every metric, process metrics included.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8192);
        let model = &self.model;
        {
            let http = self.http.lock().unwrap_or_else(|e| e.into_inner());
            out.push_str(
                "# HELP slipway_http_requests_total HTTP requests served, by route template, \
                 method and status code.\n# TYPE slipway_http_requests_total counter\n",
            );
            for (route, methods) in http.iter() {
                for (method, stats) in methods {
                    for (status, n) in &stats.by_status {
                        let _ = writeln!(
                            out,
                            "slipway_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                            escape(route),
                            escape(method)
                        );
                    }
                }
            }
            out.push_str(
                "# HELP slipway_http_request_duration_seconds Time from request to response \
                 headers, by route template and method.\n\
                 # TYPE slipway_http_request_duration_seconds histogram\n",
            );
            for (route, methods) in http.iter() {
                for (method, stats) in methods {
                    let labels =
                        format!("route=\"{}\",method=\"{}\"", escape(route), escape(method));
                    stats.duration.render(
                        &mut out,
                        "slipway_http_request_duration_seconds",
                        &labels,
                    );
                }
            }
        }
        let labels = format!("model=\"{model}\"");
        out.push_str(
            "# HELP slipway_inference_duration_seconds Model execution time, without HTTP and \
             JSON.\n# TYPE slipway_inference_duration_seconds histogram\n",
        );
        self.inference
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .render(&mut out, "slipway_inference_duration_seconds", &labels);
        out.push_str(
            "# HELP slipway_inference_batch_size Rows per model execution.\n\
             # TYPE slipway_inference_batch_size histogram\n",
        );
        self.batch.lock().unwrap_or_else(|e| e.into_inner()).render(
            &mut out,
            "slipway_inference_batch_size",
            &labels,
        );
        let _ = write!(
            out,
            "# HELP slipway_http_requests_in_flight HTTP requests being served.\n\
             # TYPE slipway_http_requests_in_flight gauge\n\
             slipway_http_requests_in_flight {}\n\
             # HELP slipway_http_requests_rejected_total Requests turned away before the model: \
             saturated (503) or body_too_large (413).\n\
             # TYPE slipway_http_requests_rejected_total counter\n\
             slipway_http_requests_rejected_total{{reason=\"saturated\"}} {}\n\
             slipway_http_requests_rejected_total{{reason=\"body_too_large\"}} {}\n\
             # HELP slipway_model_loaded 1 when the model is loaded, warmed up and ready.\n\
             # TYPE slipway_model_loaded gauge\n\
             slipway_model_loaded{{model=\"{model}\",version=\"{}\"}} {}\n",
            self.in_flight.load(Ordering::Relaxed),
            self.saturated.load(Ordering::Relaxed),
            self.body_too_large.load(Ordering::Relaxed),
            self.version,
            u8::from(self.loaded.load(Ordering::Relaxed)),
        );
        crate::process::render(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_bounded() {
        let m = Metrics::new("tiny", "1");
        m.request(
            "/v2/models/{name}/infer",
            "POST",
            200,
            Duration::from_micros(300),
        );
        m.request(
            "/v2/models/{name}/infer",
            "POST",
            400,
            Duration::from_millis(30),
        );
        m.inference(Duration::from_micros(50), 3);
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
        assert!(text.contains("slipway_inference_batch_size_bucket{model=\"tiny\",le=\"2\"} 0"));
        assert!(text.contains("slipway_inference_batch_size_bucket{model=\"tiny\",le=\"4\"} 1"));
        assert!(text.contains("slipway_http_requests_rejected_total{reason=\"saturated\"} 1"));
        assert!(text.contains("slipway_model_loaded{model=\"tiny\",version=\"1\"} 1"));
    }

    /// The families and label values the generated alerts and dashboard query.
    #[test]
    fn every_contract_family_and_reason_is_exported() {
        let text = Metrics::new("tiny", "1").render();
        for family in slipway_contract::METRICS {
            assert!(text.contains(&format!("# TYPE {family} ")), "{family}");
        }
        for reason in slipway_contract::REJECTION_REASONS {
            assert!(
                text.contains(&format!(
                    "{}{{{}=\"{reason}\"}} 0",
                    slipway_contract::METRIC_REJECTED,
                    slipway_contract::LABEL_REASON
                )),
                "{reason}"
            );
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
