//! Application-wide objects: the Namespace, the PersistentVolumeClaims the spec declares, and
//! one ServiceAccount per workload.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Namespace, PersistentVolumeClaim, PersistentVolumeClaimSpec, ServiceAccount,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::labels::{self, Component};
use super::object::Object;
use crate::spec::{AppSpec, ModelSource, VolumeClaim};

/// The Namespace, enforcing Pod Security "restricted" (every Slipway workload meets it).
pub fn namespace(spec: &AppSpec) -> Vec<Object> {
    let mut meta = labels::cluster_meta(spec, spec.metadata.namespace(), Component::Application);
    let pod_security = [
        ("pod-security.kubernetes.io/enforce", "restricted"),
        ("pod-security.kubernetes.io/enforce-version", "latest"),
        ("pod-security.kubernetes.io/warn", "restricted"),
    ];
    meta.labels
        .get_or_insert_default()
        .extend(pod_security.map(|(k, v)| (k.to_string(), v.to_string())));
    vec![
        Namespace {
            metadata: meta,
            ..Default::default()
        }
        .into(),
    ]
}

/// Every claim the spec asks Slipway to create, once per claim name.
pub fn volume_claims(spec: &AppSpec) -> Vec<Object> {
    let mut claims: BTreeMap<&str, &VolumeClaim> = BTreeMap::new();
    if let ModelSource::Pvc(claim) = &spec.spec.model.source {
        claims.insert(&claim.claim_name, claim);
    }
    if let Some(training) = &spec.spec.training {
        for (_, _, claim) in training.mounts() {
            if let Some(claim) = claim {
                claims.entry(&claim.claim_name).or_insert(claim);
            }
        }
    }
    claims
        .into_values()
        .filter(|claim| claim.create)
        .map(|claim| volume_claim(spec, claim).into())
        .collect()
}

fn volume_claim(spec: &AppSpec, claim: &VolumeClaim) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: labels::meta(spec, claim.claim_name.clone(), Component::Application),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec![claim.access_mode.as_str().into()]),
            storage_class_name: claim.storage_class_name.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity::from(&claim.size),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        }),
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

    #[test]
    fn the_namespace_enforces_restricted_pod_security() {
        let objects = namespace(&minimal());
        let labels = objects[0].metadata().labels.clone().unwrap();
        assert_eq!(labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert_eq!(objects[0].name(), "demo");
    }

    #[test]
    fn claims_are_emitted_once_and_only_when_created() {
        let mut spec = minimal();
        let objects = volume_claims(&spec);
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].name(), "models");
        if let ModelSource::Pvc(claim) = &mut spec.spec.model.source {
            claim.create = false;
        }
        assert!(volume_claims(&spec).is_empty());
    }
}
