//! Gateway API kinds (`gateway.networking.k8s.io/v1`): HTTPRoute and ReferenceGrant, with only
//! the fields Slipway sets. Checked against the CRD schemas (Gateway API v1.6.1) in CI.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// An HTTPRoute: which requests a Gateway's listeners send to which Services.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HTTPRoute {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// Parents, hostnames and rules.
    pub spec: HTTPRouteSpec,
}

custom_resource!(HTTPRoute, group: "gateway.networking.k8s.io", version: "v1", kind: "HTTPRoute", plural: "httproutes");

/// `HTTPRoute.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HTTPRouteSpec {
    /// Host headers the route matches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// The Gateways (and listeners) the route attaches to.
    pub parent_refs: Vec<ParentReference>,
    /// Matches and the backends they route to.
    pub rules: Vec<HTTPRouteRule>,
}

/// A Gateway the route attaches to.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentReference {
    /// `gateway.networking.k8s.io`.
    pub group: String,
    /// `Gateway`.
    pub kind: String,
    /// Name of the Gateway.
    pub name: String,
    /// Namespace of the Gateway; absent: the route's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Listener name; absent: every listener that allows the route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// One rule: requests matching any of `matches` go to `backendRefs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HTTPRouteRule {
    /// Services receiving the matched requests.
    pub backend_refs: Vec<BackendRef>,
    /// Request matches (any of them).
    pub matches: Vec<HTTPRouteMatch>,
}

/// A request match.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HTTPRouteMatch {
    /// Path match.
    pub path: PathMatch,
}

/// A path match.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PathMatch {
    /// `PathPrefix`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The prefix, e.g. `/predict`.
    pub value: String,
}

/// A Service backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendRef {
    /// `""` (the core group).
    pub group: String,
    /// `Service`.
    pub kind: String,
    /// Service name.
    pub name: String,
    /// Service port.
    pub port: i32,
}

/// A ReferenceGrant: lets objects of another namespace refer to objects of this one (here:
/// the Gateway's listener to the TLS Secret cert-manager writes).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReferenceGrant {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// Who may refer to what.
    pub spec: ReferenceGrantSpec,
}

custom_resource!(ReferenceGrant, group: "gateway.networking.k8s.io", version: "v1", kind: "ReferenceGrant", plural: "referencegrants");

/// `ReferenceGrant.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReferenceGrantSpec {
    /// The referring objects.
    pub from: Vec<ReferenceGrantFrom>,
    /// The objects they may refer to.
    pub to: Vec<ReferenceGrantTo>,
}

/// Referring objects: a kind in a namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReferenceGrantFrom {
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
}

/// Referable objects of this namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReferenceGrantTo {
    /// API group (`""` for Secrets).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Name; absent: every object of the kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
