//! The model's stores: the PersistentVolumeClaims the spec declares (the model claim and the training's claims), each once.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::bundle::Object;
use crate::sections::model::ModelSource;
use crate::sections::shared::labels::{self, Component};
use crate::sections::{AppSpec, VolumeClaim};

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
