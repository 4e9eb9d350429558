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
//! Training writes atomically: the single-pod trainer (an init container) writes
//! `MODEL_OUTPUT_PATH`, a temporary name beside the model file (`…/model.onnx.partial`), and
//! the `publish-model` container renames it to the model file (`MODEL_PUBLISH_PATH`) once the
//! trainer succeeded, so a server that starts meanwhile reads the old file or the new one,
//! never half of one. A scheduled training (a CronJob) writes a new version per run: its
//! `MODEL_VERSION` is the run's Job name (`<name>-training-<minutes since the epoch>`, from the
//! pod label `batch.kubernetes.io/job-name`), and the publish step records it in `LATEST`
//! beside the versions. A PyTorchJob's replicas have no step after them: the trainer writes
//! the model file itself.
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
    Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, ObjectFieldSelector,
    PersistentVolumeClaimVolumeSource, PodTemplateSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::ResourceList;
use crate::sections::Resources;
use crate::sections::Scope;
use crate::sections::model::ModelSpec;
use crate::sections::model::store;
use crate::sections::shared::images::BUSYBOX_IMAGE;
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

/// Environment variable of the publish step: the model file the trainer's output is renamed
/// to (the trainer's `MODEL_OUTPUT_PATH` is this path plus [`PARTIAL_SUFFIX`]).
pub const ENV_MODEL_PUBLISH_PATH: &str = "MODEL_PUBLISH_PATH";

/// Environment variable of a scheduled run's publish step: the file naming the newest version.
pub const ENV_MODEL_LATEST_PATH: &str = "MODEL_LATEST_PATH";

/// What the trainer's temporary file adds to the model file's name.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// Name of the container that renames the trained model into place.
pub const PUBLISH_CONTAINER: &str = "publish-model";

/// The version a scheduled run writes, as the pod sees it: `$(MODEL_VERSION)`, which
/// Kubernetes expands in later environment variables and in arguments.
pub const RUN_VERSION: &str = "$(MODEL_VERSION)";

/// Pod label Kubernetes (1.27 and later) sets to the name of the pod's Job.
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";

/// File beside the versions, below the output mount, naming the newest version a scheduled
/// run published.
pub const LATEST_FILE: &str = "LATEST";

/// The version training writes: `model.version`, or for a scheduled training
/// [`RUN_VERSION`], a new one per run.
pub fn written_version<'a>(spec: &'a AppSpec, training: &TrainingSpec) -> &'a str {
    if training.schedule.is_some() {
        RUN_VERSION
    } else {
        &spec.spec.model.version
    }
}

/// `MODEL_VERSION` as the trainer gets it: `model.version`, or for a scheduled training the
/// run's Job name (from the pod label [`JOB_NAME_LABEL`]). A run's version comes first in
/// `env`, so later variables and the arguments can use `$(MODEL_VERSION)`.
fn version_var(spec: &AppSpec, training: &TrainingSpec) -> EnvVar {
    if training.schedule.is_some() {
        EnvVar {
            name: ENV_MODEL_VERSION.into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: format!("metadata.labels['{JOB_NAME_LABEL}']"),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    } else {
        EnvVar {
            name: ENV_MODEL_VERSION.into(),
            value: Some(spec.spec.model.version.clone()),
            ..Default::default()
        }
    }
}

/// Whether the trainer writes a temporary file that `publish-model` renames: a single-pod
/// training writing a claim (not an upload, which replaces the object at once, nor a
/// PyTorchJob, whose replicas have no step after them).
fn publishes(spec: &AppSpec, training: &TrainingSpec) -> bool {
    training.distributed.is_none()
        && upload_store(spec, training).is_none()
        && training.output_claim(&spec.spec.model).is_some()
}

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

/// Where the model training produces ends up: the output mount plus the model's path below
/// its mount directory, with the version training writes ([`written_version`]); `None`
/// without `training.output`.
pub fn output_path(spec: &AppSpec, training: &TrainingSpec) -> Option<String> {
    let output = training.output.as_ref()?;
    let model = &spec.spec.model;
    let (_, below) = model.store_layout();
    Some(format!(
        "{}/{}",
        output.mount_path.trim_end_matches('/'),
        ModelSpec::versioned(below, written_version(spec, training))
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
    let publish = publishes(spec, training);
    if let Some(path) = output_path(spec, training) {
        let written = if publish {
            format!("{path}{PARTIAL_SUFFIX}")
        } else {
            path
        };
        pairs.push((ENV_MODEL_OUTPUT_PATH, written));
        if training.schedule.is_none() {
            pairs.push((ENV_MODEL_VERSION, spec.spec.model.version.clone()));
        }
    }
    let mut env = pod::env(pairs);
    if training.output.is_some() && training.schedule.is_some() {
        env.insert(0, version_var(spec, training));
    }
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
            let target = ModelSpec::versioned(&store.uri, written_version(spec, training));
            // `upload_store` admits only stores `store::upload` writes to.
            let (mut uploader, extra) =
                store::upload(spec, store, "upload-model", path.clone(), &target)
                    .expect("upload_store returns only stores training can upload to");
            pod_spec.volumes.get_or_insert_default().extend(extra);
            let uploader_env = uploader.env.get_or_insert_default();
            if training.schedule.is_some() {
                // First, so that the target's `$(MODEL_VERSION)` of a scheduled run expands.
                uploader_env.insert(0, version_var(spec, training));
            }
            uploader_env.extend(pod::env([
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
        (None, Some(output), Some(path)) if publish => {
            pod_spec.init_containers = Some(vec![container]);
            pod_spec.containers = vec![publisher(spec, training, &output.mount_path, path)];
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

/// The `publish-model` container: once the trainer (an init container) succeeded, it renames
/// the trainer's temporary file to the model file `path` on the same claim (a rename is atomic
/// on one filesystem) and, for a scheduled run, records the run's version in `LATEST` the same
/// way. It fails the Job when the trainer exited without writing a model.
fn publisher(spec: &AppSpec, training: &TrainingSpec, mount_path: &str, path: String) -> Container {
    let mut container = pod::base_container(spec, PUBLISH_CONTAINER, BUSYBOX_IMAGE);
    let mut script = String::from(
        "test -s \"$MODEL_OUTPUT_PATH\" || { echo \"the trainer exited without writing $MODEL_OUTPUT_PATH\" >&2; exit 1; }\n\
         mv -f \"$MODEL_OUTPUT_PATH\" \"$MODEL_PUBLISH_PATH\"\n",
    );
    let mut pairs = vec![
        (ENV_MODEL_OUTPUT_PATH, format!("{path}{PARTIAL_SUFFIX}")),
        (ENV_MODEL_PUBLISH_PATH, path),
    ];
    if training.schedule.is_none() {
        pairs.push((ENV_MODEL_VERSION, spec.spec.model.version.clone()));
    }
    if training.schedule.is_some() {
        script.push_str(
            "printf '%s\\n' \"$MODEL_VERSION\" > \"$MODEL_LATEST_PATH.partial\"\n\
             mv -f \"$MODEL_LATEST_PATH.partial\" \"$MODEL_LATEST_PATH\"\n",
        );
        pairs.push((
            ENV_MODEL_LATEST_PATH,
            format!("{}/{LATEST_FILE}", mount_path.trim_end_matches('/')),
        ));
    }
    container.command = Some(vec!["sh".into(), "-c".into(), script]);
    let mut env = pod::env(pairs);
    if training.schedule.is_some() {
        env.insert(0, version_var(spec, training));
    }
    container.env = Some(env);
    container.resources = Some(pod::resources(
        spec,
        &Resources {
            requests: ResourceList::cpu_memory("10m", "16Mi"),
            limits: ResourceList::cpu_memory("100m", "64Mi"),
        },
        0,
    ));
    container
        .volume_mounts
        .get_or_insert_default()
        .push(VolumeMount {
            name: "output".into(),
            mount_path: mount_path.to_string(),
            read_only: Some(false),
            ..Default::default()
        });
    container
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

    fn var(container: &Container, name: &str) -> Option<String> {
        let var = container.env.as_ref()?.iter().find(|e| e.name == name)?;
        var.value.clone().or_else(|| {
            Some(
                var.value_from
                    .as_ref()?
                    .field_ref
                    .as_ref()?
                    .field_path
                    .clone(),
            )
        })
    }

    #[test]
    fn the_trainer_writes_a_temporary_file_that_the_publish_step_renames() {
        let objects = compile(&seed(), Scope::Full);
        let pod = pod(job(&objects));
        let trainer = &pod.init_containers.as_ref().unwrap()[0];
        assert_eq!(trainer.name, "trainer");
        assert_eq!(
            var(trainer, ENV_MODEL_OUTPUT_PATH).as_deref(),
            Some("/output/2/model.onnx.partial")
        );
        let [publisher] = &pod.containers[..] else {
            panic!("one publish container");
        };
        assert_eq!(publisher.name, PUBLISH_CONTAINER);
        assert_eq!(publisher.image.as_deref(), Some(BUSYBOX_IMAGE));
        assert_eq!(
            var(publisher, ENV_MODEL_PUBLISH_PATH).as_deref(),
            Some("/output/2/model.onnx")
        );
        let script = &publisher.command.as_ref().unwrap()[2];
        assert!(script.contains("mv -f \"$MODEL_OUTPUT_PATH\" \"$MODEL_PUBLISH_PATH\""));
        assert!(script.starts_with("test -s"), "no model, no success");
        assert!(
            !script.contains("LATEST"),
            "a one-off Job writes model.version"
        );
        let mount = publisher
            .volume_mounts
            .iter()
            .flatten()
            .find(|m| m.name == "output")
            .unwrap();
        assert_eq!(
            (mount.mount_path.as_str(), mount.read_only),
            ("/output", Some(false))
        );
    }

    #[test]
    fn a_scheduled_run_writes_a_version_named_after_its_job() {
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().schedule = Some("0 3 * * *".parse().unwrap());
        let objects = compile(&spec, Scope::Full);
        let Some(Object::CronJob(cron)) = objects.iter().find(|o| o.kind() == "CronJob") else {
            panic!("expected a CronJob");
        };
        let pod = pod(cron.as_ref());
        let trainer = &pod.init_containers.as_ref().unwrap()[0];
        let env = trainer.env.as_ref().unwrap();
        assert_eq!(
            env[0].name, "MODEL_VERSION",
            "first, so later values expand it"
        );
        assert_eq!(
            var(trainer, "MODEL_VERSION").as_deref(),
            Some("metadata.labels['batch.kubernetes.io/job-name']")
        );
        assert_eq!(
            var(trainer, ENV_MODEL_OUTPUT_PATH).as_deref(),
            Some("/output/$(MODEL_VERSION)/model.onnx.partial")
        );
        let publisher = &pod.containers[0];
        assert_eq!(publisher.env.as_ref().unwrap()[0].name, "MODEL_VERSION");
        assert_eq!(
            var(publisher, ENV_MODEL_LATEST_PATH).as_deref(),
            Some("/output/LATEST")
        );
        let script = &publisher.command.as_ref().unwrap()[2];
        assert!(script.contains("mv -f \"$MODEL_LATEST_PATH.partial\" \"$MODEL_LATEST_PATH\""));
    }

    #[test]
    fn a_scheduled_upload_goes_to_the_runs_version() {
        let mut spec = seed();
        spec.spec.model.source = crate::sections::model::ModelSource::ObjectStore(
            crate::sections::model::ObjectStoreSource::new("s3://models/ai/{version}/model.onnx"),
        );
        spec.spec.training.as_mut().unwrap().schedule = Some("0 3 * * *".parse().unwrap());
        let objects = compile(&spec, Scope::Full);
        let Some(Object::CronJob(cron)) = objects.iter().find(|o| o.kind() == "CronJob") else {
            panic!("expected a CronJob");
        };
        let uploader = &pod(cron.as_ref()).containers[0];
        assert_eq!(uploader.env.as_ref().unwrap()[0].name, "MODEL_VERSION");
        assert_eq!(
            var(uploader, ENV_MODEL_UPLOAD_URI).as_deref(),
            Some("s3://models/ai/$(MODEL_VERSION)/model.onnx")
        );
    }

    #[test]
    fn data_is_read_only_and_output_writable() {
        let objects = compile(&seed(), Scope::Full);
        let pod = pod(job(&objects));
        let mounts = pod.init_containers.clone().unwrap()[0]
            .volume_mounts
            .clone()
            .unwrap();
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
        let env = pod.init_containers.clone().unwrap()[0].env.clone().unwrap();
        let var = |name: &str| {
            env.iter()
                .find(|e| e.name == name)
                .and_then(|e| e.value.clone())
        };
        assert_eq!(var("MODEL_VERSION").as_deref(), Some("2"));
        assert_eq!(
            var("MODEL_OUTPUT_PATH").as_deref(),
            Some("/output/2/model.onnx.partial")
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
