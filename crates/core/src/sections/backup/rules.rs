//! The model backup: something to copy, and somewhere `aws s3 sync` can copy it to.

use crate::diagnostic::Diagnostic;

use crate::sections::AccessMode;
use crate::sections::AppSpec;
use crate::sections::model::ModelSource;

/// Reports [`BACKUP_SOURCE`](BACKUP_SOURCE).
pub(super) fn check_backup(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(backup) = &spec.spec.backup else {
        return;
    };
    if let ModelSource::ObjectStore(store) = &spec.spec.model.source {
        out.push(
            Diagnostic::new(
                &BACKUP_SOURCE,
                "spec.backup",
                format!(
                    "the model is fetched from `{}`, so there is no model volume for the backup to copy",
                    store.uri
                ),
            )
            .with_help("remove `backup` and use the object store's versioning or replication, or keep the model on a PVC (`model.source.pvc`)"),
        );
    }
    if let ModelSource::Pvc(claim) = &spec.spec.model.source
        && claim.access_mode == AccessMode::ReadWriteOncePod
    {
        out.push(
            Diagnostic::new(
                &BACKUP_SOURCE,
                "spec.model.source.pvc.accessMode",
                "the model claim is ReadWriteOncePod: while an inference pod holds it, the backup pod cannot mount it",
            )
            .with_help("use `accessMode: ReadOnlyMany` (or ReadWriteOnce, and Slipway schedules the backup beside an inference pod)"),
        );
    }
    let bucket = backup
        .destination
        .strip_prefix("s3://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    if bucket.is_empty() {
        out.push(
            Diagnostic::new(
                &BACKUP_SOURCE,
                "spec.backup.destination",
                format!("`{}` is not an s3://bucket/prefix URI", backup.destination),
            )
            .with_help("e.g. `destination: s3://ai-model-backup/models/`"),
        );
    }
}

crate::diagnostic::codes! {
    BACKUP_SOURCE {
        id: "backup-source",
        severity: Error,
        stage: Spec,
        what: "Checks `backup`: the model must live on a PersistentVolumeClaim (the backup copies that claim) that a second pod can mount (not `ReadWriteOncePod`), and `destination` must be an `s3://bucket/prefix` URI.",
        why: "A model fetched from object storage has no volume for the backup to mount: the CronJob would copy nothing while looking like a backup. `aws s3 sync` takes only `s3://` destinations; anything else fails at 02:00, not at render time.",
        example: "`model: {source: {objectStore: {uri: s3://models/m.onnx}}}` with `backup: {...}`",
        instead: "drop `backup` and version the bucket (or replicate it) with the object store's own tools;\nor keep the model on a PVC: `model: {source: {pvc: {claimName: models}}}`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;
    use crate::sections::model::ObjectStoreSource;

    fn check(spec: &AppSpec) -> Vec<String> {
        let mut out = Vec::new();
        check_backup(spec, &mut out);
        out.into_iter().map(|d| d.path).collect()
    }

    #[test]
    fn the_seed_backs_up_its_model_claim() {
        assert!(check(&seed()).is_empty());
    }

    #[test]
    fn nothing_to_copy_an_unmountable_claim_or_a_non_s3_destination_are_errors() {
        let mut spec = seed();
        spec.spec.backup.as_mut().unwrap().destination = "s3://".into();
        if let ModelSource::Pvc(claim) = &mut spec.spec.model.source {
            claim.access_mode = AccessMode::ReadWriteOncePod;
        }
        assert_eq!(
            check(&spec),
            [
                "spec.model.source.pvc.accessMode",
                "spec.backup.destination"
            ]
        );
        spec.spec.model.source = ModelSource::ObjectStore(ObjectStoreSource {
            uri: "s3://models/m.onnx".into(),
            credentials_secret: None,
            identity: None,
            image: None,
            size_limit: "1Gi".parse().unwrap(),
        });
        assert_eq!(check(&spec), ["spec.backup", "spec.backup.destination"]);
    }
}
