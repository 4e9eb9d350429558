//! Pod building blocks shared by every workload: the Pod Security "restricted" contexts, the
//! writable `/tmp`, resources with GPUs, and scheduling (priority, nodes, tolerations).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, LocalObjectReference,
    PodSecurityContext, PodSpec, ResourceRequirements, SeccompProfile, SecretKeySelector,
    SecurityContext, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use k8s_openapi::api::core::v1::ServiceAccount;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::shared::labels::{self, Component};

use crate::sections::ResourceList;

use crate::sections::Resources;

/// Name of the writable scratch volume mounted at `/tmp`.
pub const TMP_VOLUME: &str = "tmp";

/// Pod-level security: non-root with the spec's ids and the runtime's default seccomp profile.
pub fn pod_security(spec: &AppSpec) -> PodSecurityContext {
    let security = &spec.spec.security;
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(security.run_as_user),
        run_as_group: Some(security.run_as_group),
        fs_group: Some(security.fs_group),
        fs_group_change_policy: Some("OnRootMismatch".into()),
        seccomp_profile: Some(runtime_default_seccomp()),
        ..Default::default()
    }
}

/// Container-level security meeting Pod Security "restricted": no privilege escalation, every
/// capability dropped, non-root, seccomp `RuntimeDefault`, read-only root by default.
pub fn container_security(spec: &AppSpec) -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Default::default()
        }),
        read_only_root_filesystem: Some(spec.spec.security.read_only_root_filesystem),
        run_as_non_root: Some(true),
        seccomp_profile: Some(runtime_default_seccomp()),
        ..Default::default()
    }
}

fn runtime_default_seccomp() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".into(),
        ..Default::default()
    }
}

/// The emptyDir mounted at `/tmp`, so a read-only root filesystem still has scratch space.
pub fn tmp_volume() -> Volume {
    Volume {
        name: TMP_VOLUME.into(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity("256Mi".into())),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The mount of [`tmp_volume`].
pub fn tmp_mount() -> VolumeMount {
    VolumeMount {
        name: TMP_VOLUME.into(),
        mount_path: "/tmp".into(),
        ..Default::default()
    }
}

/// Requests and limits, with `gpus` of the spec's GPU resource set equal in both.
pub fn resources(spec: &AppSpec, resources: &Resources, gpus: u32) -> ResourceRequirements {
    let mut requests = quantities(&resources.requests);
    let mut limits = quantities(&resources.limits);
    if gpus > 0 {
        let gpu = Quantity(gpus.to_string());
        requests.insert(gpu_resource(spec).to_string(), gpu.clone());
        limits.insert(gpu_resource(spec).to_string(), gpu);
    }
    ResourceRequirements {
        requests: (!requests.is_empty()).then_some(requests),
        limits: (!limits.is_empty()).then_some(limits),
        ..Default::default()
    }
}

/// The extended resource name of GPUs (`nvidia.com/gpu` unless the spec says otherwise).
pub fn gpu_resource(spec: &AppSpec) -> &str {
    spec.spec
        .scheduling
        .gpu
        .as_ref()
        .map_or("nvidia.com/gpu", |gpu| gpu.resource_name.as_str())
}

fn quantities(list: &ResourceList) -> BTreeMap<String, Quantity> {
    [
        ("cpu", &list.cpu),
        ("memory", &list.memory),
        ("ephemeral-storage", &list.ephemeral_storage),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value
            .as_ref()
            .map(|v| (name.to_string(), Quantity::from(v)))
    })
    .collect()
}

/// Applies the spec's scheduling to a pod: priority class, node selector, tolerations (plus the
/// GPU taint's when the pod requests GPUs), affinity and runtime class.
pub fn schedule(spec: &AppSpec, pod: &mut PodSpec, gpus: u32) {
    let scheduling = &spec.spec.scheduling;
    pod.priority_class_name = scheduling.priority_class.as_ref().map(|p| p.name.clone());
    if !scheduling.node_selector.is_empty() {
        pod.node_selector = Some(scheduling.node_selector.clone());
    }
    let mut tolerations: Vec<Toleration> = scheduling
        .tolerations
        .iter()
        .map(|t| Toleration {
            key: t.key.clone(),
            operator: Some(t.operator.as_str().into()),
            value: t.value.clone(),
            effect: t.effect.map(|e| e.as_str().to_string()),
            toleration_seconds: t.toleration_seconds,
        })
        .collect();
    let tolerate_gpu = scheduling.gpu.as_ref().is_none_or(|g| g.tolerate_gpu_taint);
    if gpus > 0 && tolerate_gpu {
        let key = gpu_resource(spec).to_string();
        if !tolerations
            .iter()
            .any(|t| t.key.as_deref() == Some(key.as_str()))
        {
            tolerations.push(Toleration {
                key: Some(key),
                operator: Some("Exists".into()),
                effect: Some("NoSchedule".into()),
                ..Default::default()
            });
        }
    }
    if !tolerations.is_empty() {
        pod.tolerations = Some(tolerations);
    }
    pod.affinity = scheduling.affinity.clone();
    // A runtime class chosen for GPUs (e.g. `nvidia`) goes only on pods that use GPUs.
    pod.runtime_class_name = scheduling
        .runtime_class_name
        .clone()
        .filter(|_| gpus > 0 || scheduling.gpu.is_none());
}

/// Environment variables from name → value pairs, sorted by name.
pub fn env<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Vec<EnvVar> {
    let mut vars: Vec<EnvVar> = pairs
        .into_iter()
        .map(|(name, value)| EnvVar {
            name: name.to_string(),
            value: Some(value),
            ..Default::default()
        })
        .collect();
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

/// An environment variable read from one key of a Secret (which must exist).
pub fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.into(),
                key: key.into(),
                optional: Some(false),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A pod spec with the restricted security context, the service account (token not mounted
/// unless asked) and `/tmp`; callers add containers and volumes.
pub fn base_pod(spec: &AppSpec, service_account: String, automount_token: bool) -> PodSpec {
    PodSpec {
        service_account_name: Some(service_account),
        automount_service_account_token: Some(automount_token),
        enable_service_links: Some(false),
        security_context: Some(pod_security(spec)),
        volumes: Some(vec![tmp_volume()]),
        image_pull_secrets: image_pull_secrets(spec),
        ..Default::default()
    }
}

/// `security.imagePullSecrets` as pod references, `None` when there are none.
pub fn image_pull_secrets(spec: &AppSpec) -> Option<Vec<LocalObjectReference>> {
    let secrets = &spec.spec.security.image_pull_secrets;
    (!secrets.is_empty()).then(|| {
        secrets
            .iter()
            .map(|name| LocalObjectReference { name: name.clone() })
            .collect()
    })
}

/// A container with the restricted security context and `/tmp` mounted.
pub fn base_container(spec: &AppSpec, name: &str, image: &str) -> Container {
    Container {
        name: name.into(),
        image: Some(image.into()),
        image_pull_policy: Some("IfNotPresent".into()),
        security_context: Some(container_security(spec)),
        volume_mounts: Some(vec![tmp_mount()]),
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        ..Default::default()
    }
}

/// The ServiceAccount of one workload; its token is mounted only where the pod declares so.
pub fn service_account(spec: &AppSpec, name: String, component: Component) -> Object {
    ServiceAccount {
        metadata: labels::meta(spec, name, component),
        automount_service_account_token: Some(false),
        ..Default::default()
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::seed;

    #[test]
    fn gpus_are_set_equal_in_requests_and_limits() {
        let spec = seed();
        let resources = resources(&spec, &spec.spec.inference.resources, 2);
        let gpu = |list: &Option<BTreeMap<String, Quantity>>| {
            list.as_ref().unwrap()["nvidia.com/gpu"].clone()
        };
        assert_eq!(gpu(&resources.requests), Quantity("2".into()));
        assert_eq!(gpu(&resources.limits), gpu(&resources.requests));
        // The spec has one count per pod and no separate GPU request or limit, so
        // requests ≠ limits cannot be written; `validate::bundle` checks compiled pods anyway.
        let none = super::resources(&spec, &spec.spec.inference.resources, 0);
        assert!(!none.limits.unwrap().contains_key("nvidia.com/gpu"));
    }

    #[test]
    fn a_gpu_pod_tolerates_the_gpu_taint_once_and_gets_the_runtime_class() {
        let mut spec = seed();
        spec.spec.scheduling.runtime_class_name = Some("nvidia".into());
        let mut pod = PodSpec::default();
        schedule(&spec, &mut pod, 1);
        let tolerations = pod.tolerations.unwrap();
        let keys: Vec<&str> = tolerations
            .iter()
            .filter_map(|t| t.key.as_deref())
            .collect();
        assert_eq!(keys, ["ai-node", "nvidia.com/gpu"]);
        assert_eq!(tolerations[1].operator.as_deref(), Some("Exists"));
        assert_eq!(tolerations[1].effect.as_deref(), Some("NoSchedule"));
        assert_eq!(pod.runtime_class_name.as_deref(), Some("nvidia"));
        assert_eq!(pod.priority_class_name.as_deref(), Some("ai-high-priority"));
        assert_eq!(pod.node_selector.unwrap()["ai-node"], "true");

        let mut cpu_only = PodSpec::default();
        schedule(&spec, &mut cpu_only, 0);
        assert_eq!(cpu_only.tolerations.unwrap().len(), 1, "no GPU toleration");
        assert!(
            cpu_only.runtime_class_name.is_none(),
            "GPU runtime class only on GPU pods"
        );
    }

    #[test]
    fn other_vendors_gpu_names_are_used_as_given() {
        let mut spec = seed();
        spec.spec.scheduling.gpu.as_mut().unwrap().resource_name = "amd.com/gpu".into();
        let resources = resources(&spec, &spec.spec.inference.resources, 1);
        assert!(resources.limits.unwrap().contains_key("amd.com/gpu"));
        let mut pod = PodSpec::default();
        schedule(&spec, &mut pod, 1);
        assert!(
            pod.tolerations
                .unwrap()
                .iter()
                .any(|t| t.key.as_deref() == Some("amd.com/gpu"))
        );
        let mut plain = PodSpec::default();
        schedule(&minimal(), &mut plain, 0);
        assert!(plain.tolerations.is_none() && plain.priority_class_name.is_none());
    }
}
