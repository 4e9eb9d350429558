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
        rules::check_blue_green_switch,
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
    /// Blue/green: two Deployments and a Service switch, or one Argo Rollouts Rollout with
    /// an active and a preview Service (`blueGreen.engine`). Default: none (rolling update).
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

impl RolloutSpec {
    /// Whether the inference workload is an Argo Rollouts Rollout: under a canary, or
    /// blue/green with the `rollouts` engine. (A method, so the sections below `rollout` ask
    /// without importing it.)
    pub fn is_rollout(&self) -> bool {
        self.canary.is_some() || self.blue_green.as_ref().is_some_and(|bg| bg.rollouts())
    }
}

/// Blue/green rollout. With the `deployments` engine: `<app>-blue` and `<app>-green`
/// Deployments; the main Service selects the active color, `<app>-preview` the other. With
/// the `rollouts` engine: one Argo Rollouts `Rollout` running the active color's slot, whose
/// blue/green strategy previews each new revision at full size behind `<app>-preview`,
/// analyses it, then switches the main Service to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlueGreenSpec {
    /// What runs the switch: `deployments` (two Deployments, the switch is a commit that
    /// flips `active`) or `rollouts` (one Argo Rollouts Rollout: the slot of `active` is its
    /// pod template, and changing it starts a preview, a pre-promotion analysis, the switch
    /// and a post-promotion analysis). Default: `deployments`.
    #[serde(default)]
    pub engine: BlueGreenEngine,
    /// The color that takes production traffic. Under the `rollouts` engine, the slot the
    /// Rollout runs: flipping it starts a blue/green update to the other slot.
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
    /// `deployments` engine: a switch is in progress. The active color runs the active
    /// capacity (`scaling.hpa.minReplicas`, else `inference.replicas`) as a fixed count, and
    /// the other color keeps the pods it had instead of dropping to `idleReplicas`. The
    /// generated CI sets it in the commit that flips `active` (Argo CD syncs the Services and
    /// autoscalers in wave 1, after the Deployments are healthy) and clears it
    /// `scaleDownDelay` later, so the new color is at full size before it takes traffic and
    /// the old one keeps its pods while connections drain. Default: false.
    #[serde(default)]
    pub switching: bool,
    /// How long the previous color keeps its pods after a switch (connections drain, and a
    /// rollback is instant): the Rollout's `scaleDownDelaySeconds`, or the wait of the
    /// generated CI before it lowers the old color. At least `30s`. Default: `30s`.
    #[serde(default = "default_scale_down_delay")]
    pub scale_down_delay: Duration,
}

fn default_idle_replicas() -> i32 {
    1
}

fn default_scale_down_delay() -> Duration {
    super::parsed("30s")
}

/// What runs a blue/green switch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum BlueGreenEngine {
    /// Two Deployments (`<app>-blue`, `<app>-green`); a commit flips `active`.
    #[default]
    Deployments,
    /// One Argo Rollouts Rollout with `strategy.blueGreen` (needs the Rollouts controller).
    Rollouts,
}

impl BlueGreenSpec {
    /// Whether Argo Rollouts runs the switch.
    pub fn rollouts(&self) -> bool {
        self.engine == BlueGreenEngine::Rollouts
    }

    /// `scaleDownDelay` in whole seconds.
    pub fn scale_down_delay_seconds(&self) -> i64 {
        self.scale_down_delay.as_std().as_secs() as i64
    }
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
