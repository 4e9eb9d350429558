//! The `app.kubernetes.io/*` labels and object metadata, from one place.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::sections::AppSpec;

use crate::sections::Color;

/// Label telling blue from green pods.
pub const COLOR_LABEL: &str = "slipway.dev/color";
/// Value of `app.kubernetes.io/managed-by`.
pub const MANAGED_BY: &str = "slipway";
/// Label naming the environment an object belongs to (`--env`).
pub const ENVIRONMENT_LABEL: &str = "slipway.dev/environment";
/// The label Argo CD's label tracking rewrites (its default `application.instanceLabelKey`).
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// Which part of the application an object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Component {
    /// The inference server.
    Inference,
    /// The training Job.
    Training,
    /// The model backup CronJob.
    Backup,
    /// Fluentd.
    Logging,
    /// The CronJob deleting old log indices.
    LogRetention,
    /// Prometheus objects and the dashboard.
    Monitoring,
    /// Application-wide objects (Namespace, PVCs, RBAC).
    Application,
}

impl Component {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inference => "inference",
            Self::Training => "training",
            Self::Backup => "backup",
            Self::Logging => "logging",
            Self::LogRetention => "log-retention",
            Self::Monitoring => "monitoring",
            Self::Application => "application",
        }
    }
}

/// The instance of the application: the name of its Argo CD Application, `<app>-<env>`
/// (fitted to 63 characters with a hash, see [`crate::k8s::name::fit`]), or `<app>` outside
/// environments. Under label tracking Argo CD writes this same value into
/// `app.kubernetes.io/instance`.
pub fn instance(spec: &AppSpec) -> String {
    let name = match spec.metadata.environment_name() {
        Some(env) => format!("{}-{env}", spec.metadata.name),
        None => spec.metadata.name.clone(),
    };
    crate::k8s::name::shorten(&name, crate::k8s::name::MAX_LABEL_NAME)
}

/// The labels that select one workload's pods: name, component, and the color for
/// blue/green. Never the version, which changes with every release, nor
/// `app.kubernetes.io/instance`, which Argo CD's label tracking rewrites (each environment
/// has its own namespace, so the name and component select one environment's pods).
pub fn selector(
    spec: &AppSpec,
    component: Component,
    color: Option<Color>,
) -> BTreeMap<String, String> {
    let name = spec.metadata.name.clone();
    let mut labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), name),
        (
            "app.kubernetes.io/component".to_string(),
            component.as_str().to_string(),
        ),
    ]);
    if let Some(color) = color {
        labels.insert(COLOR_LABEL.to_string(), color.as_str().to_string());
    }
    labels
}

/// Every label of an object: the spec's own labels, the selector labels, `instance`,
/// `part-of`, `managed-by`, the environment, and `version` when known.
pub fn labels(
    spec: &AppSpec,
    component: Component,
    color: Option<Color>,
    version: Option<&str>,
) -> BTreeMap<String, String> {
    let mut labels = spec.metadata.labels.clone();
    labels.extend(selector(spec, component, color));
    labels.insert(INSTANCE_LABEL.into(), instance(spec));
    if let Some(env) = spec.metadata.environment_name() {
        labels.insert(ENVIRONMENT_LABEL.into(), env.to_string());
    }
    labels.insert(
        "app.kubernetes.io/part-of".into(),
        spec.metadata.name.clone(),
    );
    labels.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
    if let Some(version) = version.filter(|v| crate::k8s::name::is_label_value(v)) {
        labels.insert("app.kubernetes.io/version".into(), version.to_string());
    }
    labels
}

/// A label selector matching exactly `labels`.
pub fn match_labels(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels),
        ..Default::default()
    }
}

/// Metadata of a namespaced object of the application.
pub fn meta(spec: &AppSpec, name: impl Into<String>, component: Component) -> ObjectMeta {
    ObjectMeta {
        namespace: Some(spec.metadata.namespace().to_string()),
        ..cluster_meta(spec, name, component)
    }
}

/// Metadata of a cluster-scoped object of the application.
pub fn cluster_meta(spec: &AppSpec, name: impl Into<String>, component: Component) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        labels: Some(labels(spec, component, None, None)),
        annotations: (!spec.metadata.annotations.is_empty())
            .then(|| spec.metadata.annotations.clone()),
        ..Default::default()
    }
}

/// `<app>-<suffix>`.
pub fn name(spec: &AppSpec, suffix: &str) -> String {
    format!("{}-{suffix}", spec.metadata.name)
}

/// Label Argo Rollouts puts on the pods of each version (ReplicaSet).
pub const POD_TEMPLATE_HASH_LABEL: &str = "rollouts-pod-template-hash";

/// [`POD_TEMPLATE_HASH_LABEL`] as Prometheus names it on scraped series (`podTargetLabels`).
pub const POD_TEMPLATE_HASH_SERIES_LABEL: &str = "rollouts_pod_template_hash";

/// Annotation ordering objects inside one Argo CD sync phase (lower first; default 0).
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// Annotation making an object an Argo CD hook (it then runs outside the sync waves).
pub const HOOK: &str = "argocd.argoproj.io/hook";

/// Annotation with per-object sync options.
pub const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's own labels are kept, except where Slipway sets the same key: Slipway's
    /// value wins (the reserved `app.kubernetes.io/*` keys are rejected earlier; these are not).
    #[test]
    fn slipways_labels_replace_the_specs_own() {
        let mut spec = crate::compile::testing::minimal();
        spec.metadata.labels = [
            ("team", "ai"),
            (COLOR_LABEL, "purple"),
            (ENVIRONMENT_LABEL, "nowhere"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        let labels = labels(&spec, Component::Inference, Some(Color::Blue), Some("7"));
        assert_eq!(labels["team"], "ai");
        assert_eq!(labels[COLOR_LABEL], "blue");
        assert_eq!(labels[ENVIRONMENT_LABEL], "nowhere"); // no environment: not set
        assert_eq!(labels["app.kubernetes.io/version"], "7");
        assert_eq!(labels.len(), 9, "{labels:?}");
    }
}
