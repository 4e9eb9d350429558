//! Kubeflow's PyTorchJob (`kubeflow.org/v1`, the training operator), with only the fields
//! Slipway sets. Checked against the CRD schema in CI.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// A PyTorchJob: a Master and Workers started with the `torchrun` environment
/// (`MASTER_ADDR`, `WORLD_SIZE`, `RANK`, …) set by the operator.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PyTorchJob {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// Run policy and replicas.
    pub spec: PyTorchJobSpec,
}

custom_resource!(PyTorchJob, group: "kubeflow.org", version: "v1", kind: "PyTorchJob", plural: "pytorchjobs");

/// `PyTorchJob.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PyTorchJobSpec {
    /// `Master` and `Worker` replica specs.
    pub pytorch_replica_specs: BTreeMap<String, ReplicaSpec>,
    /// Retries, deadline and lifetime.
    pub run_policy: RunPolicy,
}

/// Retries, deadline and lifetime of the job.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunPolicy {
    /// Hard deadline in seconds.
    pub active_deadline_seconds: i64,
    /// Retries before the job is marked failed.
    pub backoff_limit: i32,
    /// Pods deleted when the job ends: `None`, `Running` or `All`.
    pub clean_pod_policy: String,
    /// Seconds a finished job is kept; unset, it is kept (under Argo CD self-heal a deleted
    /// job is re-created and trains again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_seconds_after_finished: Option<i32>,
}

/// One replica type.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSpec {
    /// Pods of this type.
    pub replicas: i32,
    /// `OnFailure`, `Never`, `Always` or `ExitCode`.
    pub restart_policy: String,
    /// Their pod template (the container is named `pytorch`).
    pub template: PodTemplateSpec,
}
