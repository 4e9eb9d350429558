//! Custom resources Slipway emits, as small typed structs with only the fields it sets (the
//! `kcr_*` crates pin another k8s-openapi). Each implements `k8s_openapi::Resource` and
//! `Metadata`, so the `objects!` macro takes it like a built-in kind.
//!
//! Fields are declared in the order of their JSON names, as k8s-openapi declares its own: the
//! renderer writes an object's fields in the order serde gives them and sorts only the top
//! level (`render::object_yaml`; a test proves the output equals the fully sorted form for
//! every object of every spec).

/// Implements `k8s_openapi::Resource` and `Metadata` for a namespaced custom resource whose
/// `metadata` field is an `ObjectMeta`.
macro_rules! custom_resource {
    ($ty:ident, group: $group:literal, version: $version:literal, kind: $kind:literal, plural: $plural:literal) => {
        impl k8s_openapi::Resource for $ty {
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }

        impl k8s_openapi::Metadata for $ty {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }
    };
}

pub mod argocd;
pub mod certmanager;
pub mod gateway;
pub mod keda;
pub mod kubeflow;
pub mod monitoring;
pub mod rollouts;
pub mod vpa;

#[cfg(test)]
mod tests {
    use crate::bundle::Object;

    /// Each custom kind reaches the bundle with its API group and version, which the Argo CD
    /// AppProject's whitelists and the renderer read through [`Object`].
    #[test]
    fn custom_kinds_carry_their_group_version_and_kind() {
        let objects: Vec<Object> = vec![
            super::gateway::HTTPRoute::default().into(),
            super::gateway::ReferenceGrant::default().into(),
            super::certmanager::Certificate::default().into(),
            super::keda::ScaledObject::default().into(),
            super::rollouts::Rollout::default().into(),
            super::rollouts::AnalysisTemplate::default().into(),
            super::kubeflow::PyTorchJob::default().into(),
        ];
        let seen: Vec<(&str, &str)> = objects
            .iter()
            .map(|o| (o.api_version(), o.kind()))
            .collect();
        assert_eq!(
            seen,
            [
                ("gateway.networking.k8s.io/v1", "HTTPRoute"),
                ("gateway.networking.k8s.io/v1", "ReferenceGrant"),
                ("cert-manager.io/v1", "Certificate"),
                ("keda.sh/v1alpha1", "ScaledObject"),
                ("argoproj.io/v1alpha1", "Rollout"),
                ("argoproj.io/v1alpha1", "AnalysisTemplate"),
                ("kubeflow.org/v1", "PyTorchJob"),
            ]
        );
        for object in &objects {
            let value = object.to_value();
            assert_eq!(value["apiVersion"], object.api_version());
            assert_eq!(value["kind"], object.kind());
        }
    }
}
