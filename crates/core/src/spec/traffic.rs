//! Production traffic and delivery: exposure through a Gateway API `HTTPRoute` or an Ingress
//! with a cert-manager Certificate, KEDA autoscaling on request load, canary rollouts gated by
//! analysis, models from any object store with workload identity, and distributed training.
//!
//! Each section hangs off one field of the spec body (or of the section it refines) and is
//! `None` by default, so a spec without them compiles exactly as before.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::k8s::duration::Duration;

// ---------------------------------------------------------------------------------------
// Exposure
// ---------------------------------------------------------------------------------------

/// How clients outside the cluster reach the model API: a Gateway API `HTTPRoute` attached to
/// a Gateway, or an Ingress for clusters without Gateway API; with TLS from cert-manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExposureSpec {
    /// Host names clients use, e.g. `models.example.com` (DNS names; an `HTTPRoute` also takes
    /// a leading `*.` wildcard). They are the route's hostnames and the Certificate's dnsNames.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// Path prefixes routed to the inference Service. Default: `/v2/models/<model name>` (the
    /// V2 inference API, including the model's `/ready` health endpoint) and `/predict`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Attach an `HTTPRoute` (`gateway.networking.k8s.io/v1`) to this Gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayRef>,
    /// Emit an Ingress (`networking.k8s.io/v1`) instead, for clusters without Gateway API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
    /// TLS for the hostnames: a cert-manager `Certificate`. Default: none (plain HTTP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,
}

/// The Gateway an `HTTPRoute` attaches to (owned by the platform team).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayRef {
    /// Name of the Gateway.
    pub name: String,
    /// Namespace of the Gateway. Default: the application's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Listener of the Gateway to attach to, e.g. `https`. Default: every listener that
    /// allows the route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// The Ingress fallback.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSpec {
    /// IngressClass, e.g. `nginx`. Default: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// Annotations for the ingress controller. Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A cert-manager `Certificate` (`cert-manager.io/v1`) for the hostnames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsSpec {
    /// The cert-manager issuer that signs the certificate.
    pub issuer: IssuerRef,
    /// Secret the certificate and key are written to, which the Ingress or the Gateway
    /// listener serves. Default: `<app>-tls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
}

/// A cert-manager issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuerRef {
    /// Name of the issuer, e.g. `letsencrypt-prod`.
    pub name: String,
    /// `ClusterIssuer` or `Issuer` (in the application's namespace). Default: `ClusterIssuer`.
    #[serde(default)]
    pub kind: IssuerKind,
}

/// Kind of a cert-manager issuer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum IssuerKind {
    /// Cluster-wide issuer.
    #[default]
    ClusterIssuer,
    /// Issuer in the application's namespace.
    Issuer,
}

impl IssuerKind {
    /// The cert-manager spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterIssuer => "ClusterIssuer",
            Self::Issuer => "Issuer",
        }
    }
}

// ---------------------------------------------------------------------------------------
// KEDA
// ---------------------------------------------------------------------------------------

/// A KEDA `ScaledObject` (`keda.sh/v1alpha1`) per inference workload, scaling on the server's
/// request load through Prometheus. KEDA creates and owns the HorizontalPodAutoscaler, so
/// `scaling.hpa` must be unset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KedaSpec {
    /// Fewest replicas of a serving workload. Default: 1.
    #[serde(default = "default_keda_min")]
    pub min_replicas: i32,
    /// Most replicas.
    pub max_replicas: i32,
    /// What load is measured. Default: `inFlight` (concurrent requests per pod).
    #[serde(default)]
    pub metric: LoadMetric,
    /// Target value per pod: in-flight requests, or requests per second. Default: 8.
    #[serde(default = "default_keda_target")]
    pub target_per_pod: f64,
    /// Under blue/green, let the idle color scale to zero (the active one keeps
    /// `minReplicas`). Switching colors then starts the new color cold. Default: false.
    #[serde(default)]
    pub idle_color_to_zero: bool,
    /// Seconds between two queries. Default: 15.
    #[serde(default = "default_polling")]
    pub polling_interval_seconds: i32,
    /// Seconds without load before scaling to zero. Default: 300.
    #[serde(default = "default_cooldown")]
    pub cooldown_period_seconds: i32,
}

fn default_keda_min() -> i32 {
    1
}
fn default_keda_target() -> f64 {
    8.0
}
fn default_polling() -> i32 {
    15
}
fn default_cooldown() -> i32 {
    300
}

/// The load a KEDA trigger measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum LoadMetric {
    /// `slipway_http_requests_in_flight`: requests being served, per pod.
    #[default]
    InFlight,
    /// `rate(slipway_http_requests_total[2m])` of the API routes, per pod (the window holds at
    /// least four scrapes: longer than `2m` when `monitoring.scrapeInterval` is above 30 s).
    RequestsPerSecond,
}

// ---------------------------------------------------------------------------------------
// Canary
// ---------------------------------------------------------------------------------------

/// Canary rollout with Argo Rollouts: the inference Deployment becomes a `Rollout`
/// (`argoproj.io/v1alpha1`) whose canary steps shift a growing share of pods to the new
/// version, gated by an `AnalysisTemplate` built from the same error-ratio and p99-latency
/// expressions as the alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanarySpec {
    /// The steps, in order; after the last one the new version takes all traffic.
    pub steps: Vec<CanaryStep>,
    /// How the analysis measures. Default: every minute, failing on the first bad value.
    #[serde(default)]
    pub analysis: AnalysisSpec,
}

/// One canary step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum CanaryStep {
    /// Percentage (1–100) of the pods that run the new version.
    SetWeight(u32),
    /// Wait: for `duration`, or until promoted by hand when it is absent.
    Pause(PauseStep),
    /// Run the analysis `analysis.count` times; a failure aborts the rollout.
    Analysis(AnalysisStep),
}

/// A pause step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PauseStep {
    /// How long, e.g. `5m` or `1h30m` (a Prometheus-style duration; written for Argo Rollouts
    /// in hours, minutes and seconds). Default: until promoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
}

/// An analysis step (it takes no settings: see `canary.analysis`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalysisStep {}

/// Settings of the canary analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalysisSpec {
    /// Time between two measurements, e.g. `1m`. Default: `1m`.
    pub interval: Duration,
    /// Wait before the first measurement, so the new pods have been scraped at least twice
    /// (a rate needs two samples; before that the result is empty and the measurement
    /// inconclusive, which pauses the rollout). Default: `2m`.
    pub initial_delay: Duration,
    /// Measurements per analysis step. Default: 5.
    pub count: i32,
    /// Failed measurements tolerated before the rollout aborts. Default: 0.
    pub failure_limit: i32,
    /// Also analyse in the background from the first step until promotion. Default: true.
    pub background: bool,
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        Self {
            interval: super::parsed("1m"),
            initial_delay: super::parsed("2m"),
            count: 5,
            failure_limit: 0,
            background: true,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Object stores and workload identity
// ---------------------------------------------------------------------------------------

/// The object store a model URI names, by scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreScheme {
    /// `s3://bucket/key` (Amazon S3 and compatibles).
    S3,
    /// `gs://bucket/object` (Google Cloud Storage).
    Gs,
    /// `azure://account/container/blob` (Azure Blob Storage).
    Azure,
    /// `hf://org/repo[@revision]/path` (a file of a Hugging Face Hub model repository).
    Hf,
    /// `https://host/path`.
    Https,
}

/// A model URI split into its parts; see [`StoreUri::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUri<'a> {
    /// The store.
    pub scheme: StoreScheme,
    /// Bucket (s3, gs), storage account (azure), `org/repo` (hf), host (https).
    pub root: &'a str,
    /// Container (azure), revision (hf, default `main`); empty otherwise.
    pub middle: &'a str,
    /// Key, object, blob or file path inside the root (and container).
    pub path: &'a str,
}

impl<'a> StoreUri<'a> {
    /// Parses `s3://bucket/key`, `gs://bucket/object`, `azure://account/container/blob`,
    /// `hf://org/repo[@revision]/path` or `https://host/path`; `None` when the URI has another
    /// scheme or an empty part.
    ///
    /// ```
    /// use slipway_core::spec::{StoreScheme, StoreUri};
    ///
    /// let uri = StoreUri::parse("hf://acme/sentiment@v1.2/onnx/model.onnx").unwrap();
    /// assert_eq!((uri.scheme, uri.root, uri.middle, uri.path),
    ///            (StoreScheme::Hf, "acme/sentiment", "v1.2", "onnx/model.onnx"));
    /// assert!(StoreUri::parse("azure://account/only-container").is_none());
    /// ```
    pub fn parse(uri: &'a str) -> Option<Self> {
        let (scheme, rest) = uri.split_once("://")?;
        let nonempty = |s: &str| !s.is_empty();
        let parsed = match scheme {
            "s3" | "gs" | "https" => {
                let (root, path) = rest.split_once('/')?;
                Self {
                    scheme: match scheme {
                        "s3" => StoreScheme::S3,
                        "gs" => StoreScheme::Gs,
                        _ => StoreScheme::Https,
                    },
                    root,
                    middle: "",
                    path,
                }
            }
            "azure" => {
                let (root, rest) = rest.split_once('/')?;
                let (middle, path) = rest.split_once('/')?;
                if !nonempty(middle) {
                    return None;
                }
                Self {
                    scheme: StoreScheme::Azure,
                    root,
                    middle,
                    path,
                }
            }
            "hf" => {
                let (org, rest) = rest.split_once('/')?;
                let (repo, path) = rest.split_once('/')?;
                let (repo, revision) = repo.split_once('@').unwrap_or((repo, "main"));
                if !nonempty(org) || !nonempty(repo) || !nonempty(revision) {
                    return None;
                }
                Self {
                    scheme: StoreScheme::Hf,
                    root: &uri[5..5 + org.len() + 1 + repo.len()],
                    middle: revision,
                    path,
                }
            }
            _ => return None,
        };
        (nonempty(parsed.root) && nonempty(parsed.path)).then_some(parsed)
    }
}

impl StoreScheme {
    /// The URI scheme.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S3 => "s3",
            Self::Gs => "gs",
            Self::Azure => "azure",
            Self::Hf => "hf",
            Self::Https => "https",
        }
    }

    /// The keys the fetch step reads from `credentialsSecret`; empty when the scheme takes
    /// no credentials.
    pub fn secret_keys(self) -> &'static [&'static str] {
        match self {
            Self::S3 => &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            Self::Gs => &["key.json"],
            Self::Azure => &["AZURE_STORAGE_KEY"],
            Self::Hf => &["HF_TOKEN"],
            Self::Https => &[],
        }
    }

    /// The workload identity that can read this store, if any.
    pub fn identity_provider(self) -> Option<&'static str> {
        match self {
            Self::S3 => Some("aws"),
            Self::Gs => Some("gcp"),
            Self::Azure => Some("azure"),
            Self::Hf | Self::Https => None,
        }
    }
}

/// The pinned Google Cloud CLI image used for `gs://` model fetches.
pub const GCLOUD_IMAGE: &str = "gcr.io/google.com/cloudsdktool/google-cloud-cli:499.0.0-slim";
/// The pinned Azure CLI image used for `azure://` model fetches.
pub const AZURE_CLI_IMAGE: &str = "mcr.microsoft.com/azure-cli:2.67.0";

/// Credentials by workload identity: the inference ServiceAccount (`<name>`) is annotated so
/// the cloud's identity webhook or metadata server hands the pods short-lived credentials of a
/// cloud identity (no Secret holds a key). When training uploads the model to the same store,
/// the training ServiceAccount (`<name>-training`) is annotated too: the cloud identity must
/// trust both subjects (`system:serviceaccount:<namespace>:<name>` and
/// `…:<name>-training`), and needs write access for the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum WorkloadIdentity {
    /// EKS IAM Roles for Service Accounts (`eks.amazonaws.com/role-arn`), for `s3://`.
    Aws(AwsIdentity),
    /// GKE Workload Identity (`iam.gke.io/gcp-service-account`), for `gs://`.
    Gcp(GcpIdentity),
    /// Azure Workload Identity (`azure.workload.identity/client-id` and the pod label
    /// `azure.workload.identity/use: "true"`), for `azure://`.
    Azure(AzureIdentity),
}

impl WorkloadIdentity {
    /// `aws`, `gcp` or `azure`.
    pub fn provider(&self) -> &'static str {
        match self {
            Self::Aws(_) => "aws",
            Self::Gcp(_) => "gcp",
            Self::Azure(_) => "azure",
        }
    }
}

/// An IAM role assumed through IRSA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsIdentity {
    /// `arn:aws:iam::<account>:role/<name>`.
    pub role_arn: String,
}

/// A Google service account impersonated through GKE Workload Identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GcpIdentity {
    /// `<name>@<project>.iam.gserviceaccount.com`.
    pub service_account: String,
}

/// A Microsoft Entra application federated with the ServiceAccount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureIdentity {
    /// Client id (a UUID) of the managed identity or application.
    pub client_id: String,
    /// Tenant id. Default: the one the webhook is configured with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Distributed training
// ---------------------------------------------------------------------------------------

/// Distributed training: a Kubeflow `PyTorchJob` (`kubeflow.org/v1`) with one Master and
/// `workers` Worker replicas instead of a single-pod Job, run by the cluster's training
/// operator and optionally queued by Kueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DistributedSpec {
    /// Worker replicas beside the Master.
    pub workers: i32,
    /// GPUs of every replica (Master and Workers); set as request and limit. Replaces
    /// `training.gpus`.
    pub gpus_per_worker: u32,
    /// What the operator does when a replica's container fails. Default: `OnFailure`.
    #[serde(default)]
    pub restart_policy: ReplicaRestartPolicy,
    /// Kueue LocalQueue the job waits in (`kueue.x-k8s.io/queue-name`). Default: not queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
}

/// Restart policy of the PyTorchJob's replicas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ReplicaRestartPolicy {
    /// Restart the container in place.
    #[default]
    OnFailure,
    /// Never restart; the job fails.
    Never,
    /// Always restart.
    Always,
    /// Restart on retryable exit codes (128 and above), fail on the others.
    ExitCode,
}

impl ReplicaRestartPolicy {
    /// The Kubeflow spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnFailure => "OnFailure",
            Self::Never => "Never",
            Self::Always => "Always",
            Self::ExitCode => "ExitCode",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_uris_split_into_their_parts() {
        let parts = |uri| {
            let u = StoreUri::parse(uri).unwrap();
            (u.scheme, u.root, u.middle, u.path)
        };
        assert_eq!(
            parts("s3://b/k/m.onnx"),
            (StoreScheme::S3, "b", "", "k/m.onnx")
        );
        assert_eq!(parts("gs://b/m.onnx"), (StoreScheme::Gs, "b", "", "m.onnx"));
        assert_eq!(
            parts("azure://acct/models/v1/m.onnx"),
            (StoreScheme::Azure, "acct", "models", "v1/m.onnx")
        );
        assert_eq!(
            parts("hf://org/repo/m.onnx"),
            (StoreScheme::Hf, "org/repo", "main", "m.onnx")
        );
        for bad in [
            "ftp://h/m.onnx",
            "s3://bucket",
            "s3:///key",
            "gs://b/",
            "azure://acct//m.onnx",
            "hf://org/m.onnx",
            "hf://org/repo@/m.onnx",
        ] {
            assert!(StoreUri::parse(bad).is_none(), "{bad}");
        }
    }
}
