//! Argo CD `Application` and `AppProject` (`argoproj.io/v1alpha1`), with only the fields
//! Slipway sets; checked against the CRD schemas in CI.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// An Argo CD Application: sync one path of a Git repository into one namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Application {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// What to sync, where, and how.
    pub spec: ApplicationSpec,
}
custom_resource!(Application, group: "argoproj.io", version: "v1alpha1", kind: "Application", plural: "applications");

/// `Application.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// The cluster and namespace.
    pub destination: ApplicationDestination,
    /// The AppProject the Application belongs to.
    pub project: String,
    /// The Git source.
    pub source: ApplicationSource,
    /// Automated sync, options and retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<SyncPolicy>,
}

/// A Git source: repository, directory and revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSource {
    /// Directory inside the repository.
    pub path: String,
    /// Repository URL.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Branch, tag or commit.
    pub target_revision: String,
}

/// A cluster (by API server URL) and namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationDestination {
    /// Namespace.
    pub namespace: String,
    /// API server URL.
    pub server: String,
}

/// `Application.spec.syncPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    /// Sync on every change in Git; `None` syncs by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated: Option<AutomatedSync>,
    /// Retries of a failed sync.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    /// Options such as `CreateNamespace=true`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync_options: Vec<String>,
}

/// `syncPolicy.automated`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomatedSync {
    /// Delete cluster objects no longer in Git.
    pub prune: bool,
    /// Revert changes made in the cluster.
    pub self_heal: bool,
}

/// `syncPolicy.retry`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Retry {
    /// Wait between attempts.
    pub backoff: Backoff,
    /// Attempts before giving up.
    pub limit: i64,
}

/// Exponential backoff between sync retries.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backoff {
    /// First wait, e.g. `5s`.
    pub duration: String,
    /// Multiplier after each failure.
    pub factor: i64,
    /// Longest wait, e.g. `3m`.
    pub max_duration: String,
}

/// An Argo CD AppProject: which repositories an Application may read and where it may deploy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AppProject {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The restrictions.
    pub spec: AppProjectSpec,
}
custom_resource!(AppProject, group: "argoproj.io", version: "v1alpha1", kind: "AppProject", plural: "appprojects");

/// `AppProject.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppProjectSpec {
    /// Cluster-scoped kinds they may create (nothing else cluster-wide).
    pub cluster_resource_whitelist: Vec<GroupKind>,
    /// What the project is for.
    pub description: String,
    /// Clusters and namespaces they may deploy to.
    pub destinations: Vec<ApplicationDestination>,
    /// Repositories Applications of the project may read.
    pub source_repos: Vec<String>,
}

/// A group and kind, e.g. `rbac.authorization.k8s.io` / `ClusterRole` (`""` is the core group).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GroupKind {
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
}
