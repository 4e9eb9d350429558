//! Small typed structs for the custom-resource kinds Slipway emits, with only the fields it
//! sets; each implements `k8s_openapi::Resource` and `Metadata` so the bundle can hold it.

pub mod argocd;
pub mod vpa;
