//! The training workload: a Job, or a CronJob when the spec has a schedule, with its data
//! mounted read-only, its output read-write, and bounded retries, run time and lifetime.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaimVolumeSource, PodTemplateSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::labels::{self, Component};
use super::object::Object;
use super::{pod, workloads};
use crate::spec::{AppSpec, TrainingSpec};

/// Argo CD annotations that run the training Job before the rest of a sync.
const PRE_SYNC: [(&str, &str); 2] = [
    ("argocd.argoproj.io/hook", "PreSync"),
    (
        "argocd.argoproj.io/hook-delete-policy",
        "BeforeHookCreation",
    ),
];

/// The training Job or CronJob and its ServiceAccount; nothing without `spec.training`.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    // Distributed training is a PyTorchJob (`compile/training_distributed.rs`).
    let Some(training) = spec
        .spec
        .training
        .as_ref()
        .filter(|t| t.distributed.is_none())
    else {
        return Vec::new();
    };
    let name = labels::name(spec, "training");
    let template = pod_template(spec, training, &name);
    let job_spec = JobSpec {
        backoff_limit: Some(training.backoff_limit),
        active_deadline_seconds: Some(training.active_deadline_seconds),
        ttl_seconds_after_finished: Some(training.ttl_seconds_after_finished),
        template,
        ..Default::default()
    };
    let mut meta = labels::meta(spec, name.clone(), Component::Training);
    let workload: Object = match &training.schedule {
        Some(schedule) => CronJob {
            metadata: meta,
            spec: Some(CronJobSpec {
                schedule: schedule.clone(),
                concurrency_policy: Some("Forbid".into()),
                successful_jobs_history_limit: Some(3),
                failed_jobs_history_limit: Some(3),
                job_template: JobTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(labels::labels(spec, Component::Training, None, None)),
                        ..Default::default()
                    }),
                    spec: Some(job_spec),
                },
                ..Default::default()
            }),
            ..Default::default()
        }
        .into(),
        None => {
            if training.pre_sync_hook {
                meta.annotations
                    .get_or_insert_default()
                    .extend(PRE_SYNC.map(|(k, v)| (k.to_string(), v.to_string())));
            }
            Job {
                metadata: meta,
                spec: Some(job_spec),
                ..Default::default()
            }
            .into()
        }
    };
    vec![
        workloads::service_account(spec, name, Component::Training),
        workload,
    ]
}

/// The training pod: its container `trainer`, data and output mounts, `training.gpus` and the
/// scheduling settings; `training_distributed` adapts it for PyTorchJob replicas.
pub(super) fn pod_template(spec: &AppSpec, training: &TrainingSpec, name: &str) -> PodTemplateSpec {
    let mut container = pod::base_container(spec, "trainer", &training.image);
    container.command = (!training.command.is_empty()).then(|| training.command.clone());
    container.args = (!training.args.is_empty()).then(|| training.args.clone());
    let env = pod::env(training.env.iter().map(|(k, v)| (k.as_str(), v.clone())));
    container.env = (!env.is_empty()).then_some(env);
    container.resources = Some(pod::resources(spec, &training.resources, training.gpus));

    let mut pod_spec = pod::base_pod(spec, name.to_string(), false);
    pod_spec.restart_policy = Some("Never".into());
    let volumes = pod_spec.volumes.get_or_insert_default();
    let mounts = container.volume_mounts.get_or_insert_default();
    for (volume, mount, read_only) in [
        ("data", &training.data, true),
        ("output", &training.output, false),
    ] {
        let Some(mount) = mount else { continue };
        volumes.push(Volume {
            name: volume.into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: mount.claim.claim_name.clone(),
                read_only: Some(read_only),
            }),
            ..Default::default()
        });
        mounts.push(VolumeMount {
            name: volume.into(),
            mount_path: mount.mount_path.clone(),
            read_only: Some(read_only),
            ..Default::default()
        });
    }
    pod_spec.containers = vec![container];
    pod::schedule(spec, &mut pod_spec, training.gpus);

    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels::labels(spec, Component::Training, None, None)),
            annotations: Some(BTreeMap::from([(
                "kubectl.kubernetes.io/default-container".to_string(),
                "trainer".to_string(),
            )])),
            ..Default::default()
        }),
        spec: Some(pod_spec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;

    fn job(objects: &[Object]) -> &Job {
        crate::compile::typed(objects).next().expect("a Job")
    }

    #[test]
    fn the_job_is_bounded_in_retries_run_time_and_lifetime() {
        let objects = compile(&seed());
        let spec = job(&objects).spec.as_ref().unwrap();
        assert_eq!(spec.backoff_limit, Some(3));
        assert!(spec.active_deadline_seconds.is_some_and(|s| s > 0));
        assert!(spec.ttl_seconds_after_finished.is_some());
        let pod = spec.template.spec.as_ref().unwrap();
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    }

    #[test]
    fn data_is_read_only_and_output_writable() {
        let objects = compile(&seed());
        let pod = job(&objects)
            .spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .clone()
            .unwrap();
        let mounts = pod.containers[0].volume_mounts.clone().unwrap();
        let read_only = |name: &str| mounts.iter().find(|m| m.name == name).unwrap().read_only;
        assert_eq!(read_only("data"), Some(true));
        assert_eq!(read_only("output"), Some(false));
        let claims: Vec<_> = pod
            .volumes
            .unwrap()
            .into_iter()
            .filter_map(|v| v.persistent_volume_claim.map(|c| c.claim_name))
            .collect();
        assert_eq!(claims, ["training-data-pvc", "model-output-pvc"]);
    }

    #[test]
    fn a_schedule_makes_a_cron_job_that_never_overlaps() {
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().schedule = Some("0 3 * * 0".into());
        let objects = compile(&spec);
        let Some(Object::CronJob(cron)) = objects.iter().find(|o| o.kind() == "CronJob") else {
            panic!("expected a CronJob");
        };
        let cron_spec = cron.spec.as_ref().unwrap();
        assert_eq!(cron_spec.schedule, "0 3 * * 0");
        assert_eq!(cron_spec.concurrency_policy.as_deref(), Some("Forbid"));
    }

    #[test]
    fn no_training_no_objects() {
        let mut spec = seed();
        spec.spec.training = None;
        assert!(compile(&spec).is_empty());
    }
}
