//! Security: pod security contexts, RBAC and the NetworkPolicy.

pub mod network;
pub mod rbac;
pub mod rules;

/// The `security` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "security",
    compile: |i, b| {
        b.objects.extend(rbac::compile(i.spec));
        b.objects.extend(network::compile(i.spec));
    },
    rules: &[
        rules::check_api_groups,
        rules::check_wildcards,
        rules::check_verbs,
        rules::check_subjects,
        rules::check_binding_names,
    ],
    codes: &[rules::CODES],
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Pod security, identities, RBAC and network policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SecuritySpec {
    /// UID of every container. Default: 1000.
    pub run_as_user: i64,
    /// GID of every container. Default: 1000.
    pub run_as_group: i64,
    /// Group that owns mounted volumes. Default: 1000.
    pub fs_group: i64,
    /// Mount the root filesystem read-only (an emptyDir is mounted at /tmp). Default: true.
    pub read_only_root_filesystem: bool,
    /// Mount an API token into the inference pods. Default: false (they do not call the API).
    pub automount_service_account_token: bool,
    /// Roles granted to people and service accounts in the namespace. Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rbac: Vec<RbacBinding>,
    /// NetworkPolicy for the inference pods. Default: on, the application's namespace only.
    pub network_policy: NetworkPolicySpec,
    /// Secrets (in the application's namespace) for pulling images from private registries,
    /// set on every pod of the namespace. Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
}

impl Default for SecuritySpec {
    fn default() -> Self {
        Self {
            run_as_user: 1000,
            run_as_group: 1000,
            fs_group: 1000,
            read_only_root_filesystem: true,
            automount_service_account_token: false,
            rbac: Vec::new(),
            network_policy: NetworkPolicySpec::default(),
            image_pull_secrets: Vec::new(),
        }
    }
}

/// One Role and RoleBinding: who gets which access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RbacBinding {
    /// Suffix of the Role and RoleBinding names (`<app>-<name>`), a DNS-1123 label. Default:
    /// the preset's name, followed by a short hash of the subjects and rules when several
    /// entries share a preset (so reordering entries renames nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Access preset. `viewer`: read workloads, pods, logs and services; `deployer`: also
    /// change Deployments, Services, ConfigMaps, Jobs and autoscalers; `trainer`: run Jobs
    /// and read PVCs. Default: `viewer`.
    #[serde(default)]
    pub preset: AccessPreset,
    /// Who is bound.
    pub subjects: Vec<RbacSubject>,
    /// Extra rules beside the preset's. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RbacRule>,
}

/// A named set of RBAC rules.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum AccessPreset {
    /// Read-only.
    #[default]
    Viewer,
    /// Read and change the application's workloads.
    Deployer,
    /// Run training Jobs.
    Trainer,
}

impl AccessPreset {
    /// The preset's name, used in object names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Deployer => "deployer",
            Self::Trainer => "trainer",
        }
    }
}

/// An RBAC subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RbacSubject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: SubjectKind,
    /// Name of the user, group or service account.
    pub name: String,
    /// Namespace of a ServiceAccount. Default: the application's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Kind of an RBAC subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SubjectKind {
    /// A user.
    User,
    /// A group.
    Group,
    /// A service account.
    ServiceAccount,
}

impl SubjectKind {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
            Self::ServiceAccount => "ServiceAccount",
        }
    }
}

/// An extra RBAC rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RbacRule {
    /// API groups (`""` is the core group of pods, services and PVCs).
    pub api_groups: Vec<String>,
    /// Resources, e.g. `pods`, `deployments`.
    pub resources: Vec<String>,
    /// Verbs, e.g. `get`, `list`, `watch`.
    pub verbs: Vec<String>,
}

/// NetworkPolicy of the inference pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicySpec {
    /// Emit the policy. Default: true.
    pub enabled: bool,
    /// Namespaces (by name) whose pods may call the inference port. Default: none beyond the
    /// application's own namespace.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_namespaces: Vec<String>,
}

impl Default for NetworkPolicySpec {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_namespaces: Vec::new(),
        }
    }
}
