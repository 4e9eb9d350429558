//! The model backup: a CronJob `<app>-backup` that copies the model store (the model PVC,
//! which training writes, mounted read-only) to a dated copy
//! `<backup.destination>/<yyyy-mm-dd>/` with the pinned aws-cli image (`aws s3 sync`; the
//! date comes from `date -u` in the pod's shell, not from the compiler). Credentials come from
//! the named Secret through `secretKeyRef`, never inline; the pod runs with the restricted
//! security context under its own ServiceAccount, without an API token.
//!
//! The restore is a Job template: the suspended CronJob `<app>-restore` never runs on its own;
//! `kubectl create job --from=cronjob/<app>-restore <name>` copies the newest dated copy (or
//! the one `RESTORE_DATE` names) back into the model store, mounted read-write. The command is
//! on both CronJobs as the `slipway.dev/restore` annotation and in docs/operations.md ("Backup and
//! restore").
//!
//! The backup pod takes none of the inference scheduling (priority class, node selector, GPU
//! toleration): it needs no GPU node and must not preempt serving pods. When the model claim
//! is `ReadWriteOnce`, the volume can be attached to one node only, so the backup pod is
//! required to run on a node where an inference pod (which holds the volume) runs.

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Affinity, PersistentVolumeClaimVolumeSource, PodAffinity, PodAffinityTerm, PodTemplateSpec,
    Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AccessMode;
use crate::sections::AppSpec;
use crate::sections::ResourceList;
use crate::sections::Resources;
use crate::sections::Scope;
use crate::sections::VolumeClaim;
use crate::sections::backup::BackupSpec;
use crate::sections::model::ModelSource;
use crate::sections::shared::labels::Component;
use crate::sections::shared::pod;

/// Where the model PVC is mounted in the backup and restore containers.
pub const SOURCE_DIR: &str = "/model-store";
/// Annotation carrying the restore command on the backup and restore CronJobs.
pub const RESTORE_ANNOTATION: &str = "slipway.dev/restore";

/// The backup: one dated copy per run, computed in the pod (`date -u`).
///
/// With `KEEP_DAYS`, a successful copy is followed by deleting the dated copies (`<yyyy-mm-dd>/`
/// prefixes, nothing else) older than that many days; a failed copy deletes nothing.
const BACKUP_SCRIPT: &str = r#"set -eu
base="${BACKUP_DESTINATION%/}"
dest="$base/$(date -u +%Y-%m-%d)/"
echo "backing up /model-store/ to $dest"
aws s3 sync --only-show-errors --no-progress /model-store/ "$dest"
if [ -n "${KEEP_DAYS:-}" ]; then
  cutoff=$(date -u -d "@$(($(date -u +%s) - KEEP_DAYS * 86400))" +%Y%m%d)
  for day in $(aws s3 ls "$base/" | grep -oE 'PRE [0-9]{4}-[0-9]{2}-[0-9]{2}/$' | grep -oE '[0-9-]{10}'); do
    if [ "$(echo "$day" | tr -d -)" -lt "$cutoff" ]; then
      echo "deleting the copy of $day (older than $KEEP_DAYS days)"
      aws s3 rm --recursive --only-show-errors "$base/$day/"
    fi
  done
fi"#;

/// The restore: `RESTORE_DATE` (yyyy-mm-dd), else the newest dated copy.
const RESTORE_SCRIPT: &str = r#"set -eu
base="${BACKUP_DESTINATION%/}"
day="${RESTORE_DATE:-$(aws s3 ls "$base/" | grep -oE 'PRE [0-9]{4}-[0-9]{2}-[0-9]{2}/$' | sort | tail -n 1 | tr -dc 0-9-)}"
if [ -z "$day" ]; then echo "no dated copy under $base/" >&2; exit 1; fi
echo "restoring $base/$day/ into /model-store/"
exec aws s3 sync --only-show-errors --no-progress "$base/$day/" /model-store/"#;

/// Which way a CronJob of this module copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Backup,
    Restore,
}
/// The keys the credentials Secret must hold, passed as the same-named variables.
pub const CREDENTIAL_KEYS: [&str; 2] = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

/// The backup and restore CronJobs (without their pods in an outline) and ServiceAccounts;
/// nothing without `spec.backup`, or when the model has no PVC to copy (validation reports
/// that as `backup-source`).
pub fn compile(spec: &AppSpec, scope: Scope) -> Vec<Object> {
    let Some(backup) = &spec.spec.backup else {
        return Vec::new();
    };
    let ModelSource::Pvc(claim) = &spec.spec.model.source else {
        return Vec::new();
    };
    let backup_name = labels::name(spec, "backup");
    let restore_name = labels::name(spec, "restore");
    let restore = format!(
        "run `kubectl -n {} create job --from=cronjob/{restore_name} {restore_name}-$(date -u +%Y%m%d%H%M)` \
         to copy the newest dated copy under {} back into PVC {}; for another day, add \
         `--dry-run=client -o yaml`, set RESTORE_DATE=yyyy-mm-dd in the container's env and \
         `kubectl apply -f` the result",
        spec.metadata.namespace(),
        backup.destination,
        claim.claim_name
    );
    let mut objects = Vec::new();
    for (name, direction) in [
        (backup_name, Direction::Backup),
        (restore_name, Direction::Restore),
    ] {
        let pod_labels = labels::labels(spec, Component::Backup, None, None);
        let mut metadata = labels::meta(spec, name.clone(), Component::Backup);
        metadata
            .annotations
            .get_or_insert_default()
            .insert(RESTORE_ANNOTATION.into(), restore.clone());
        objects.push(pod::service_account(spec, name.clone(), Component::Backup));
        objects.push(
            CronJob {
                metadata,
                spec: Some(CronJobSpec {
                    schedule: backup.schedule.to_string(),
                    // The restore is a Job template: it runs only when created by hand.
                    suspend: (direction == Direction::Restore).then_some(true),
                    concurrency_policy: Some("Forbid".into()),
                    successful_jobs_history_limit: Some(backup.history_limit),
                    failed_jobs_history_limit: Some(backup.history_limit),
                    job_template: JobTemplateSpec {
                        metadata: Some(ObjectMeta {
                            labels: Some(pod_labels.clone()),
                            ..Default::default()
                        }),
                        spec: Some(JobSpec {
                            backoff_limit: Some(backup.backoff_limit),
                            active_deadline_seconds: Some(backup.active_deadline_seconds),
                            template: PodTemplateSpec {
                                metadata: Some(ObjectMeta {
                                    labels: Some(pod_labels),
                                    ..Default::default()
                                }),
                                spec: scope
                                    .bodies()
                                    .then(|| pod_spec(spec, backup, claim, name, direction)),
                            },
                            ..Default::default()
                        }),
                    },
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into(),
        );
    }
    objects
}

fn pod_spec(
    spec: &AppSpec,
    backup: &BackupSpec,
    claim: &VolumeClaim,
    service_account: String,
    direction: Direction,
) -> k8s_openapi::api::core::v1::PodSpec {
    let read_only = direction == Direction::Backup;
    let mut pod_spec = pod::base_pod(spec, service_account, false);
    pod_spec.restart_policy = Some("Never".into());
    if claim.access_mode == AccessMode::ReadWriteOnce {
        pod_spec.affinity = Some(Affinity {
            pod_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                    label_selector: Some(labels::match_labels(labels::selector(
                        spec,
                        Component::Inference,
                        None,
                    ))),
                    topology_key: "kubernetes.io/hostname".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    pod_spec.volumes.get_or_insert_default().push(Volume {
        name: "model".into(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: claim.claim_name.clone(),
            read_only: Some(read_only),
        }),
        ..Default::default()
    });

    let (container_name, script) = match direction {
        Direction::Backup => ("backup", BACKUP_SCRIPT),
        Direction::Restore => ("restore", RESTORE_SCRIPT),
    };
    let mut container = pod::base_container(spec, container_name, &backup.image);
    container.command = Some(vec!["/bin/sh".into(), "-c".into()]);
    container.args = Some(vec![script.into()]);
    let mut env = pod::env([
        // The AWS CLI writes its cache under $HOME; only /tmp is writable.
        ("HOME", "/tmp".to_string()),
        ("AWS_DEFAULT_REGION", backup.region.clone()),
        ("BACKUP_DESTINATION", backup.destination.clone()),
    ]);
    if let (Direction::Backup, Some(days)) = (direction, backup.keep_days) {
        env.extend(pod::env([("KEEP_DAYS", days.to_string())]));
    }
    env.extend(CREDENTIAL_KEYS.map(|key| pod::secret_env(key, &backup.credentials_secret, key)));
    container.env = Some(env);
    container.resources = Some(pod::resources(
        spec,
        &Resources {
            requests: ResourceList::cpu_memory("100m", "256Mi"),
            limits: ResourceList::cpu_memory("1", "1Gi"),
        },
        0,
    ));
    container
        .volume_mounts
        .get_or_insert_default()
        .push(VolumeMount {
            name: "model".into(),
            mount_path: SOURCE_DIR.into(),
            read_only: Some(read_only),
            ..Default::default()
        });
    pod_spec.containers = vec![container];
    pod_spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::pod;
    use crate::compile::testing::seed;
    use crate::sections::model::ObjectStoreSource;

    fn cron_job(spec: &AppSpec) -> CronJob {
        compile(spec, Scope::Full)
            .into_iter()
            .find_map(|o| match o {
                Object::CronJob(c) => Some(*c),
                _ => None,
            })
            .expect("a backup CronJob")
    }

    #[test]
    fn the_model_claim_is_synced_read_only_with_the_pinned_image() {
        let cron = cron_job(&seed());
        assert_eq!(cron.metadata.name.as_deref(), Some("ai-inference-backup"));
        let cron = cron.spec.unwrap();
        assert_eq!(cron.concurrency_policy.as_deref(), Some("Forbid"));
        let job = cron.job_template.spec.unwrap();
        assert_eq!(job.backoff_limit, Some(2));
        assert_eq!(job.active_deadline_seconds, Some(3600));
        let pod = job.template.spec.unwrap();
        assert_eq!(
            pod.service_account_name.as_deref(),
            Some("ai-inference-backup")
        );
        assert_eq!(pod.automount_service_account_token, Some(false));
        assert!(pod.priority_class_name.is_none() && pod.tolerations.is_none());
        let claim = pod.volumes.unwrap()[1].persistent_volume_claim.clone();
        assert_eq!(claim.unwrap().read_only, Some(true));
        let container = &pod.containers[0];
        assert_eq!(container.image.as_deref(), Some("amazon/aws-cli:2.17.50"));
        assert_eq!(
            container.args.as_deref(),
            Some(&[BACKUP_SCRIPT.to_string()][..])
        );
        let env = container.env.as_ref().unwrap();
        let destination = env.iter().find(|e| e.name == "BACKUP_DESTINATION").unwrap();
        assert_eq!(
            destination.value.as_deref(),
            Some("s3://ai-model-backup/models/")
        );
        let mount = &container.volume_mounts.as_ref().unwrap()[1];
        assert_eq!(
            (mount.mount_path.as_str(), mount.read_only),
            (SOURCE_DIR, Some(true))
        );
        let security = container.security_context.as_ref().unwrap();
        assert_eq!(security.allow_privilege_escalation, Some(false));
    }

    /// Runs the backup script with `aws` replaced by a shell function over a bucket holding
    /// `days` (dated prefixes) and a `notes/` prefix, the clock pinned to 2026-11-30; returns
    /// the calls that write or delete, and whether the script succeeded.
    fn run_backup(keep_days: Option<u32>, days: &[&str], sync_fails: bool) -> (Vec<String>, bool) {
        let listing: Vec<String> = days
            .iter()
            .chain(&["notes"])
            .map(|d| format!("                           PRE {d}/"))
            .collect();
        let fake = format!(
            r#"date() {{
  case "$*" in
    "-u +%s") echo 1795996800 ;;
    "-u +%Y-%m-%d") echo 2026-11-30 ;;
    *) command date "$@" ;;
  esac
}}
aws() {{
  for arg; do last=$arg; done
  case "$2" in
    sync) echo "sync $last" >&3; [ {sync_fails} = false ] ;;
    ls) printf '%s\n' {listing} ;;
    rm) echo "rm $last" >&3 ;;
  esac
}}
"#,
            listing = listing
                .iter()
                .map(|l| format!("'{l}'"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!("exec 3>&1 1>/dev/null\n{fake}{BACKUP_SCRIPT}"))
            .env("BACKUP_DESTINATION", "s3://b/models/");
        if let Some(days) = keep_days {
            command.env("KEEP_DAYS", days.to_string());
        }
        let output = command.output().expect("sh runs");
        let calls = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        (calls, output.status.success())
    }

    /// Every run writes a dated copy, the date taken in the pod (no clock in the compiler);
    /// with `keepDays`, the copies older than that go, and only after a successful copy.
    #[test]
    fn each_run_writes_a_copy_named_by_its_utc_date_and_prunes_old_ones() {
        let days = ["2026-10-31", "2026-11-01", "2026-11-02", "2026-11-29"];
        let (calls, ok) = run_backup(None, &days, false);
        assert!(ok);
        assert_eq!(calls, ["sync s3://b/models/2026-11-30/"]);
        let (calls, ok) = run_backup(Some(28), &days, false);
        assert!(ok);
        assert_eq!(
            calls,
            [
                "sync s3://b/models/2026-11-30/",
                "rm s3://b/models/2026-10-31/",
                "rm s3://b/models/2026-11-01/",
            ]
        );
        let (calls, ok) = run_backup(Some(1), &days, true);
        assert!(!ok, "a failed copy fails the run");
        assert_eq!(
            calls,
            ["sync s3://b/models/2026-11-30/"],
            "and deletes nothing"
        );
        assert!(BACKUP_SCRIPT.contains(SOURCE_DIR) && RESTORE_SCRIPT.contains(SOURCE_DIR));
    }

    #[test]
    fn keep_days_reach_the_backup_only() {
        let mut spec = seed();
        spec.spec.backup.as_mut().unwrap().keep_days = std::num::NonZeroU32::new(30);
        let bundle = crate::compile::compile(&spec);
        let keep = |name: &str| {
            let cron = bundle.find("CronJob", name).unwrap().workload().unwrap();
            let env = cron.pod_spec().unwrap().containers[0].env.clone().unwrap();
            env.into_iter()
                .find(|e| e.name == "KEEP_DAYS")
                .and_then(|e| e.value)
        };
        assert_eq!(keep("ai-inference-backup").as_deref(), Some("30"));
        assert_eq!(keep("ai-inference-restore"), None);
    }

    #[test]
    fn the_restore_is_a_suspended_job_template_writing_the_model_claim() {
        let restore = compile(&seed(), Scope::Full)
            .into_iter()
            .find_map(|o| match o {
                Object::CronJob(c) if o_name(&c) == "ai-inference-restore" => Some(*c),
                _ => None,
            })
            .expect("a restore CronJob");
        let annotations = restore.metadata.annotations.clone().unwrap();
        assert!(
            annotations[RESTORE_ANNOTATION].contains(
                "kubectl -n ai-applications create job --from=cronjob/ai-inference-restore"
            )
        );
        assert_eq!(restore.spec.as_ref().unwrap().suspend, Some(true));
        let pod = pod(&restore);
        let claim = pod.volumes.as_ref().unwrap()[1]
            .persistent_volume_claim
            .clone()
            .unwrap();
        assert_eq!(
            (claim.claim_name.as_str(), claim.read_only),
            ("model-store", Some(false))
        );
        let container = &pod.containers[0];
        assert_eq!(container.name, "restore");
        assert_eq!(
            container.args.as_deref(),
            Some(&[RESTORE_SCRIPT.to_string()][..])
        );
    }

    fn o_name(cron: &CronJob) -> &str {
        cron.metadata.name.as_deref().unwrap_or_default()
    }

    #[test]
    fn credentials_come_from_the_secret_only() {
        let env = pod(&cron_job(&seed())).containers[0].env.clone().unwrap();
        for key in CREDENTIAL_KEYS {
            let var = env.iter().find(|e| e.name == key).unwrap();
            assert!(var.value.is_none(), "{key} is never inline");
            let secret = var.value_from.as_ref().unwrap().secret_key_ref.as_ref();
            assert_eq!(secret.unwrap().name, "aws-backup-credentials");
        }
        let home = env.iter().find(|e| e.name == "HOME").unwrap();
        assert_eq!(home.value.as_deref(), Some("/tmp"));
    }

    #[test]
    fn a_read_write_once_claim_pins_the_backup_next_to_an_inference_pod() {
        let pod = |spec: &AppSpec| pod(&cron_job(spec)).clone();
        assert!(
            pod(&seed()).affinity.is_none(),
            "ReadWriteMany attaches anywhere"
        );
        let mut spec = seed();
        if let ModelSource::Pvc(claim) = &mut spec.spec.model.source {
            claim.access_mode = AccessMode::ReadWriteOnce;
        }
        let affinity = pod(&spec).affinity.unwrap().pod_affinity.unwrap();
        let term = &affinity
            .required_during_scheduling_ignored_during_execution
            .unwrap()[0];
        assert_eq!(term.topology_key, "kubernetes.io/hostname");
        let selected = term.label_selector.clone().unwrap().match_labels.unwrap();
        assert_eq!(selected["app.kubernetes.io/component"], "inference");
    }

    #[test]
    fn nothing_without_backup_or_without_a_model_claim() {
        assert!(compile(&minimal(), Scope::Full).is_empty());
        let mut spec = seed();
        spec.spec.model.source = ModelSource::ObjectStore(ObjectStoreSource {
            uri: "s3://models/model.onnx".into(),
            credentials_secret: None,
            identity: None,
            image: None,
            size_limit: "1Gi".parse().unwrap(),
        });
        assert!(compile(&spec, Scope::Full).is_empty());
    }
}
