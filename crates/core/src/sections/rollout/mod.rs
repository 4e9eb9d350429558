//! Rollout: rolling update, blue/green colors, and Argo Rollouts canaries with analysis.

pub mod compile;
pub mod rules;

/// The `rollout` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "rollout",
    compile: |i, b| {
        compile::replace_deployments(i.spec, &mut b.objects);
        b.objects.extend(compile::compile(i.spec));
    },
    rules: &[
        rules::check_rollout,
        rules::check_blue_green_models,
        rules::check_canary,
    ],
    codes: &[rules::CODES],
};

use crate::k8s::duration::Duration;
use crate::k8s::int_or_percent::IntOrPercent;
use crate::sections::Color;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
