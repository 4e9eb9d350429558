//! Distributed training: under `training.distributed` the training workload is a Kubeflow
//! `PyTorchJob` (one Master, `workers` Workers, `gpusPerWorker` GPUs each) run by the
//! cluster's training operator instead of a single-pod Job, optionally waiting in a Kueue
//! LocalQueue (`kueue.x-k8s.io/queue-name`) until its GPUs are free.
//!
//! Each replica runs the training pod of `sections/training/compile.rs` (same image, mounts, security
//! and scheduling), with its container named `pytorch` as the operator requires.

use std::collections::BTreeMap;

use crate::k8s::crd::kubeflow::PyTorchJob;

use crate::k8s::crd::kubeflow::PyTorchJobSpec;

use crate::k8s::crd::kubeflow::ReplicaSpec;

use crate::bundle::Object;
use crate::k8s::crd::kubeflow::RunPolicy;
use crate::sections::AppSpec;
use crate::sections::shared::labels;
use crate::sections::shared::labels::Component;
use crate::sections::shared::pod;
use crate::sections::training::DistributedSpec;
use crate::sections::training::ReplicaRestartPolicy;
use crate::sections::training::TrainingSpec;
use crate::sections::training::compile as training;

/// Name the training operator requires for the training container.
pub const CONTAINER: &str = "pytorch";
/// Label Kueue queues a job by.
pub const QUEUE_LABEL: &str = "kueue.x-k8s.io/queue-name";

/// The PyTorchJob and its ServiceAccount; nothing unless `training.distributed` is set.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let Some(training) = &spec.spec.training else {
        return Vec::new();
    };
    let Some(distributed) = &training.distributed else {
        return Vec::new();
    };
    let name = labels::name(spec, "training");
    let mut metadata = labels::meta(spec, name.clone(), Component::Training);
    if let Some(queue) = &distributed.queue_name {
        metadata
            .labels
            .get_or_insert_default()
            .insert(QUEUE_LABEL.into(), queue.clone());
    }
    // Like a training Job: a new image in Git replaces the job rather than failing the sync.
    metadata.annotations.get_or_insert_default().insert(
        crate::sections::shared::labels::SYNC_OPTIONS.into(),
        "Force=true,Replace=true".into(),
    );
    let replica = |replicas: i32| ReplicaSpec {
        replicas,
        restart_policy: distributed.restart_policy.as_str().into(),
        template: template(spec, training, distributed, &name),
    };
    let job = PyTorchJob {
        metadata,
        spec: PyTorchJobSpec {
            run_policy: RunPolicy {
                backoff_limit: training.backoff_limit,
                active_deadline_seconds: training.active_deadline_seconds,
                ttl_seconds_after_finished: training.ttl_seconds_after_finished,
                clean_pod_policy: "None".into(),
            },
            pytorch_replica_specs: BTreeMap::from([
                ("Master".to_string(), replica(1)),
                ("Worker".to_string(), replica(distributed.workers)),
            ]),
        },
    };
    vec![training::training_account(spec, training, name), job.into()]
}

fn template(
    spec: &AppSpec,
    training: &TrainingSpec,
    distributed: &DistributedSpec,
    name: &str,
) -> k8s_openapi::api::core::v1::PodTemplateSpec {
    let mut template = training::pod_template(spec, training, name);
    if let Some(annotations) = template
        .metadata
        .as_mut()
        .and_then(|m| m.annotations.as_mut())
    {
        annotations.insert(
            "kubectl.kubernetes.io/default-container".into(),
            CONTAINER.into(),
        );
    }
    let pod_spec = template.spec.get_or_insert_default();
    // The operator sets the pods' policy from the replica's; ExitCode means Never in the pod.
    pod_spec.restart_policy = Some(
        match distributed.restart_policy {
            ReplicaRestartPolicy::ExitCode => "Never",
            other => other.as_str(),
        }
        .into(),
    );
    for container in &mut pod_spec.containers {
        container.name = CONTAINER.into();
        container.resources = Some(pod::resources(
            spec,
            &training.resources,
            distributed.gpus_per_worker,
        ));
    }
    pod::schedule(spec, pod_spec, distributed.gpus_per_worker);
    template
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn distributed() -> AppSpec {
        let mut spec = crate::compile::testing::seed();
        let training = spec.spec.training.as_mut().unwrap();
        training.distributed = Some(DistributedSpec {
            workers: 3,
            gpus_per_worker: 2,
            restart_policy: ReplicaRestartPolicy::OnFailure,
            queue_name: Some("gpu-queue".into()),
        });
        spec
    }

    #[test]
    fn a_pytorch_job_replaces_the_job() {
        let spec = distributed();
        let bundle = crate::compile::compile(&spec);
        assert!(bundle.find("Job", "ai-inference-training").is_none());
        let Some(Object::PyTorchJob(job)) = bundle.find("PyTorchJob", "ai-inference-training")
        else {
            panic!("no PyTorchJob");
        };
        assert_eq!(
            job.metadata.labels.as_ref().unwrap()[QUEUE_LABEL],
            "gpu-queue"
        );
        let replicas = &job.spec.pytorch_replica_specs;
        assert_eq!(
            (replicas["Master"].replicas, replicas["Worker"].replicas),
            (1, 3)
        );
        let pod = replicas["Worker"].template.spec.as_ref().unwrap();
        let container = &pod.containers[0];
        assert_eq!(container.name, "pytorch");
        let limits = container
            .resources
            .as_ref()
            .unwrap()
            .limits
            .as_ref()
            .unwrap();
        assert_eq!(limits["nvidia.com/gpu"], Quantity("2".into()));
        assert_eq!(pod.restart_policy.as_deref(), Some("OnFailure"));
        assert!(
            pod.tolerations
                .as_ref()
                .unwrap()
                .iter()
                .any(|t| t.key.as_deref() == Some("nvidia.com/gpu"))
        );
        assert_eq!(job.spec.run_policy.backoff_limit, 3);
        // No TrainingJobFailed alert watches a Job that does not exist.
        assert!(
            crate::sections::monitoring::compile::alerts(&spec)
                .iter()
                .all(|a| a.alert != "TrainingJobFailed")
        );
    }
}
