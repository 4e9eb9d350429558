//! Writing rendered trees: each file to a temporary file beside its target, then renamed, so a
//! reader never sees half a file; pruning only what the manifest says Slipway wrote.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use slipway_core::render::tree::{self, Action, Manifest, Plan};

/// Brings the tree under `root` to `wanted` (relative path → content, from
/// `tree::layout`): reads the previous manifest and the files it needs, plans with
/// `tree::plan`, and unless `check` writes each file atomically, removes what Slipway wrote
/// before and no longer produces (and directories left empty), and writes the manifest last.
/// Files Slipway did not write are never touched; when one stands in the way, nothing is
/// written at all. Returns the plan that was (or, with `check`, would be) carried out.
pub fn apply_tree(
    root: &Path,
    wanted: &BTreeMap<String, String>,
    manifest_path: &str,
    check: bool,
) -> anyhow::Result<Plan> {
    let manifest_file = root.join(manifest_path);
    let previous = match fs::read_to_string(&manifest_file) {
        Ok(text) => Some(Manifest::parse(&text).map_err(|error| {
            anyhow::anyhow!(
                "{} is not a slipway manifest ({}); refusing to touch the tree",
                manifest_file.display(),
                error.message
            )
        })?),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", manifest_file.display()));
        }
    };
    let mut disk = BTreeMap::new();
    for path in tree::paths_to_read(previous.as_ref(), wanted) {
        match fs::read(root.join(&path)) {
            Ok(bytes) => {
                disk.insert(path, bytes);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot read {}", root.join(&path).display()));
            }
        }
    }
    let plan = tree::plan(previous.as_ref(), &disk, wanted, manifest_path);
    if !plan.conflicts.is_empty() {
        anyhow::bail!(
            "refusing to overwrite files slipway did not write (move them away, or delete them \
             if the render should own them):\n{}",
            plan.summary()
                .lines()
                .filter(|line| line.starts_with('!'))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if check {
        return Ok(plan);
    }
    for step in &plan.steps {
        let target = root.join(&step.path);
        match (&step.action, &step.content) {
            (Action::Remove, _) => {
                fs::remove_file(&target)
                    .with_context(|| format!("cannot remove {}", target.display()))?;
                remove_empty_parents(root, &target);
            }
            (_, Some(content)) => write_atomic(&target, content.as_bytes())
                .with_context(|| format!("cannot write {}", target.display()))?,
            (_, None) => {}
        }
    }
    Ok(plan)
}

/// Removes the directories between `file` and `root` that are now empty.
fn remove_empty_parents(root: &Path, file: &Path) {
    let mut current = file.parent();
    while let Some(dir) = current {
        if dir == root || !dir.starts_with(root) || fs::remove_dir(dir).is_err() {
            break;
        }
        current = dir.parent();
    }
}

/// Reads the files of a tree that exist among `paths` (for `slipway diff`).
pub fn read_tree(
    root: &Path,
    paths: impl IntoIterator<Item = String>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for path in paths {
        match fs::read_to_string(root.join(&path)) {
            Ok(text) => {
                files.insert(path, text);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot read {}", root.join(&path).display()));
            }
        }
    }
    Ok(files)
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
