//! KEDA's ScaledObject (`keda.sh/v1alpha1`), with only the fields Slipway sets. Checked
//! against the CRD schema (KEDA v2.20.2) in CI.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// A ScaledObject: KEDA creates an HPA for the target and feeds it the triggers' metrics
/// (and scales to zero, which an HPA cannot).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScaledObject {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// Target, bounds and triggers.
    pub spec: ScaledObjectSpec,
}

custom_resource!(ScaledObject, group: "keda.sh", version: "v1alpha1", kind: "ScaledObject", plural: "scaledobjects");

/// `ScaledObject.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    /// Seconds without activity before scaling to `minReplicaCount` 0.
    pub cooldown_period: i32,
    /// Most replicas.
    pub max_replica_count: i32,
    /// Fewest replicas (0 allows scale-to-zero).
    pub min_replica_count: i32,
    /// Seconds between two trigger queries.
    pub polling_interval: i32,
    /// The scaled workload.
    pub scale_target_ref: ScaleTargetRef,
    /// The metrics scaled on.
    pub triggers: Vec<Trigger>,
}

/// The scaled workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTargetRef {
    /// e.g. `apps/v1`.
    pub api_version: String,
    /// e.g. `Deployment`.
    pub kind: String,
    /// Name of the workload.
    pub name: String,
}

/// A scaler.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    /// Scaler settings (KEDA takes strings only).
    pub metadata: BTreeMap<String, String>,
    /// `AverageValue`: the threshold is per pod.
    pub metric_type: String,
    /// Scaler type, e.g. `prometheus`.
    #[serde(rename = "type")]
    pub type_: String,
}
