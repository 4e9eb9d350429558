//! Serving: the inference Deployment (slipway-serve or a custom runtime) and its Services.

pub mod compile;
pub mod rules;
pub mod service;

/// The `serving` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "serving",
    compile: |i, b| b.objects.extend(compile::compile(i.spec, i.scope)),
    rules: &[
        rules::check_env,
        rules::check_probes,
        rules::check_batching,
        rules::check_runtime_gpu,
    ],
    codes: &[rules::CODES],
};

use crate::sections::DEFAULT_RUNTIME_IMAGE;
use crate::sections::ResourceList;
use crate::sections::Resources;
use crate::sections::SecretKeyRef;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
