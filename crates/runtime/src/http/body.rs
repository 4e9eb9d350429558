//! Request bodies: read in full, bounded in size (`--max-body-bytes`), in time
//! (`--body-read-timeout-seconds`) and across all requests (`--max-buffered-body-bytes`).

use axum::body::{Bytes, HttpBody};
use axum::http::StatusCode;
use http_body_util::BodyExt;

use super::error::ApiError;
use crate::admission::Held;
use crate::metrics::Rejection;
use crate::state::AppState;

/// A request body the handlers can read: hyper's (the inference routes, served without the
/// router) or axum's (through the router).
pub(super) trait ReadBody:
    HttpBody<Data = Bytes, Error: std::fmt::Display> + Unpin + Send
{
}

impl<B: HttpBody<Data = Bytes, Error: std::fmt::Display> + Unpin + Send> ReadBody for B {}

/// A request body read in full, holding its bytes of the buffered-body budget until dropped.
#[derive(Debug)]
pub(super) struct Buffered {
    bytes: Bytes,
    _held: Held,
}

impl std::ops::Deref for Buffered {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Reads the whole body: more than `--max-body-bytes` is refused with 413, a body that does
/// not arrive within `--body-read-timeout-seconds` with 408, and one that would take the
/// bodies buffered across all requests over `--max-buffered-body-bytes` with 503 (a declared
/// Content-Length is held in full before anything is read); each closes the connection.
pub(super) async fn read_body<B: ReadBody>(
    state: &AppState,
    body: B,
) -> Result<Buffered, ApiError> {
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
                state.bodies.max()
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
