//! Exposure outside the cluster: a Gateway API `HTTPRoute` attached to the platform's Gateway,
//! or an Ingress where Gateway API is not installed, both sending the model API's path
//! prefixes to the main Service; and, with TLS, a cert-manager `Certificate` for the
//! hostnames (plus a `ReferenceGrant` letting a Gateway in another namespace read its Secret).
//!
//! The route's backend is the main Service, so it follows the active blue/green color and,
//! under a canary, reaches stable and canary pods in the Rollout's proportion.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec as K8sIngressSpec, IngressTLS, ServiceBackendPort,
};

use crate::k8s::crd::certmanager::Certificate;

use crate::k8s::crd::certmanager::CertificateSpec;

use crate::bundle::Object;
use crate::k8s::crd::certmanager::IssuerReference;
use crate::k8s::crd::gateway::BackendRef;
use crate::k8s::crd::gateway::HTTPRoute;
use crate::k8s::crd::gateway::HTTPRouteMatch;
use crate::k8s::crd::gateway::HTTPRouteRule;
use crate::k8s::crd::gateway::HTTPRouteSpec;
use crate::k8s::crd::gateway::ParentReference;
use crate::k8s::crd::gateway::PathMatch;
use crate::k8s::crd::gateway::ReferenceGrant;
use crate::k8s::crd::gateway::ReferenceGrantFrom;
use crate::k8s::crd::gateway::ReferenceGrantSpec;
use crate::k8s::crd::gateway::ReferenceGrantTo;
use crate::sections::AppSpec;
use crate::sections::exposure::ExposureSpec;
use crate::sections::exposure::GatewayRef;
use crate::sections::exposure::IngressSpec;
use crate::sections::exposure::TlsSpec;
use crate::sections::shared::labels;
use crate::sections::shared::labels::Component;

/// The Gateway API group.
const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// The path prefixes routed to the server: `exposure.paths`, else the V2 inference API of the
/// model (`/v2/models/<model name>`, its `/ready` and `/infer` included) and `/predict`.
pub fn paths(spec: &AppSpec, exposure: &ExposureSpec) -> Vec<String> {
    exposure.paths.clone().unwrap_or_else(|| {
        let model = spec
            .spec
            .model
            .name
            .as_deref()
            .unwrap_or(&spec.metadata.name);
        vec![format!("/v2/models/{model}"), "/predict".to_string()]
    })
}

/// The Secret cert-manager writes the certificate to: `tls.secretName`, else `<app>-tls`.
pub fn tls_secret_name(spec: &AppSpec, tls: &TlsSpec) -> String {
    tls.secret_name
        .clone()
        .unwrap_or_else(|| labels::name(spec, "tls"))
}

/// The HTTPRoute or Ingress, the Certificate and the ReferenceGrant `spec.exposure` asks for;
/// nothing without it.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let Some(exposure) = &spec.spec.exposure else {
        return Vec::new();
    };
    let mut objects = Vec::new();
    if let Some(gateway) = &exposure.gateway {
        objects.push(http_route(spec, exposure, gateway).into());
        if let Some(tls) = &exposure.tls
            && let Some(namespace) = gateway
                .namespace
                .as_deref()
                .filter(|ns| *ns != spec.metadata.namespace())
        {
            objects.push(reference_grant(spec, tls, namespace).into());
        }
    }
    if let Some(ingress) = &exposure.ingress {
        objects.push(self::ingress(spec, exposure, ingress).into());
    }
    if let Some(tls) = &exposure.tls {
        objects.push(certificate(spec, exposure, tls).into());
    }
    objects
}

fn http_route(spec: &AppSpec, exposure: &ExposureSpec, gateway: &GatewayRef) -> HTTPRoute {
    HTTPRoute {
        metadata: labels::meta(spec, spec.metadata.name.clone(), Component::Inference),
        spec: HTTPRouteSpec {
            parent_refs: vec![ParentReference {
                group: GATEWAY_GROUP.into(),
                kind: "Gateway".into(),
                name: gateway.name.clone(),
                namespace: gateway.namespace.clone(),
                section_name: gateway.section_name.clone(),
            }],
            hostnames: exposure.hostnames.clone(),
            rules: vec![HTTPRouteRule {
                matches: paths(spec, exposure)
                    .into_iter()
                    .map(|value| HTTPRouteMatch {
                        path: PathMatch {
                            type_: "PathPrefix".into(),
                            value,
                        },
                    })
                    .collect(),
                backend_refs: vec![BackendRef {
                    group: String::new(),
                    kind: "Service".into(),
                    name: spec.metadata.name.clone(),
                    port: spec.spec.inference.service.port as i32,
                }],
            }],
        },
    }
}

fn ingress(spec: &AppSpec, exposure: &ExposureSpec, settings: &IngressSpec) -> Ingress {
    let mut metadata = labels::meta(spec, spec.metadata.name.clone(), Component::Inference);
    if !settings.annotations.is_empty() {
        metadata
            .annotations
            .get_or_insert_default()
            .extend(settings.annotations.clone());
    }
    let http = HTTPIngressRuleValue {
        paths: paths(spec, exposure)
            .into_iter()
            .map(|path| HTTPIngressPath {
                path: Some(path),
                path_type: "Prefix".into(),
                backend: IngressBackend {
                    service: Some(IngressServiceBackend {
                        name: spec.metadata.name.clone(),
                        port: Some(ServiceBackendPort {
                            number: Some(spec.spec.inference.service.port as i32),
                            ..Default::default()
                        }),
                    }),
                    ..Default::default()
                },
            })
            .collect(),
    };
    let rules = if exposure.hostnames.is_empty() {
        vec![IngressRule {
            host: None,
            http: Some(http),
        }]
    } else {
        exposure
            .hostnames
            .iter()
            .map(|host| IngressRule {
                host: Some(host.clone()),
                http: Some(http.clone()),
            })
            .collect()
    };
    Ingress {
        metadata,
        spec: Some(K8sIngressSpec {
            ingress_class_name: settings.class_name.clone(),
            tls: exposure.tls.as_ref().map(|tls| {
                vec![IngressTLS {
                    hosts: Some(exposure.hostnames.clone()),
                    secret_name: Some(tls_secret_name(spec, tls)),
                }]
            }),
            rules: Some(rules),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn certificate(spec: &AppSpec, exposure: &ExposureSpec, tls: &TlsSpec) -> Certificate {
    Certificate {
        metadata: labels::meta(spec, spec.metadata.name.clone(), Component::Inference),
        spec: CertificateSpec {
            secret_name: tls_secret_name(spec, tls),
            dns_names: exposure.hostnames.clone(),
            issuer_ref: IssuerReference {
                group: "cert-manager.io".into(),
                kind: tls.issuer.kind.as_str().into(),
                name: tls.issuer.name.clone(),
            },
        },
    }
}

/// Lets the Gateways of `gateway_namespace` read the TLS Secret: a listener may refer to a
/// Secret of another namespace only when that namespace grants it.
fn reference_grant(spec: &AppSpec, tls: &TlsSpec, gateway_namespace: &str) -> ReferenceGrant {
    ReferenceGrant {
        metadata: labels::meta(spec, labels::name(spec, "tls"), Component::Inference),
        spec: ReferenceGrantSpec {
            from: vec![ReferenceGrantFrom {
                group: GATEWAY_GROUP.into(),
                kind: "Gateway".into(),
                namespace: gateway_namespace.into(),
            }],
            to: vec![ReferenceGrantTo {
                group: String::new(),
                kind: "Secret".into(),
                name: Some(tls_secret_name(spec, tls)),
            }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::sections::exposure::IssuerKind;
    use crate::sections::exposure::IssuerRef;

    fn exposed(gateway: bool, tls: bool) -> AppSpec {
        let mut spec = minimal();
        spec.spec.exposure = Some(ExposureSpec {
            hostnames: vec!["models.example.com".into()],
            paths: None,
            gateway: gateway.then(|| GatewayRef {
                name: "public".into(),
                namespace: Some("gateways".into()),
                section_name: Some("https".into()),
            }),
            ingress: (!gateway).then(IngressSpec::default),
            tls: tls.then(|| TlsSpec {
                issuer: IssuerRef {
                    name: "letsencrypt".into(),
                    kind: IssuerKind::ClusterIssuer,
                },
                secret_name: None,
            }),
        });
        spec
    }

    #[test]
    fn the_route_sends_the_model_api_to_the_main_service() {
        let objects = compile(&exposed(true, false));
        assert_eq!(objects.len(), 1);
        let route: &HTTPRoute = crate::bundle::typed(&objects).next().unwrap();
        let parent = &route.spec.parent_refs[0];
        assert_eq!(
            (parent.name.as_str(), parent.namespace.as_deref()),
            ("public", Some("gateways"))
        );
        assert_eq!(route.spec.hostnames, ["models.example.com"]);
        let rule = &route.spec.rules[0];
        let prefixes: Vec<&str> = rule.matches.iter().map(|m| m.path.value.as_str()).collect();
        assert_eq!(prefixes, ["/v2/models/demo", "/predict"]);
        assert_eq!(
            (
                rule.backend_refs[0].name.as_str(),
                rule.backend_refs[0].port
            ),
            ("demo", 80)
        );
    }

    #[test]
    fn tls_gives_a_certificate_for_the_hostnames_and_a_grant_for_a_foreign_gateway() {
        let objects = compile(&exposed(true, true));
        let kinds: Vec<&str> = objects.iter().map(Object::kind).collect();
        assert_eq!(kinds, ["HTTPRoute", "ReferenceGrant", "Certificate"]);
        let certificate: &Certificate = crate::bundle::typed(&objects).next().unwrap();
        assert_eq!(certificate.spec.dns_names, ["models.example.com"]);
        assert_eq!(certificate.spec.secret_name, "demo-tls");
        assert_eq!(certificate.spec.issuer_ref.kind, "ClusterIssuer");
        let grant: &ReferenceGrant = crate::bundle::typed(&objects).next().unwrap();
        assert_eq!(grant.spec.from[0].namespace, "gateways");
        assert_eq!(grant.spec.to[0].name.as_deref(), Some("demo-tls"));
        // A Gateway in the application's own namespace needs no grant.
        let mut local = exposed(true, true);
        if let Some(gateway) = local
            .spec
            .exposure
            .as_mut()
            .and_then(|e| e.gateway.as_mut())
        {
            gateway.namespace = None;
        }
        assert!(compile(&local).iter().all(|o| o.kind() != "ReferenceGrant"));
    }

    #[test]
    fn the_ingress_fallback_serves_the_certificate_secret() {
        let objects = compile(&exposed(false, true));
        let ingress: &Ingress = crate::bundle::typed(&objects).next().unwrap();
        let spec = ingress.spec.as_ref().unwrap();
        let tls = &spec.tls.as_ref().unwrap()[0];
        assert_eq!(tls.secret_name.as_deref(), Some("demo-tls"));
        assert_eq!(
            tls.hosts.as_deref(),
            Some(&["models.example.com".to_string()][..])
        );
        let rule = &spec.rules.as_ref().unwrap()[0];
        assert_eq!(rule.host.as_deref(), Some("models.example.com"));
        let paths = &rule.http.as_ref().unwrap().paths;
        assert_eq!(paths[1].path.as_deref(), Some("/predict"));
        assert_eq!(paths[1].path_type, "Prefix");
        assert!(compile(&minimal()).is_empty());
    }
}
