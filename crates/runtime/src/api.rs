//! HTTP: the V2 and `/predict` routes, probes, `/metrics`, admission control, request logs.
//!
//! An inference request is read in full (bounded in size and time, and with every other body
//! being read by `--max-buffered-body-bytes`) before it asks for one of the
//! `--max-concurrency` slots, so clients that stall mid-upload hold no slot. The slot is held
//! until the response has been handed to the connection (see [`SlotBody`]), so clients that
//! do not read their answers cannot pile up response memory beyond the slots. Between the two,
//! the request is parsed and checked, its model run goes to the batcher (`crate::batch`) when
//! it can share one, and its answer is written.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use slipway_contract as contract;
use tokio::sync::Semaphore;

use crate::batch::{BatchConfig, Batcher, Direct, Engine, Submitted, Ticket};
use crate::log::{self, Level};
use crate::metrics::{MethodLabel, Metrics, Rejection, Route};
use crate::model::{Batching, Model, TensorMetadata};
use crate::protocol::{self, Prepared, Reply, RequestError, Served};
use crate::tensor::OutputError;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Served model name.
    pub model_name: String,
    /// Served model version.
    pub model_version: String,
    /// Largest accepted body, bytes.
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
    settings: Settings,
    model: OnceLock<Arc<Model>>,
    ready: AtomicBool,
    /// The served model's name, shared by every request log line.
    model_label: Arc<str>,
    /// The server's metrics.
    pub metrics: Arc<Metrics>,
    admission: Arc<Slots>,
    /// Bytes of request bodies being read or held before parsing, across all requests.
    bodies: Arc<BodyBudget>,
    workers: Arc<Semaphore>,
    /// The model's batcher, when batching is on and the model can be batched.
    batcher: OnceLock<Batcher>,
}

impl AppState {
    /// State with no model yet: live, not ready.
    pub fn new(settings: Settings) -> Arc<AppState> {
        Arc::new(AppState {
            metrics: Arc::new(Metrics::new(&settings.model_name, &settings.model_version)),
            admission: Arc::new(Slots {
                taken: AtomicUsize::new(0),
                max: settings.max_concurrency,
            }),
            bodies: Arc::new(BodyBudget {
                used: AtomicUsize::new(0),
                max: settings.max_buffered_body_bytes,
            }),
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
    fn readiness(&self) -> Readiness {
        if !self.ready.load(Ordering::SeqCst) {
            if self.model.get().is_some() {
                Readiness::Draining
            } else {
                Readiness::Loading
            }
        } else if self.admission.taken.load(Ordering::Relaxed) >= self.admission.max {
            Readiness::Saturated
        } else {
            Readiness::Ready
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

/// The `--max-concurrency` inference slots: a counter, since a request never waits for one
/// (taking and freeing is one atomic operation each, no lock).
#[derive(Debug)]
struct Slots {
    taken: AtomicUsize,
    max: usize,
}

impl Slots {
    fn try_take(slots: &Arc<Slots>) -> Option<Slot> {
        slots
            .taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < slots.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(slots.clone()))
    }
}

/// The `--max-buffered-body-bytes` budget: bytes of request bodies buffered across all
/// requests, from the first byte read until the request is parsed. One atomic counter.
#[derive(Debug)]
struct BodyBudget {
    used: AtomicUsize,
    max: usize,
}

/// Bytes of the budget one body holds, given back on drop.
#[derive(Debug)]
struct Held {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl Held {
    fn new(budget: &Arc<BodyBudget>) -> Held {
        Held {
            budget: budget.clone(),
            bytes: 0,
        }
    }

    /// Holds `total` bytes in all (more than now), if the budget has room.
    fn grow(&mut self, total: usize) -> bool {
        let more = total.saturating_sub(self.bytes);
        if more == 0 {
            return true;
        }
        let max = self.budget.max;
        let ok = self
            .budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(more).filter(|&n| n <= max)
            })
            .is_ok();
        if ok {
            self.bytes = total;
        }
        ok
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// A request body read in full, holding its bytes of the buffered-body budget until dropped.
#[derive(Debug)]
struct Buffered {
    bytes: Bytes,
    _held: Held,
}

impl std::ops::Deref for Buffered {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// One taken slot, freed on drop.
#[derive(Debug)]
struct Slot(Arc<Slots>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.taken.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the readiness probes report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readiness {
    Loading,
    Draining,
    Saturated,
    Ready,
}

impl Readiness {
    fn status(self) -> StatusCode {
        if self == Readiness::Ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    }

    fn reason(self) -> Option<&'static str> {
        match self {
            Readiness::Loading => Some("loading"),
            Readiness::Draining => Some("shutting_down"),
            Readiness::Saturated => Some(contract::REASON_SATURATED),
            Readiness::Ready => None,
        }
    }
}

type Shared = Arc<AppState>;

/// What every connection serves: the router, with the request observer around it (metrics,
/// in-flight gauge, request log). A plain wrapper rather than an axum middleware: no boxed
/// `Next` and no service clone per request.
#[derive(Debug, Clone)]
pub struct Service {
    router: Router,
    state: Shared,
}

impl Service {
    /// The service of a server.
    pub fn new(state: Shared) -> Service {
        Service {
            router: router(state.clone()),
            state,
        }
    }

    /// Answers one request.
    pub async fn call(&self, req: hyper::Request<Incoming>) -> Response<ReplyBody> {
        observe(&self.state, &self.router, req).await
    }
}

/// A response body: an inference answer holding its admission slot ([`SlotBody`]), or any
/// other body (probes, metadata, errors). An enum rather than a boxed body, so an inference
/// answer costs no allocation for its body.
pub enum ReplyBody {
    /// An inference answer.
    Slot(SlotBody),
    /// Anything else.
    Other(Body),
}

impl HttpBody for ReplyBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            ReplyBody::Slot(b) => match Pin::new(b).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            ReplyBody::Other(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReplyBody::Slot(b) => b.is_end_stream(),
            ReplyBody::Other(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Slot(b) => b.size_hint(),
            ReplyBody::Other(b) => b.size_hint(),
        }
    }
}

/// A request body the handlers can read: hyper's (the inference routes, served without the
/// router) or axum's (through the router).
trait ReadBody: HttpBody<Data = Bytes, Error: std::fmt::Display> + Unpin + Send {}

impl<B: HttpBody<Data = Bytes, Error: std::fmt::Display> + Unpin + Send> ReadBody for B {}

/// The router with every route and the JSON fallbacks.
fn router(state: Shared) -> Router {
    Router::new()
        .route(contract::PATH_LIVE, get(live))
        .route(contract::PATH_READY, get(ready))
        .route(contract::PATH_SERVER_METADATA, get(server_metadata))
        .route(contract::ROUTE_MODEL_METADATA, get(model_metadata))
        .route(contract::ROUTE_MODEL_VERSION_METADATA, get(model_metadata))
        .route(contract::ROUTE_MODEL_READY, get(model_ready))
        .route(contract::ROUTE_MODEL_VERSION_READY, get(model_ready))
        .route(contract::ROUTE_INFER, post(infer))
        .route(contract::ROUTE_VERSION_INFER, post(infer))
        .route(contract::PATH_PREDICT, post(predict))
        .route(contract::PATH_HEALTH, get(health))
        .route(contract::PATH_METRICS, get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The route template a path matches, the way the router matches it (`{name}` and
/// `{version}` are one non-empty segment); a unit test checks the two agree.
pub fn route_of(path: &str) -> Route {
    let index = |template: &str| {
        contract::ROUTES
            .iter()
            .position(|r| *r == template)
            .map_or(Route::UNMATCHED, Route::of)
    };
    if let Some(rest) = path.strip_prefix("/v2/models/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Route::UNMATCHED;
        }
        return match parts.as_slice() {
            [_] => index(contract::ROUTE_MODEL_METADATA),
            [_, "ready"] => index(contract::ROUTE_MODEL_READY),
            [_, "infer"] => index(contract::ROUTE_INFER),
            [_, "versions", _] => index(contract::ROUTE_MODEL_VERSION_METADATA),
            [_, "versions", _, "ready"] => index(contract::ROUTE_MODEL_VERSION_READY),
            [_, "versions", _, "infer"] => index(contract::ROUTE_VERSION_INFER),
            _ => Route::UNMATCHED,
        };
    }
    // The fixed paths.
    let fixed = [
        contract::PATH_LIVE,
        contract::PATH_READY,
        contract::PATH_SERVER_METADATA,
        contract::PATH_PREDICT,
        contract::PATH_HEALTH,
        contract::PATH_METRICS,
    ];
    if fixed.contains(&path) {
        index(path)
    } else {
        Route::UNMATCHED
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The most bytes of an error message sent or logged (client input inside it is clipped to
/// `contract::MAX_ECHOED_INPUT_BYTES` already; this bounds the rest, e.g. parser messages).
const MAX_ERROR_BYTES: usize = 1024;

/// An error answered to the client as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Close the connection after answering (the body was not read to its end).
    close: bool,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: protocol::clip(&message.into(), MAX_ERROR_BYTES).into_owned(),
            close: false,
        }
    }

    fn closing(mut self) -> ApiError {
        self.close = true;
        self
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> ApiError {
        let status = match &e {
            RequestError::OutputTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            // A checked allocation failed: this request fails, the server keeps serving.
            RequestError::Output(OutputError::Memory(_)) => StatusCode::SERVICE_UNAVAILABLE,
            e if e.is_client_error() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

/// The error text of a response, for the request log.
#[derive(Debug, Clone)]
struct ErrorMessage(String);

/// The model a request was about, for the request log.
#[derive(Debug, Clone)]
struct ModelLabel(Arc<str>);

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = json(
            self.status,
            &ErrorBody {
                error: &self.message,
            },
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if self.close {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp.extensions_mut().insert(ErrorMessage(self.message));
        resp
    }
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_bytes(status, bytes),
        Err(e) => {
            let msg = format!("{{\"error\":\"cannot encode response: {e}\"}}");
            json_bytes(StatusCode::INTERNAL_SERVER_ERROR, msg.into_bytes())
        }
    }
}

fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// Decrements the in-flight gauge even if the client goes away mid-request.
struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight(-1);
    }
}

/// The fields of a request log line.
struct RequestLog<'a> {
    /// A method label: a closed set of plain ASCII names.
    method: &'static str,
    /// A route template of the contract, or `unmatched`: plain ASCII.
    route: &'static str,
    path: &'a str,
    status: u16,
    response_time_ms: f64,
    model: Option<&'a str>,
    error: Option<&'a str>,
}

impl log::Fields for RequestLog<'_> {
    fn write(&self, buf: &mut Vec<u8>) {
        // Writing numbers into a Vec cannot fail.
        buf.extend_from_slice(b",\"method\":\"");
        buf.extend_from_slice(self.method.as_bytes());
        buf.extend_from_slice(b"\",\"route\":\"");
        buf.extend_from_slice(self.route.as_bytes());
        buf.extend_from_slice(b"\",\"path\":");
        log::json_str(buf, self.path);
        buf.extend_from_slice(b",\"status\":");
        let _ = serde_json::to_writer(&mut *buf, &self.status);
        buf.extend_from_slice(b",\"response_time_ms\":");
        let _ = serde_json::to_writer(&mut *buf, &self.response_time_ms);
        if let Some(model) = self.model {
            buf.extend_from_slice(b",\"model\":");
            log::json_str(buf, model);
        }
        if let Some(error) = self.error {
            buf.extend_from_slice(b",\"error\":");
            log::json_str(buf, error);
        }
    }
}

/// Around the routes: in-flight gauge, request counter and duration histogram, one log line.
///
/// The inference routes (`POST /predict`, `POST /v2/models/{name}[/versions/{v}]/infer`) are
/// answered here directly, the way the router would answer them, without its per-request
/// work (route lookup, matched-path and parameter extensions, a boxed service clone and a
/// boxed handler future, a boxed request body). Everything else, and a model path with
/// percent-encoding (which the router decodes), goes through the router.
async fn observe(
    state: &Shared,
    router: &Router,
    req: hyper::Request<Incoming>,
) -> Response<ReplyBody> {
    let start = Instant::now();
    let path = req.uri().path();
    let route = route_of(path);
    let method = MethodLabel::of(req.method().as_str());
    state.metrics.in_flight(1);
    let guard = InFlight(&state.metrics);
    let uri = req.uri().clone();
    let post = req.method() == Method::POST;
    let (resp, model) = match route.name() {
        contract::PATH_PREDICT if post => (
            predict_direct(state, req.into_body()).await,
            Some(Cow::Borrowed(&*state.model_label)),
        ),
        contract::ROUTE_INFER | contract::ROUTE_VERSION_INFER
            if post && !uri.path().contains('%') =>
        {
            let (name, version) = model_path_of(uri.path());
            let resp = infer_direct(state, name, version, req).await;
            (resp, Some(model_label(state, name)))
        }
        _ => {
            let mut router = router.clone();
            let resp = match tower_service::Service::call(&mut router, req.map(Body::new)).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            let model = resp
                .extensions()
                .get::<ModelLabel>()
                .map(|m| Cow::Owned(m.0.to_string()));
            (resp.map(ReplyBody::Other), model)
        }
    };
    drop(guard);
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    state.metrics.request(route, method, status, elapsed);
    let probe = [
        contract::PATH_LIVE,
        contract::PATH_READY,
        contract::PATH_HEALTH,
        contract::PATH_METRICS,
    ]
    .contains(&route.name());
    let level = match status {
        503 | 400..=499 => Level::Warn,
        500.. => Level::Error,
        _ if probe => Level::Debug,
        _ => Level::Info,
    };
    if log::enabled(level) {
        log::emit_request(
            level,
            "http",
            "request",
            &RequestLog {
                method: method.name(),
                route: route.name(),
                path: &protocol::clip(uri.path(), contract::MAX_ECHOED_INPUT_BYTES),
                status,
                response_time_ms: (elapsed.as_secs_f64() * 1e6).round() / 1e3,
                model: model.as_deref(),
                error: resp
                    .extensions()
                    .get::<ErrorMessage>()
                    .map(|m| m.0.as_str()),
            },
        );
    }
    resp
}

/// The model name and version of a V2 path the router would match (no percent-encoding).
fn model_path_of(path: &str) -> (&str, Option<&str>) {
    let rest = path.strip_prefix("/v2/models/").unwrap_or_default();
    let mut parts = rest.split('/');
    let name = parts.next().unwrap_or_default();
    let version = match parts.next() {
        Some("versions") => parts.next(),
        _ => None,
    };
    (name, version)
}

/// The model label of a request log line for a model named in a URL.
fn model_label<'a>(state: &'a AppState, name: &'a str) -> Cow<'a, str> {
    if name == state.settings.model_name {
        Cow::Borrowed(&*state.model_label)
    } else {
        protocol::clip(name, contract::MAX_ECHOED_INPUT_BYTES)
    }
}

// ---------------------------------------------------------------------------------------------
// Probes, metadata, metrics

#[derive(Serialize)]
struct Live {
    live: bool,
}

#[derive(Serialize)]
struct Ready {
    ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

async fn live() -> Response {
    json(StatusCode::OK, &Live { live: true })
}

async fn ready(State(state): State<Shared>) -> Response {
    let r = state.readiness();
    json(
        r.status(),
        &Ready {
            ready: r == Readiness::Ready,
            reason: r.reason(),
        },
    )
}

#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    model: &'a str,
    model_loaded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

/// The article's health check: 200 `healthy` once ready, else 503.
async fn health(State(state): State<Shared>) -> Response {
    let r = state.readiness();
    json(
        r.status(),
        &Health {
            status: if r == Readiness::Ready {
                "healthy"
            } else {
                "unavailable"
            },
            model: &state.settings.model_name,
            model_loaded: state.model.get().is_some(),
            reason: r.reason(),
        },
    )
}

#[derive(Serialize)]
struct ServerMetadata {
    name: &'static str,
    version: &'static str,
    extensions: [&'static str; contract::EXTENSIONS.len()],
}

async fn server_metadata() -> Response {
    json(
        StatusCode::OK,
        &ServerMetadata {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            extensions: contract::EXTENSIONS,
        },
    )
}

async fn metrics(State(state): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ModelPath {
    name: String,
    version: Option<String>,
}

/// Checks the model named in the URL against the served one.
fn check_model(state: &AppState, path: &ModelPath) -> Result<(), ApiError> {
    check_model_named(state, &path.name, path.version.as_deref())
}

/// Checks a model name and version from the URL against the served ones.
fn check_model_named(state: &AppState, name: &str, version: Option<&str>) -> Result<(), ApiError> {
    let s = &state.settings;
    let clip = |v: &str| protocol::clip(v, contract::MAX_ECHOED_INPUT_BYTES).into_owned();
    if name != s.model_name {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "unknown model {:?}: this server serves {:?} (version {:?})",
                clip(name),
                s.model_name,
                s.model_version
            ),
        ));
    }
    match version {
        Some(v) if v != s.model_version => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "unknown version {:?} of model {:?}: this server serves version {:?}",
                clip(v),
                s.model_name,
                s.model_version
            ),
        )),
        _ => Ok(()),
    }
}

/// The loaded model, or 503 while it loads.
fn loaded(state: &AppState) -> Result<Arc<Model>, ApiError> {
    state.model.get().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "model {:?} is still loading; retry when /v2/health/ready answers 200",
                state.settings.model_name
            ),
        )
    })
}

/// Labels a response with the model of its URL, for the request log.
fn labelled(mut resp: Response, state: &AppState, name: &str) -> Response {
    let label = if name == state.settings.model_name {
        state.model_label.clone()
    } else {
        Arc::from(protocol::clip(name, contract::MAX_ECHOED_INPUT_BYTES).as_ref())
    };
    resp.extensions_mut().insert(ModelLabel(label));
    resp
}

#[derive(Serialize)]
struct ModelMetadata<'a> {
    name: &'a str,
    versions: [&'a str; 1],
    platform: &'static str,
    inputs: Vec<TensorMetadata<'a>>,
    outputs: Vec<TensorMetadata<'a>>,
    batching: BatchingStatus,
}

async fn model_metadata(State(state): State<Shared>, Path(path): Path<ModelPath>) -> Response {
    let result = check_model(&state, &path).and_then(|()| loaded(&state));
    let resp = match result {
        Ok(model) => json(
            StatusCode::OK,
            &ModelMetadata {
                name: &state.settings.model_name,
                versions: [&state.settings.model_version],
                platform: "onnx_onnxv1",
                inputs: model.inputs.iter().map(TensorMetadata::from).collect(),
                outputs: model.outputs.iter().map(TensorMetadata::from).collect(),
                batching: state.batching(&model),
            },
        ),
        Err(e) => e.into_response(),
    };
    labelled(resp, &state, &path.name)
}

#[derive(Serialize)]
struct ModelReady<'a> {
    name: &'a str,
    ready: bool,
}

async fn model_ready(State(state): State<Shared>, Path(path): Path<ModelPath>) -> Response {
    let resp = match check_model(&state, &path) {
        Ok(()) => {
            let r = state.readiness();
            json(
                r.status(),
                &ModelReady {
                    name: &state.settings.model_name,
                    ready: r == Readiness::Ready,
                },
            )
        }
        Err(e) => e.into_response(),
    };
    labelled(resp, &state, &path.name)
}

// ---------------------------------------------------------------------------------------------
// Inference

/// The length of the JSON part of a binary-extension request, if the header is there.
fn json_part_length(headers: &HeaderMap) -> Result<Option<usize>, ApiError> {
    let Some(value) = headers.get(contract::HEADER_INFERENCE_HEADER_CONTENT_LENGTH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "header {} must be a byte count",
                    contract::HEADER_INFERENCE_HEADER_CONTENT_LENGTH
                ),
            )
        })
}

/// `POST /v2/models/{name}[/versions/{v}]/infer` through the router (a percent-encoded path).
async fn infer(State(state): State<Shared>, Path(path): Path<ModelPath>, req: Request) -> Response {
    let resp = infer_direct(&state, &path.name, path.version.as_deref(), req);
    labelled(resp.await.map(Body::new), &state, &path.name)
}

/// A V2 inference request.
async fn infer_direct<B: ReadBody>(
    state: &Shared,
    name: &str,
    version: Option<&str>,
    req: hyper::Request<B>,
) -> Response<ReplyBody> {
    let result = async {
        check_model_named(state, name, version)?;
        let json_len = json_part_length(req.headers())?;
        let model = loaded(state)?;
        run_job(state, model, req.into_body(), move |served, body| {
            protocol::infer(served, body, json_len)
        })
        .await
    }
    .await;
    result.unwrap_or_else(|e| e.into_response().map(ReplyBody::Other))
}

/// `POST /predict` through the router (never taken: `observe` answers it directly; kept so
/// the router knows the route and answers other methods with 405).
async fn predict(State(state): State<Shared>, req: Request) -> Response {
    let mut resp = predict_direct(&state, req.into_body()).await.map(Body::new);
    resp.extensions_mut()
        .insert(ModelLabel(state.model_label.clone()));
    resp
}

/// A `/predict` request.
async fn predict_direct<B: ReadBody>(state: &Shared, body: B) -> Response<ReplyBody> {
    let result = async {
        let model = loaded(state)?;
        run_job(state, model, body, protocol::predict).await
    }
    .await;
    result.unwrap_or_else(|e| e.into_response().map(ReplyBody::Other))
}

/// Body, admission, then the CPU-bound part: parsing and checking (`prepare`), the model run
/// (batched with other requests when the batcher takes it, else alone), writing the answer.
/// Small requests to a fast model do all of it on the calling runtime thread, handing only
/// the model run to the batcher; the others do it in one job on the inference pool, at most
/// `threads` jobs at a time (a job waiting for its batch holds a thread of the blocking pool
/// but no pool slot). The admission slot travels with the response body.
async fn run_job<F, B: ReadBody>(
    state: &Shared,
    model: Arc<Model>,
    body: B,
    prepare: F,
) -> Result<Response<ReplyBody>, ApiError>
where
    F: FnOnce(Served<'_>, &[u8]) -> Result<Prepared, RequestError> + Send + 'static,
{
    let body = read_body(state, body).await?;
    let Some(slot) = Slots::try_take(&state.admission) else {
        state.metrics.rejected(Rejection::Saturated);
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "server saturated: {} inference requests already in progress; retry later",
                state.settings.max_concurrency
            ),
        ));
    };
    if !state.settings.test_infer_delay.is_zero() {
        tokio::time::sleep(state.settings.test_infer_delay).await;
    }
    let reply = if model.runs_inline(body.len()) {
        let prepared = guarded(state, || {
            test_panic(state);
            prepare(served(state, &model), &body)
        })?;
        drop(body);
        match submit(state, prepared) {
            Queued::Batched(ticket, answer) => {
                let rows = ticket.rows().await;
                guarded(state, || answer.finish_rows(served(state, &model), rows?))?
            }
            Queued::Alone(prepared, direct) => serve_alone(state, &model, prepared, direct)?,
        }
    } else {
        let worker = state.workers.clone().acquire_owned().await.map_err(|_| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "server is shutting down")
        })?;
        let shared = state.clone();
        let task = tokio::task::spawn_blocking(move || {
            let state = &shared;
            let prepared = guarded(state, || {
                test_panic(state);
                prepare(served(state, &model), &body)
            })?;
            drop(body);
            match submit(state, prepared) {
                Queued::Batched(ticket, answer) => {
                    // Waiting for the batch takes no pool slot; writing the answer does.
                    drop(worker);
                    let rows = ticket.rows_blocking();
                    let _worker = tokio::runtime::Handle::current()
                        .block_on(state.workers.clone().acquire_owned())
                        .map_err(|_| {
                            ApiError::new(
                                StatusCode::SERVICE_UNAVAILABLE,
                                "server is shutting down",
                            )
                        })?;
                    guarded(state, || answer.finish_rows(served(state, &model), rows?))
                }
                Queued::Alone(prepared, direct) => {
                    // A direct run holds a runner's place, which bounds the model runs: its
                    // pool slot goes to the next request, which then queues behind it and
                    // batches (as a batched request's does while it waits).
                    let _worker = if direct.is_some() {
                        drop(worker);
                        None
                    } else {
                        Some(worker)
                    };
                    serve_alone(state, &model, prepared, direct)
                }
            }
        });
        task.await.map_err(|_| internal_error())??
    };
    Ok(reply_response(reply, slot))
}

/// A prepared request handed to the batcher, or back to run alone.
enum Queued {
    /// In the batch queue: the outputs will come through the ticket.
    Batched(Ticket, protocol::Answer),
    /// Not batched (batching off, the model cannot be batched, more rows than a batch, or
    /// inputs that do not stack), or nothing to batch it with yet and a runner's place held
    /// for it (`Some`, released once it is answered): run it alone.
    Alone(Prepared, Option<Direct>),
}

/// Runs a request alone and answers it; a runner's place it holds is let go once it is
/// answered, so the requests that queued behind it start.
fn serve_alone(
    state: &AppState,
    model: &Model,
    prepared: Prepared,
    direct: Option<Direct>,
) -> Result<Reply, ApiError> {
    let answer = guarded(state, || protocol::serve(served(state, model), prepared));
    drop(direct);
    answer
}

fn submit(state: &AppState, prepared: Prepared) -> Queued {
    let Some(batcher) = state.batcher.get() else {
        return Queued::Alone(prepared, None);
    };
    let Prepared {
        inputs,
        rows,
        answer,
    } = prepared;
    let (inputs, direct) = match batcher.submit_or_run(inputs) {
        Submitted::Queued(ticket) => return Queued::Batched(ticket, answer),
        Submitted::Alone(inputs) => (inputs, None),
        Submitted::Now(inputs, direct) => (inputs, Some(direct)),
    };
    let prepared = Prepared {
        inputs,
        rows,
        answer,
    };
    Queued::Alone(prepared, direct)
}

/// Testing only (`--test-panic-on-infer`): panic where a request is parsed.
fn test_panic(state: &AppState) {
    if state.settings.test_panic_on_infer {
        panic!("test panic (--test-panic-on-infer)");
    }
}

fn internal_error() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error while running the model",
    )
}

/// Runs a part of a request's job; a panic (in tract, say) becomes a 500 for this request
/// only: the panic hook has logged it, and the server keeps serving.
fn guarded<R>(
    state: &AppState,
    part: impl FnOnce() -> Result<R, RequestError>,
) -> Result<R, ApiError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(part)) {
        Ok(result) => result.map_err(|e| answer_error(state, e)),
        Err(_) => Err(internal_error()),
    }
}

fn served<'a>(state: &'a AppState, model: &'a Model) -> Served<'a> {
    Served {
        model,
        name: &state.settings.model_name,
        version: &state.settings.model_version,
        metrics: &state.metrics,
        max_output_bytes: state.settings.max_output_bytes,
    }
}

/// The response of a request error, counting an output refused for its size.
fn answer_error(state: &AppState, e: RequestError) -> ApiError {
    if matches!(e, RequestError::OutputTooLarge { .. }) {
        state.metrics.rejected(Rejection::OutputTooLarge);
    }
    ApiError::from(e)
}

fn reply_response(reply: Reply, slot: Slot) -> Response<ReplyBody> {
    let content_type = if reply.json_len.is_some() {
        "application/octet-stream"
    } else {
        "application/json"
    };
    let mut resp = Response::new(ReplyBody::Slot(SlotBody {
        data: Bytes::from(reply.bytes),
        slot: Some(slot),
    }));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(n) = reply.json_len {
        headers.insert(
            contract::HEADER_INFERENCE_HEADER_CONTENT_LENGTH,
            HeaderValue::from(n),
        );
    }
    resp
}

/// A response body that holds its request's admission slot until the connection has taken
/// its last chunk. Chunks are at most [`SlotBody::CHUNK`] bytes, and the connection takes the
/// next one only when its write buffer has room, so a client that does not read keeps its slot
/// (bounding answered-but-unread responses to `--max-concurrency`) until the write timeout
/// closes its connection.
pub struct SlotBody {
    data: Bytes,
    slot: Option<Slot>,
}

impl SlotBody {
    const CHUNK: usize = 64 * 1024;
}

impl HttpBody for SlotBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.data.is_empty() {
            this.slot = None;
            return Poll::Ready(None);
        }
        let chunk = this.data.split_to(this.data.len().min(SlotBody::CHUNK));
        if this.data.is_empty() {
            this.slot = None;
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

/// Reads the whole body: more than `--max-body-bytes` is refused with 413, a body that does
/// not arrive within `--body-read-timeout-seconds` with 408, and one that would take the
/// bodies buffered across all requests over `--max-buffered-body-bytes` with 503 (a declared
/// Content-Length is held in full before anything is read); each closes the connection.
async fn read_body<B: ReadBody>(state: &AppState, body: B) -> Result<Buffered, ApiError> {
    let limit = state.settings.max_body_bytes;
    let too_large = || {
        state.metrics.rejected(Rejection::BodyTooLarge);
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than the limit of {limit} bytes"),
        )
        .closing()
    };
    let busy = || {
        state.metrics.rejected(Rejection::BufferedBodies);
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "server busy: request bodies being received already take the limit of {} \
                 bytes (--max-buffered-body-bytes); retry later",
                state.bodies.max
            ),
        )
        .closing()
    };
    // A declared Content-Length over the limit is refused before reading anything.
    let declared = HttpBody::size_hint(&body)
        .upper()
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut held = Held::new(&state.bodies);
    if let Some(n) = declared
        && !held.grow(n)
    {
        return Err(busy());
    }
    let read = async {
        let mut body = body;
        // One frame is the common case: keep it without copying.
        let mut first: Option<Bytes> = None;
        let mut rest: Vec<u8> = Vec::new();
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read request body: {e}"),
                )
                .closing()
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total = total.saturating_add(data.len());
            if total > limit {
                return Err(too_large());
            }
            if !held.grow(total) {
                return Err(busy());
            }
            match first.take() {
                None if rest.is_empty() => first = Some(data),
                earlier => {
                    if let Some(earlier) = earlier {
                        rest.reserve(declared.unwrap_or(total).max(total));
                        rest.extend_from_slice(&earlier);
                    }
                    rest.extend_from_slice(&data);
                }
            }
        }
        Ok(first.unwrap_or_else(|| Bytes::from(rest)))
    };
    let timeout = state.settings.body_read_timeout;
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(bytes)) => Ok(Buffered { bytes, _held: held }),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            state.metrics.rejected(Rejection::BodyTimeout);
            Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "request body not received within {} s",
                    timeout.as_secs_f64()
                ),
            )
            .closing())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fallbacks

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no route for {:?}; see GET /v2 and GET /v2/models/{{name}}, POST \
             /v2/models/{{name}}/infer, POST /predict, GET /health, GET /metrics",
            protocol::clip(uri.path(), contract::MAX_ECHOED_INPUT_BYTES)
        ),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "method {} is not allowed on {:?}",
            protocol::clip(method.as_str(), contract::MAX_ECHOED_INPUT_BYTES),
            protocol::clip(uri.path(), contract::MAX_ECHOED_INPUT_BYTES)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `route_of` agrees with the router on every template, and refuses what the router
    /// refuses.
    #[test]
    fn route_of_matches_the_router() {
        for template in contract::ROUTES {
            let path = template.replace("{name}", "m").replace("{version}", "7");
            assert_eq!(route_of(&path).name(), template, "{path}");
        }
        for path in [
            "/",
            "/predict/",
            "/v2/models/",
            "/v2/models//infer",
            "/v2/models/m/versions",
            "/v2/models/m/other",
            "/v2/health",
            "/metricsx",
        ] {
            assert_eq!(route_of(path), Route::UNMATCHED, "{path}");
        }
        // Request log lines are JSON, whatever the path and error hold.
        let mut buf = Vec::new();
        log::Fields::write(
            &RequestLog {
                method: "POST",
                route: contract::PATH_PREDICT,
                path: "/a\"b\\c\n",
                status: 400,
                response_time_ms: 1.25,
                model: Some("m"),
                error: Some("bad \"x\""),
            },
            &mut buf,
        );
        buf[0] = b'{';
        buf.push(b'}');
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["path"], "/a\"b\\c\n");
        assert_eq!(v["status"], 400);
        assert_eq!(v["response_time_ms"], 1.25);
        assert_eq!(v["error"], "bad \"x\"");
        // What the inference routes answered without the router take from the path.
        assert_eq!(model_path_of("/v2/models/m/infer"), ("m", None));
        assert_eq!(
            model_path_of("/v2/models/m/versions/7/infer"),
            ("m", Some("7"))
        );
    }
}
