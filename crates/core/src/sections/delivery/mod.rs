//! Delivery: environments, Argo CD (Application, AppProject) and the CI pipeline.

pub mod argocd;
pub mod ci;
pub mod environment;
pub mod rules;

/// The `delivery` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "delivery",
    compile: |i, b| {
        if i.scope == crate::sections::Scope::Full {
            b.files.extend(ci::files(i.spec));
        }
        let argo = argocd::compile(i.spec, i.env, &b.objects);
        b.objects.extend(argo);
        if i.spec.spec.gitops.is_some() {
            argocd::sync_waves(&mut b.objects);
            argocd::blue_green_waves(i.spec, &mut b.objects);
        }
    },
    rules: &[
        rules::check_pre_sync_hook,
        rules::check_destinations,
        rules::check_environment_names,
    ],
    codes: &[rules::CODES],
};

pub use environment::{Destination, Environment};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Argo CD delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitOpsSpec {
    /// Git repository Argo CD reads.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Directory of the rendered tree inside the repository. Default: `.`.
    #[serde(default = "default_git_path")]
    pub path: String,
    /// Branch, tag or commit. Default: `HEAD`.
    #[serde(default = "default_revision")]
    pub target_revision: String,
    /// Namespace Argo CD runs in. Default: `argocd`.
    #[serde(default = "default_argocd_ns")]
    pub argocd_namespace: String,
    /// Cluster API server. Default: `https://kubernetes.default.svc`.
    #[serde(default = "default_server")]
    pub destination_server: String,
    /// Sync policy.
    #[serde(default)]
    pub sync_policy: SyncPolicySpec,
    /// Where each environment deploys (`--env NAME`). An environment not listed here (or
    /// without a namespace) gets the namespace `<metadata.namespace>-<env>` on
    /// `destinationServer`. Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, EnvironmentSpec>,
    /// The one environment whose Application manages the cluster-scoped objects the
    /// environments share (a PriorityClass with `shared: true`). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_objects_environment: Option<String>,
    /// The label Argo CD tracking writes the Application name into (`application.instanceLabelKey`
    /// in `argocd-cm`); no selector may use it. Default: `app.kubernetes.io/instance`.
    #[serde(default = "default_instance_label_key")]
    pub instance_label_key: String,
    /// An AppProject that exists already (managed by the platform team): the Application
    /// joins it, Slipway emits no AppProject and checks that the tree fits it. Default: none,
    /// Slipway emits an AppProject allowing exactly what the tree contains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectSpec>,
}

/// Where one environment deploys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Namespace of the environment, used as written. Default: `<metadata.namespace>-<env>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Cluster API server of the environment. Default: `gitops.destinationServer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

/// An existing AppProject and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectSpec {
    /// Name of the AppProject.
    pub name: String,
    /// Namespaces its destinations allow (`*` allows every namespace).
    pub namespaces: Vec<String>,
    /// Cluster-scoped kinds its `clusterResourceWhitelist` allows, as `group/Kind` (`/Kind`
    /// or `Kind` for the core group; `*` allows every kind). Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_kinds: Vec<String>,
}

fn default_instance_label_key() -> String {
    "app.kubernetes.io/instance".into()
}

fn default_git_path() -> String {
    ".".into()
}
fn default_revision() -> String {
    "HEAD".into()
}
fn default_argocd_ns() -> String {
    "argocd".into()
}
pub(crate) fn default_server() -> String {
    "https://kubernetes.default.svc".into()
}

/// Argo CD sync policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncPolicySpec {
    /// Sync automatically on every commit. Default: true.
    pub automated: bool,
    /// Delete objects no longer in Git. Default: true.
    pub prune: bool,
    /// Revert changes made in the cluster. Default: true.
    pub self_heal: bool,
    /// Create the destination namespace. Default: true.
    pub create_namespace: bool,
    /// Sync retries. Default: 5.
    pub retry_limit: i64,
}

impl Default for SyncPolicySpec {
    fn default() -> Self {
        Self {
            automated: true,
            prune: true,
            self_heal: true,
            create_namespace: true,
            retry_limit: 5,
        }
    }
}

/// The CI pipeline: build images tagged with the commit, then commit the render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineSpec {
    /// Registry host and path, e.g. `registry.example.com/ai`.
    pub registry: String,
    /// Images built from the application repository (name → Dockerfile path).
    pub images: BTreeMap<String, String>,
    /// Credentials id (Jenkins) / secret name (GitHub Actions) for the registry.
    #[serde(default = "default_registry_creds")]
    pub registry_credentials: String,
    /// Credentials id / secret name allowed to push to the GitOps repository.
    #[serde(default = "default_git_creds")]
    pub gitops_credentials: String,
    /// Path of this spec in the application repository, as the pipeline passes it to
    /// `slipway render`. Default: `deploy/<metadata.name>.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_file: Option<String>,
    /// Values files (paths in the application repository) passed with `-f` on every render.
    /// Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values_files: Vec<String>,
    /// Environments the pipeline re-renders into the GitOps repository, each with
    /// `--env NAME` (its file is `environments/NAME.yaml` beside the spec). Default: none,
    /// one render without an environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

fn default_registry_creds() -> String {
    "registry-credentials".into()
}
fn default_git_creds() -> String {
    "gitops-repo-credentials".into()
}
