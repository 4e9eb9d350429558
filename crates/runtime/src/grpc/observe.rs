//! Around every gRPC call: the in-flight gauge, `slipway_grpc_requests_total` and
//! `slipway_grpc_request_duration_seconds`, one log line. The status code is read where tonic
//! writes it: the response headers (an error answered at once) or the trailers after the
//! message; a call whose answer was not sent to its end counts as `CANCELLED`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use prost::bytes::Bytes;
use slipway_contract as contract;
use tonic::Code;

use super::service::ModelName;
use crate::log::{self, Level};
use crate::metrics::RpcLabel;
use crate::protocol;
use crate::state::AppState;

/// A call being answered.
pub(super) struct Call {
    state: Arc<AppState>,
    start: Instant,
    rpc: RpcLabel,
    path: String,
}

impl Call {
    /// A call to `path` starts.
    pub(super) fn start(state: &Arc<AppState>, path: &str) -> Call {
        state.metrics.in_flight(1);
        Call {
            state: state.clone(),
            start: Instant::now(),
            rpc: RpcLabel::of_path(path),
            path: protocol::clip(path, contract::MAX_ECHOED_INPUT_BYTES).into_owned(),
        }
    }

    /// The answer's head is ready: its body is observed until it ends.
    pub(super) fn answered(
        self,
        resp: hyper::Response<tonic::body::Body>,
    ) -> hyper::Response<Observed> {
        let (parts, body) = resp.into_parts();
        let status = tonic::Status::from_header_map(&parts.headers);
        let model = parts.extensions.get::<ModelName>().map(|m| m.0.clone());
        let end = End {
            call: self,
            code: status.as_ref().map(tonic::Status::code),
            message: status.map(|s| s.message().to_owned()),
            model,
        };
        hyper::Response::from_parts(
            parts,
            Observed {
                body,
                end: Some(end),
            },
        )
    }
}

/// What is known of a call's outcome, recorded when its answer ends (or is dropped).
struct End {
    call: Call,
    code: Option<Code>,
    message: Option<String>,
    model: Option<Arc<str>>,
}

impl Drop for End {
    fn drop(&mut self) {
        let call = &self.call;
        let elapsed = call.start.elapsed();
        let code = self.code.unwrap_or(Code::Cancelled);
        let metrics = &call.state.metrics;
        metrics.in_flight(-1);
        metrics.grpc_call(call.rpc, code as i32, elapsed);
        let probe = matches!(
            call.rpc.name(),
            "ServerLive" | "ServerReady" | "ModelReady" | contract::GRPC_RPC_HEALTH_CHECK
        );
        let level = match code {
            Code::Ok if probe => Level::Debug,
            Code::Ok => Level::Info,
            Code::Internal | Code::Unknown | Code::DataLoss => Level::Error,
            _ => Level::Warn,
        };
        if log::enabled(level) {
            log::emit_request(
                level,
                "grpc",
                "request",
                &GrpcLog {
                    rpc: call.rpc.name(),
                    path: &call.path,
                    code: contract::GRPC_CODES
                        .get(code as usize)
                        .copied()
                        .unwrap_or("UNKNOWN"),
                    response_time_ms: (elapsed.as_secs_f64() * 1e6).round() / 1e3,
                    model: self.model.as_deref(),
                    error: (code != Code::Ok)
                        .then_some(self.message.as_deref())
                        .flatten()
                        .map(|m| protocol::clip(m, crate::state::MAX_ERROR_BYTES)),
                },
            );
        }
    }
}

/// The fields of a gRPC request log line.
struct GrpcLog<'a> {
    /// An `rpc` label: plain ASCII.
    rpc: &'static str,
    path: &'a str,
    /// A code name: plain ASCII.
    code: &'static str,
    response_time_ms: f64,
    model: Option<&'a str>,
    error: Option<std::borrow::Cow<'a, str>>,
}

impl log::Fields for GrpcLog<'_> {
    fn write(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(b",\"");
        buf.extend_from_slice(contract::LOG_FIELD_RPC.as_bytes());
        buf.extend_from_slice(b"\":\"");
        buf.extend_from_slice(self.rpc.as_bytes());
        buf.extend_from_slice(b"\",\"path\":");
        log::json_str(buf, self.path);
        buf.extend_from_slice(b",\"");
        buf.extend_from_slice(contract::LOG_FIELD_GRPC_CODE.as_bytes());
        buf.extend_from_slice(b"\":\"");
        buf.extend_from_slice(self.code.as_bytes());
        buf.extend_from_slice(b"\",\"response_time_ms\":");
        let _ = serde_json::to_writer(&mut *buf, &self.response_time_ms);
        if let Some(model) = self.model {
            buf.extend_from_slice(b",\"model\":");
            log::json_str(buf, model);
        }
        if let Some(error) = &self.error {
            buf.extend_from_slice(b",\"error\":");
            log::json_str(buf, error);
        }
    }
}

/// A gRPC answer's body, recording the call when it ends.
pub struct Observed {
    body: tonic::body::Body,
    end: Option<End>,
}

impl std::fmt::Debug for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observed").finish_non_exhaustive()
    }
}

impl Body for Observed {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(trailers), Some(end)) = (frame.trailers_ref(), this.end.as_mut())
                    && let Some(status) = tonic::Status::from_header_map(trailers)
                {
                    end.code = Some(status.code());
                    end.message = Some(status.message().to_owned());
                }
            }
            Poll::Ready(Some(Err(status))) => {
                if let Some(end) = this.end.as_mut() {
                    end.code = Some(status.code());
                    end.message = Some(status.message().to_owned());
                }
            }
            Poll::Ready(None) => {
                // The answer ended: record it now, not when the connection drops the body.
                if let Some(end) = this.end.as_mut()
                    && end.code.is_none()
                {
                    end.code = Some(Code::Ok);
                }
                this.end = None;
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
