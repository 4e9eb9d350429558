//! cert-manager's Certificate (`cert-manager.io/v1`), with only the fields Slipway sets.
//! Checked against the CRD schema (cert-manager v1.21.1) in CI.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// A Certificate: cert-manager keeps a signed certificate for `dnsNames` in `secretName`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Certificate {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// What to certify and who signs.
    pub spec: CertificateSpec,
}

custom_resource!(Certificate, group: "cert-manager.io", version: "v1", kind: "Certificate", plural: "certificates");

/// `Certificate.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// Host names the certificate is valid for.
    pub dns_names: Vec<String>,
    /// The issuer that signs it.
    pub issuer_ref: IssuerReference,
    /// Secret (in the Certificate's namespace) that receives `tls.crt` and `tls.key`.
    pub secret_name: String,
}

/// A cert-manager issuer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IssuerReference {
    /// `cert-manager.io`.
    pub group: String,
    /// `Issuer` or `ClusterIssuer`.
    pub kind: String,
    /// Issuer name.
    pub name: String,
}
