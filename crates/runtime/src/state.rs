//! What every request shares, whichever protocol brought it: the settings, the loaded model
//! and its batcher, the admission slots and the body budget, readiness, the metrics.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use slipway_contract as contract;
use tokio::sync::Semaphore;

use crate::admission::{BodyBudget, Slots};
use crate::batch::{BatchConfig, Batcher, Engine};
use crate::log::{self, Level};
use crate::metrics::Metrics;
use crate::model::{Batching, Model};
use crate::protocol;

/// The most bytes of an error message sent or logged (client input inside it is clipped to
/// `contract::MAX_ECHOED_INPUT_BYTES` already; this bounds the rest, e.g. parser messages).
pub const MAX_ERROR_BYTES: usize = 1024;

/// Settings of the serving layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Served model name.
    pub model_name: String,
    /// Served model version.
    pub model_version: String,
    /// Largest accepted body (or gRPC message), bytes.
    pub max_body_bytes: usize,
    /// Bytes of bodies buffered at once across all requests.
    pub max_buffered_body_bytes: usize,
    /// Largest output a request may ask for, bytes of tensor data.
    pub max_output_bytes: usize,
    /// Inference requests admitted at once.
    pub max_concurrency: usize,
    /// Model executions at once (threads of the inference pool).
    pub threads: usize,
    /// Time allowed to receive a request body once its headers arrived.
    pub body_read_timeout: Duration,
    /// Dynamic batching: rows per model execution at most (1: off).
    pub batch_max_size: usize,
    /// Dynamic batching: the most the oldest queued request waits for batch-mates.
    pub batch_queue_delay: Duration,
    /// Testing only: delay before each inference.
    pub test_infer_delay: Duration,
    /// Testing only: panic in every inference job.
    pub test_panic_on_infer: bool,
}

/// State shared by every request.
#[derive(Debug)]
pub struct AppState {
    pub(crate) settings: Settings,
    pub(crate) model: OnceLock<Arc<Model>>,
    ready: AtomicBool,
    /// The served model's name, shared by every request log line.
    pub(crate) model_label: Arc<str>,
    /// The server's metrics.
    pub metrics: Arc<Metrics>,
    pub(crate) admission: Arc<Slots>,
    /// Bytes of request bodies being read or held before parsing, across all requests.
    pub(crate) bodies: Arc<BodyBudget>,
    pub(crate) workers: Arc<Semaphore>,
    /// The model's batcher, when batching is on and the model can be batched.
    pub(crate) batcher: OnceLock<Batcher>,
}

impl AppState {
    /// State with no model yet: live, not ready.
    pub fn new(settings: Settings) -> Arc<AppState> {
        Arc::new(AppState {
            metrics: Arc::new(Metrics::new(&settings.model_name, &settings.model_version)),
            admission: Arc::new(Slots::new(settings.max_concurrency)),
            bodies: Arc::new(BodyBudget::new(settings.max_buffered_body_bytes)),
            workers: Arc::new(Semaphore::new(settings.threads)),
            model: OnceLock::new(),
            batcher: OnceLock::new(),
            ready: AtomicBool::new(false),
            model_label: Arc::from(settings.model_name.as_str()),
            settings,
        })
    }

    /// Installs the loaded and warmed model, with its batcher when batching is on and the
    /// model can be batched, and reports ready.
    pub fn set_model(&self, model: Arc<Model>) {
        if self.settings.batch_max_size > 1 && *model.batching() == Batching::Stackable {
            let engine = Arc::new(ModelEngine {
                model: model.clone(),
                metrics: self.metrics.clone(),
            });
            let config = BatchConfig {
                max_rows: self.settings.batch_max_size,
                max_delay: self.settings.batch_queue_delay,
                runners: self.settings.threads,
                capacity: self.settings.max_concurrency,
            };
            let _ = self.batcher.set(Batcher::new(config, engine));
        }
        let _ = self.model.set(model);
        self.ready.store(true, Ordering::SeqCst);
        self.metrics.set_loaded(true);
    }

    /// Reports not ready (shutting down) while still serving requests that arrive.
    pub fn set_draining(&self) {
        self.ready.store(false, Ordering::SeqCst);
        self.metrics.set_loaded(false);
    }

    /// Whether requests are batched, and if not why: what the model metadata and the start
    /// log report.
    pub fn batching(&self, model: &Model) -> BatchingStatus {
        let enabled = self.settings.batch_max_size > 1;
        BatchingStatus {
            enabled: enabled && *model.batching() == Batching::Stackable,
            max_batch_size: self.settings.batch_max_size,
            max_queue_delay_microseconds: u64::try_from(
                self.settings.batch_queue_delay.as_micros(),
            )
            .unwrap_or(u64::MAX),
            reason: match model.batching() {
                _ if !enabled => Some("off (--batch-max-size 1)".to_owned()),
                Batching::Stackable => None,
                Batching::No(why) => Some(why.clone()),
            },
        }
    }

    /// Whether a new inference request would be admitted now: loaded, not draining, and a
    /// slot free.
    pub fn readiness(&self) -> Readiness {
        if !self.ready.load(Ordering::SeqCst) {
            if self.model.get().is_some() {
                Readiness::Draining
            } else {
                Readiness::Loading
            }
        } else if self.admission.full() {
            Readiness::Saturated
        } else {
            Readiness::Ready
        }
    }

    /// Whether `name` and `version` (if given) are the served model's.
    pub fn serves(&self, name: &str, version: Option<&str>) -> Result<(), UnknownModel> {
        let s = &self.settings;
        if name != s.model_name {
            return Err(UnknownModel::Name);
        }
        match version {
            Some(v) if v != s.model_version => Err(UnknownModel::Version),
            _ => Ok(()),
        }
    }
}

/// A model name or version other than the served one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownModel {
    /// Another model name.
    Name,
    /// The served model, another version.
    Version,
}

/// What the readiness probes report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The model is loading.
    Loading,
    /// SIGTERM received.
    Draining,
    /// Every inference slot is taken.
    Saturated,
    /// Ready for a request.
    Ready,
}

impl Readiness {
    /// Why not ready, as the probes' `reason` says it.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Readiness::Loading => Some("loading"),
            Readiness::Draining => Some("shutting_down"),
            Readiness::Saturated => Some(contract::REASON_SATURATED),
            Readiness::Ready => None,
        }
    }
}

/// The dynamic batching of a server, as `GET /v2/models/{name}` and the start log report it.
#[derive(Debug, Serialize)]
pub struct BatchingStatus {
    /// Whether concurrent requests share model executions.
    pub enabled: bool,
    /// Rows per model execution at most (`--batch-max-size`).
    pub max_batch_size: usize,
    /// The most a queued request waits for batch-mates (`--batch-queue-delay-micros`).
    pub max_queue_delay_microseconds: u64,
    /// Why batching is off, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The model as the batcher runs it: executions recorded in the inference metrics, queue
/// delay and depth in the batching metrics, a failed batch in the log.
struct ModelEngine {
    model: Arc<Model>,
    metrics: Arc<Metrics>,
}

#[derive(Serialize)]
struct BatchFailed<'a> {
    rows: usize,
    error: &'a str,
}

impl Engine for ModelEngine {
    fn run(&self, inputs: Vec<tract_onnx::prelude::Tensor>) -> protocol::Outputs {
        let rows = inputs
            .first()
            .and_then(|t| t.shape().first())
            .copied()
            .unwrap_or(1);
        let start = Instant::now();
        let outputs = self.model.run(inputs)?;
        self.metrics.inference(start.elapsed(), rows);
        Ok(outputs)
    }

    fn inline(&self, rows: usize) -> bool {
        self.model.batch_runs_inline(rows)
    }

    fn queued(&self, waited: Duration) {
        self.metrics.queued(waited);
    }

    fn depth(&self, depth: usize) {
        self.metrics.queue_depth(depth);
    }

    fn batch_failed(&self, rows: usize, error: &str) {
        log::emit(
            Level::Warn,
            "batch",
            "batched model execution failed; running its requests one by one",
            &BatchFailed {
                rows,
                error: &protocol::clip(error, MAX_ERROR_BYTES),
            },
        );
    }
}
