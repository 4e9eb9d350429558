//! The training workload: a Job, or a CronJob when the spec has a schedule, with its data
//! mounted read-only, its output read-write, and bounded retries and run time.
//!
//! Training writes the model store the server reads: `training.output` mounts the model's
//! claim unless it names another, and the trainer is told where the model of
//! `model.version` goes (`MODEL_OUTPUT_PATH`, `<output>/<version>/model.onnx` with the
//! default layout) and which version that is (`MODEL_VERSION`). When the model lives in an
//! object store (s3://, gs://), the trainer runs as an init container writing an emptyDir,
//! and the `upload-model` container copies the file to the store's URI of that version
//! (`MODEL_UPLOAD_URI`), where the servers' fetch containers read it.
//!
//! A one-off Job keeps no `ttlSecondsAfterFinished` unless the spec sets one: Argo CD keeps
//! the Job it syncs from Git, and once a TTL deleted it, self-heal would create it again and
//! train again. Kept, it is the record of which version was trained; a changed Job (a new
//! model version or image) is replaced by the sync (`Force=true,Replace=true`, see
//! `gitops::sync_waves`) and trains once more. A CronJob's Jobs are not in Git, so they get
//! a TTL.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, PersistentVolumeClaimVolumeSource, PodTemplateSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::Scope;
use crate::sections::model::ModelSpec;
use crate::sections::model::store;
use crate::sections::shared::labels::Component;
use crate::sections::shared::pod;
use crate::sections::training::CRON_JOB_TTL;
use crate::sections::training::TrainingSpec;

/// Environment variable telling the trainer which model version it produces.
pub const ENV_MODEL_VERSION: &str = crate::sections::shared::runtime::ENV_MODEL_VERSION;
/// Environment variable with the file the trainer writes the model to.
pub const ENV_MODEL_OUTPUT_PATH: &str = "MODEL_OUTPUT_PATH";

/// Environment variable with the object-store URI the upload container writes the model to.
pub const ENV_MODEL_UPLOAD_URI: &str = "MODEL_UPLOAD_URI";

/// The object store training uploads to: the model's, when `training.output` names no claim
/// of its own and the store can be written (s3://, gs://; not https://).
pub fn upload_store<'a>(
    spec: &'a AppSpec,
    training: &'a TrainingSpec,
) -> Option<&'a crate::sections::model::ObjectStoreSource> {
    let output = training.output.as_ref()?;
    match &spec.spec.model.source {
        crate::sections::model::ModelSource::ObjectStore(store)
            if output.claim.is_none() && store::can_upload(store) =>
        {
            Some(store)
        }
        _ => None,
    }
}

/// Where the trainer writes the model of `model.version`: the output mount plus the model's
/// path below its mount directory, version filled in; `None` without `training.output`.
pub fn output_path(spec: &AppSpec, training: &TrainingSpec) -> Option<String> {
    let output = training.output.as_ref()?;
    let model = &spec.spec.model;
    let (_, below) = model.store_layout();
    Some(format!(
        "{}/{}",
        output.mount_path.trim_end_matches('/'),
        ModelSpec::versioned(below, &model.version)
    ))
}

/// Argo CD annotations that run the training Job before the rest of a sync.
const PRE_SYNC: [(&str, &str); 2] = [
    ("argocd.argoproj.io/hook", "PreSync"),
    (
        "argocd.argoproj.io/hook-delete-policy",
        "BeforeHookCreation",
    ),
];

/// The training Job or CronJob and its ServiceAccount (without the pod in an outline);
/// nothing without `spec.training`.
pub fn compile(spec: &AppSpec, scope: Scope) -> Vec<Object> {
    // Distributed training is a PyTorchJob (`sections/training/distributed.rs`).
    let Some(training) = spec
        .spec
        .training
        .as_ref()
        .filter(|t| t.distributed.is_none())
    else {
        return Vec::new();
    };
    let name = labels::name(spec, "training");
    let template = if scope.bodies() {
        pod_template(spec, training, &name)
    } else {
        PodTemplateSpec::default()
    };
    let job_spec = JobSpec {
        backoff_limit: Some(training.backoff_limit),
        active_deadline_seconds: Some(training.active_deadline_seconds),
        ttl_seconds_after_finished: match training.schedule {
            Some(_) => Some(training.ttl_seconds_after_finished.unwrap_or(CRON_JOB_TTL)),
            None => training.ttl_seconds_after_finished,
        },
        template,
        ..Default::default()
    };
    let mut meta = labels::meta(spec, name.clone(), Component::Training);
    let workload: Object = match &training.schedule {
        Some(schedule) => CronJob {
            metadata: meta,
            spec: Some(CronJobSpec {
                schedule: schedule.to_string(),
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
    vec![training_account(spec, training, name), workload]
}

/// The training ServiceAccount, bound to the store's workload identity when training uploads
/// the model to that store.
pub(super) fn training_account(spec: &AppSpec, training: &TrainingSpec, name: String) -> Object {
    let mut account = pod::service_account(spec, name, Component::Training);
    if upload_store(spec, training).is_some() {
        store::bind_identity(spec, &mut account);
    }
    account
}

/// The training pod: its container `trainer`, data and output mounts, `training.gpus` and the
/// scheduling settings; `training_distributed` adapts it for PyTorchJob replicas.
pub(super) fn pod_template(spec: &AppSpec, training: &TrainingSpec, name: &str) -> PodTemplateSpec {
    let mut container = pod::base_container(spec, "trainer", &training.image);
    container.command = (!training.command.is_empty()).then(|| training.command.clone());
    container.args = (!training.args.is_empty()).then(|| training.args.clone());
    let mut pairs: Vec<(&str, String)> = training
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if let Some(path) = output_path(spec, training) {
        pairs.push((ENV_MODEL_OUTPUT_PATH, path));
        pairs.push((ENV_MODEL_VERSION, spec.spec.model.version.clone()));
    }
    let env = pod::env(pairs);
    container.env = (!env.is_empty()).then_some(env);
    container.resources = Some(pod::resources(spec, &training.resources, training.gpus));

    let mut pod_spec = pod::base_pod(spec, name.to_string(), false);
    pod_spec.restart_policy = Some("Never".into());
    let volumes = pod_spec.volumes.get_or_insert_default();
    let mounts = container.volume_mounts.get_or_insert_default();
    let data = training
        .data
        .as_ref()
        .map(|d| ("data", d.mount_path.as_str(), &d.claim, true));
    let output = training.output.as_ref().and_then(|o| {
        let claim = training.output_claim(&spec.spec.model)?;
        Some(("output", o.mount_path.as_str(), claim, false))
    });
    let upload = upload_store(spec, training);
    if let (Some(store), Some(output)) = (upload, &training.output) {
        // The model goes to the object store the servers fetch from: the trainer writes an
        // emptyDir as an init container, then `upload-model` copies the file up.
        volumes.push(Volume {
            name: "output".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                size_limit: Some(Quantity::from(&store.size_limit)),
                ..Default::default()
            }),
            ..Default::default()
        });
        mounts.push(VolumeMount {
            name: "output".into(),
            mount_path: output.mount_path.clone(),
            ..Default::default()
        });
    }
    for (volume, mount_path, claim, read_only) in data.into_iter().chain(output) {
        volumes.push(Volume {
            name: volume.into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.claim_name.clone(),
                read_only: Some(read_only),
            }),
            ..Default::default()
        });
        mounts.push(VolumeMount {
            name: volume.into(),
            mount_path: mount_path.to_string(),
            read_only: Some(read_only),
            ..Default::default()
        });
    }
    match (upload, &training.output, output_path(spec, training)) {
        (Some(store), Some(output), Some(path)) => {
            let target = ModelSpec::versioned(&store.uri, &spec.spec.model.version);
            // `upload_store` admits only stores `store::upload` writes to.
            let (mut uploader, extra) =
                store::upload(spec, store, "upload-model", path.clone(), &target)
                    .expect("upload_store returns only stores training can upload to");
            pod_spec.volumes.get_or_insert_default().extend(extra);
            uploader.env.get_or_insert_default().extend(pod::env([
                (ENV_MODEL_UPLOAD_URI, target),
                (ENV_MODEL_OUTPUT_PATH, path),
            ]));
            uploader
                .volume_mounts
                .get_or_insert_default()
                .push(VolumeMount {
                    name: "output".into(),
                    mount_path: output.mount_path.clone(),
                    read_only: Some(true),
                    ..Default::default()
                });
            pod_spec.init_containers = Some(vec![container]);
            pod_spec.containers = vec![uploader];
        }
        _ => pod_spec.containers = vec![container],
    }
    pod::schedule(spec, &mut pod_spec, training.gpus);

    let mut labels = labels::labels(spec, Component::Training, None, None);
    if upload.is_some() {
        // Azure's webhook injects the token only into labelled pods.
        labels.extend(store::pod_labels(spec));
    }
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
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
    use crate::bundle::Workload;
    use crate::compile::testing::pod;
    use crate::compile::testing::seed;
    use crate::compile::testing::volume;

    fn job(objects: &[Object]) -> &Job {
        crate::bundle::typed(objects).next().expect("a Job")
    }

    #[test]
    fn the_job_is_bounded_in_retries_and_run_time_and_kept_after_it_finishes() {
        let objects = compile(&seed(), Scope::Full);
        let spec = job(&objects).spec.as_ref().unwrap();
        assert_eq!(spec.backoff_limit, Some(3));
        assert!(spec.active_deadline_seconds.is_some_and(|s| s > 0));
        // A TTL would delete the Job, and Argo CD self-heal would re-create it: train again.
        assert_eq!(spec.ttl_seconds_after_finished, None);
        assert_eq!(pod(job(&objects)).restart_policy.as_deref(), Some("Never"));
    }

    #[test]
    fn data_is_read_only_and_output_writable() {
        let objects = compile(&seed(), Scope::Full);
        let pod = pod(job(&objects));
        let mounts = pod.containers[0].volume_mounts.clone().unwrap();
        let read_only = |name: &str| mounts.iter().find(|m| m.name == name).unwrap().read_only;
        assert_eq!(read_only("data"), Some(true));
        assert_eq!(read_only("output"), Some(false));
        let claims: Vec<_> = pod
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| Some(v.persistent_volume_claim.as_ref()?.claim_name.as_str()))
            .collect();
        assert_eq!(claims, ["training-data-pvc", "model-store"]);
    }

    #[test]
    fn the_trainer_writes_the_model_version_into_the_store_the_server_reads() {
        let objects = compile(&seed(), Scope::Full);
        let pod = pod(job(&objects));
        let env = pod.containers[0].env.clone().unwrap();
        let var = |name: &str| {
            env.iter()
                .find(|e| e.name == name)
                .and_then(|e| e.value.clone())
        };
        assert_eq!(var("MODEL_VERSION").as_deref(), Some("2"));
        assert_eq!(
            var("MODEL_OUTPUT_PATH").as_deref(),
            Some("/output/2/model.onnx")
        );
        let output = volume(pod, "output");
        let claim = output.persistent_volume_claim.clone().unwrap();
        assert_eq!(
            (claim.claim_name.as_str(), claim.read_only),
            ("model-store", Some(false))
        );
    }

    #[test]
    fn an_output_claim_of_its_own_is_used_when_the_spec_names_one() {
        let spec = crate::compile::testing::training_into("elsewhere");
        let objects = compile(&spec, Scope::Full);
        let pod = pod(job(&objects));
        let output = volume(pod, "output");
        assert_eq!(
            output.persistent_volume_claim.clone().unwrap().claim_name,
            "elsewhere"
        );
    }

    #[test]
    fn with_an_object_store_model_training_uploads_what_the_servers_fetch() {
        let mut spec = seed();
        spec.spec.model.source = crate::sections::model::ModelSource::ObjectStore(
            crate::sections::model::ObjectStoreSource::new("s3://models/ai/{version}/model.onnx"),
        );
        let objects = compile(&spec, Scope::Full);
        let pod = pod(job(&objects));
        let trainer = &pod.init_containers.as_ref().unwrap()[0];
        assert_eq!(trainer.name, "trainer");
        let uploader = &pod.containers[0];
        assert_eq!(uploader.name, "upload-model");
        let args = uploader.args.clone().unwrap();
        assert_eq!(
            args[args.len() - 2..],
            [
                "/output/2/model.onnx".to_string(),
                "s3://models/ai/2/model.onnx".to_string()
            ]
        );
        let output = volume(pod, "output");
        assert!(output.empty_dir.is_some());
    }

    #[test]
    fn an_upload_under_workload_identity_runs_as_an_account_bound_to_it() {
        let mut spec = seed();
        let mut store = crate::sections::model::ObjectStoreSource::new(
            "azure://acct/models/ai/{version}/model.onnx",
        );
        store.identity = Some(crate::sections::model::WorkloadIdentity::Azure(
            crate::sections::model::AzureIdentity {
                client_id: "00000000-0000-0000-0000-000000000001".into(),
                tenant_id: None,
            },
        ));
        spec.spec.model.source = crate::sections::model::ModelSource::ObjectStore(store);
        let objects = compile(&spec, Scope::Full);
        let account = objects
            .iter()
            .find(|o| o.kind() == "ServiceAccount")
            .unwrap();
        assert_eq!(account.name(), "ai-inference-training");
        let annotations = account.metadata().annotations.as_ref().unwrap();
        assert!(annotations.contains_key("azure.workload.identity/client-id"));
        let job = job(&objects);
        assert_eq!(
            pod(job).service_account_name.as_deref(),
            Some("ai-inference-training")
        );
        let labels = job.pod_template().unwrap().metadata.as_ref().unwrap();
        assert_eq!(
            labels.labels.as_ref().unwrap()[store::AZURE_USE_LABEL],
            "true"
        );
        // A claim of its own: no upload, no identity.
        spec.spec
            .training
            .as_mut()
            .unwrap()
            .output
            .as_mut()
            .unwrap()
            .claim = Some(crate::sections::VolumeClaim::new("elsewhere"));
        let objects = compile(&spec, Scope::Full);
        let account = objects.iter().find(|o| o.kind() == "ServiceAccount");
        assert!(account.unwrap().metadata().annotations.is_none());
    }

    #[test]
    fn a_schedule_makes_a_cron_job_that_never_overlaps() {
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().schedule = Some("0 3 * * 0".parse().unwrap());
        let objects = compile(&spec, Scope::Full);
        let Some(Object::CronJob(cron)) = objects.iter().find(|o| o.kind() == "CronJob") else {
            panic!("expected a CronJob");
        };
        let cron_spec = cron.spec.as_ref().unwrap();
        assert_eq!(cron_spec.schedule, "0 3 * * 0");
        assert_eq!(cron_spec.concurrency_policy.as_deref(), Some("Forbid"));
        let job_spec = cron_spec.job_template.spec.as_ref().unwrap();
        assert_eq!(job_spec.ttl_seconds_after_finished, Some(CRON_JOB_TTL));
    }

    #[test]
    fn no_training_no_objects() {
        let mut spec = seed();
        spec.spec.training = None;
        assert!(compile(&spec, Scope::Full).is_empty());
    }
}
