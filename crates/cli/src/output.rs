//! Writing rendered files: each one to a temporary file beside its target, then renamed, so a
//! reader never sees half a file and a failure leaves earlier files intact.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `files` (relative path → content) under `dir`, creating directories as needed.
/// Files whose content is already identical are left untouched.
pub fn write_tree(dir: &Path, files: &BTreeMap<String, String>) -> anyhow::Result<()> {
    for (relative, content) in files {
        let target = dir.join(relative);
        if fs::read(&target).is_ok_and(|existing| existing == content.as_bytes()) {
            continue;
        }
        write_atomic(&target, content.as_bytes())
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `target` through a temporary file in the same directory and a rename.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = parent.join(format!(".{file_name}.slipway-tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}
