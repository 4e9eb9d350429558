//! Custom resources Slipway emits, as small typed structs with only the fields it sets (the
//! `kcr_*` crates pin another k8s-openapi). Each implements `k8s_openapi::Resource` and
//! `Metadata`, so the `objects!` macro takes it like a built-in kind.

pub mod argocd;
pub mod monitoring;
pub mod vpa;
