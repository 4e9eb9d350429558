//! The handlers: probes, server and model metadata, `/metrics`, V2 inference and `/predict`,
//! and the JSON fallbacks for unknown routes and methods.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use slipway_contract as contract;

use super::body::{ReadBody, read_body};
use super::error::{ApiError, ModelLabel, json};
use super::reply::{ReplyBody, reply_response};
use crate::job;
use crate::model::{Model, TensorMetadata};
use crate::protocol::{self, Prepared, RequestError, Served};
use crate::state::{AppState, BatchingStatus, Readiness, UnknownModel};

type Shared = Arc<AppState>;

/// The router with every route and the JSON fallbacks.
pub(super) fn router(state: Arc<AppState>) -> Router {
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

/// 200 when ready, else 503.
fn status(r: Readiness) -> StatusCode {
    if r == Readiness::Ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

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
        status(r),
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
        status(r),
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
pub(super) fn check_model_named(
    state: &AppState,
    name: &str,
    version: Option<&str>,
) -> Result<(), ApiError> {
    let s = &state.settings;
    let clip = |v: &str| protocol::clip(v, contract::MAX_ECHOED_INPUT_BYTES).into_owned();
    match state.serves(name, version) {
        Ok(()) => Ok(()),
        Err(UnknownModel::Name) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "unknown model {:?}: this server serves {:?} (version {:?})",
                clip(name),
                s.model_name,
                s.model_version
            ),
        )),
        Err(UnknownModel::Version) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "unknown version {:?} of model {:?}: this server serves version {:?}",
                clip(version.unwrap_or_default()),
                s.model_name,
                s.model_version
            ),
        )),
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
                status(r),
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
pub(super) async fn infer_direct<B: ReadBody>(
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
pub(super) async fn predict_direct<B: ReadBody>(state: &Shared, body: B) -> Response<ReplyBody> {
    let result = async {
        let model = loaded(state)?;
        run_job(state, model, body, protocol::predict).await
    }
    .await;
    result.unwrap_or_else(|e| e.into_response().map(ReplyBody::Other))
}

/// Reads the body (bounded: see [`read_body`]), then runs the request's job
/// ([`job::run`]); the admission slot travels with the response body.
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
    let size = body.len();
    let (reply, slot) = job::run(state, model, size, move |served| prepare(served, &body)).await?;
    Ok(reply_response(reply, slot))
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
