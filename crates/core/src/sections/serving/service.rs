//! What the inference Services admit: the source ranges of the main and the external
//! Service, and the traffic policy that keeps client addresses for them.

use crate::sections::AppSpec;
use crate::sections::serving::ServiceType;

/// Where traffic from outside the cluster comes from, when a Service exposes the pods there.
/// Load balancers and node ports hand the pods packets from client addresses (kept by
/// `externalTrafficPolicy: Local`, see [`external_traffic_policy`]), which no pod or namespace
/// selector matches, so the policy admits them by `ipBlock`: exactly the union of the
/// `sourceRanges` when every exposure is a `LoadBalancer` that declares some, anywhere
/// (`0.0.0.0/0`, `::/0`) when one does not (a `NodePort` main Service, or a load balancer
/// without ranges). `None` when nothing is exposed.
pub fn external_sources(spec: &AppSpec) -> Option<Vec<String>> {
    let service = &spec.spec.inference.service;
    let mut exposures: Vec<&[String]> = Vec::new();
    match service.service_type {
        ServiceType::ClusterIP => {}
        // A node port takes packets from any address that reaches a node.
        ServiceType::NodePort => exposures.push(&[]),
        ServiceType::LoadBalancer => exposures.push(&service.source_ranges),
    }
    if let Some(external) = &service.external {
        exposures.push(&external.source_ranges);
    }
    if exposures.is_empty() {
        return None;
    }
    if exposures.iter().any(|ranges| ranges.is_empty()) {
        return Some(ANYWHERE.iter().map(|cidr| cidr.to_string()).collect());
    }
    let mut ranges: Vec<String> = exposures.concat();
    ranges.sort();
    ranges.dedup();
    Some(ranges)
}

/// `loadBalancerSourceRanges` of the main Service: `service.sourceRanges` when it is a
/// `LoadBalancer` (the API server rejects them on any other type), none otherwise.
pub fn main_source_ranges(spec: &AppSpec) -> Vec<String> {
    let service = &spec.spec.inference.service;
    if service.service_type == ServiceType::LoadBalancer {
        service.source_ranges.clone()
    } else {
        Vec::new()
    }
}

/// The CIDRs of every address.
pub const ANYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];

/// `externalTrafficPolicy` of a Service of type `service_type`: `Local` for a load balancer,
/// so that the client's address reaches the pod (and the NetworkPolicy's `ipBlock`) instead of
/// the address of the node that forwarded the packet. Nodes without an inference pod then
/// fail the load balancer's health check and receive no traffic, so load spreads over the
/// nodes that run pods rather than over the pods themselves. `None` (the cluster default,
/// `Cluster`) otherwise.
pub fn external_traffic_policy(service_type: &str) -> Option<String> {
    (service_type == ServiceType::LoadBalancer.as_str()).then(|| "Local".to_string())
}
