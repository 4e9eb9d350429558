//! `VerticalPodAutoscaler` (`autoscaling.k8s.io/v1`), with only the fields Slipway sets.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// A VerticalPodAutoscaler.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerticalPodAutoscaler {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// What to scale and how.
    pub spec: VerticalPodAutoscalerSpec,
}

/// `spec` of a [`VerticalPodAutoscaler`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerticalPodAutoscalerSpec {
    /// Bounds of the recommendations, per container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<PodResourcePolicy>,
    /// The workload whose pods are scaled.
    pub target_ref: CrossVersionObjectReference,
    /// Whether and how recommendations are applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_policy: Option<PodUpdatePolicy>,
}

/// `spec.targetRef`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrossVersionObjectReference {
    /// `apps/v1` for a Deployment.
    pub api_version: String,
    /// `Deployment`.
    pub kind: String,
    /// Name of the workload.
    pub name: String,
}

/// `spec.updatePolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodUpdatePolicy {
    /// `Off`, `Initial`, `Recreate` or `Auto`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_mode: Option<String>,
}

/// `spec.resourcePolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodResourcePolicy {
    /// One policy per container.
    pub container_policies: Vec<ContainerResourcePolicy>,
}

/// One entry of `spec.resourcePolicy.containerPolicies`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerResourcePolicy {
    /// The container the policy applies to (`*` for all others).
    pub container_name: String,
    /// Resources the VPA recommends (and possibly sets): `cpu`, `memory`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controlled_resources: Option<Vec<String>>,
    /// Highest recommendation per resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_allowed: Option<BTreeMap<String, Quantity>>,
    /// Lowest recommendation per resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_allowed: Option<BTreeMap<String, Quantity>>,
    /// `Auto` or `Off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

custom_resource!(VerticalPodAutoscaler, group: "autoscaling.k8s.io", version: "v1", kind: "VerticalPodAutoscaler", plural: "verticalpodautoscalers");
