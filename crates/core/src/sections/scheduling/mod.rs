//! Scheduling: PriorityClass, node selection, tolerations, affinity and GPUs.

pub mod compile;
pub mod rules;

/// The `scheduling` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "scheduling",
    compile: |i, b| b.objects.extend(compile::compile(i.spec)),
    rules: &[
        rules::check_gpu,
        rules::check_tolerations,
        rules::check_priority,
    ],
    codes: &[rules::CODES],
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

impl TolerationOperator {
    /// The operator as Kubernetes writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equal => "Equal",
            Self::Exists => "Exists",
        }
    }
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
