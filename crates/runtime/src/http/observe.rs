//! Around every request: the in-flight gauge, the request counter and duration histogram,
//! one log line; and the inference routes answered without the router.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::Method;
use axum::response::Response;
use hyper::body::Incoming;
use slipway_contract as contract;

use super::error::{ErrorMessage, ModelLabel};
use super::reply::ReplyBody;
use super::routes::{infer_direct, predict_direct};
use crate::log::{self, Level};
use crate::metrics::{MethodLabel, Metrics, Route};
use crate::protocol;
use crate::state::AppState;

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
pub(super) async fn observe(
    state: &Arc<AppState>,
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
pub(super) fn model_path_of(path: &str) -> (&str, Option<&str>) {
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
