//! The typed `AIApplication` spec: one description of how a model is trained, served,
//! scaled, rolled out, watched, logged, secured and delivered.
//!
//! Every struct rejects unknown fields. Every default is written once: a struct whose fields
//! all have defaults carries `#[serde(default)]` and one `impl Default` holding the values; a
//! struct with required fields names a `default_*` function per defaulted field. schemars reads
//! both, so the JSON Schema printed by `slipway schema` shows every default, and each field's
//! doc states it. Field names are camelCase, as in Kubernetes.

mod build;
mod environment;
mod load;
mod schema;
mod size;
mod traffic;

pub use environment::{Destination, Environment};
pub use load::{LoadError, LoadedSpec, load_str};
pub use schema::{SCHEMA_ID, json_schema, json_schema_value};
pub use size::{ByteSize, ByteSizeError};
pub use traffic::*;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::k8s::cron::Schedule;
use crate::k8s::duration::Duration;
use crate::k8s::int_or_percent::IntOrPercent;
pub use crate::k8s::quantity::Quantity;

/// The only `apiVersion` this release reads.
pub const API_VERSION: &str = "slipway.dev/v1alpha1";
/// The only `kind` this release reads.
pub const KIND: &str = "AIApplication";

/// Image of the built-in inference server, pinned to the release that matches this compiler.
pub const DEFAULT_RUNTIME_IMAGE: &str = "ghcr.io/slipway-dev/slipway-serve:0.1.0";

/// An AI application: the root of a spec file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "AIApplication")]
pub struct AppSpec {
    /// Always `slipway.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `AIApplication`.
    pub kind: Kind,
    /// Name, namespace, labels and annotations of the application.
    pub metadata: AppMetadata,
    /// What to train, serve and operate.
    pub spec: ApplicationSpec,
}

/// The spec's `apiVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    /// `slipway.dev/v1alpha1`
    #[serde(rename = "slipway.dev/v1alpha1")]
    V1Alpha1,
}

/// The spec's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Kind {
    /// `AIApplication`
    #[serde(rename = "AIApplication")]
    AIApplication,
}

/// Name and placement of the application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppMetadata {
    /// Application name: a DNS-1035 label (lowercase letters, digits and '-', starting with a
    /// letter) of at most 40 characters, so that the names derived from it (`<name>-green`,
    /// `<name>-metrics`, `<name>-logging`, …) stay within Kubernetes' 63; prefixes every
    /// object Slipway emits.
    pub name: String,
    /// Namespace for every namespaced object. Default: the application name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Extra labels put on every object (beside the `app.kubernetes.io/*` ones). Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Extra annotations put on every object. Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The environment the spec is compiled for: never read from a file, set by
    /// [`AppSpec::for_environment`] (`--env`).
    #[serde(skip)]
    #[schemars(skip)]
    pub environment: Option<Environment>,
}

impl AppMetadata {
    /// The namespace every namespaced object goes into: the environment's destination
    /// namespace once resolved for an environment, else `metadata.namespace`, else the name.
    pub fn namespace(&self) -> &str {
        match &self.environment {
            Some(environment) => &environment.destination.namespace,
            None => self.written_namespace(),
        }
    }

    /// `metadata.namespace` as written (default: the name), whatever the environment.
    pub fn written_namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(&self.name)
    }
}

/// The body of the application spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationSpec {
    /// The model the inference server loads.
    pub model: ModelSpec,
    /// The training Job (or CronJob) that produces the model. Default: no training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingSpec>,
    /// The inference Deployment and its Services.
    #[serde(default)]
    pub inference: InferenceSpec,
    /// Exposure to clients outside the cluster: Gateway API or Ingress, with TLS.
    /// Default: none (in-cluster Services only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<ExposureSpec>,
    /// Horizontal and vertical autoscaling, and the disruption budget.
    #[serde(default)]
    pub scaling: ScalingSpec,
    /// How new versions replace old ones: rolling update or blue/green.
    #[serde(default)]
    pub rollout: RolloutSpec,
    /// Where pods run: priority, node selection, tolerations, affinity, GPUs.
    #[serde(default)]
    pub scheduling: SchedulingSpec,
    /// Pod security, service accounts, RBAC and network policy.
    #[serde(default)]
    pub security: SecuritySpec,
    /// Prometheus scraping, alert rules and the Grafana dashboard.
    #[serde(default)]
    pub monitoring: MonitoringSpec,
    /// Fluentd shipping the application's logs to Elasticsearch. Default: off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingSpec>,
    /// Scheduled copy of the model store to object storage. Default: off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupSpec>,
    /// Argo CD delivery from a GitOps repository. Default: off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitops: Option<GitOpsSpec>,
    /// The CI pipeline that builds images and commits renders. Default: off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<PipelineSpec>,
}

// ---------------------------------------------------------------------------------------
// Shared building blocks
// ---------------------------------------------------------------------------------------

/// A value that is valid by construction (a default written in this file).
fn parsed<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .unwrap_or_else(|error| panic!("the default `{text}` is invalid: {error}"))
}

/// CPU and memory (and optionally ephemeral storage) quantities, each a string in the
/// Kubernetes quantity syntax or a number, as Kubernetes reads them (`cpu: 1`, `cpu: 0.5`,
/// `cpu: 500m`, `memory: 4Gi`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceList {
    /// CPU, e.g. `500m` or `2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Memory, e.g. `2Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
    /// Ephemeral storage, e.g. `1Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<Quantity>,
}

/// Requests and limits of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves.
    #[serde(default)]
    pub requests: ResourceList,
    /// The most the container may use.
    #[serde(default)]
    pub limits: ResourceList,
}

/// A PersistentVolumeClaim used by a workload, created by Slipway or pre-existing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeClaim {
    /// Name of the PersistentVolumeClaim.
    pub claim_name: String,
    /// Size to request when Slipway creates the claim, e.g. `50Gi`. Default: `10Gi`.
    #[serde(default = "default_volume_size")]
    pub size: Quantity,
    /// StorageClass of the created claim. Default: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    /// Access mode of the created claim. Default: `ReadWriteOnce`.
    #[serde(default)]
    pub access_mode: AccessMode,
    /// Whether Slipway emits the PersistentVolumeClaim (false: it exists already). Default: true.
    #[serde(default = "yes")]
    pub create: bool,
}

fn default_volume_size() -> Quantity {
    parsed("10Gi")
}

/// Access mode of a PersistentVolumeClaim.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AccessMode {
    /// Mounted read-write by one node.
    #[default]
    ReadWriteOnce,
    /// Mounted read-only by many nodes.
    ReadOnlyMany,
    /// Mounted read-write by many nodes.
    ReadWriteMany,
    /// Mounted read-write by one pod.
    ReadWriteOncePod,
}

impl AccessMode {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadWriteOnce => "ReadWriteOnce",
            Self::ReadOnlyMany => "ReadOnlyMany",
            Self::ReadWriteMany => "ReadWriteMany",
            Self::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }
}

/// A claim mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeMount {
    /// Where the claim is mounted in the container.
    pub mount_path: String,
    /// The claim to mount.
    pub claim: VolumeClaim,
}

/// A reference to one key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeyRef {
    /// Secret name.
    pub secret: String,
    /// Key inside the Secret.
    pub key: String,
}

fn yes() -> bool {
    true
}

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

/// The served model: its format, where it is stored, and where the server finds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelSpec {
    /// Model name in the inference API (`/v2/models/{name}`). Default: the application name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Serialisation format. Default: `onnx` (the only one `slipway-serve` loads).
    #[serde(default)]
    pub format: ModelFormat,
    /// Path of the model file inside the inference container; `{version}` stands for the
    /// model version, so each version has its own file and each blue/green color can serve
    /// its own. The model volume is mounted at the directory above the first `{version}`
    /// (else above the file). Default: `/models/{version}/model.onnx`.
    #[serde(default = "default_model_path")]
    pub path: String,
    /// The model version: what the training Job writes (at `path` with `{version}` replaced,
    /// below its output mount) and what the server serves unless a blue/green color names
    /// another; passed to the server as `MODEL_VERSION`. Default: `1`.
    #[serde(default = "default_model_version")]
    pub version: String,
    /// Versions already in the model store, written outside this bundle (an earlier training
    /// run, a copy by hand, a restore, a pre-populated claim or bucket). Serving any other
    /// version needs the training Job of this spec to write it. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub existing_versions: Vec<String>,
    /// Where the model is stored.
    pub source: ModelSource,
}

/// What `{version}` in `model.path` and `model.source.objectStore.uri` stands for.
pub const VERSION_PLACEHOLDER: &str = "{version}";

fn default_model_path() -> String {
    "/models/{version}/model.onnx".into()
}
fn default_model_version() -> String {
    "1".into()
}

impl ModelSpec {
    /// `path` (or any text) with `{version}` replaced by `version`.
    pub fn versioned(text: &str, version: &str) -> String {
        text.replace(VERSION_PLACEHOLDER, version)
    }

    /// The directory the model volume is mounted at, and the path of the file below it
    /// (still holding `{version}`): `/models/{version}/model.onnx` → (`/models`,
    /// `{version}/model.onnx`).
    pub fn store_layout(&self) -> (&str, &str) {
        let path = self.path.as_str();
        let head = match path.find(VERSION_PLACEHOLDER) {
            Some(at) => &path[..at],
            None => path,
        };
        match head.rfind('/') {
            Some(0) => ("/", &path[1..]),
            Some(slash) => (&path[..slash], &path[slash + 1..]),
            None => ("/", path),
        }
    }

    /// Whether each version has its own file (`path` holds `{version}`).
    pub fn is_versioned(&self) -> bool {
        self.path.contains(VERSION_PLACEHOLDER)
    }
}

/// Serialisation format of the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ModelFormat {
    /// ONNX, served by `slipway-serve` on tract.
    #[default]
    Onnx,
}

/// Where the model lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum ModelSource {
    /// A PersistentVolumeClaim mounted read-only at the directory of `model.path`.
    Pvc(VolumeClaim),
    /// An object-store URI (`s3://…`, `gs://…`, `azure://…`, `hf://…`, `https://…`) fetched
    /// into an emptyDir by an init container.
    ObjectStore(ObjectStoreSource),
}

/// A model fetched from object storage at pod start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectStoreSource {
    /// The model file: `s3://bucket/key`, `gs://bucket/object`,
    /// `azure://account/container/blob`, `hf://org/repo[@revision]/path` or `https://host/path`;
    /// `{version}` stands for the model version (e.g. `s3://models/fraud/{version}/model.onnx`).
    pub uri: String,
    /// Secret the fetch step reads: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (s3),
    /// `key.json` (a service-account key, gs), `AZURE_STORAGE_KEY` (azure), `HF_TOKEN` (hf).
    /// Default: none (workload identity, or a public model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<String>,
    /// Workload identity of the inference pods (an annotated ServiceAccount) instead of a
    /// Secret. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<WorkloadIdentity>,
    /// Image of the fetching init container. Default: pinned `amazon/aws-cli` (s3), Google
    /// Cloud CLI (gs), Azure CLI (azure), `curlimages/curl` (hf, https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Size limit of the emptyDir holding the model. Default: `2Gi`.
    #[serde(default = "default_model_cache")]
    pub size_limit: Quantity,
}

fn default_model_cache() -> Quantity {
    parsed("2Gi")
}

// ---------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------

/// The training workload: a Job, or a CronJob when `schedule` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingSpec {
    /// Training image (pin a tag or digest).
    pub image: String,
    /// Entrypoint override. Default: the image's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables. Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Training data, mounted read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<VolumeMount>,
    /// Where the trained model is written, mounted read-write. The trainer gets
    /// `MODEL_VERSION` and `MODEL_OUTPUT_PATH` (`<mountPath>/<model.path below the model
    /// mount, version filled in>`, e.g. `/output/2/model.onnx`). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputMount>,
    /// Requests and limits. Default: requests 1 CPU / 2Gi, limits 2 CPU / 4Gi.
    #[serde(default = "default_training_resources")]
    pub resources: Resources,
    /// GPUs for the training pod (resource name from `scheduling.gpu.resourceName`). Default: 0.
    #[serde(default)]
    pub gpus: u32,
    /// Retries before the Job is marked failed. Default: 3.
    #[serde(default = "default_backoff_limit")]
    pub backoff_limit: i32,
    /// Hard deadline of one Job run, in seconds. Default: 86400 (one day).
    #[serde(default = "default_active_deadline")]
    pub active_deadline_seconds: i64,
    /// Seconds a finished Job is kept before garbage collection. Default: none, the Job is
    /// kept: under Argo CD self-heal a deleted Job is re-created, i.e. training runs again
    /// (see `job-ttl-under-self-heal`). A CronJob's Jobs get 86400 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds_after_finished: Option<i32>,
    /// Distributed training: a Kubeflow PyTorchJob instead of a Job. Default: one pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed: Option<DistributedSpec>,
    /// Cron schedule; when set, training is a CronJob. Default: a one-off Job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Run the Job as an Argo CD PreSync hook, before the new inference pods roll out.
    /// Default: false.
    #[serde(default)]
    pub pre_sync_hook: bool,
}

fn default_training_resources() -> Resources {
    Resources {
        requests: ResourceList::cpu_memory("1", "2Gi"),
        limits: ResourceList::cpu_memory("2", "4Gi"),
    }
}
fn default_backoff_limit() -> i32 {
    3
}
fn default_active_deadline() -> i64 {
    86_400
}
impl TrainingSpec {
    /// The mounts the spec declares, as (field, mount path, claim written in the spec):
    /// `data`, then `output` (whose claim may be left to default to the model's).
    pub fn mounts(&self) -> Vec<(&'static str, &str, Option<&VolumeClaim>)> {
        let mut mounts = Vec::new();
        if let Some(data) = &self.data {
            mounts.push(("data", data.mount_path.as_str(), Some(&data.claim)));
        }
        if let Some(output) = &self.output {
            mounts.push(("output", output.mount_path.as_str(), output.claim.as_ref()));
        }
        mounts
    }

    /// The claim the trained model is written to: `output.claim`, else the model's claim;
    /// `None` without `output`, or when neither names a claim.
    pub fn output_claim<'a>(&'a self, model: &'a ModelSpec) -> Option<&'a VolumeClaim> {
        let output = self.output.as_ref()?;
        output.claim.as_ref().or(match &model.source {
            ModelSource::Pvc(claim) => Some(claim),
            ModelSource::ObjectStore(_) => None,
        })
    }
}

/// Seconds a finished Job of the training CronJob is kept when `ttlSecondsAfterFinished`
/// is unset.
pub const CRON_JOB_TTL: i32 = 86_400;

/// Where training writes the model: a mount path and the claim mounted there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputMount {
    /// Where the claim is mounted in the training container.
    pub mount_path: String,
    /// The claim to write. Default: the model's claim (`model.source.pvc`), so what
    /// training writes is what the server reads; with an s3:// or gs:// model, an emptyDir
    /// that an upload container copies to the model's URI of `model.version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<VolumeClaim>,
}

// ---------------------------------------------------------------------------------------
// Inference
// ---------------------------------------------------------------------------------------

/// The inference Deployment (or the two of blue/green) and its Services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct InferenceSpec {
    /// Which server runs the model. Default: the built-in `slipway-serve`.
    pub runtime: RuntimeSpec,
    /// Container port of the server, named `http`. Default: 8000.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// Replicas of the Deployment. Default: 2. With an autoscaler (`scaling.hpa` or
    /// `scaling.keda`) the field is not used: the Deployment carries no `replicas`, so the
    /// autoscaler alone sets the count (between its `minReplicas` and `maxReplicas`) and a
    /// sync never resets it; a value outside those bounds gets the `replicas-ignored` warning.
    /// Under blue/green it is the active color's count; the idle color runs `idleReplicas`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = DEFAULT_REPLICAS))]
    pub replicas: Option<i32>,
    /// Requests and limits. Default: requests 250m / 512Mi, limits 1 CPU / 1Gi.
    pub resources: Resources,
    /// Plain environment variables. `MODEL_PATH`, `MODEL_NAME`, `MODEL_VERSION` and `PORT` are
    /// set by Slipway. Default: none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Environment variables read from Secrets. Default: none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_env: BTreeMap<String, SecretKeyRef>,
    /// Liveness, readiness and startup probes. Default: on the runtime's health endpoints.
    pub probes: ProbesSpec,
    /// The in-cluster Service and the optional external one.
    pub service: ServiceSpec,
    /// Seconds between SIGTERM and SIGKILL; the server drains in-flight requests meanwhile.
    /// Default: 30.
    pub termination_grace_period_seconds: i64,
}

impl InferenceSpec {
    /// Replicas without an autoscaler: `replicas`, else 2.
    pub fn replicas(&self) -> i32 {
        self.replicas.unwrap_or(DEFAULT_REPLICAS)
    }
}

/// Replicas of the inference Deployment when `inference.replicas` is not written.
pub const DEFAULT_REPLICAS: i32 = 2;

impl Default for InferenceSpec {
    fn default() -> Self {
        Self {
            runtime: RuntimeSpec::default(),
            port: 8000,
            replicas: None,
            resources: Resources {
                requests: ResourceList::cpu_memory("250m", "512Mi"),
                limits: ResourceList::cpu_memory("1", "1Gi"),
            },
            env: BTreeMap::new(),
            secret_env: BTreeMap::new(),
            probes: ProbesSpec::default(),
            service: ServiceSpec::default(),
            termination_grace_period_seconds: 30,
        }
    }
}

/// The inference server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum RuntimeSpec {
    /// The built-in `slipway-serve` (ONNX on tract): probes, metrics and logs are known.
    SlipwayServe(SlipwayServeSpec),
    /// Any other image; probes must be given, metrics are assumed absent unless declared.
    Custom(CustomRuntimeSpec),
}

impl Default for RuntimeSpec {
    fn default() -> Self {
        Self::SlipwayServe(SlipwayServeSpec::default())
    }
}

/// Options of the built-in server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SlipwayServeSpec {
    /// Server image. Default: `ghcr.io/slipway-dev/slipway-serve:0.1.0`.
    pub image: String,
    /// Intra-op threads. Default: derived by the server from the CPU limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    /// Concurrent requests before the server answers 503. Default: 64.
    pub max_concurrency: u32,
    /// Dynamic batching of concurrent requests. Default: on, 64 rows, no queue delay.
    #[serde(default)]
    pub batching: BatchingSpec,
}

impl Default for SlipwayServeSpec {
    fn default() -> Self {
        Self {
            image: default_runtime_image(),
            threads: None,
            max_concurrency: default_max_concurrency(),
            batching: BatchingSpec::default(),
        }
    }
}

/// Dynamic batching in slipway-serve: concurrent requests whose inputs stack on the model's
/// batch dimension run as one model execution, then are split back per request. Models whose
/// rows depend on each other are never batched (the server checks at start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct BatchingSpec {
    /// Rows one model execution takes at most; `1` turns batching off. Default: 64.
    pub max_batch_size: u32,
    /// Microseconds the oldest queued request may wait for batch-mates before its batch runs;
    /// `0` never waits (a batch is what queued while the model was busy). Default: 0.
    pub max_queue_delay_microseconds: u64,
}

impl Default for BatchingSpec {
    fn default() -> Self {
        Self {
            max_batch_size: slipway_contract::DEFAULT_BATCH_MAX_SIZE,
            max_queue_delay_microseconds: slipway_contract::DEFAULT_BATCH_QUEUE_DELAY_MICROS,
        }
    }
}

fn default_runtime_image() -> String {
    DEFAULT_RUNTIME_IMAGE.into()
}
fn default_max_concurrency() -> u32 {
    64
}

/// A custom inference image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomRuntimeSpec {
    /// Image (pin a tag or digest).
    pub image: String,
    /// Entrypoint override. Default: the image's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Path of a Prometheus endpoint on the same port. Default: none (no ServiceMonitor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_path: Option<String>,
}

/// The three probes of the inference container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ProbesSpec {
    /// Restarts the container when it stops answering. Default: `GET /v2/health/live`, every
    /// 10 s, 3 failures.
    pub liveness: ProbeSpec,
    /// Takes the pod out of the Service until the model is loaded. Default:
    /// `GET /v2/health/ready`, every 5 s, 3 failures.
    pub readiness: ProbeSpec,
    /// Holds liveness back while the model loads. Default: `GET /v2/health/ready`, every 2 s,
    /// 60 failures (two minutes).
    pub startup: ProbeSpec,
}

impl Default for ProbesSpec {
    fn default() -> Self {
        Self {
            liveness: ProbeSpec::on(LIVE_PATH),
            readiness: ProbeSpec {
                period_seconds: 5,
                ..ProbeSpec::on(READY_PATH)
            },
            startup: ProbeSpec {
                period_seconds: 2,
                failure_threshold: 60,
                ..ProbeSpec::on(READY_PATH)
            },
        }
    }
}

/// An HTTP GET probe on the container's `http` port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProbeSpec {
    /// Request path.
    pub path: String,
    /// Seconds before the first probe. Default: 0.
    #[serde(default)]
    pub initial_delay_seconds: i32,
    /// Seconds between probes. Default: 10.
    #[serde(default = "default_period")]
    pub period_seconds: i32,
    /// Seconds before a probe times out. Default: 2.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: i32,
    /// Consecutive failures that count. Default: 3.
    #[serde(default = "default_failures")]
    pub failure_threshold: i32,
}

/// The runtime's liveness endpoint.
pub const LIVE_PATH: &str = "/v2/health/live";
/// The runtime's readiness endpoint.
pub const READY_PATH: &str = "/v2/health/ready";
/// The runtime's metrics endpoint.
pub const METRICS_PATH: &str = "/metrics";

fn default_period() -> i32 {
    10
}
fn default_timeout() -> i32 {
    2
}
fn default_failures() -> i32 {
    3
}

/// The Services in front of the inference pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpec {
    /// Type of the main Service. Default: `ClusterIP`.
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    /// Port the main Service listens on (forwards to the container's `http` port). Default: 80.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// CIDRs allowed to reach the main Service when it is a `LoadBalancer`; the NetworkPolicy
    /// then admits exactly these. Default: no restriction.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_ranges: Vec<String>,
    /// An additional `LoadBalancer` Service named `<app>-external`. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalServiceSpec>,
}

impl Default for ServiceSpec {
    fn default() -> Self {
        Self {
            service_type: ServiceType::default(),
            port: 80,
            source_ranges: Vec::new(),
            external: None,
        }
    }
}

/// Type of a Service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    /// Reachable inside the cluster only.
    #[default]
    ClusterIP,
    /// Also on a port of every node.
    NodePort,
    /// Also through a cloud load balancer.
    LoadBalancer,
}

impl ServiceType {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterIP => "ClusterIP",
            Self::NodePort => "NodePort",
            Self::LoadBalancer => "LoadBalancer",
        }
    }
}

/// The external `LoadBalancer` Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalServiceSpec {
    /// Port of the load balancer. Default: 80.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// Annotations for the cloud controller (e.g. internal load balancer). Default: none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// CIDRs allowed to reach the load balancer; the NetworkPolicy then admits exactly these.
    /// Default: no restriction.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_ranges: Vec<String>,
}

impl Default for ExternalServiceSpec {
    fn default() -> Self {
        Self {
            port: 80,
            annotations: BTreeMap::new(),
            source_ranges: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Scaling
// ---------------------------------------------------------------------------------------

/// Autoscaling and disruption budget of the inference workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScalingSpec {
    /// HorizontalPodAutoscaler (`autoscaling/v2`) of the Deployment that takes production
    /// traffic (the active color under blue/green). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpa: Option<HpaSpec>,
    /// VerticalPodAutoscaler (`autoscaling.k8s.io/v1`). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpa: Option<VpaSpec>,
    /// KEDA ScaledObject on request load, instead of `hpa`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keda: Option<KedaSpec>,
    /// PodDisruptionBudget, emitted whenever more than one replica can run.
    #[serde(default)]
    pub disruption_budget: DisruptionBudgetSpec,
}

/// The HorizontalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HpaSpec {
    /// Fewest replicas. Default: 2.
    #[serde(default = "default_min_replicas")]
    pub min_replicas: i32,
    /// Most replicas.
    pub max_replicas: i32,
    /// Target average CPU utilisation, percent of requests. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_utilization: Option<i32>,
    /// Target average memory utilisation, percent of requests. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_utilization: Option<i32>,
    /// Seconds of lower recommendations before scaling down. Default: 300.
    #[serde(default = "default_scale_down_window")]
    pub scale_down_stabilization_seconds: i32,
}

fn default_min_replicas() -> i32 {
    2
}
fn default_scale_down_window() -> i32 {
    300
}

/// The VerticalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct VpaSpec {
    /// What the VPA may do. Default: `Off` (recommend only).
    pub update_mode: VpaUpdateMode,
    /// Lower bound of recommendations. Default: none.
    pub min_allowed: ResourceList,
    /// Upper bound of recommendations. Default: none.
    pub max_allowed: ResourceList,
    /// Resources the VPA controls. Default: cpu and memory.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controlled_resources: Vec<ScaledResource>,
}

/// What the VPA controls when `controlledResources` is not written (or empty): its own default.
const DEFAULT_CONTROLLED: [ScaledResource; 2] = [ScaledResource::Cpu, ScaledResource::Memory];

impl Default for VpaSpec {
    fn default() -> Self {
        Self {
            update_mode: VpaUpdateMode::default(),
            min_allowed: ResourceList::default(),
            max_allowed: ResourceList::default(),
            controlled_resources: DEFAULT_CONTROLLED.to_vec(),
        }
    }
}

impl VpaSpec {
    /// The resources the VPA acts on: `controlledResources`, or cpu and memory when it is
    /// empty (the VPA's own default).
    pub fn controlled(&self) -> Vec<ScaledResource> {
        if self.controlled_resources.is_empty() {
            DEFAULT_CONTROLLED.to_vec()
        } else {
            let mut resources = self.controlled_resources.clone();
            resources.sort_unstable();
            resources.dedup();
            resources
        }
    }
}

/// VPA update mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VpaUpdateMode {
    /// Recommend only.
    #[default]
    Off,
    /// Set resources when pods are created.
    Initial,
    /// Evict pods to apply recommendations.
    Recreate,
    /// Apply recommendations by whatever means the VPA has.
    Auto,
}

impl VpaUpdateMode {
    /// The VPA spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "Off",
            Self::Initial => "Initial",
            Self::Recreate => "Recreate",
            Self::Auto => "Auto",
        }
    }
}

/// A resource an autoscaler acts on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum ScaledResource {
    /// CPU.
    Cpu,
    /// Memory.
    Memory,
}

impl ScaledResource {
    /// The Kubernetes resource name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
        }
    }
}

/// The PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DisruptionBudgetSpec {
    /// Emit the budget when more than one replica can run. Default: true.
    pub enabled: bool,
    /// Pods that may be down at once during voluntary disruptions: a number (`1`) or a
    /// percentage of the pods (`"25%"`). Default: 1.
    pub max_unavailable: IntOrPercent,
}

impl Default for DisruptionBudgetSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            max_unavailable: IntOrPercent::Int(1),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rollout
// ---------------------------------------------------------------------------------------

/// How a new version replaces the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutSpec {
    /// Extra pods during a rolling update: a number (`1`) or a percentage (`"25%"`).
    /// Default: `25%`.
    pub max_surge: IntOrPercent,
    /// Pods that may be unavailable during a rolling update: a number or a percentage.
    /// Default: `0` (never below the wanted count).
    pub max_unavailable: IntOrPercent,
    /// Blue/green: two Deployments and a Service switch. Default: none (rolling update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreenSpec>,
    /// Canary with analysis: an Argo Rollouts Rollout instead of the Deployment. Default:
    /// none (rolling update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanarySpec>,
}

impl Default for RolloutSpec {
    fn default() -> Self {
        Self {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Int(0),
            blue_green: None,
            canary: None,
        }
    }
}

/// Blue/green rollout: `<app>-blue` and `<app>-green` Deployments; the main Service selects
/// the active color, `<app>-preview` the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlueGreenSpec {
    /// The color that takes production traffic.
    pub active: Color,
    /// The blue slot.
    pub blue: ColorSlot,
    /// The green slot.
    pub green: ColorSlot,
    /// Replicas of the idle color (the one not `active`): it serves the preview Service
    /// only, so it runs small and without an HPA; 0 stops it. Raise it to production size
    /// before switching `active`. Default: 1.
    #[serde(default = "default_idle_replicas")]
    pub idle_replicas: i32,
}

fn default_idle_replicas() -> i32 {
    1
}

impl BlueGreenSpec {
    /// The slot of one color.
    pub fn slot(&self, color: Color) -> &ColorSlot {
        match color {
            Color::Blue => &self.blue,
            Color::Green => &self.green,
        }
    }
}

/// A blue/green color.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Color {
    /// Blue.
    Blue,
    /// Green.
    Green,
}

impl Color {
    /// Both colors, blue first.
    pub const ALL: [Color; 2] = [Color::Blue, Color::Green];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Green => "green",
        }
    }

    /// The other color.
    pub fn other(self) -> Self {
        match self {
            Self::Blue => Self::Green,
            Self::Green => Self::Blue,
        }
    }
}

/// What one color runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ColorSlot {
    /// Inference image of this color (overrides the runtime's image).
    pub image: String,
    /// Release label of this color, e.g. `v2.0`. Default: the image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Model version this color serves. Default: `model.version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------

/// Where and before whom the pods run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchedulingSpec {
    /// PriorityClass of inference (and training) pods. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class: Option<PriorityClassSpec>,
    /// Node labels the pods require. Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pods tolerate. Default: none (plus the GPU taint when GPUs are requested).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<TolerationSpec>,
    /// Kubernetes affinity, passed through unchanged. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<k8s_openapi::api::core::v1::Affinity>,
    /// GPUs per inference pod (a custom runtime only), and the GPU resource name training
    /// requests. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuSpec>,
    /// RuntimeClass of the pods (e.g. `nvidia`). Default: the cluster's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
}

/// A PriorityClass, created by Slipway when `value` is given, else referenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriorityClassSpec {
    /// Name of the PriorityClass.
    pub name: String,
    /// Priority value; when set, Slipway emits the PriorityClass. Default: reference only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<i32>,
    /// Human description of the class. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether pods of this class preempt lower ones. Default: `PreemptLowerPriority`.
    #[serde(default)]
    pub preemption_policy: PreemptionPolicy,
    /// One class for every environment, under its own name, managed by the environment
    /// `gitops.sharedObjectsEnvironment` only. Default: false, each environment gets its own
    /// class `<name>-<env>`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
}

/// PriorityClass preemption policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PreemptionPolicy {
    /// Preempt lower-priority pods.
    #[default]
    PreemptLowerPriority,
    /// Never preempt.
    Never,
}

impl PreemptionPolicy {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreemptLowerPriority => "PreemptLowerPriority",
            Self::Never => "Never",
        }
    }
}

/// A toleration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TolerationSpec {
    /// Taint key; empty with `Exists` tolerates everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    #[serde(default)]
    pub operator: TolerationOperator,
    /// Taint value, with `Equal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Taint effect. Default: all effects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
    /// With `NoExecute`: seconds the pod stays after the taint appears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// Toleration operator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    /// Key and value must match.
    #[default]
    Equal,
    /// The key must exist.
    Exists,
}

/// Taint effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    /// Do not schedule.
    NoSchedule,
    /// Try not to schedule.
    PreferNoSchedule,
    /// Evict running pods.
    NoExecute,
}

impl TaintEffect {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoSchedule => "NoSchedule",
            Self::PreferNoSchedule => "PreferNoSchedule",
            Self::NoExecute => "NoExecute",
        }
    }
}

/// GPUs requested by each inference pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct GpuSpec {
    /// Whole GPUs per inference pod; set as both request and limit. Only a custom runtime
    /// can use them (`slipway-serve` runs on CPU). Default: 0 (the section then only names
    /// the resource `training.gpus` requests).
    pub count: serde_json::Number,
    /// Extended resource name. Default: `nvidia.com/gpu`.
    pub resource_name: String,
    /// Add a toleration for the `<resourceName>` `NoSchedule` taint GPU nodes carry.
    /// Default: true.
    pub tolerate_gpu_taint: bool,
}

impl Default for GpuSpec {
    fn default() -> Self {
        Self {
            count: 0.into(),
            resource_name: "nvidia.com/gpu".into(),
            tolerate_gpu_taint: true,
        }
    }
}

impl GpuSpec {
    /// The count when it is a whole positive number.
    pub fn whole_count(&self) -> Option<u32> {
        self.count.as_u64().and_then(|n| u32::try_from(n).ok())
    }
}

// ---------------------------------------------------------------------------------------
// Security
// ---------------------------------------------------------------------------------------

/// Pod security, identities, RBAC and network policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SecuritySpec {
    /// UID of every container. Default: 1000.
    pub run_as_user: i64,
    /// GID of every container. Default: 1000.
    pub run_as_group: i64,
    /// Group that owns mounted volumes. Default: 1000.
    pub fs_group: i64,
    /// Mount the root filesystem read-only (an emptyDir is mounted at /tmp). Default: true.
    pub read_only_root_filesystem: bool,
    /// Mount an API token into the inference pods. Default: false (they do not call the API).
    pub automount_service_account_token: bool,
    /// Roles granted to people and service accounts in the namespace. Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rbac: Vec<RbacBinding>,
    /// NetworkPolicy for the inference pods. Default: on, the application's namespace only.
    pub network_policy: NetworkPolicySpec,
    /// Secrets (in the application's namespace) for pulling images from private registries,
    /// set on every pod of the namespace. Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
}

impl Default for SecuritySpec {
    fn default() -> Self {
        Self {
            run_as_user: 1000,
            run_as_group: 1000,
            fs_group: 1000,
            read_only_root_filesystem: true,
            automount_service_account_token: false,
            rbac: Vec::new(),
            network_policy: NetworkPolicySpec::default(),
            image_pull_secrets: Vec::new(),
        }
    }
}

/// One Role and RoleBinding: who gets which access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RbacBinding {
    /// Suffix of the Role and RoleBinding names (`<app>-<name>`), a DNS-1123 label. Default:
    /// the preset's name, followed by a short hash of the subjects and rules when several
    /// entries share a preset (so reordering entries renames nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Access preset. `viewer`: read workloads, pods, logs and services; `deployer`: also
    /// change Deployments, Services, ConfigMaps, Jobs and autoscalers; `trainer`: run Jobs
    /// and read PVCs. Default: `viewer`.
    #[serde(default)]
    pub preset: AccessPreset,
    /// Who is bound.
    pub subjects: Vec<RbacSubject>,
    /// Extra rules beside the preset's. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RbacRule>,
}

/// A named set of RBAC rules.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum AccessPreset {
    /// Read-only.
    #[default]
    Viewer,
    /// Read and change the application's workloads.
    Deployer,
    /// Run training Jobs.
    Trainer,
}

impl AccessPreset {
    /// The preset's name, used in object names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Deployer => "deployer",
            Self::Trainer => "trainer",
        }
    }
}

/// An RBAC subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RbacSubject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: SubjectKind,
    /// Name of the user, group or service account.
    pub name: String,
    /// Namespace of a ServiceAccount. Default: the application's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Kind of an RBAC subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SubjectKind {
    /// A user.
    User,
    /// A group.
    Group,
    /// A service account.
    ServiceAccount,
}

impl SubjectKind {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
            Self::ServiceAccount => "ServiceAccount",
        }
    }
}

/// An extra RBAC rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RbacRule {
    /// API groups (`""` is the core group of pods, services and PVCs).
    pub api_groups: Vec<String>,
    /// Resources, e.g. `pods`, `deployments`.
    pub resources: Vec<String>,
    /// Verbs, e.g. `get`, `list`, `watch`.
    pub verbs: Vec<String>,
}

/// NetworkPolicy of the inference pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicySpec {
    /// Emit the policy. Default: true.
    pub enabled: bool,
    /// Namespaces (by name) whose pods may call the inference port. Default: none beyond the
    /// application's own namespace.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_namespaces: Vec<String>,
}

impl Default for NetworkPolicySpec {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_namespaces: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Monitoring
// ---------------------------------------------------------------------------------------

/// Prometheus scraping, alerts and the Grafana dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct MonitoringSpec {
    /// Emit a ServiceMonitor for the inference pods. Default: true.
    pub enabled: bool,
    /// Namespace Prometheus runs in (allowed to scrape by the NetworkPolicy). Default: `monitoring`.
    pub namespace: String,
    /// Scrape interval. The alerts' `rate()` windows hold at least four scrapes: the larger of
    /// `5m` and four intervals, rounded up to whole minutes. Default: `30s`.
    pub scrape_interval: Duration,
    /// URL of the Prometheus API that KEDA and canary analysis query. Default:
    /// `http://prometheus-operated.<namespace>.svc:9090` (the Prometheus operator's Service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_address: Option<String>,
    /// Labels the Prometheus operator selects ServiceMonitors and rules by. Default:
    /// `release: prometheus`.
    pub prometheus_labels: BTreeMap<String, String>,
    /// Alert rules (a PrometheusRule). Default: on, with the thresholds below.
    pub alerts: AlertsSpec,
    /// Grafana dashboard (a JSON file and a sidecar ConfigMap). Default: on.
    pub dashboard: DashboardSpec,
}

impl Default for MonitoringSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            namespace: "monitoring".into(),
            scrape_interval: parsed("30s"),
            prometheus_address: None,
            prometheus_labels: BTreeMap::from([("release".into(), "prometheus".into())]),
            alerts: AlertsSpec::default(),
            dashboard: DashboardSpec::default(),
        }
    }
}

impl MonitoringSpec {
    /// The Prometheus API URL: `prometheusAddress`, else the operator's Service in
    /// `namespace`.
    pub fn prometheus_url(&self) -> String {
        self.prometheus_address
            .clone()
            .unwrap_or_else(|| format!("http://prometheus-operated.{}.svc:9090", self.namespace))
    }
}

/// Alert rules, all derived from the spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertsSpec {
    /// Emit the PrometheusRule. Default: true.
    pub enabled: bool,
    /// Alert when CPU use exceeds this percentage of the declared CPU limit. Default: 80.
    pub cpu_limit_percent: u32,
    /// Alert when memory use exceeds this percentage of the declared memory limit. Default: 80.
    pub memory_limit_percent: u32,
    /// Alert when this percentage of requests fail with 5xx. Default: 5.
    pub error_rate_percent: f64,
    /// Alert when the p99 request latency exceeds this many seconds. Default: 1.0.
    pub latency_p99_seconds: f64,
    /// How long a condition must hold before it fires. Default: `5m`.
    pub for_duration: Duration,
    /// How long the HPA may sit at `maxReplicas` before `InferenceAtMaxReplicas` fires.
    /// Default: `15m`.
    pub at_max_replicas_for: Duration,
    /// Base URL of the runbooks; each alert links `<base>/<AlertName>`. Default:
    /// `https://runbooks.slipway.dev`.
    pub runbook_base_url: String,
}

impl Default for AlertsSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            cpu_limit_percent: 80,
            memory_limit_percent: 80,
            error_rate_percent: 5.0,
            latency_p99_seconds: 1.0,
            for_duration: parsed("5m"),
            at_max_replicas_for: parsed("15m"),
            runbook_base_url: "https://runbooks.slipway.dev".into(),
        }
    }
}

/// The Grafana dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DashboardSpec {
    /// Emit the dashboard. Default: true.
    pub enabled: bool,
    /// Grafana folder (sidecar annotation). Default: `AI Applications`.
    pub folder: String,
}

impl Default for DashboardSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            folder: "AI Applications".into(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------------------

/// Fluentd tailing the application's container logs into Elasticsearch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggingSpec {
    /// Emit Fluentd. Default: true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Namespace of the Fluentd DaemonSet. It mounts host log directories, which Pod Security
    /// "restricted" (the application's namespace) forbids, so it runs apart. Default:
    /// `<app>-logging`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Container log line format on the nodes. Default: `cri` (containerd, CRI-O).
    #[serde(default)]
    pub container_log_format: LogFormat,
    /// Where the logs go.
    pub elasticsearch: ElasticsearchSpec,
    /// Fluentd image with the Elasticsearch and Kubernetes plugins. Default: pinned
    /// `fluent/fluentd-kubernetes-daemonset:v1.17.1-debian-elasticsearch8-1.0`.
    #[serde(default = "default_fluentd_image")]
    pub image: String,
    /// Buffering of the Elasticsearch output.
    #[serde(default)]
    pub buffer: BufferSpec,
}

fn default_fluentd_image() -> String {
    "fluent/fluentd-kubernetes-daemonset:v1.17.1-debian-elasticsearch8-1.0".into()
}

/// Container log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum LogFormat {
    /// CRI lines (`<time> <stream> <P|F> <message>`), written by containerd and CRI-O.
    #[default]
    Cri,
    /// Docker's json-file lines.
    Docker,
}

/// The Elasticsearch output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElasticsearchSpec {
    /// Host name, e.g. `elasticsearch-service`.
    pub host: String,
    /// Port. Default: 9200.
    #[serde(default = "default_es_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// `http` or `https`. Default: `http`.
    #[serde(default)]
    pub scheme: EsScheme,
    /// Daily indices `<prefix>-YYYY.MM.DD`. Default: the application name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logstash_prefix: Option<String>,
    /// Delete this application's daily indices older than this many days (a CronJob
    /// `<app>-log-retention` beside Fluentd, daily at 00:30 UTC). Default: none, indices are
    /// kept until something else (an ILM policy) deletes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<std::num::NonZeroU32>,
    /// Secret holding `username` and `password`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<String>,
}

fn default_es_port() -> u32 {
    9200
}

/// Elasticsearch URL scheme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum EsScheme {
    /// Plain HTTP.
    #[default]
    Http,
    /// TLS.
    Https,
}

/// Output buffer settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct BufferSpec {
    /// Flush interval, a Prometheus-style duration (written to Fluentd in seconds).
    /// Default: `5s`.
    pub flush_interval: Duration,
    /// Chunk size limit, in Fluentd's syntax (`8MB`, `512k`, or bytes). Default: `8MB`.
    pub chunk_limit_size: ByteSize,
    /// Total buffer size, in Fluentd's syntax. Default: `512MB`.
    pub total_limit_size: ByteSize,
    /// Retries before chunks are dropped. Default: 17.
    pub retry_max_times: u32,
    /// What happens when the buffer is full. Default: `block` (stop tailing; the log files on
    /// the node keep the lines, so nothing is lost while Elasticsearch catches up).
    pub overflow_action: OverflowAction,
}

/// Fluentd's `overflow_action`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum OverflowAction {
    /// Stop reading input until the buffer has room.
    #[default]
    Block,
    /// Drop the oldest chunk to make room.
    DropOldestChunk,
    /// Raise an error to the input plugin.
    ThrowException,
}

impl OverflowAction {
    /// The Fluentd spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::DropOldestChunk => "drop_oldest_chunk",
            Self::ThrowException => "throw_exception",
        }
    }
}

impl Default for BufferSpec {
    fn default() -> Self {
        Self {
            flush_interval: parsed("5s"),
            chunk_limit_size: parsed("8MB"),
            total_limit_size: parsed("512MB"),
            retry_max_times: 17,
            overflow_action: OverflowAction::default(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Backup
// ---------------------------------------------------------------------------------------

/// A CronJob copying the model store to a dated copy in object storage
/// (`<destination>/<yyyy-mm-dd>/`), and a suspended CronJob restoring one (a Job template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupSpec {
    /// Cron schedule. Default: `0 2 * * *` (daily at 02:00).
    #[serde(default = "default_backup_schedule")]
    pub schedule: Schedule,
    /// Destination, `s3://bucket/prefix/`; each run writes `<destination>/<yyyy-mm-dd>/`.
    pub destination: String,
    /// Secret with `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (never inline).
    pub credentials_secret: String,
    /// AWS region. Default: `us-east-1`.
    #[serde(default = "default_region")]
    pub region: String,
    /// Pinned aws-cli image. Default: `amazon/aws-cli:2.17.50`.
    #[serde(default = "default_aws_image")]
    pub image: String,
    /// Successful and failed runs kept. Default: 3.
    #[serde(default = "default_history")]
    pub history_limit: i32,
    /// Retries of one run before it is marked failed. Default: 2.
    #[serde(default = "default_backup_backoff")]
    pub backoff_limit: i32,
    /// Hard deadline of one run, in seconds. Default: 3600 (one hour).
    #[serde(default = "default_backup_deadline")]
    pub active_deadline_seconds: i64,
    /// After a successful run, delete the dated copies older than this many days (today's
    /// copy, just written, always stays). Default: none, copies stay until a bucket lifecycle
    /// rule expires them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_days: Option<std::num::NonZeroU32>,
}

fn default_backup_backoff() -> i32 {
    2
}
fn default_backup_deadline() -> i64 {
    3600
}

fn default_backup_schedule() -> Schedule {
    parsed("0 2 * * *")
}
fn default_region() -> String {
    "us-east-1".into()
}
/// The pinned aws-cli image used by backups and s3 model fetches.
pub const AWS_CLI_IMAGE: &str = "amazon/aws-cli:2.17.50";
/// The pinned curl image used for https model fetches.
pub const CURL_IMAGE: &str = "curlimages/curl:8.10.1";
fn default_aws_image() -> String {
    AWS_CLI_IMAGE.into()
}
fn default_history() -> i32 {
    3
}

// ---------------------------------------------------------------------------------------
// GitOps and pipeline
// ---------------------------------------------------------------------------------------

/// Argo CD delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitOpsSpec {
    /// Git repository Argo CD reads.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Directory of the rendered tree inside the repository. Default: `.`.
    #[serde(default = "default_git_path")]
    pub path: String,
    /// Branch, tag or commit. Default: `HEAD`.
    #[serde(default = "default_revision")]
    pub target_revision: String,
    /// Namespace Argo CD runs in. Default: `argocd`.
    #[serde(default = "default_argocd_ns")]
    pub argocd_namespace: String,
    /// Cluster API server. Default: `https://kubernetes.default.svc`.
    #[serde(default = "default_server")]
    pub destination_server: String,
    /// Sync policy.
    #[serde(default)]
    pub sync_policy: SyncPolicySpec,
    /// Where each environment deploys (`--env NAME`). An environment not listed here (or
    /// without a namespace) gets the namespace `<metadata.namespace>-<env>` on
    /// `destinationServer`. Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, EnvironmentSpec>,
    /// The one environment whose Application manages the cluster-scoped objects the
    /// environments share (a PriorityClass with `shared: true`). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_objects_environment: Option<String>,
    /// The label Argo CD tracking writes the Application name into (`application.instanceLabelKey`
    /// in `argocd-cm`); no selector may use it. Default: `app.kubernetes.io/instance`.
    #[serde(default = "default_instance_label_key")]
    pub instance_label_key: String,
    /// An AppProject that exists already (managed by the platform team): the Application
    /// joins it, Slipway emits no AppProject and checks that the tree fits it. Default: none,
    /// Slipway emits an AppProject allowing exactly what the tree contains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectSpec>,
}

/// Where one environment deploys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Namespace of the environment, used as written. Default: `<metadata.namespace>-<env>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Cluster API server of the environment. Default: `gitops.destinationServer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

/// An existing AppProject and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectSpec {
    /// Name of the AppProject.
    pub name: String,
    /// Namespaces its destinations allow (`*` allows every namespace).
    pub namespaces: Vec<String>,
    /// Cluster-scoped kinds its `clusterResourceWhitelist` allows, as `group/Kind` (`/Kind`
    /// or `Kind` for the core group; `*` allows every kind). Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_kinds: Vec<String>,
}

fn default_instance_label_key() -> String {
    "app.kubernetes.io/instance".into()
}

fn default_git_path() -> String {
    ".".into()
}
fn default_revision() -> String {
    "HEAD".into()
}
fn default_argocd_ns() -> String {
    "argocd".into()
}
fn default_server() -> String {
    "https://kubernetes.default.svc".into()
}

/// Argo CD sync policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncPolicySpec {
    /// Sync automatically on every commit. Default: true.
    pub automated: bool,
    /// Delete objects no longer in Git. Default: true.
    pub prune: bool,
    /// Revert changes made in the cluster. Default: true.
    pub self_heal: bool,
    /// Create the destination namespace. Default: true.
    pub create_namespace: bool,
    /// Sync retries. Default: 5.
    pub retry_limit: i64,
}

impl Default for SyncPolicySpec {
    fn default() -> Self {
        Self {
            automated: true,
            prune: true,
            self_heal: true,
            create_namespace: true,
            retry_limit: 5,
        }
    }
}

/// The CI pipeline: build images tagged with the commit, then commit the render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineSpec {
    /// Registry host and path, e.g. `registry.example.com/ai`.
    pub registry: String,
    /// Images built from the application repository (name → Dockerfile path).
    pub images: BTreeMap<String, String>,
    /// Credentials id (Jenkins) / secret name (GitHub Actions) for the registry.
    #[serde(default = "default_registry_creds")]
    pub registry_credentials: String,
    /// Credentials id / secret name allowed to push to the GitOps repository.
    #[serde(default = "default_git_creds")]
    pub gitops_credentials: String,
    /// Path of this spec in the application repository, as the pipeline passes it to
    /// `slipway render`. Default: `deploy/<metadata.name>.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_file: Option<String>,
    /// Values files (paths in the application repository) passed with `-f` on every render.
    /// Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values_files: Vec<String>,
    /// Environments the pipeline re-renders into the GitOps repository, each with
    /// `--env NAME` (its file is `environments/NAME.yaml` beside the spec). Default: none,
    /// one render without an environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

fn default_registry_creds() -> String {
    "registry-credentials".into()
}
fn default_git_creds() -> String {
    "gitops-repo-credentials".into()
}
