//! The typed `AIApplication` spec: one description of how a model is trained, served,
//! scaled, rolled out, watched, logged, secured and delivered, and the stage that reads it
//! (YAML text → [`AppSpec`], checked against its JSON Schema, every error located).
//!
//! Each section's types live with that section (`sections/<name>/mod.rs`, beside its compile
//! step and its rules); they are all re-exported here, the one public path of the typed spec.

mod build;
pub(crate) mod load;
pub(crate) mod schema;

pub use load::{LoadError, LoadedSpec, load_str};
pub use schema::{SCHEMA_ID, json_schema, json_schema_value};

pub use crate::k8s::quantity::Quantity;
pub use crate::sections::backup::BackupSpec;
pub use crate::sections::delivery::{
    Destination, Environment, EnvironmentSpec, GitOpsSpec, PipelineSpec, ProjectSpec,
    SyncPolicySpec,
};
pub use crate::sections::exposure::{
    ExposureSpec, GatewayRef, IngressSpec, IssuerKind, IssuerRef, TlsSpec,
};
pub use crate::sections::logging::{
    BufferSpec, ByteSize, ByteSizeError, ElasticsearchSpec, EsScheme, LogFormat, LoggingSpec,
    OverflowAction,
};
pub use crate::sections::model::{
    AwsIdentity, AzureIdentity, GcpIdentity, ModelFormat, ModelSource, ModelSpec,
    ObjectStoreSource, StoreScheme, StoreUri, VERSION_PLACEHOLDER, WorkloadIdentity,
};
pub use crate::sections::monitoring::{AlertsSpec, DashboardSpec, MonitoringSpec};
pub use crate::sections::rollout::{
    AnalysisSpec, AnalysisStep, BlueGreenSpec, CanarySpec, CanaryStep, ColorSlot, PauseStep,
    RolloutSpec,
};
pub use crate::sections::scaling::{
    DisruptionBudgetSpec, HpaSpec, KedaSpec, LoadMetric, ScaledResource, ScalingSpec, VpaSpec,
    VpaUpdateMode,
};
pub use crate::sections::scheduling::{
    GpuSpec, PreemptionPolicy, PriorityClassSpec, SchedulingSpec, TaintEffect, TolerationOperator,
    TolerationSpec,
};
pub use crate::sections::security::{
    AccessPreset, NetworkPolicySpec, RbacBinding, RbacRule, RbacSubject, SecuritySpec, SubjectKind,
};
pub use crate::sections::serving::{
    BatchingSpec, CustomRuntimeSpec, DEFAULT_REPLICAS, ExternalServiceSpec, InferenceSpec,
    LIVE_PATH, METRICS_PATH, ProbeSpec, ProbesSpec, READY_PATH, RuntimeSpec, ServiceSpec,
    ServiceType, SlipwayServeSpec,
};
pub use crate::sections::shared::images::{
    AWS_CLI_IMAGE, AZURE_CLI_IMAGE, CURL_IMAGE, GCLOUD_IMAGE,
};
pub use crate::sections::training::{
    CRON_JOB_TTL, DistributedSpec, OutputMount, ReplicaRestartPolicy, TrainingSpec,
};
pub use crate::sections::{
    API_VERSION, AccessMode, ApiVersion, AppMetadata, AppSpec, ApplicationSpec, Color,
    DEFAULT_RUNTIME_IMAGE, KIND, Kind, ResourceList, Resources, SecretKeyRef, VolumeClaim,
    VolumeMount,
};
