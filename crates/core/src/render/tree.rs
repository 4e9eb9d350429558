//! The output tree: where each rendered file goes (the GitOps layout per environment, or one
//! flat directory), the manifest recording what Slipway wrote, and the pure plan that brings
//! a tree on disk to a new render without touching files Slipway did not write.
//!
//! GitOps layout (`--env ENV -o REPO`), paths relative to `REPO`:
//!
//! ```text
//! ENV/NAMESPACE/APP/<kind>-<name>.yaml   one file per object
//! ENV/NAMESPACE/APP/kustomization.yaml   lists them, in render order
//! ENV/NAMESPACE/APP/<files>              dashboard JSON and other non-object files
//! argocd/APP-ENV.yaml                    the AppProject and Application
//! ci/APP/...                             the CI pipeline files
//! .slipway/APP-ENV.yaml                  the manifest: every path above with its sha256
//! ```
//!
//! One manifest per application and environment (not one per repository) so that renders
//! of different environments, e.g. two CI jobs, never rewrite the same file, and so that
//! pruning one environment can only remove what that environment's render wrote. It sits
//! outside the directory Argo CD syncs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::render::file_name;

use crate::render::object_yaml;

use crate::bundle::Bundle;
use crate::bundle::Object;
use crate::render::to_files;
use crate::sections::AppSpec;
use crate::yaml;
use crate::yaml::YamlError;

/// Directory of the manifests, at the root of the output tree.
pub const MANIFEST_DIR: &str = ".slipway";

/// Kinds that go to `argocd/`, not into the directory the Application syncs (an
/// Application inside the tree it syncs would manage itself).
const ARGO_KINDS: [&str; 2] = ["AppProject", "Application"];

/// The path of the manifest of `app` in environment `env`.
pub fn manifest_path(app: &str, env: Option<&str>) -> String {
    match env {
        Some(env) => format!("{MANIFEST_DIR}/{app}-{env}.yaml"),
        None => format!("{MANIFEST_DIR}/{app}.yaml"),
    }
}

/// The directory one environment's objects go to: `ENV/NAMESPACE/APP`.
pub fn app_dir(spec: &AppSpec, env: &str) -> String {
    let namespace = spec.destination(Some(env)).namespace;
    format!("{env}/{namespace}/{}", spec.metadata.name)
}

/// Every file of the render of `bundle` (relative path → content), including the manifest.
/// Without an environment the layout is flat: one file per object, as `to_files` gives.
pub fn layout(bundle: &Bundle, spec: &AppSpec, env: Option<&str>) -> BTreeMap<String, String> {
    let app = spec.metadata.name.as_str();
    let mut files = match env {
        None => to_files(bundle),
        Some(env) => {
            let dir = app_dir(spec, env);
            let mut files = BTreeMap::new();
            let mut resources = Vec::new();
            let mut argo = String::new();
            for object in &bundle.objects {
                let yaml = object_yaml(object);
                if ARGO_KINDS.contains(&object.kind()) {
                    argo.push_str("---\n");
                    argo.push_str(&yaml);
                    continue;
                }
                let name = file_name(object, false);
                files.insert(format!("{dir}/{name}"), yaml);
                resources.push(name);
            }
            files.insert(
                format!("{dir}/kustomization.yaml"),
                kustomization(&resources),
            );
            if !argo.is_empty() {
                files.insert(format!("argocd/{app}-{env}.yaml"), argo);
            }
            for (path, content) in &bundle.files {
                let target = if path.starts_with("ci/") {
                    path.clone()
                } else {
                    format!("{dir}/{path}")
                };
                files.insert(target, content.clone());
            }
            files
        }
    };
    let manifest = Manifest::of(app, env, &files);
    files.insert(manifest_path(app, env), manifest.to_yaml());
    files
}

/// A Kustomization listing `resources` in order.
fn kustomization(resources: &[String]) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Kustomization<'a> {
        api_version: &'static str,
        kind: &'static str,
        resources: &'a [String],
    }
    yaml::to_string(&Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources,
    })
    .expect("a kustomization serialises")
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// What Slipway wrote into a tree for one application and environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// Always `slipway`.
    pub generator: String,
    /// The application.
    pub app: String,
    /// The environment, if the render had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Every file written (path relative to the tree root) with its `sha256:` digest.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    /// The manifest of `files` (the manifest itself is not listed).
    pub fn of(app: &str, env: Option<&str>, files: &BTreeMap<String, String>) -> Self {
        Self {
            generator: "slipway".into(),
            app: app.into(),
            environment: env.map(str::to_string),
            files: files
                .iter()
                .map(|(path, content)| (path.clone(), sha256(content.as_bytes())))
                .collect(),
        }
    }

    /// The manifest as YAML, with a comment saying what it is for.
    pub fn to_yaml(&self) -> String {
        format!(
            "# Written by slipway: the files it owns in this tree, with their sha256.\n\
             # A re-render removes files listed here that it no longer produces\n\
             # and never touches others.\n{}",
            yaml::to_string(self).expect("a manifest serialises")
        )
    }

    /// Reads a manifest written by [`Manifest::to_yaml`].
    pub fn parse(text: &str) -> Result<Self, YamlError> {
        yaml::from_str(text)
    }
}

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// A new file.
    Add,
    /// A file Slipway owns whose content changes.
    Change,
    /// A file Slipway wrote before and no longer produces.
    Remove,
}

impl Action {
    /// `+`, `~` or `-`.
    pub fn sign(self) -> char {
        match self {
            Self::Add => '+',
            Self::Change => '~',
            Self::Remove => '-',
        }
    }
}

/// One file operation of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Path relative to the tree root.
    pub path: String,
    /// What happens to it.
    pub action: Action,
    /// New content (none for [`Action::Remove`]).
    pub content: Option<String>,
    /// The file differs from what Slipway last wrote (edited by hand since).
    pub edited: bool,
}

/// The operations bringing a tree to a new render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Writes and removals, sorted by path; the manifest's write comes last.
    pub steps: Vec<Step>,
    /// Paths the render wants to write where a file exists that Slipway did not write
    /// (and whose content differs): nothing may be written while there are any.
    pub conflicts: Vec<String>,
    /// Files that stay as they are.
    pub unchanged: usize,
}

impl Plan {
    /// Whether the tree already is the render.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.conflicts.is_empty()
    }

    /// One line per step (`+ path`, `~ path`, `- path`) and per conflict (`! path`).
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            let note = if step.edited {
                " (edited by hand since slipway wrote it)"
            } else {
                ""
            };
            let _ = writeln!(out, "{} {}{note}", step.action.sign(), step.path);
        }
        for path in &self.conflicts {
            let _ = writeln!(out, "! {path} (exists and was not written by slipway)");
        }
        out
    }
}

/// Plans the update of a tree to `wanted` (from [`layout`]).
///
/// `previous` is the manifest found in the tree (if any); `disk` holds the current content
/// of every path of `wanted` and of `previous` that exists. Files Slipway did not write are
/// never changed or removed: when one stands where the render wants to write, it is a
/// conflict (unless its content already is the render's, which adopts it).
pub fn plan(
    previous: Option<&Manifest>,
    disk: &BTreeMap<String, Vec<u8>>,
    wanted: &BTreeMap<String, String>,
    manifest_path: &str,
) -> Plan {
    let owned: BTreeSet<&str> = previous
        .map(|m| m.files.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut plan = Plan::default();
    let mut manifest_step = None;
    for (path, content) in wanted {
        let is_manifest = path == manifest_path;
        let step = match disk.get(path) {
            None => Some((Action::Add, false)),
            Some(bytes) if bytes == content.as_bytes() => None,
            Some(bytes) if is_manifest || owned.contains(path.as_str()) => {
                let recorded = previous.and_then(|m| m.files.get(path));
                let edited = recorded.is_some_and(|hash| *hash != sha256(bytes));
                Some((Action::Change, edited))
            }
            Some(_) => {
                plan.conflicts.push(path.clone());
                continue;
            }
        };
        let Some((action, edited)) = step else {
            plan.unchanged += 1;
            continue;
        };
        let step = Step {
            path: path.clone(),
            action,
            content: Some(content.clone()),
            edited,
        };
        if is_manifest {
            manifest_step = Some(step);
        } else {
            plan.steps.push(step);
        }
    }
    if let Some(previous) = previous {
        for (path, hash) in &previous.files {
            if wanted.contains_key(path) {
                continue;
            }
            if let Some(bytes) = disk.get(path) {
                plan.steps.push(Step {
                    path: path.clone(),
                    action: Action::Remove,
                    content: None,
                    edited: sha256(bytes) != *hash,
                });
            }
        }
    }
    plan.steps.sort_by(|a, b| a.path.cmp(&b.path));
    plan.steps.extend(manifest_step);
    plan
}

/// The paths a plan needs the content of: everything `wanted` and `previous` name.
pub fn paths_to_read(
    previous: Option<&Manifest>,
    wanted: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let mut paths: BTreeSet<String> = wanted.keys().cloned().collect();
    if let Some(previous) = previous {
        paths.extend(previous.files.keys().cloned());
    }
    paths
}

/// The objects of a tree's files (`.yaml` files holding Kubernetes objects), keyed by kind,
/// namespace and name; kustomizations and manifests are left out. For `slipway diff`.
pub fn objects_in_files(
    files: &BTreeMap<String, String>,
) -> Result<Vec<serde_json::Value>, (String, YamlError)> {
    let mut objects = Vec::new();
    for (path, text) in files {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) || path.starts_with(MANIFEST_DIR) {
            continue;
        }
        let documents = yaml::documents(text).map_err(|error| (path.clone(), error))?;
        for document in documents {
            let is_object = document.get("apiVersion").is_some()
                && document.pointer("/metadata/name").is_some()
                && document.get("kind").and_then(|k| k.as_str()) != Some("Kustomization");
            if is_object {
                objects.push(document);
            }
        }
    }
    Ok(objects)
}

/// The bundle's objects as JSON values, for `slipway diff`.
pub fn object_values(bundle: &Bundle) -> Vec<serde_json::Value> {
    bundle.objects.iter().map(Object::to_value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile_for;
    use crate::compile::testing::seed;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect()
    }

    fn disk(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    const M: &str = ".slipway/app.yaml";

    fn with_manifest(mut wanted: BTreeMap<String, String>) -> BTreeMap<String, String> {
        let manifest = Manifest::of("app", None, &wanted);
        wanted.insert(M.into(), manifest.to_yaml());
        wanted
    }

    #[test]
    fn the_gitops_layout_puts_objects_argo_and_ci_where_they_belong() {
        let spec = seed();
        let files = layout(&compile_for(&spec, Some("prod")), &spec, Some("prod"));
        let dir = "prod/ai-applications-prod/ai-inference";
        assert!(files.contains_key(&format!("{dir}/deployment-ai-inference-green.yaml")));
        assert!(files.contains_key("argocd/ai-inference-prod.yaml"));
        assert!(files.contains_key("ci/ai-inference/Jenkinsfile"));
        assert!(files.contains_key(".slipway/ai-inference-prod.yaml"));
        let kustomization: serde_json::Value =
            yaml::from_str(&files[&format!("{dir}/kustomization.yaml")]).unwrap();
        let resources = kustomization["resources"].as_array().unwrap();
        assert_eq!(resources[0], "namespace-ai-applications-prod.yaml");
        for resource in resources {
            assert!(files.contains_key(&format!("{dir}/{}", resource.as_str().unwrap())));
        }
        assert!(
            !files
                .keys()
                .any(|p| p.starts_with(dir) && p.contains("application-"))
        );
        let manifest = Manifest::parse(&files[".slipway/ai-inference-prod.yaml"]).unwrap();
        assert_eq!(manifest.files.len(), files.len() - 1);
    }

    #[test]
    fn a_first_render_adds_everything_and_writes_the_manifest_last() {
        let wanted = with_manifest(files(&[("a.yaml", "a"), ("b.yaml", "b")]));
        let plan = plan(None, &BTreeMap::new(), &wanted, M);
        let paths: Vec<_> = plan.steps.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["a.yaml", "b.yaml", M]);
        assert!(plan.steps.iter().all(|s| s.action == Action::Add));
    }

    #[test]
    fn an_unchanged_tree_plans_nothing() {
        let wanted = with_manifest(files(&[("a.yaml", "a")]));
        let on_disk: BTreeMap<String, Vec<u8>> = wanted
            .iter()
            .map(|(p, c)| (p.clone(), c.as_bytes().to_vec()))
            .collect();
        let previous = Manifest::parse(&wanted[M]).unwrap();
        let plan = plan(Some(&previous), &on_disk, &wanted, M);
        assert!(plan.is_empty(), "{plan:?}");
        assert_eq!(plan.unchanged, 2);
    }

    #[test]
    fn files_no_longer_produced_are_removed_and_hand_placed_ones_survive() {
        let before = files(&[("a.yaml", "a"), ("old.yaml", "old")]);
        let previous = Manifest::of("app", None, &before);
        let on_disk = disk(&[("a.yaml", "a"), ("old.yaml", "old"), ("mine.yaml", "hand")]);
        let wanted = with_manifest(files(&[("a.yaml", "a2")]));
        let plan = plan(Some(&previous), &on_disk, &wanted, M);
        let steps: Vec<_> = plan
            .steps
            .iter()
            .map(|s| (s.action, s.path.as_str()))
            .collect();
        assert_eq!(
            steps,
            [
                (Action::Change, "a.yaml"),
                (Action::Remove, "old.yaml"),
                (Action::Add, M)
            ]
        );
        assert!(plan.conflicts.is_empty());
    }

    #[test]
    fn a_foreign_file_in_the_way_is_a_conflict_unless_identical() {
        let wanted = with_manifest(files(&[("a.yaml", "a"), ("b.yaml", "b")]));
        let on_disk = disk(&[("a.yaml", "someone else's"), ("b.yaml", "b")]);
        let plan = plan(None, &on_disk, &wanted, M);
        assert_eq!(plan.conflicts, ["a.yaml"]);
        assert!(plan.steps.iter().all(|s| s.path != "b.yaml"));
    }

    #[test]
    fn hand_edits_of_owned_files_are_flagged() {
        let before = files(&[("a.yaml", "a")]);
        let previous = Manifest::of("app", None, &before);
        let wanted = with_manifest(files(&[("a.yaml", "a")]));
        let plan = plan(Some(&previous), &disk(&[("a.yaml", "edited")]), &wanted, M);
        assert_eq!(plan.steps[0].action, Action::Change);
        assert!(plan.steps[0].edited);
        assert!(plan.summary().starts_with("~ a.yaml (edited by hand"));
    }

    #[test]
    fn objects_are_read_back_from_files() {
        let files = files(&[
            (
                "x/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
            ),
            (
                "x/a.yaml",
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
            ),
            ("x/dash.json", "{}"),
        ]);
        assert_eq!(objects_in_files(&files).unwrap().len(), 2);
    }
}
