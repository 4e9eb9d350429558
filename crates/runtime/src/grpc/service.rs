//! The RPCs of `inference.GRPCInferenceService` and `grpc.health.v1.Health/Check`, answered
//! from the state the HTTP side uses: the same model, batcher, slots, limits and readiness.

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message;
use slipway_contract as contract;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::Health;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

use super::convert;
use super::proto::grpc_inference_service_server::GrpcInferenceService;
use super::proto::model_metadata_response::TensorMetadata;
use super::proto::{
    ModelInferRequest, ModelInferResponse, ModelMetadataRequest, ModelMetadataResponse,
    ModelReadyRequest, ModelReadyResponse, ServerLiveRequest, ServerLiveResponse,
    ServerMetadataRequest, ServerMetadataResponse, ServerReadyRequest, ServerReadyResponse,
};
use crate::admission::Held;
use crate::job::{self, JobError};
use crate::metrics::Rejection;
use crate::model::{Model, TensorSpec};
use crate::protocol::{self, RequestError};
use crate::state::{AppState, Readiness, UnknownModel};
use crate::tensor::OutputError;

/// The model a call was about, for the request log (a response extension).
#[derive(Debug, Clone)]
pub(super) struct ModelName(pub Arc<str>);

/// The inference service.
#[derive(Debug, Clone)]
pub(super) struct Inference {
    pub(super) state: Arc<AppState>,
}

/// The status of a request error: the REST side's 400 is `INVALID_ARGUMENT`, 413
/// `RESOURCE_EXHAUSTED`, 500 `INTERNAL`.
pub fn status_of(e: &RequestError) -> Status {
    let message = protocol::clip(&e.to_string(), crate::state::MAX_ERROR_BYTES).into_owned();
    match e {
        RequestError::OutputTooLarge { .. } | RequestError::Output(OutputError::Memory(_)) => {
            Status::resource_exhausted(message)
        }
        e if e.is_client_error() => Status::invalid_argument(message),
        _ => Status::internal(message),
    }
}

fn status_of_job(e: JobError) -> Status {
    match e {
        JobError::Saturated(max) => Status::unavailable(format!(
            "server saturated: {max} inference requests already in progress; retry later"
        )),
        JobError::ShuttingDown => Status::unavailable("server is shutting down"),
        JobError::Internal => Status::internal("internal error while running the model"),
        JobError::Request(e) => status_of(&e),
    }
}

impl Inference {
    /// Checks the model named in a request (an empty version: any).
    fn check_model(&self, name: &str, version: &str) -> Result<(), Status> {
        let s = &self.state.settings;
        let version = (!version.is_empty()).then_some(version);
        let clip = |v: &str| protocol::clip(v, contract::MAX_ECHOED_INPUT_BYTES).into_owned();
        match self.state.serves(name, version) {
            Ok(()) => Ok(()),
            Err(UnknownModel::Name) => Err(Status::not_found(format!(
                "unknown model {:?}: this server serves {:?} (version {:?})",
                clip(name),
                s.model_name,
                s.model_version
            ))),
            Err(UnknownModel::Version) => Err(Status::not_found(format!(
                "unknown version {:?} of model {:?}: this server serves version {:?}",
                clip(version.unwrap_or_default()),
                s.model_name,
                s.model_version
            ))),
        }
    }

    /// The loaded model, or `UNAVAILABLE` while it loads.
    fn loaded(&self) -> Result<Arc<Model>, Status> {
        self.state.model.get().cloned().ok_or_else(|| {
            Status::unavailable(format!(
                "model {:?} is still loading; retry when ServerReady answers true",
                self.state.settings.model_name
            ))
        })
    }

    fn labelled<T>(&self, message: T) -> Response<T> {
        let mut resp = Response::new(message);
        resp.extensions_mut()
            .insert(ModelName(self.state.model_label.clone()));
        resp
    }
}

fn metadata(specs: &[TensorSpec]) -> Vec<TensorMetadata> {
    specs
        .iter()
        .map(|s| TensorMetadata {
            name: s.name.clone(),
            datatype: s.datatype.name().to_owned(),
            shape: s.v2_shape(),
        })
        .collect()
}

#[tonic::async_trait]
impl GrpcInferenceService for Inference {
    async fn server_live(
        &self,
        _: Request<ServerLiveRequest>,
    ) -> Result<Response<ServerLiveResponse>, Status> {
        Ok(Response::new(ServerLiveResponse { live: true }))
    }

    async fn server_ready(
        &self,
        _: Request<ServerReadyRequest>,
    ) -> Result<Response<ServerReadyResponse>, Status> {
        Ok(Response::new(ServerReadyResponse {
            ready: self.state.readiness() == Readiness::Ready,
        }))
    }

    async fn model_ready(
        &self,
        req: Request<ModelReadyRequest>,
    ) -> Result<Response<ModelReadyResponse>, Status> {
        let req = req.get_ref();
        self.check_model(&req.name, &req.version)?;
        Ok(self.labelled(ModelReadyResponse {
            ready: self.state.readiness() == Readiness::Ready,
        }))
    }

    async fn server_metadata(
        &self,
        _: Request<ServerMetadataRequest>,
    ) -> Result<Response<ServerMetadataResponse>, Status> {
        Ok(Response::new(ServerMetadataResponse {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            extensions: contract::EXTENSIONS
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
        }))
    }

    async fn model_metadata(
        &self,
        req: Request<ModelMetadataRequest>,
    ) -> Result<Response<ModelMetadataResponse>, Status> {
        let req = req.get_ref();
        self.check_model(&req.name, &req.version)?;
        let model = self.loaded()?;
        let batching = self.state.batching(&model);
        let mut properties = HashMap::from([
            ("batching_enabled".to_owned(), batching.enabled.to_string()),
            (
                "max_batch_size".to_owned(),
                batching.max_batch_size.to_string(),
            ),
            (
                "max_queue_delay_microseconds".to_owned(),
                batching.max_queue_delay_microseconds.to_string(),
            ),
        ]);
        if let Some(reason) = batching.reason {
            properties.insert("batching_reason".to_owned(), reason);
        }
        let s = &self.state.settings;
        Ok(self.labelled(ModelMetadataResponse {
            name: s.model_name.clone(),
            versions: vec![s.model_version.clone()],
            platform: "onnx_onnxv1".to_owned(),
            inputs: metadata(&model.inputs),
            outputs: metadata(&model.outputs),
            properties,
        }))
    }

    async fn model_infer(
        &self,
        req: Request<ModelInferRequest>,
    ) -> Result<Response<ModelInferResponse>, Status> {
        let msg = req.into_inner();
        self.check_model(&msg.model_name, &msg.model_version)?;
        let model = self.loaded()?;
        let state = &self.state;
        // The decoded message holds its size of the buffered-body budget until it is parsed.
        let size = msg.encoded_len();
        let mut held = Held::new(&state.bodies);
        if !held.grow(size) {
            state.metrics.rejected(Rejection::BufferedBodies);
            return Err(Status::unavailable(format!(
                "server busy: request messages being parsed already take the limit of {} bytes \
                 (--max-buffered-body-bytes); retry later",
                state.bodies.max()
            )));
        }
        let (answer, _slot) = job::run(state, model, size, move |served| {
            let prepared = convert::prepare(served, &msg);
            drop(msg);
            drop(held);
            prepared
        })
        .await
        .map_err(status_of_job)?;
        Ok(self.labelled(answer))
    }
}

/// The gRPC health service: the server (empty name) is serving as soon as it listens; the
/// inference service while the server is ready (the readiness of `/v2/health/ready`).
#[derive(Debug, Clone)]
pub(super) struct HealthCheck {
    pub(super) state: Arc<AppState>,
}

#[tonic::async_trait]
impl Health for HealthCheck {
    async fn check(
        &self,
        req: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let status = match req.get_ref().service.as_str() {
            contract::GRPC_HEALTH_SERVICE_LIVE => ServingStatus::Serving,
            contract::GRPC_HEALTH_SERVICE_READY => {
                if self.state.readiness() == Readiness::Ready {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                }
            }
            other => {
                return Err(Status::not_found(format!(
                    "unknown service {:?}; this server checks {:?} (the server) and {:?}",
                    protocol::clip(other, contract::MAX_ECHOED_INPUT_BYTES),
                    contract::GRPC_HEALTH_SERVICE_LIVE,
                    contract::GRPC_HEALTH_SERVICE_READY
                )));
            }
        };
        Ok(Response::new(HealthCheckResponse {
            status: status.into(),
        }))
    }

    type WatchStream = std::pin::Pin<
        Box<
            dyn tonic::codegen::tokio_stream::Stream<Item = Result<HealthCheckResponse, Status>>
                + Send,
        >,
    >;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented(
            "Watch is not implemented; use Check (what Kubernetes grpc probes call)",
        ))
    }
}
