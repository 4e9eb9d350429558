//! Training: the Job or CronJob (or Kubeflow PyTorchJob) that writes the model.

pub mod compile;
pub mod distributed;
pub mod rules;

/// The `training` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "training",
    compile: |i, b| {
        b.objects.extend(compile::compile(i.spec, i.scope));
        b.objects.extend(distributed::compile(i.spec));
    },
    rules: &[rules::check_training, rules::check_distributed],
    codes: &[rules::CODES],
};

use crate::k8s::cron::Schedule;
use crate::sections::ResourceList;
use crate::sections::Resources;
use crate::sections::VolumeClaim;
use crate::sections::VolumeMount;
use crate::sections::model::ModelSource;
use crate::sections::model::ModelSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The training workload: a Job, or a CronJob when `schedule` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingSpec {
    /// Training image (pin a tag or digest).
    pub image: String,
    /// Entrypoint override. Default: the image's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables. Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Training data, mounted read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<VolumeMount>,
    /// Where the trained model is written, mounted read-write. The trainer gets
    /// `MODEL_VERSION` and `MODEL_OUTPUT_PATH` (`<mountPath>/<model.path below the model
    /// mount, version filled in>`, e.g. `/output/2/model.onnx`; on a claim, a temporary
    /// `…/model.onnx.partial` that the `publish-model` step renames to the model file once the
    /// trainer succeeded). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputMount>,
    /// Requests and limits. Default: requests 1 CPU / 2Gi, limits 2 CPU / 4Gi.
    #[serde(default = "default_training_resources")]
    pub resources: Resources,
    /// GPUs for the training pod (resource name from `scheduling.gpu.resourceName`). Default: 0.
    #[serde(default)]
    pub gpus: u32,
    /// Retries before the Job is marked failed. Default: 3.
    #[serde(default = "default_backoff_limit")]
    pub backoff_limit: i32,
    /// Hard deadline of one Job run, in seconds. Default: 86400 (one day).
    #[serde(default = "default_active_deadline")]
    pub active_deadline_seconds: i64,
    /// Seconds a finished Job is kept before garbage collection. Default: none, the Job is
    /// kept: under Argo CD self-heal a deleted Job is re-created, i.e. training runs again
    /// (see `job-ttl-under-self-heal`). A CronJob's Jobs get 86400 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds_after_finished: Option<i32>,
    /// Distributed training: a Kubeflow PyTorchJob instead of a Job. Default: one pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed: Option<DistributedSpec>,
    /// Cron schedule; when set, training is a CronJob, and each run writes a new model
    /// version named after its Job (`MODEL_VERSION`), recorded in `LATEST` beside the
    /// versions. Default: a one-off Job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Run the Job as an Argo CD PreSync hook, before the new inference pods roll out.
    /// Default: false.
    #[serde(default)]
    pub pre_sync_hook: bool,
}

fn default_training_resources() -> Resources {
    Resources {
        requests: ResourceList::cpu_memory("1", "2Gi"),
        limits: ResourceList::cpu_memory("2", "4Gi"),
    }
}
fn default_backoff_limit() -> i32 {
    3
}
fn default_active_deadline() -> i64 {
    86_400
}
impl TrainingSpec {
    /// The mounts the spec declares, as (field, mount path, claim written in the spec):
    /// `data`, then `output` (whose claim may be left to default to the model's).
    pub fn mounts(&self) -> Vec<(&'static str, &str, Option<&VolumeClaim>)> {
        let mut mounts = Vec::new();
        if let Some(data) = &self.data {
            mounts.push(("data", data.mount_path.as_str(), Some(&data.claim)));
        }
        if let Some(output) = &self.output {
            mounts.push(("output", output.mount_path.as_str(), output.claim.as_ref()));
        }
        mounts
    }

    /// The claim the trained model is written to: `output.claim`, else the model's claim;
    /// `None` without `output`, or when neither names a claim.
    pub fn output_claim<'a>(&'a self, model: &'a ModelSpec) -> Option<&'a VolumeClaim> {
        let output = self.output.as_ref()?;
        output.claim.as_ref().or(match &model.source {
            ModelSource::Pvc(claim) => Some(claim),
            ModelSource::ObjectStore(_) => None,
        })
    }
}

/// Seconds a finished Job of the training CronJob is kept when `ttlSecondsAfterFinished`
/// is unset.
pub const CRON_JOB_TTL: i32 = 86_400;

/// Where training writes the model: a mount path and the claim mounted there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputMount {
    /// Where the claim is mounted in the training container.
    pub mount_path: String,
    /// The claim to write. Default: the model's claim (`model.source.pvc`), so what
    /// training writes is what the server reads; with an s3:// or gs:// model, an emptyDir
    /// that an upload container copies to the model's URI of `model.version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<VolumeClaim>,
}

/// Distributed training: a Kubeflow `PyTorchJob` (`kubeflow.org/v1`) with one Master and
/// `workers` Worker replicas instead of a single-pod Job, run by the cluster's training
/// operator and optionally queued by Kueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DistributedSpec {
    /// Worker replicas beside the Master.
    pub workers: i32,
    /// GPUs of every replica (Master and Workers); set as request and limit. Replaces
    /// `training.gpus`.
    pub gpus_per_worker: u32,
    /// What the operator does when a replica's container fails. Default: `OnFailure`.
    #[serde(default)]
    pub restart_policy: ReplicaRestartPolicy,
    /// Kueue LocalQueue the job waits in (`kueue.x-k8s.io/queue-name`). Default: not queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
}

/// Restart policy of the PyTorchJob's replicas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ReplicaRestartPolicy {
    /// Restart the container in place.
    #[default]
    OnFailure,
    /// Never restart; the job fails.
    Never,
    /// Always restart.
    Always,
    /// Restart on retryable exit codes (128 and above), fail on the others.
    ExitCode,
}

impl ReplicaRestartPolicy {
    /// The Kubeflow spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnFailure => "OnFailure",
            Self::Never => "Never",
            Self::Always => "Always",
            Self::ExitCode => "ExitCode",
        }
    }
}
