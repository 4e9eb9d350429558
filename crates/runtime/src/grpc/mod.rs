//! gRPC: the Open Inference Protocol's `GRPCInferenceService` (and the standard health check)
//! on `--grpc-port`, served over HTTP/2 by the same connection layer (`crate::conn`: the
//! connection cap, the write timeout, the drain) and answered from the same state as HTTP: one
//! model, one batcher, the `--max-concurrency` slots, `--max-body-bytes` as the largest request
//! message, `--max-output-bytes`, readiness.
//!
//! [`proto`] is the generated code; [`convert`] turns a request message into input tensors and
//! outputs into a response message; [`service`] has the RPCs; [`observe`] counts and logs every
//! call, from the status tonic writes (so calls refused before reaching an RPC — a message too
//! large, malformed protobuf, an unknown method — are counted and logged too).

pub mod convert;
mod observe;
pub mod proto;
mod service;

use std::sync::Arc;

use hyper::body::Incoming;
use tonic::server::NamedService;
use tonic_health::pb::health_server::HealthServer;
use tower_service::Service as _;

pub use observe::Observed;
use proto::grpc_inference_service_server::GrpcInferenceServiceServer;
use service::{HealthCheck, Inference};

use crate::state::AppState;

/// What every gRPC connection serves: the inference and health services, observed.
#[derive(Debug, Clone)]
pub struct GrpcService {
    state: Arc<AppState>,
    inference: GrpcInferenceServiceServer<Inference>,
    health: HealthServer<HealthCheck>,
}

impl GrpcService {
    /// The gRPC service of a server.
    pub fn new(state: Arc<AppState>) -> GrpcService {
        let limit = state.settings.max_body_bytes;
        GrpcService {
            inference: GrpcInferenceServiceServer::new(Inference {
                state: state.clone(),
            })
            .max_decoding_message_size(limit)
            .max_encoding_message_size(usize::MAX),
            health: HealthServer::new(HealthCheck {
                state: state.clone(),
            })
            .max_decoding_message_size(limit),
            state,
        }
    }

    /// Streams one HTTP/2 connection may have open at once: the inference slots (a client
    /// multiplexing more waits for a free stream rather than getting `UNAVAILABLE`).
    pub fn max_streams(&self) -> u32 {
        u32::try_from(self.state.settings.max_concurrency).unwrap_or(u32::MAX)
    }

    /// Answers one call.
    pub async fn call(&self, req: hyper::Request<Incoming>) -> hyper::Response<Observed> {
        let call = observe::Call::start(&self.state, req.uri().path());
        let service = req
            .uri()
            .path()
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .map(|(service, _)| service);
        let resp = match service {
            Some(GrpcInferenceServiceServer::<Inference>::NAME) => {
                let Ok(resp) = self.inference.clone().call(req).await;
                resp
            }
            Some(HealthServer::<HealthCheck>::NAME) => {
                let Ok(resp) = self.health.clone().call(req).await;
                resp
            }
            _ => tonic::Status::unimplemented(format!(
                "no gRPC method {:?}; this server implements {} and grpc.health.v1.Health/Check",
                crate::protocol::clip(req.uri().path(), slipway_contract::MAX_ECHOED_INPUT_BYTES),
                slipway_contract::GRPC_SERVICE
            ))
            .into_http(),
        };
        call.answered(self.client_errors(resp))
    }

    /// Client errors tonic answers before any RPC runs, given the codes the protocol means: a
    /// request message over the limit is `OUT_OF_RANGE` in tonic, `RESOURCE_EXHAUSTED` in
    /// gRPC's own servers (the HTTP side's 413), counted as `body_too_large`; a message that
    /// is not valid protobuf is `INTERNAL` in tonic, `INVALID_ARGUMENT` here (the HTTP side's
    /// 400 for malformed JSON).
    fn client_errors(
        &self,
        resp: hyper::Response<tonic::body::Body>,
    ) -> hyper::Response<tonic::body::Body> {
        match tonic::Status::from_header_map(resp.headers()) {
            Some(status)
                if status.code() == tonic::Code::Internal
                    && status
                        .message()
                        .starts_with("failed to decode Protobuf message") =>
            {
                tonic::Status::invalid_argument(format!(
                    "malformed request message: {}",
                    status.message()
                ))
                .into_http()
            }
            Some(status)
                if status.code() == tonic::Code::OutOfRange
                    && status
                        .message()
                        .starts_with("Error, decoded message length too large") =>
            {
                self.state
                    .metrics
                    .rejected(crate::metrics::Rejection::BodyTooLarge);
                tonic::Status::resource_exhausted(format!(
                    "request message is larger than the limit of {} bytes (--max-body-bytes): {}",
                    self.state.settings.max_body_bytes,
                    status.message()
                ))
                .into_http()
            }
            _ => resp,
        }
    }
}
