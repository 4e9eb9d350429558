//! HTTP: the V2 and `/predict` routes, probes, `/metrics`, admission control, request logs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::{Deserialize, Serialize};
use slipway_contract as contract;
use tokio::sync::Semaphore;

use crate::log::{self, Level};
use crate::metrics::{Metrics, Rejection};
use crate::model::{Model, TensorMetadata};
use crate::protocol::{self, RequestError, Served};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Served model name.
    pub model_name: String,
    /// Served model version.
    pub model_version: String,
    /// Largest accepted body, bytes.
    pub max_body_bytes: usize,
    /// Inference requests admitted at once.
    pub max_concurrency: usize,
    /// Model executions at once (threads of the inference pool).
    pub threads: usize,
    /// Testing only: delay before each inference.
    pub test_infer_delay: Duration,
}

/// State shared by every request.
#[derive(Debug)]
pub struct AppState {
    settings: Settings,
    model: OnceLock<Arc<Model>>,
    ready: AtomicBool,
    /// The server's metrics.
    pub metrics: Metrics,
    admission: Arc<Semaphore>,
    workers: Arc<Semaphore>,
}

impl AppState {
    /// State with no model yet: live, not ready.
    pub fn new(settings: Settings) -> Arc<AppState> {
        Arc::new(AppState {
            metrics: Metrics::new(&settings.model_name, &settings.model_version),
            admission: Arc::new(Semaphore::new(settings.max_concurrency)),
            workers: Arc::new(Semaphore::new(settings.threads)),
            model: OnceLock::new(),
            ready: AtomicBool::new(false),
            settings,
        })
    }

    /// Installs the loaded and warmed model and reports ready.
    pub fn set_model(&self, model: Arc<Model>) {
        let _ = self.model.set(model);
        self.ready.store(true, Ordering::SeqCst);
        self.metrics.set_loaded(true);
    }

    /// Reports not ready (shutting down) while still serving requests that arrive.
    pub fn set_draining(&self) {
        self.ready.store(false, Ordering::SeqCst);
        self.metrics.set_loaded(false);
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
}

type Shared = Arc<AppState>;

/// The router with every route, the JSON fallbacks and the observing middleware.
pub fn router(state: Shared) -> Router {
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
        .route_layer(middleware::from_fn(tag_route))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An error answered to the client as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> ApiError {
        let status = if e.is_client_error() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        ApiError::new(status, e.to_string())
    }
}

/// The error text of a response, for the request log.
#[derive(Debug, Clone)]
struct ErrorMessage(String);

/// The model a request was about, for the request log.
#[derive(Debug, Clone)]
struct ModelLabel(String);

/// The route template a request matched, for metrics and logs.
#[derive(Debug, Clone)]
struct RouteLabel(String);

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

/// Inner layer (after routing): records the matched route template on the response.
async fn tag_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut resp = next.run(req).await;
    if let Some(route) = route {
        resp.extensions_mut().insert(RouteLabel(route));
    }
    resp
}

/// Decrements the in-flight gauge even if the client goes away mid-request.
struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight(-1);
    }
}

#[derive(Serialize)]
struct RequestLog<'a> {
    method: &'a str,
    route: &'a str,
    path: &'a str,
    status: u16,
    response_time_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// Outer layer: in-flight gauge, request counter and duration histogram, one log line.
async fn observe(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    state.metrics.in_flight(1);
    let guard = InFlight(&state.metrics);
    let resp = next.run(req).await;
    drop(guard);
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    let route = resp
        .extensions()
        .get::<RouteLabel>()
        .map_or(contract::ROUTE_UNMATCHED, |r| r.0.as_str());
    state
        .metrics
        .request(route, method.as_str(), status, elapsed);
    let probe = [
        contract::PATH_LIVE,
        contract::PATH_READY,
        contract::PATH_HEALTH,
        contract::PATH_METRICS,
    ]
    .contains(&route);
    let level = match status {
        503 | 400..=499 => Level::Warn,
        500.. => Level::Error,
        _ if probe => Level::Debug,
        _ => Level::Info,
    };
    if log::enabled(level) {
        log::emit(
            level,
            "http",
            "request",
            &RequestLog {
                method: method.as_str(),
                route,
                path: &path,
                status,
                response_time_ms: (elapsed.as_secs_f64() * 1e6).round() / 1e3,
                model: resp.extensions().get::<ModelLabel>().map(|m| m.0.as_str()),
                error: resp
                    .extensions()
                    .get::<ErrorMessage>()
                    .map(|m| m.0.as_str()),
            },
        );
    }
    resp
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
}

async fn live() -> Response {
    json(StatusCode::OK, &Live { live: true })
}

fn ready_status(state: &AppState) -> StatusCode {
    if state.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn ready(State(state): State<Shared>) -> Response {
    let ready = state.is_ready();
    json(ready_status(&state), &Ready { ready })
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    model: String,
    model_loaded: bool,
}

/// The article's health check: 200 `healthy` once ready, else 503.
async fn health(State(state): State<Shared>) -> Response {
    let ready = state.is_ready();
    json(
        ready_status(&state),
        &Health {
            status: if ready { "healthy" } else { "unavailable" },
            model: state.settings.model_name.clone(),
            model_loaded: ready,
        },
    )
}

#[derive(Serialize)]
struct ServerMetadata {
    name: &'static str,
    version: &'static str,
    extensions: [&'static str; 0],
}

async fn server_metadata() -> Response {
    json(
        StatusCode::OK,
        &ServerMetadata {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            extensions: [],
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
    let s = &state.settings;
    if path.name != s.model_name {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "unknown model {:?}: this server serves {:?} (version {:?})",
                path.name, s.model_name, s.model_version
            ),
        ));
    }
    match &path.version {
        Some(v) if *v != s.model_version => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "unknown version {v:?} of model {:?}: this server serves version {:?}",
                s.model_name, s.model_version
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

fn labelled(mut resp: Response, model: &str) -> Response {
    resp.extensions_mut().insert(ModelLabel(model.to_owned()));
    resp
}

#[derive(Serialize)]
struct ModelMetadata<'a> {
    name: &'a str,
    versions: [&'a str; 1],
    platform: &'static str,
    inputs: Vec<TensorMetadata<'a>>,
    outputs: Vec<TensorMetadata<'a>>,
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
            },
        ),
        Err(e) => e.into_response(),
    };
    labelled(resp, &path.name)
}

#[derive(Serialize)]
struct ModelReady<'a> {
    name: &'a str,
    ready: bool,
}

async fn model_ready(State(state): State<Shared>, Path(path): Path<ModelPath>) -> Response {
    let resp = match check_model(&state, &path) {
        Ok(()) => json(
            ready_status(&state),
            &ModelReady {
                name: &state.settings.model_name,
                ready: state.is_ready(),
            },
        ),
        Err(e) => e.into_response(),
    };
    labelled(resp, &path.name)
}

// ---------------------------------------------------------------------------------------------
// Inference

async fn infer(State(state): State<Shared>, Path(path): Path<ModelPath>, req: Request) -> Response {
    let result = async {
        check_model(&state, &path)?;
        let model = loaded(&state)?;
        run_job(&state, model, req.into_body(), protocol::infer).await
    }
    .await;
    labelled(respond(result), &path.name)
}

async fn predict(State(state): State<Shared>, req: Request) -> Response {
    let result = async {
        let model = loaded(&state)?;
        run_job(&state, model, req.into_body(), protocol::predict).await
    }
    .await;
    labelled(respond(result), &state.settings.model_name)
}

fn respond(result: Result<Vec<u8>, ApiError>) -> Response {
    match result {
        Ok(bytes) => json_bytes(StatusCode::OK, bytes),
        Err(e) => e.into_response(),
    }
}

/// Admission, body, then the CPU-bound part (JSON parsing, model, JSON writing) on the
/// inference pool, at most `threads` at a time.
async fn run_job(
    state: &Shared,
    model: Arc<Model>,
    body: Body,
    job: fn(Served<'_>, &[u8]) -> Result<Vec<u8>, RequestError>,
) -> Result<Vec<u8>, ApiError> {
    let Ok(_admitted) = state.admission.clone().try_acquire_owned() else {
        state.metrics.rejected(Rejection::Saturated);
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "server saturated: {} inference requests already in progress; retry later",
                state.settings.max_concurrency
            ),
        ));
    };
    let body = read_body(state, body).await?;
    if !state.settings.test_infer_delay.is_zero() {
        tokio::time::sleep(state.settings.test_infer_delay).await;
    }
    let worker =
        state.workers.clone().acquire_owned().await.map_err(|_| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "server is shutting down")
        })?;
    let shared = state.clone();
    let task = tokio::task::spawn_blocking(move || {
        let _worker = worker;
        let served = Served {
            model: &model,
            name: &shared.settings.model_name,
            version: &shared.settings.model_version,
            metrics: &shared.metrics,
        };
        job(served, &body)
    });
    match task.await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => {
            // A panic in tract: answer 500, keep serving.
            log::emit(
                Level::Error,
                "inference",
                "inference task failed",
                &TaskFailure {
                    detail: e.to_string(),
                },
            );
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error while running the model",
            ))
        }
    }
}

#[derive(Serialize)]
struct TaskFailure {
    detail: String,
}

/// Reads the whole body, refusing more than `--max-body-bytes` with 413.
async fn read_body(state: &AppState, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.settings.max_body_bytes;
    let too_large = || {
        state.metrics.rejected(Rejection::BodyTooLarge);
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than the limit of {limit} bytes"),
        )
    };
    // A declared Content-Length over the limit is refused before reading anything.
    let declared = HttpBody::size_hint(&body).upper();
    if declared.is_some_and(|n| usize::try_from(n).map_or(true, |n| n > limit)) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("cannot read request body: {e}"),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Fallbacks

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no route for {method} {}; see GET /v2 and GET /v2/models/{{name}}, POST \
             /v2/models/{{name}}/infer, POST /predict, GET /health, GET /metrics",
            uri.path()
        ),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method {method} is not allowed on {}", uri.path()),
    )
}
