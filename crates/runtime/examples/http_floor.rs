//! The bare HTTP floor of the serving benchmark (`bench/serve/`): an axum server with the
//! same runtime set-up as slipway-serve (multi-threaded tokio, one worker per CPU) that parses
//! the `/predict` JSON body and answers a fixed reply, with no model, no metrics and no logs.
//! slipway-serve cannot be faster than this; the benchmark reports how close it gets.
//!
//!     cargo run --profile bench-serve -p slipway-serve --example http_floor -- 127.0.0.1:8000

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

#[derive(Deserialize)]
struct PredictRequest {
    #[allow(dead_code)] // parsed, as slipway-serve parses it, then unused
    features: serde_json::Value,
}

const REPLY: &[u8] = br#"{"prediction":[[0.0,0.0,0.0]],"status":"success"}"#;

async fn predict(body: Bytes) -> Response {
    match serde_json::from_slice::<PredictRequest>(&body) {
        Ok(_) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            REPLY,
        )
            .into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn main() {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8000".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let app = Router::new()
            .route("/predict", post(predict))
            .route("/v2/health/ready", get(|| async { "{\"ready\":true}" }));
        let listener = tokio::net::TcpListener::bind(&address).await.expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
}
