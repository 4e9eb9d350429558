//! The model backup: something to copy, and somewhere `aws s3 sync` can copy it to.

use crate::spec::{AppSpec, ModelSource};
use crate::validate::{Diagnostic, Rule};

/// ## What it does
/// Checks `backup`: the model must live on a PersistentVolumeClaim (the backup copies that
/// claim), and `destination` must be an `s3://bucket/prefix` URI.
///
/// ## Why it matters
/// A model fetched from object storage has no volume for the backup to mount: the CronJob
/// would copy nothing while looking like a backup. `aws s3 sync` takes only `s3://`
/// destinations; anything else fails at 02:00, not at render time.
///
/// ## Example
/// `model: {source: {objectStore: {uri: s3://models/m.onnx}}}` with `backup: {...}`
///
/// ## Use instead
/// drop `backup` and version the bucket (or replicate it) with the object store's own tools;
/// or keep the model on a PVC: `model: {source: {pvc: {claimName: models}}}`
pub const RULE: Rule = Rule {
    id: "backup-source",
    check: check_backup,
};

fn check_backup(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(backup) = &spec.spec.backup else {
        return;
    };
    if let ModelSource::ObjectStore(store) = &spec.spec.model.source {
        out.push(
            Diagnostic::error(
                "backup-source",
                "spec.backup",
                format!(
                    "the model is fetched from `{}`, so there is no model volume for the backup to copy",
                    store.uri
                ),
            )
            .with_help("remove `backup` and use the object store's versioning or replication, or keep the model on a PVC (`model.source.pvc`)"),
        );
    }
    let bucket = backup
        .destination
        .strip_prefix("s3://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    if bucket.is_empty() {
        out.push(
            Diagnostic::error(
                "backup-source",
                "spec.backup.destination",
                format!("`{}` is not an s3://bucket/prefix URI", backup.destination),
            )
            .with_help("e.g. `destination: s3://ai-model-backup/models/`"),
        );
    }
}
