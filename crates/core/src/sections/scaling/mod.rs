//! Scaling: HorizontalPodAutoscaler, VerticalPodAutoscaler, KEDA and the PodDisruptionBudget.

pub mod compile;
pub mod keda;
pub mod rules;

/// The `scaling` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "scaling",
    compile: |i, b| {
        b.objects.extend(compile::compile(i.spec));
        b.objects.extend(keda::compile(i.spec));
    },
    rules: &[
        rules::check_replicas,
        rules::check_hpa,
        rules::check_hpa_vpa,
        rules::check_disruption_budget,
        rules::check_keda,
    ],
    codes: &[rules::CODES],
};

use crate::k8s::int_or_percent::IntOrPercent;
use crate::sections::ResourceList;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
