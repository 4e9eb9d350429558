//! The inference pods' NetworkPolicy: ingress only on the container's `http` port, from the
//! application's namespace, the namespaces the spec allows, the monitoring namespace (for
//! Prometheus scraping) and, when the application is exposed outside the cluster, the
//! external Service's source ranges. On by default; `security.networkPolicy.enabled: false`
//! turns it off.
//!
//! Egress is left open (the policy lists only `Ingress` in `policyTypes`). The built-in server
//! makes no outbound calls once its model is loaded, but an object-store model is fetched at
//! start from S3 or HTTPS endpoints whose addresses a NetworkPolicy cannot name (it matches
//! IP blocks, not host names), and a custom runtime may call services the spec does not know.
//! A default-deny egress would break those silently; restricting egress is left to the
//! cluster's own policies (or a later `egress` field) rather than guessed here.
//!
//! Kubelet probes come from the node, which the usual CNI plugins let through regardless of
//! policy, so the probes need no rule.

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::shared::labels::Component;
use crate::sections::shared::runtime::PORT_NAME;

/// The label every namespace carries with its own name (Kubernetes ≥ 1.22).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The inference NetworkPolicy, unless turned off.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let security = &spec.spec.security;
    if !security.network_policy.enabled {
        return Vec::new();
    }
    let in_namespace = NetworkPolicyPeer {
        pod_selector: Some(LabelSelector::default()),
        ..Default::default()
    };
    let mut callers = vec![in_namespace];
    callers.extend(
        security
            .network_policy
            .allow_namespaces
            .iter()
            .map(|namespace| namespace_peer(namespace)),
    );
    let mut ingress = vec![rule(callers)];
    if spec.spec.monitoring.enabled {
        ingress.push(rule(vec![namespace_peer(&spec.spec.monitoring.namespace)]));
    }
    if let Some(ranges) = crate::sections::serving::service::external_sources(spec) {
        ingress.push(rule(
            ranges
                .into_iter()
                .map(|cidr| NetworkPolicyPeer {
                    ip_block: Some(IPBlock {
                        cidr,
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .collect(),
        ));
    }
    vec![
        NetworkPolicy {
            metadata: labels::meta(spec, spec.metadata.name.clone(), Component::Inference),
            spec: Some(NetworkPolicySpec {
                // Both colors: the policy does not change when blue/green switches.
                pod_selector: Some(labels::match_labels(labels::selector(
                    spec,
                    Component::Inference,
                    None,
                ))),
                policy_types: Some(vec!["Ingress".into()]),
                ingress: Some(ingress),
                ..Default::default()
            }),
        }
        .into(),
    ]
}

fn namespace_peer(namespace: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(labels::match_labels(
            [(NAMESPACE_NAME_LABEL.to_string(), namespace.to_string())].into(),
        )),
        ..Default::default()
    }
}

/// Ingress from `from` to the container's `http` port only.
fn rule(from: Vec<NetworkPolicyPeer>) -> NetworkPolicyIngressRule {
    NetworkPolicyIngressRule {
        from: Some(from),
        ports: Some(vec![NetworkPolicyPort {
            port: Some(IntOrString::String(PORT_NAME.into())),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::seed;
    use crate::sections::serving::ServiceType;

    fn policy(spec: &AppSpec) -> NetworkPolicySpec {
        match compile(spec).pop() {
            Some(Object::NetworkPolicy(policy)) => policy.spec.unwrap(),
            _ => panic!("no NetworkPolicy"),
        }
    }

    fn namespaces(rule: &NetworkPolicyIngressRule) -> Vec<String> {
        rule.from
            .iter()
            .flatten()
            .filter_map(|peer| peer.namespace_selector.as_ref())
            .map(|s| s.match_labels.as_ref().unwrap()[NAMESPACE_NAME_LABEL].clone())
            .collect()
    }

    #[test]
    fn every_rule_opens_only_the_http_port() {
        let policy = policy(&seed());
        let ingress = policy.ingress.unwrap();
        assert!(!ingress.is_empty());
        for rule in &ingress {
            let ports = rule.ports.as_ref().unwrap();
            assert_eq!(ports.len(), 1);
            assert_eq!(ports[0].port, Some(IntOrString::String("http".into())));
        }
        assert_eq!(policy.policy_types.unwrap(), ["Ingress"]);
    }

    #[test]
    fn the_namespace_allowed_namespaces_and_monitoring_may_call() {
        let mut spec = minimal();
        spec.spec.security.network_policy.allow_namespaces = vec!["gateway".into()];
        let policy = policy(&spec);
        let ingress = policy.ingress.unwrap();
        assert_eq!(ingress.len(), 2, "no external Service, no ipBlock rule");
        let own = &ingress[0].from.as_ref().unwrap()[0];
        assert_eq!(own.pod_selector, Some(LabelSelector::default()));
        assert!(own.namespace_selector.is_none(), "own namespace only");
        assert_eq!(namespaces(&ingress[0]), ["gateway"]);
        assert_eq!(namespaces(&ingress[1]), ["monitoring"]);
        let selected = policy.pod_selector.unwrap().match_labels.unwrap();
        assert_eq!(selected["app.kubernetes.io/component"], "inference");
        assert!(!selected.contains_key(labels::COLOR_LABEL), "both colors");
    }

    #[test]
    fn an_external_service_opens_the_port_to_its_source_ranges() {
        let ingress = policy(&seed()).ingress.unwrap();
        let cidrs: Vec<&str> = ingress[2]
            .from
            .iter()
            .flatten()
            .map(|peer| peer.ip_block.as_ref().unwrap().cidr.as_str())
            .collect();
        assert_eq!(cidrs, ["0.0.0.0/0", "::/0"]);
        let mut spec = seed();
        let external = spec.spec.inference.service.external.as_mut().unwrap();
        external.source_ranges = vec!["10.0.0.0/8".into()];
        let ingress = policy(&spec).ingress.unwrap();
        let cidr = &ingress[2].from.as_ref().unwrap()[0].ip_block;
        assert_eq!(cidr.as_ref().unwrap().cidr, "10.0.0.0/8");
    }

    #[test]
    fn a_load_balancer_main_service_admits_exactly_its_source_ranges() {
        let mut spec = minimal();
        let service = &mut spec.spec.inference.service;
        service.service_type = ServiceType::LoadBalancer;
        service.source_ranges = vec!["203.0.113.0/24".into(), "198.51.100.0/24".into()];
        assert_eq!(
            crate::sections::serving::service::external_sources(&spec).unwrap(),
            ["198.51.100.0/24", "203.0.113.0/24"]
        );
        // A load balancer without ranges opens the port to everyone, whatever the other has.
        spec.spec.inference.service.external =
            Some(crate::sections::serving::ExternalServiceSpec {
                port: 80,
                annotations: Default::default(),
                source_ranges: Vec::new(),
            });
        assert_eq!(
            crate::sections::serving::service::external_sources(&spec).unwrap(),
            crate::sections::serving::service::ANYWHERE
        );
        assert_eq!(
            crate::sections::serving::service::external_traffic_policy("LoadBalancer").as_deref(),
            Some("Local")
        );
        assert_eq!(
            crate::sections::serving::service::external_traffic_policy("ClusterIP"),
            None
        );
    }

    #[test]
    fn a_node_port_is_reachable_from_anywhere() {
        let mut spec = minimal();
        spec.spec.inference.service.service_type = ServiceType::NodePort;
        assert_eq!(
            crate::sections::serving::service::external_sources(&spec).unwrap(),
            crate::sections::serving::service::ANYWHERE
        );
    }

    #[test]
    fn it_can_be_turned_off() {
        let mut spec = seed();
        spec.spec.security.network_policy.enabled = false;
        assert!(compile(&spec).is_empty());
    }
}
