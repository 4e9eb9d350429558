//! The spec, section by section: one folder per section a user writes, each holding that
//! section's types (its `mod.rs`), its compile step, its rules and their diagnostic codes,
//! its system rules and its tests. [`shared`] holds what several sections need from each other
//! (labels and names, workload names and selectors, pod building blocks, the model's fetch and
//! upload steps, the runtime's contract); no section imports another.
//!
//! This hub holds the root of the typed spec ([`AppSpec`]), the building blocks several
//! sections' types share ([`Resources`], [`VolumeClaim`], …), and [`SECTIONS`], the one table
//! of every section: its compile step, its rules and its codes.
//!
//! Every struct rejects unknown fields. Every default is written once: a struct whose fields
//! all have defaults carries `#[serde(default)]` and one `impl Default` holding the values; a
//! struct with required fields names a `default_*` function per defaulted field. schemars reads
//! both, so the JSON Schema printed by `slipway schema` shows every default. Field names are
//! camelCase, as in Kubernetes.

pub mod app;
pub mod backup;
pub mod delivery;
pub mod exposure;
pub mod logging;
pub mod model;
pub mod monitoring;
pub mod rollout;
pub mod scaling;
pub mod scheduling;
pub mod security;
pub mod serving;
pub mod shared;
pub mod training;

use crate::bundle::Bundle;
use crate::diagnostic::{Code, Diagnostic};

/// What every section compiles from: the spec, the environment it is rendered for and how
/// much of the output is wanted.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The validated spec, resolved for the environment.
    pub spec: &'a AppSpec,
    /// The environment (`--env`), `None` without one.
    pub env: Option<&'a str>,
    /// What to write.
    pub scope: Scope,
}

/// How much of its output a compile writes. Every scope emits every object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every object and every file: what a GitOps tree or a directory holds.
    #[default]
    Full,
    /// Every object with all it carries, but not the files no object carries (the CI
    /// pipelines): what `render::to_yaml` prints.
    Objects,
    /// Every object (kinds, namespaces, names, labels), with the files objects carry (the
    /// dashboard JSON, `fluent.conf`) left empty and the others not written, and without the
    /// bodies no identity depends on (pod specs, alert rules): for rules that compare the
    /// objects of several environments.
    Outline,
}

impl Scope {
    /// Whether object bodies that no name, namespace or label depends on are built (pod
    /// specs, alert rules): not in an [`Outline`](Scope::Outline).
    pub fn bodies(self) -> bool {
        self != Self::Outline
    }
}

/// A semantic rule over the spec: appends the problems it finds.
pub type Check = fn(&AppSpec, &mut Vec<Diagnostic>);

/// One section of the spec: what it compiles, the rules over its part of the spec, and every
/// code those rules report.
pub struct Section {
    /// The section's name, e.g. `serving`.
    pub name: &'static str,
    /// Adds the section's objects and files to the bundle compiled so far. A section may read
    /// what earlier sections added (the dashboard's ConfigMap carries the dashboard file;
    /// Argo CD's AppProject whitelists the kinds the other sections emit; a canary turns the
    /// serving Deployments into Rollouts), and writes the files [`Input::scope`] asks for.
    pub compile: fn(Input<'_>, &mut Bundle),
    /// The semantic rules over the spec.
    pub rules: &'static [Check],
    /// Every code the section's rules report, declared beside the checks.
    pub codes: &'static [&'static [&'static Code]],
}

/// Every section, in compile order (render order is fixed by [`Bundle::sort`]).
pub const SECTIONS: &[Section] = &[
    app::SECTION,
    model::SECTION,
    training::SECTION,
    serving::SECTION,
    rollout::SECTION,
    exposure::SECTION,
    scaling::SECTION,
    scheduling::SECTION,
    security::SECTION,
    backup::SECTION,
    monitoring::SECTION,
    logging::SECTION,
    delivery::SECTION,
];

use crate::k8s::quantity::Quantity;
use crate::sections::backup::BackupSpec;
use crate::sections::delivery::Environment;
use crate::sections::delivery::GitOpsSpec;
use crate::sections::delivery::PipelineSpec;
use crate::sections::exposure::ExposureSpec;
use crate::sections::logging::LoggingSpec;
use crate::sections::model::ModelSpec;
use crate::sections::monitoring::MonitoringSpec;
use crate::sections::rollout::RolloutSpec;
use crate::sections::scaling::ScalingSpec;
use crate::sections::scheduling::SchedulingSpec;
use crate::sections::security::SecuritySpec;
use crate::sections::serving::InferenceSpec;
use crate::sections::training::TrainingSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// A value that is valid by construction (a default written in this file).
pub(crate) fn parsed<T: std::str::FromStr>(text: &str) -> T
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

pub(crate) fn yes() -> bool {
    true
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
