//! Argo Rollouts kinds (`argoproj.io/v1alpha1`): Rollout (canary or blue/green strategy) and
//! AnalysisTemplate (Prometheus metrics only), with only the fields Slipway sets. Checked
//! against the CRD schemas (Argo Rollouts v1.9.1) in CI.

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

/// A Rollout: a Deployment replacement whose updates follow canary steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rollout {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// Pods and strategy.
    pub spec: RolloutSpec,
}

custom_resource!(Rollout, group: "argoproj.io", version: "v1alpha1", kind: "Rollout", plural: "rollouts");

/// `Rollout.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutSpec {
    /// Replicas; absent when an autoscaler owns the count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Old ReplicaSets kept for rollback.
    pub revision_history_limit: i32,
    /// The pods' selector.
    pub selector: LabelSelector,
    /// The update strategy.
    pub strategy: RolloutStrategy,
    /// The pod template.
    pub template: PodTemplateSpec,
}

/// `Rollout.spec.strategy`: exactly one of the two is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStrategy {
    /// The blue/green strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreenStrategy>,
    /// The canary strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryStrategy>,
}

/// The blue/green strategy: the new revision runs beside the old one behind the preview
/// Service, is analysed, then the active Service switches to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreenStrategy {
    /// The Service that takes production traffic (its selector gets the active revision's
    /// pod-template hash).
    pub active_service: String,
    /// Whether the Rollout promotes by itself once the preview is ready and the
    /// pre-promotion analysis passed.
    pub auto_promotion_enabled: bool,
    /// Analysis after the switch; a failure switches back to the old revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_promotion_analysis: Option<StepAnalysis>,
    /// Analysis of the preview before the switch; a failure aborts the update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_promotion_analysis: Option<StepAnalysis>,
    /// The Service that selects the new revision before the switch.
    pub preview_service: String,
    /// Seconds the old revision keeps its pods after the switch.
    pub scale_down_delay_seconds: i32,
}

/// The canary strategy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStrategy {
    /// Analysis running in the background of the steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<BackgroundAnalysis>,
    /// Extra pods during the update.
    pub max_surge: IntOrString,
    /// Pods that may be unavailable during the update.
    pub max_unavailable: IntOrString,
    /// The steps.
    pub steps: Vec<CanaryStep>,
}

/// Analysis in the background of the steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackgroundAnalysis {
    /// Template arguments.
    pub args: Vec<AnalysisArg>,
    /// Step index the analysis starts at.
    pub starting_step: i32,
    /// The templates run.
    pub templates: Vec<TemplateRef>,
}

/// One canary step; exactly one field is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStep {
    /// An inline analysis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<StepAnalysis>,
    /// A pause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause: Option<Pause>,
    /// Share of pods on the new version, percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_weight: Option<i32>,
}

/// A pause; without a duration, until promoted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pause {
    /// e.g. `5m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// An inline analysis step.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StepAnalysis {
    /// Template arguments.
    pub args: Vec<AnalysisArg>,
    /// The templates run.
    pub templates: Vec<TemplateRef>,
}

/// A reference to an AnalysisTemplate.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRef {
    /// Its name.
    pub template_name: String,
}

/// An argument passed to an analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisArg {
    /// Argument name.
    pub name: String,
    /// Where the value comes from.
    pub value_from: ArgValueFrom,
}

/// Where an argument's value comes from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgValueFrom {
    /// `Latest` (the canary's pod-template hash) or `Stable`.
    pub pod_template_hash_value: String,
}

/// An AnalysisTemplate: measurements that decide whether a rollout proceeds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnalysisTemplate {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// Arguments and metrics.
    pub spec: AnalysisTemplateSpec,
}

custom_resource!(AnalysisTemplate, group: "argoproj.io", version: "v1alpha1", kind: "AnalysisTemplate", plural: "analysistemplates");

/// `AnalysisTemplate.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnalysisTemplateSpec {
    /// Arguments the queries use (`{{args.NAME}}`).
    pub args: Vec<TemplateArg>,
    /// The measured metrics.
    pub metrics: Vec<AnalysisMetric>,
}

/// A declared argument.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TemplateArg {
    /// Argument name.
    pub name: String,
}

/// One measured metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisMetric {
    /// Measurements; absent: until the analysis is stopped (background analysis).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i32>,
    /// When a measurement fails; neither: inconclusive (the rollout pauses).
    pub failure_condition: String,
    /// Failed measurements tolerated.
    pub failure_limit: i32,
    /// Wait before the first measurement.
    pub initial_delay: String,
    /// Time between measurements.
    pub interval: String,
    /// Metric name.
    pub name: String,
    /// The query.
    pub provider: MetricProvider,
    /// When a measurement succeeds (an `expr` expression over `result`).
    pub success_condition: String,
}

/// Where a metric is measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricProvider {
    /// A Prometheus instant query.
    pub prometheus: PrometheusMetric,
}

/// A Prometheus instant query.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PrometheusMetric {
    /// Prometheus API URL.
    pub address: String,
    /// PromQL.
    pub query: String,
}
