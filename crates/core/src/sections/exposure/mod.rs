//! Exposure outside the cluster: a Gateway API HTTPRoute or an Ingress, with TLS.

pub mod compile;
pub mod rules;

/// The `exposure` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "exposure",
    compile: |i, b| b.objects.extend(compile::compile(i.spec)),
    rules: &[rules::check_exposure],
    codes: &[rules::CODES],
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How clients outside the cluster reach the model API: a Gateway API `HTTPRoute` attached to
/// a Gateway, or an Ingress for clusters without Gateway API; with TLS from cert-manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExposureSpec {
    /// Host names clients use, e.g. `models.example.com` (DNS names; an `HTTPRoute` also takes
    /// a leading `*.` wildcard). They are the route's hostnames and the Certificate's dnsNames.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// Path prefixes routed to the inference Service. Default: `/v2/models/<model name>` (the
    /// V2 inference API, including the model's `/ready` health endpoint) and `/predict`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Attach an `HTTPRoute` (`gateway.networking.k8s.io/v1`) to this Gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayRef>,
    /// Emit an Ingress (`networking.k8s.io/v1`) instead, for clusters without Gateway API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
    /// TLS for the hostnames: a cert-manager `Certificate`. Default: none (plain HTTP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,
}

/// The Gateway an `HTTPRoute` attaches to (owned by the platform team).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayRef {
    /// Name of the Gateway.
    pub name: String,
    /// Namespace of the Gateway. Default: the application's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Listener of the Gateway to attach to, e.g. `https`. Default: every listener that
    /// allows the route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// The Ingress fallback.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSpec {
    /// IngressClass, e.g. `nginx`. Default: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// Annotations for the ingress controller. Default: none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A cert-manager `Certificate` (`cert-manager.io/v1`) for the hostnames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsSpec {
    /// The cert-manager issuer that signs the certificate.
    pub issuer: IssuerRef,
    /// Secret the certificate and key are written to, which the Ingress or the Gateway
    /// listener serves. Default: `<app>-tls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
}

/// A cert-manager issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuerRef {
    /// Name of the issuer, e.g. `letsencrypt-prod`.
    pub name: String,
    /// `ClusterIssuer` or `Issuer` (in the application's namespace). Default: `ClusterIssuer`.
    #[serde(default)]
    pub kind: IssuerKind,
}

/// Kind of a cert-manager issuer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum IssuerKind {
    /// Cluster-wide issuer.
    #[default]
    ClusterIssuer,
    /// Issuer in the application's namespace.
    Issuer,
}

impl IssuerKind {
    /// The cert-manager spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterIssuer => "ClusterIssuer",
            Self::Issuer => "Issuer",
        }
    }
}
