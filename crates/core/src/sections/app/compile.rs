//! The application's own objects: its Namespace, with Pod Security "restricted" enforced.

use k8s_openapi::api::core::v1::Namespace;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::shared::labels::{self, Component};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::sections::model::ModelSource;
    use crate::sections::model::compile::volume_claims;

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
