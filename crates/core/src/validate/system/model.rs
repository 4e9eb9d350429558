//! System rules of the model flow: what makes the compiled objects work together once Argo CD syncs them. The
//! facts come from the bundle (which claim a server reads its model from, which Job writes
//! which file on which claim, what the backup copies, whether Argo CD self-heals); the spec
//! only names the field to fix, so every diagnostic carries file:line:col.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec};

use crate::sections::shared::runtime::ENV_MODEL_PATH;

use crate::bundle::Bundle;
use crate::bundle::Object;
use crate::diagnostic::Diagnostic;
use crate::sections::AppSpec;
use crate::sections::model::ModelSource;
use crate::sections::model::store::ENV_MODEL_URI;
use crate::sections::serving::compile::SERVER_CONTAINER;
use crate::sections::shared::runtime::ENV_MODEL_VERSION;
use crate::sections::training::compile::ENV_MODEL_OUTPUT_PATH;
use crate::sections::training::compile::ENV_MODEL_PUBLISH_PATH;
use crate::sections::training::compile::ENV_MODEL_UPLOAD_URI;
use crate::sections::training::compile::LATEST_FILE;
use crate::sections::training::compile::RUN_VERSION;

/// A pod spec of the bundle with its owner (`Kind/name`).
struct Pod<'a> {
    owner: String,
    kind: &'a str,
    /// A Deployment or Rollout: its pods serve the model; the others (Jobs, CronJobs,
    /// PyTorchJobs) run to completion and may write it.
    serves: bool,
    spec: &'a PodSpec,
    annotations: Option<&'a BTreeMap<String, String>>,
    /// A suspended CronJob (the restore): it runs only when someone creates a Job from it.
    by_hand: bool,
}

/// The pods of the model flow: every pod template of every workload (a PyTorchJob has one
/// per replica type), not the log collector's.
fn pods(bundle: &Bundle) -> Vec<Pod<'_>> {
    bundle
        .objects
        .iter()
        .filter(|object| !matches!(object, Object::DaemonSet(_)))
        .flat_map(|object| {
            object
                .pod_templates()
                .into_iter()
                .filter_map(move |template| {
                    Some(Pod {
                        owner: format!("{}/{}", object.kind(), object.name()),
                        kind: object.kind(),
                        serves: matches!(object, Object::Deployment(_) | Object::Rollout(_)),
                        spec: template.spec.as_ref()?,
                        annotations: object.metadata().annotations.as_ref(),
                        by_hand: matches!(object, Object::CronJob(cron)
                        if cron.spec.as_ref().and_then(|s| s.suspend) == Some(true)),
                    })
                })
        })
        .collect()
}

fn env<'a>(container: &'a Container, name: &str) -> Option<&'a str> {
    container
        .env
        .as_ref()?
        .iter()
        .find(|var| var.name == name)?
        .value
        .as_deref()
}

fn all_containers(pod: &PodSpec) -> impl Iterator<Item = &Container> {
    pod.init_containers.iter().flatten().chain(&pod.containers)
}

/// The volume mounted at the longest mount path that holds `path`, with that mount path.
fn volume_holding<'a>(
    pod: &'a PodSpec,
    container: &'a Container,
    path: &str,
) -> Option<(&'a str, &'a k8s_openapi::api::core::v1::Volume, bool)> {
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| {
            let dir = m.mount_path.trim_end_matches('/');
            path.strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|m| m.mount_path.len())?;
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)?;
    Some((
        mount.mount_path.trim_end_matches('/'),
        volume,
        mount.read_only == Some(true),
    ))
}

/// What a workload of the bundle writes on a claim: (owner, claim, path below the claim).
#[derive(PartialEq)]
struct Written {
    owner: String,
    claim: String,
    /// The file, from the container's `MODEL_PUBLISH_PATH` or `MODEL_OUTPUT_PATH` (holding
    /// `$(MODEL_VERSION)` when each scheduled run writes a version of its own); `None` when
    /// the container mounts the claim writable without saying what it writes.
    below: Option<String>,
}

impl Written {
    /// Whether each run writes a version of its own (a scheduled training).
    fn per_run(&self) -> bool {
        self.below
            .as_deref()
            .is_some_and(|b| b.contains(RUN_VERSION))
    }

    /// Whether this writes `below` on `claim`: the same file, or files it does not name.
    fn writes(&self, claim: &str, below: &str) -> bool {
        self.claim == claim && self.below.as_deref().is_none_or(|b| b == below)
    }

    fn describe(&self) -> String {
        match &self.below {
            Some(below) if self.per_run() => format!(
                "{} writes a new version per run ({below}, `MODEL_VERSION` being the run's Job name) on PVC {}",
                self.owner, self.claim
            ),
            Some(below) => format!("{} writes {below} on PVC {}", self.owner, self.claim),
            None => format!("{} mounts PVC {} writable", self.owner, self.claim),
        }
    }
}

/// Every claim a container of any workload mounts writable counts as written by it: the model
/// file it names (a publish step's `MODEL_PUBLISH_PATH`, else `MODEL_OUTPUT_PATH`), or
/// unnamed files. A trainer whose pod has a publish step writes a temporary file, not the
/// model; a suspended CronJob (the restore) writes only what someone runs by hand, back.
fn written(pods: &[Pod<'_>]) -> Vec<Written> {
    let mut found: Vec<Written> = Vec::new();
    for pod in pods.iter().filter(|p| !p.by_hand) {
        let publishes = all_containers(pod.spec).any(|c| env(c, ENV_MODEL_PUBLISH_PATH).is_some());
        for container in all_containers(pod.spec) {
            let publish = env(container, ENV_MODEL_PUBLISH_PATH);
            let output = env(container, ENV_MODEL_OUTPUT_PATH);
            if publishes && publish.is_none() && output.is_some() {
                continue;
            }
            let path = publish.or(output);
            for mount in container
                .volume_mounts
                .iter()
                .flatten()
                .filter(|m| m.read_only != Some(true))
            {
                let Some(claim) = pod
                    .spec
                    .volumes
                    .iter()
                    .flatten()
                    .find(|v| v.name == mount.name)
                    .and_then(|v| v.persistent_volume_claim.as_ref())
                    .filter(|c| c.read_only != Some(true))
                else {
                    continue;
                };
                let dir = mount.mount_path.trim_end_matches('/');
                let below = path
                    .and_then(|p| p.strip_prefix(dir))
                    .and_then(|rest| rest.strip_prefix('/'))
                    .map(str::to_string);
                let write = Written {
                    owner: pod.owner.clone(),
                    claim: claim.claim_name.clone(),
                    below,
                };
                if !found.contains(&write) {
                    found.push(write);
                }
            }
        }
    }
    found
}

/// Reports [`MODEL_NOT_DELIVERED`](MODEL_NOT_DELIVERED):
/// every model file a server reads is written by a Job of the bundle on the same claim, or
/// fetched into the pod by an init container from a store holding a version declared
/// existing, or sits on a claim holding a version declared existing.
pub fn check_model_delivered(
    spec: &AppSpec,
    _env: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let pods = pods(bundle);
    let writes = written(&pods);
    let model = &spec.spec.model;
    let mut reported: Vec<String> = Vec::new();
    for pod in pods.iter().filter(|p| p.serves) {
        let Some(server) = pod
            .spec
            .containers
            .iter()
            .find(|c| c.name == SERVER_CONTAINER)
        else {
            continue;
        };
        let (Some(path), version) = (
            env(server, ENV_MODEL_PATH),
            env(server, ENV_MODEL_VERSION).unwrap_or("1"),
        ) else {
            continue;
        };
        let existing = model.existing_versions.iter().any(|v| v == version);
        let mut per_run = false;
        let Some((dir, volume, _)) = volume_holding(pod.spec, server, path) else {
            push_once(
                out,
                &mut reported,
                Diagnostic::new(
                    &MODEL_NOT_DELIVERED,
                    "spec.model.path",
                    format!(
                        "{} reads {path}, which no volume of its pod holds",
                        pod.owner
                    ),
                ),
            );
            continue;
        };
        let below = &path[dir.len() + 1..];
        let problem = if let Some(claim) = &volume.persistent_volume_claim {
            let writer = writes.iter().find(|w| w.writes(&claim.claim_name, below));
            if writer.is_some() || existing {
                continue;
            }
            per_run |= writes
                .iter()
                .any(|w| w.per_run() && w.claim == claim.claim_name);
            let others: Vec<String> = writes.iter().map(Written::describe).collect();
            format!(
                "{} reads version `{version}` of the model ({below} on PVC {}), which nothing in the bundle writes ({}) and `model.existingVersions` does not declare",
                pod.owner,
                claim.claim_name,
                if others.is_empty() {
                    "no training output".to_string()
                } else {
                    others.join("; ")
                }
            )
        } else {
            let fetch = pod.spec.init_containers.iter().flatten().find(|c| {
                c.volume_mounts
                    .iter()
                    .flatten()
                    .any(|m| m.name == volume.name && m.read_only != Some(true))
            });
            let fetched = fetch.is_some();
            let uploaded = fetch
                .and_then(|c| env(c, ENV_MODEL_URI))
                .is_some_and(|uri| {
                    pods.iter()
                        .filter(|p| !p.serves)
                        .flat_map(|p| all_containers(p.spec))
                        .any(|c| env(c, ENV_MODEL_UPLOAD_URI) == Some(uri))
                });
            if fetched && (existing || uploaded) {
                continue;
            }
            let store = match &model.source {
                ModelSource::ObjectStore(store) => store.uri.as_str(),
                ModelSource::Pvc(_) => "",
            };
            if fetched {
                format!(
                    "{} fetches version `{version}` of the model from `{store}`, which nothing in the bundle uploads (training uploads it when `training.output` names no claim) and `model.existingVersions` does not declare",
                    pod.owner
                )
            } else {
                format!(
                    "{} reads {path} from volume `{}`, which nothing fills",
                    pod.owner, volume.name
                )
            }
        };
        push_once(
            out,
            &mut reported,
            Diagnostic::new(
                &MODEL_NOT_DELIVERED,
                field_to_fix(spec, pod, version),
                problem,
            )
            .with_help(if per_run {
                format!(
                    "a scheduled training writes a new version each run, named after the run's Job \
                     (`kubectl get jobs -l app.kubernetes.io/component=training`; the newest is in \
                     `{LATEST_FILE}` on the claim), never `{version}`: serve one a run wrote, \
                     `model.version: \"<job name>\"` with `model.existingVersions: [\"<job name>\"]`, \
                     or train once (remove `training.schedule`) to write `{version}`"
                )
            } else {
                format!(
                    "let training write the model's claim (leave `training.output.claim` unset) with \
                     `model.version: \"{version}\"`, or declare the version as already in the store: \
                     `model.existingVersions: [\"{version}\"]`"
                )
            }),
        );
    }
}

/// The spec field most likely wrong when a server's model is not delivered.
fn field_to_fix(spec: &AppSpec, pod: &Pod<'_>, version: &str) -> String {
    let model = &spec.spec.model;
    if let Some(blue_green) = &spec.spec.rollout.blue_green {
        for color in crate::sections::Color::ALL {
            let explicit = blue_green.slot(color).model_version.as_deref();
            if pod.owner.ends_with(&format!("-{}", color.as_str()))
                && explicit.is_some_and(|v| v == version && v != model.version)
            {
                return format!("spec.rollout.blueGreen.{}.modelVersion", color.as_str());
            }
        }
    }
    match (&spec.spec.training, &model.source) {
        (Some(training), _) if training.output.is_none() => "spec.training".into(),
        (Some(training), ModelSource::Pvc(_))
            if training.schedule.is_some() && training.output_claim(model).is_some() =>
        {
            "spec.model.version".into()
        }
        (Some(training), ModelSource::Pvc(claim))
            if training
                .output_claim(model)
                .is_some_and(|c| c.claim_name != claim.claim_name) =>
        {
            "spec.training.output.claim.claimName".into()
        }
        (_, ModelSource::Pvc(_)) => "spec.model.source.pvc.claimName".into(),
        (_, ModelSource::ObjectStore(_)) => "spec.model.source.objectStore.uri".into(),
    }
}

fn push_once(out: &mut Vec<Diagnostic>, reported: &mut Vec<String>, diagnostic: Diagnostic) {
    if !reported.contains(&diagnostic.path) {
        reported.push(diagnostic.path.clone());
        out.push(diagnostic);
    }
}

/// Reports [`EXISTING_VERSIONS_ON_NEW_CLAIM`]: versions declared already in a model claim
/// that the bundle creates, while nothing in the bundle writes that claim.
pub fn check_existing_versions(
    spec: &AppSpec,
    _env: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let model = &spec.spec.model;
    let ModelSource::Pvc(claim) = &model.source else {
        return;
    };
    if model.existing_versions.is_empty() {
        return;
    }
    let created = bundle
        .objects
        .iter()
        .any(|o| o.kind() == "PersistentVolumeClaim" && o.name() == claim.claim_name);
    let written = written(&pods(bundle))
        .iter()
        .any(|w| w.claim == claim.claim_name);
    if !created || written {
        return;
    }
    let versions: Vec<String> = model
        .existing_versions
        .iter()
        .map(|v| format!("`{v}`"))
        .collect();
    out.push(
        Diagnostic::new(
            &EXISTING_VERSIONS_ON_NEW_CLAIM,
            "spec.model.existingVersions",
            format!(
                "`model.existingVersions` declares {} already on PVC {}, which this bundle creates \
                 empty and nothing in it writes: no version can be there",
                versions.join(", "),
                claim.claim_name
            ),
        )
        .with_help(
            "if the claim exists already and holds these versions, say so: \
             `model.source.pvc.create: false`; otherwise let training write it \
             (`training: {output: {mountPath: /output}}`) and drop `existingVersions`",
        ),
    );
}

/// Reports [`JOB_TTL_UNDER_SELF_HEAL`](JOB_TTL_UNDER_SELF_HEAL).
pub fn check_job_ttl_under_self_heal(
    _spec: &AppSpec,
    _env: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let self_heal: Vec<&str> = bundle
        .objects
        .iter()
        .filter_map(|object| match object {
            Object::Application(app)
                if app
                    .spec
                    .sync_policy
                    .as_ref()
                    .and_then(|p| p.automated.as_ref())
                    .is_some_and(|a| a.self_heal) =>
            {
                Some(object.name())
            }
            _ => None,
        })
        .collect();
    let Some(application) = self_heal.first() else {
        return;
    };
    for object in bundle.objects.iter() {
        let Object::Job(job) = object else { continue };
        let hook = job
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(crate::sections::shared::labels::HOOK));
        let ttl = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished);
        if let (false, Some(ttl)) = (hook, ttl) {
            out.push(
                Diagnostic::new(
                    &JOB_TTL_UNDER_SELF_HEAL,
                    "spec.training.ttlSecondsAfterFinished",
                    format!(
                        "Job/{} is deleted {ttl}s after it finishes, and Application/{application} \
                         self-heals: it re-creates the Job, which trains again",
                        object.name()
                    ),
                )
                .with_help(
                    "remove `ttlSecondsAfterFinished`: the finished Job stays, and a changed Job is \
                     replaced by the sync and trains once",
                ),
            );
        }
    }
}

/// Reports [`BACKUP_COVERAGE`](BACKUP_COVERAGE).
pub fn check_backup_coverage(
    _spec: &AppSpec,
    _env: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let pods = pods(bundle);
    let backed_up: Vec<(&str, &str)> = pods
        .iter()
        .filter(|p| {
            p.kind == "CronJob"
                && p.annotations.is_some_and(|a| {
                    a.contains_key(crate::sections::backup::compile::RESTORE_ANNOTATION)
                })
        })
        .flat_map(|p| {
            all_containers(p.spec)
                .filter(|c| c.name == "backup")
                .flat_map(|c| c.volume_mounts.iter().flatten())
                .filter_map(|m| {
                    let volume = p.spec.volumes.iter().flatten().find(|v| v.name == m.name)?;
                    let claim = volume.persistent_volume_claim.as_ref()?;
                    Some((p.owner.as_str(), claim.claim_name.as_str()))
                })
        })
        .collect();
    let Some((backup, _)) = backed_up.first() else {
        return;
    };
    for write in written(&pods) {
        if !backed_up.iter().any(|(_, claim)| *claim == write.claim) {
            let copied: Vec<&str> = backed_up.iter().map(|(_, claim)| *claim).collect();
            out.push(
                Diagnostic::new(
                    &BACKUP_COVERAGE,
                    "spec.training.output.claim.claimName",
                    format!(
                        "{} writes the model on PVC {}, but {backup} copies PVC {}",
                        write.owner,
                        write.claim,
                        copied.join(", ")
                    ),
                )
                .with_help(
                    "leave `training.output.claim` unset: training then writes the model's claim, \
                     which the server reads and the backup copies",
                ),
            );
        }
    }
}

crate::diagnostic::codes! {
    EXISTING_VERSIONS_ON_NEW_CLAIM {
        id: "existing-versions-on-new-claim",
        severity: Error,
        stage: Bundle,
        what: "`model.existingVersions` declares versions on a model claim that the bundle itself creates (`create: true`, the default), and no workload of the bundle mounts that claim writable.",
        why: "A claim Slipway creates starts empty; with nothing writing it, the declared versions are never there, and the servers exit with \"missing model file\" although every rule was satisfied by the declaration.",
        example: "`model: {existingVersions: [\"1\"], source: {pvc: {claimName: models}}}` and no `training`",
        instead: "`source: {pvc: {claimName: models, create: false}}` when the claim exists with the model;\nor let training write the claim (`training: {output: {mountPath: /output}}`)",
    }
    JOB_TTL_UNDER_SELF_HEAL {
        id: "job-ttl-under-self-heal",
        severity: Error,
        stage: Bundle,
        what: "A Job that Argo CD syncs from Git with self-heal, and that is not a hook, has `ttlSecondsAfterFinished`.",
        why: "When the TTL deletes the finished Job, self-heal sees it missing from the cluster and creates it again: the training (hours on a GPU) runs again after every TTL, for ever.",
        example: "`training: {ttlSecondsAfterFinished: 86400}` with `gitops: {syncPolicy: {selfHeal: true}}`",
        instead: "leave `ttlSecondsAfterFinished` unset (the default): the finished Job stays as the record\nof the trained version, and a changed Job is replaced by the sync and runs once. (A\n`preSyncHook` is no fix for training: a hook runs again on every sync, i.e. every commit.)",
    }
    MODEL_NOT_DELIVERED {
        id: "model-not-delivered",
        severity: Error,
        stage: Bundle,
        what: "An inference Deployment's server reads a model file (`MODEL_PATH`) that nothing in the bundle writes (a workload of any kind, Job, CronJob, PyTorchJob or Deployment, that mounts the same claim writable and writes that file or does not say which; or a fetch init container downloading what training uploads) and whose version `model.existingVersions` does not declare as already there. A scheduled training writes a new version per run, never the fixed `model.version`.",
        why: "Every object is valid and the sync succeeds, yet the pods exit with \"missing model file\": an empty claim, a claim training never writes, a version nobody trained, or a bucket nothing uploads to.",
        example: "`model: {source: {pvc: {claimName: model-pvc}}}` with `training: {output: {claim: {claimName: model-output-pvc}}}`",
        instead: "let training write the model's claim (`training: {output: {mountPath: /output}}` defaults to\nit); or declare what is already in the store: `model: {existingVersions: [\"1\"]}`",
    }
    BACKUP_COVERAGE {
        id: "backup-coverage",
        severity: Error,
        stage: Bundle,
        what: "The backup CronJob copies a claim other than the one the training Job writes its model to.",
        why: "What training produced (hours of GPU time) is exactly what a backup must keep; a backup of another claim succeeds every night while the trained models stay unprotected.",
        example: "`training: {output: {claim: {claimName: model-output-pvc}}}` with the model (and so the backup) on `model-pvc`",
        instead: "write the model where the server reads it and the backup copies it: leave\n`training.output.claim` unset (it defaults to the model's claim)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::compile::testing::minimal;
    use crate::compile::testing::seed;

    fn ids(spec: &AppSpec) -> Vec<(&'static str, String)> {
        crate::validate::system(spec, None, &compile(spec))
            .into_iter()
            .map(|d| (d.id(), d.path))
            .collect()
    }

    #[test]
    fn the_seed_works_as_one_system() {
        assert_eq!(ids(&seed()), []);
    }

    #[test]
    fn an_empty_claim_nothing_writes_is_not_a_model() {
        assert_eq!(
            ids(&minimal()),
            [(
                "model-not-delivered",
                "spec.model.source.pvc.claimName".into()
            )]
        );
        let mut spec = minimal();
        spec.spec.model.existing_versions = vec!["1".into()];
        if let ModelSource::Pvc(claim) = &mut spec.spec.model.source {
            claim.create = false;
        }
        assert_eq!(ids(&spec), []);
    }

    #[test]
    fn versions_declared_on_a_claim_the_bundle_creates_need_a_writer() {
        let mut spec = minimal();
        spec.spec.model.existing_versions = vec!["1".into()];
        assert_eq!(
            ids(&spec),
            [(
                "existing-versions-on-new-claim",
                "spec.model.existingVersions".into()
            )],
            "a new, empty claim holds no version"
        );
        // The seed creates its claim too, and training writes it: earlier runs left version 1.
        assert!(
            compile(&seed())
                .find("PersistentVolumeClaim", "model-store")
                .is_some()
        );
        assert_eq!(ids(&seed()), []);
    }

    #[test]
    fn a_pytorch_job_writing_the_model_claim_is_its_writer() {
        let spec = crate::compile::testing::distributed();
        let bundle = compile(&spec);
        assert!(bundle.find("PyTorchJob", "ai-inference-training").is_some());
        assert!(bundle.find("Job", "ai-inference-training").is_none());
        assert_eq!(
            ids(&spec),
            [],
            "green's version 2 is written by the PyTorchJob"
        );
        let writes = written(&pods(&bundle));
        assert_eq!(
            writes
                .iter()
                .map(|w| (w.owner.as_str(), w.claim.as_str(), w.below.as_deref()))
                .collect::<Vec<_>>(),
            [(
                "PyTorchJob/ai-inference-training",
                "model-store",
                Some("2/model.onnx")
            )],
            "Master and Workers write the same file, listed once"
        );
    }

    #[test]
    fn the_published_file_is_written_not_the_trainers_temporary_one() {
        let bundle = compile(&seed());
        let writes = written(&pods(&bundle));
        assert_eq!(
            writes
                .iter()
                .map(|w| (w.owner.as_str(), w.below.as_deref()))
                .collect::<Vec<_>>(),
            [("Job/ai-inference-training", Some("2/model.onnx"))]
        );
    }

    #[test]
    fn a_scheduled_training_writes_a_version_per_run_not_the_fixed_one() {
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().schedule = Some("0 3 * * *".parse().unwrap());
        let found = crate::validate::system(&spec, None, &compile(&spec));
        assert_eq!(
            found
                .iter()
                .map(|d| (d.id(), d.path.as_str()))
                .collect::<Vec<_>>(),
            [("model-not-delivered", "spec.model.version")]
        );
        assert!(found[0].message.contains("a new version per run"));
        assert!(
            found[0]
                .help
                .as_deref()
                .is_some_and(|h| h.contains("remove `training.schedule`"))
        );
        // Serving a version a run wrote, declared as such, is delivered.
        spec.spec.model.version = "ai-inference-training-29412345".into();
        spec.spec
            .model
            .existing_versions
            .push(spec.spec.model.version.clone());
        assert_eq!(ids(&spec), []);
    }

    #[test]
    fn training_into_another_claim_delivers_nothing_and_escapes_the_backup() {
        let spec = crate::compile::testing::training_into("model-output-pvc");
        let found = ids(&spec);
        assert!(found.contains(&(
            "model-not-delivered",
            "spec.training.output.claim.claimName".into()
        )));
        assert!(found.contains(&(
            "backup-coverage",
            "spec.training.output.claim.claimName".into()
        )));
    }

    #[test]
    fn canary_pods_are_servers_too() {
        let spec = crate::compile::testing::canary();
        assert!(compile(&spec).find("Rollout", "demo").is_some());
        assert_eq!(
            ids(&spec),
            [(
                "model-not-delivered",
                "spec.model.source.pvc.claimName".into()
            )],
            "the Rollout reads a claim nothing writes"
        );
    }

    #[test]
    fn a_color_on_a_version_nobody_trained_is_named() {
        let mut spec = seed();
        spec.spec.model.existing_versions.clear();
        assert_eq!(
            ids(&spec),
            [(
                "model-not-delivered",
                "spec.rollout.blueGreen.blue.modelVersion".into()
            )]
        );
    }

    #[test]
    fn a_fetched_model_needs_its_version_declared() {
        let mut spec = minimal();
        spec.spec.model.source = ModelSource::ObjectStore(
            crate::sections::model::ObjectStoreSource::new("gs://models/demo/{version}/model.onnx"),
        );
        assert_eq!(
            ids(&spec),
            [(
                "model-not-delivered",
                "spec.model.source.objectStore.uri".into()
            )]
        );
        spec.spec.model.existing_versions = vec!["1".into()];
        assert_eq!(ids(&spec), []);
    }

    #[test]
    fn a_model_training_uploads_is_delivered_to_the_servers_that_fetch_it() {
        let mut spec = seed();
        spec.spec.model.source = ModelSource::ObjectStore(
            crate::sections::model::ObjectStoreSource::new("gs://models/ai/{version}/model.onnx"),
        );
        spec.spec.backup = None;
        assert_eq!(ids(&spec), [], "green's 2 is uploaded, blue's 1 declared");
        spec.spec.model.existing_versions.clear();
        assert_eq!(
            ids(&spec),
            [(
                "model-not-delivered",
                "spec.rollout.blueGreen.blue.modelVersion".into()
            )]
        );
    }

    #[test]
    fn a_job_with_a_ttl_under_self_heal_would_train_again() {
        let mut spec = seed();
        spec.spec
            .training
            .as_mut()
            .unwrap()
            .ttl_seconds_after_finished = Some(3600);
        assert_eq!(
            ids(&spec),
            [(
                "job-ttl-under-self-heal",
                "spec.training.ttlSecondsAfterFinished".into()
            )]
        );
        spec.spec.gitops.as_mut().unwrap().sync_policy.self_heal = false;
        assert_eq!(ids(&spec), []);
    }
}
