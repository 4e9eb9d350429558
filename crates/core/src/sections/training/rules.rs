//! The rules of the `training` section.

use crate::diagnostic::Diagnostic;
use crate::k8s::name::is_dns1123_subdomain;
use crate::sections::AppSpec;
use crate::sections::model::ModelSource;

/// Reports [`TRAINING_JOB`](TRAINING_JOB).
pub(crate) fn check_training(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(training) = &spec.spec.training else {
        return;
    };
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(
            Diagnostic::new(&TRAINING_JOB, format!("spec.training.{field}"), message)
                .with_help(help),
        );
    };
    if training.backoff_limit < 0 {
        bad(
            "backoffLimit",
            format!(
                "backoffLimit is {}; it cannot be negative",
                training.backoff_limit
            ),
            "e.g. 3",
        );
    }
    if training.active_deadline_seconds <= 0 {
        bad(
            "activeDeadlineSeconds",
            format!(
                "activeDeadlineSeconds is {}; it must be positive",
                training.active_deadline_seconds
            ),
            "e.g. 86400 (one day)",
        );
    }
    if let Some(ttl) = training.ttl_seconds_after_finished.filter(|ttl| *ttl < 0) {
        bad(
            "ttlSecondsAfterFinished",
            format!("ttlSecondsAfterFinished is {ttl}; it cannot be negative"),
            "e.g. 86400",
        );
    }
    if let (Some(output), ModelSource::ObjectStore(store)) =
        (&training.output, &spec.spec.model.source)
        && output.claim.is_none()
        && !crate::sections::model::store::can_upload(store)
    {
        bad(
            "output",
            format!(
                "training.output names no claim, and the model comes from `{}`, where nothing can upload",
                store.uri
            ),
            "give the output a claim (`output: {mountPath: /output, claim: {claimName: …}}`) and publish the model yourself, or use an s3://, gs:// or azure:// model, which training uploads to",
        );
    }
    let mounts: Vec<(&str, &str)> = training
        .mounts()
        .into_iter()
        .map(|(field, path, _)| (field, path))
        .collect();
    for (field, path) in &mounts {
        if !path.starts_with('/') {
            bad(
                &format!("{field}.mountPath"),
                format!("mount path `{path}` must be absolute"),
                "e.g. `/data`",
            );
        }
    }
    if let [(_, first), (_, second)] = mounts[..]
        && first == second
    {
        bad(
            "output.mountPath",
            format!("data and output are both mounted at `{first}`"),
            "mount them at different paths, e.g. `/data` and `/output`",
        );
    }
}

/// Reports [`TRAINING_DISTRIBUTED`].
pub(crate) fn check_distributed(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(training) = &spec.spec.training else {
        return;
    };
    let Some(distributed) = &training.distributed else {
        return;
    };
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(Diagnostic::new(&TRAINING_DISTRIBUTED, field, message).with_help(help));
    };
    if distributed.gpus_per_worker == 0 {
        bad(
            "spec.training.distributed.gpusPerWorker",
            "distributed training without GPUs per worker".into(),
            "set `gpusPerWorker: 1` or more, or train in one pod (remove `distributed`)",
        );
    }
    if distributed.workers < 1 {
        bad(
            "spec.training.distributed.workers",
            format!(
                "workers is {}; at least one Worker beside the Master",
                distributed.workers
            ),
            "e.g. `workers: 3`, or remove `distributed`",
        );
    }
    if training.schedule.is_some() {
        bad(
            "spec.training.schedule",
            "a PyTorchJob cannot run on a schedule (only a Job can be a CronJob)".into(),
            "remove `schedule`, or train in one pod",
        );
    }
    if training.pre_sync_hook {
        bad(
            "spec.training.preSyncHook",
            "a PyTorchJob is not run as an Argo CD PreSync hook".into(),
            "remove `preSyncHook`",
        );
    }
    if training.gpus > 0 {
        bad(
            "spec.training.gpus",
            "training.gpus and distributed.gpusPerWorker both set a GPU count".into(),
            "remove `training.gpus`; `gpusPerWorker` applies to every replica",
        );
    }
    // Every replica mounts the training claims, on nodes of its own.
    let data = training.data.as_ref().map(|d| &d.claim);
    let output = training.output_claim(&spec.spec.model);
    for (field, claim) in [("data", data), ("output", output)] {
        let Some(claim) = claim else { continue };
        let mode = claim.access_mode;
        if matches!(
            mode,
            crate::sections::AccessMode::ReadWriteOnce
                | crate::sections::AccessMode::ReadWriteOncePod
        ) {
            bad(
                &format!("spec.training.{field}.claim.accessMode"),
                format!(
                    "the {field} claim is {}, but {} replicas on different nodes mount it",
                    mode.as_str(),
                    distributed.workers + 1
                ),
                "use `ReadOnlyMany` for data and `ReadWriteMany` for the output",
            );
        }
    }
    if let Some(queue) = &distributed.queue_name
        && !is_dns1123_subdomain(queue)
    {
        bad(
            "spec.training.distributed.queueName",
            format!("`{queue}` is not a valid LocalQueue name"),
            "use lowercase letters, digits, '-' and '.'",
        );
    }
}

crate::diagnostic::codes! {
    TRAINING_JOB {
        id: "training-job",
        severity: Error,
        stage: Spec,
        what: "Checks the training Job: `backoffLimit` ≥ 0, `activeDeadlineSeconds` > 0, `ttlSecondsAfterFinished` ≥ 0, absolute and distinct mount paths, and an output it can write.",
        why: "A Job without a deadline can hold a GPU node forever; two volumes on one path hide each other.",
        example: "`activeDeadlineSeconds: 0`",
        instead: "`activeDeadlineSeconds: 86400`",
    }
    TRAINING_DISTRIBUTED {
        id: "training-distributed",
        severity: Error,
        stage: Spec,
        what: "Checks `training.distributed`: GPUs per worker (≥ 1), at least one worker, no `schedule` or `preSyncHook` (a PyTorchJob is not a Job), no `training.gpus` beside `gpusPerWorker`, and data and output claims that pods on several nodes can mount (not `ReadWriteOnce`).",
        why: "Distributed data-parallel training without GPUs is slower than one pod and still holds several nodes; a PyTorchJob cannot be a CronJob or an Argo CD hook; two GPU counts leave it unclear which one is meant; replicas on other nodes cannot mount a `ReadWriteOnce` claim and wait forever.",
        example: "`training: {distributed: {workers: 4, gpusPerWorker: 0}}`",
        instead: "`training: {distributed: {workers: 4, gpusPerWorker: 1}}`",
    }
}
