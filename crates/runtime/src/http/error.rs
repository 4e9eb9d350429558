//! Errors answered as `{"error": "…"}`: the status of each request error, `Retry-After` on
//! 503, `Connection: close` when the body was not read to its end; and the JSON responses.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::job::JobError;
use crate::protocol::{self, RequestError};
use crate::state::MAX_ERROR_BYTES;
use crate::tensor::OutputError;

/// An error answered to the client as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Close the connection after answering (the body was not read to its end).
    close: bool,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: protocol::clip(&message.into(), MAX_ERROR_BYTES).into_owned(),
            close: false,
        }
    }

    pub(super) fn closing(mut self) -> ApiError {
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

impl From<JobError> for ApiError {
    fn from(e: JobError) -> ApiError {
        match e {
            JobError::Saturated(max) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "server saturated: {max} inference requests already in progress; retry later"
                ),
            ),
            JobError::ShuttingDown => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "server is shutting down")
            }
            JobError::Internal => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error while running the model",
            ),
            JobError::Request(e) => ApiError::from(e),
        }
    }
}

/// The error text of a response, for the request log.
#[derive(Debug, Clone)]
pub(super) struct ErrorMessage(pub String);

/// The model a request was about, for the request log.
#[derive(Debug, Clone)]
pub(super) struct ModelLabel(pub Arc<str>);

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

/// A JSON response.
pub(super) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
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
