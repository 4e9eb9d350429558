//! Autoscaling of the inference workload: a HorizontalPodAutoscaler for the Deployment that
//! takes production traffic, and a VerticalPodAutoscaler and PodDisruptionBudget per inference
//! Deployment (so per color under blue/green).
//!
//! Blue/green gives the HPA to the active color only. The idle color serves the preview
//! Service alone, so it runs `rollout.blueGreen.idleReplicas` pods (default 1, 0 allowed)
//! with no HPA holding it at `minReplicas` (and its GPUs, when a custom runtime uses them).
//! Switching `active` therefore moves the HPA and the idle count along with the Service
//! selectors, and never touches a pod template (see the `serving` tests). A switch made with
//! `rollout.blueGreen.switching` (as the generated CI does) raises the new color to
//! `minReplicas` before the Services and the HPA move to it, and lets the old color drain with
//! its pods (docs/operations.md: "Blue/green"). Under the `rollouts` engine there is one
//! workload, the Rollout, and its HPA targets it.
//! A PDB with `maxUnavailable` never blocks a drain, so the idle color keeps its own, also at
//! 0 or 1 replicas.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::k8s::crd::vpa;

use crate::bundle::Object;
use crate::k8s::crd::vpa::VerticalPodAutoscaler;
use crate::sections::AppSpec;
use crate::sections::ResourceList;
use crate::sections::scaling::HpaSpec;
use crate::sections::scaling::ScaledResource;
use crate::sections::scaling::VpaSpec;
use crate::sections::serving::compile as serving;
use crate::sections::serving::compile::SERVER_CONTAINER;
use crate::sections::serving::compile::Workload;
use crate::sections::shared::labels;
use crate::sections::shared::labels::Component;

/// Seconds over which scale-up and scale-down policies count changed pods.
const POLICY_PERIOD: i32 = 60;

/// The HPA, VPA and PDB of every inference Deployment the spec asks for.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let scaling = &spec.spec.scaling;
    let mut objects = Vec::new();
    for workload in serving::workloads(spec) {
        // KEDA creates its own HPA: never a second one on the same workload. The idle
        // blue/green color gets none (it runs its fixed count).
        if let Some(hpa_spec) = scaling
            .hpa
            .as_ref()
            .filter(|_| scaling.keda.is_none() && workload.active)
        {
            objects.push(hpa(spec, &workload, hpa_spec).into());
        }
        if let Some(vpa_spec) = &scaling.vpa {
            objects.push(vpa(spec, &workload, vpa_spec).into());
        }
        if scaling.disruption_budget.enabled && max_replicas(spec) > 1 {
            objects.push(pdb(spec, &workload).into());
        }
    }
    objects
}

/// The most replicas one inference Deployment can run: the HPA's (or KEDA's) maximum, else
/// the fixed count.
pub fn max_replicas(spec: &AppSpec) -> i32 {
    let scaling = &spec.spec.scaling;
    match (&scaling.hpa, &scaling.keda) {
        (Some(hpa), _) => hpa.max_replicas,
        (None, Some(keda)) => keda.max_replicas,
        (None, None) => spec.spec.inference.replicas(),
    }
}

fn target_ref(spec: &AppSpec, workload: &Workload) -> CrossVersionObjectReference {
    let (api_version, kind) = crate::sections::rollout::compile::workload_kind(spec);
    CrossVersionObjectReference {
        api_version: Some(api_version.into()),
        kind: kind.into(),
        name: workload.name.clone(),
    }
}

fn hpa(spec: &AppSpec, workload: &Workload, hpa: &HpaSpec) -> HorizontalPodAutoscaler {
    let metrics = [
        (ScaledResource::Cpu, hpa.cpu_utilization),
        (ScaledResource::Memory, hpa.memory_utilization),
    ]
    .into_iter()
    .filter_map(|(resource, target)| {
        target.map(|utilization| MetricSpec {
            type_: "Resource".into(),
            resource: Some(ResourceMetricSource {
                name: resource.as_str().into(),
                target: MetricTarget {
                    type_: "Utilization".into(),
                    average_utilization: Some(utilization),
                    ..Default::default()
                },
            }),
            ..Default::default()
        })
    })
    .collect();
    let policy = |type_: &str, value: i32| HPAScalingPolicy {
        type_: type_.into(),
        value,
        period_seconds: POLICY_PERIOD,
    };
    HorizontalPodAutoscaler {
        metadata: labels::meta(spec, workload.name.clone(), Component::Inference),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: target_ref(spec, workload),
            min_replicas: Some(hpa.min_replicas),
            max_replicas: hpa.max_replicas,
            metrics: Some(metrics),
            behavior: Some(HorizontalPodAutoscalerBehavior {
                // Scale down slowly: a model takes a while to load, so a pod removed after a
                // short lull is expensive to bring back.
                scale_down: Some(HPAScalingRules {
                    stabilization_window_seconds: Some(hpa.scale_down_stabilization_seconds),
                    select_policy: Some("Max".into()),
                    policies: Some(vec![policy("Percent", 50)]),
                    ..Default::default()
                }),
                // Scale up at once, doubling or adding 4 pods a minute, whichever is more.
                scale_up: Some(HPAScalingRules {
                    stabilization_window_seconds: Some(0),
                    select_policy: Some("Max".into()),
                    policies: Some(vec![policy("Percent", 100), policy("Pods", 4)]),
                    ..Default::default()
                }),
            }),
        }),
        ..Default::default()
    }
}

fn vpa(spec: &AppSpec, workload: &Workload, vpa_spec: &VpaSpec) -> VerticalPodAutoscaler {
    VerticalPodAutoscaler {
        metadata: labels::meta(spec, workload.name.clone(), Component::Inference),
        spec: vpa::VerticalPodAutoscalerSpec {
            target_ref: {
                let (api_version, kind) = crate::sections::rollout::compile::workload_kind(spec);
                vpa::CrossVersionObjectReference {
                    api_version: api_version.into(),
                    kind: kind.into(),
                    name: workload.name.clone(),
                }
            },
            update_policy: Some(vpa::PodUpdatePolicy {
                update_mode: Some(vpa_spec.update_mode.as_str().into()),
            }),
            resource_policy: Some(vpa::PodResourcePolicy {
                container_policies: vec![vpa::ContainerResourcePolicy {
                    container_name: SERVER_CONTAINER.into(),
                    mode: Some("Auto".into()),
                    min_allowed: quantities(&vpa_spec.min_allowed),
                    max_allowed: quantities(&vpa_spec.max_allowed),
                    controlled_resources: Some(
                        vpa_spec
                            .controlled()
                            .iter()
                            .map(|r| r.as_str().to_string())
                            .collect(),
                    ),
                }],
            }),
        },
    }
}

fn quantities(list: &ResourceList) -> Option<BTreeMap<String, Quantity>> {
    let map: BTreeMap<String, Quantity> = [("cpu", &list.cpu), ("memory", &list.memory)]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| (name.into(), Quantity::from(v))))
        .collect();
    (!map.is_empty()).then_some(map)
}

fn pdb(spec: &AppSpec, workload: &Workload) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: labels::meta(spec, workload.name.clone(), Component::Inference),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(spec.spec.scaling.disruption_budget.max_unavailable.into()),
            selector: Some(labels::match_labels(labels::selector(
                spec,
                Component::Inference,
                workload.color,
            ))),
            // Evict pods that never became ready even when the budget is spent, so a broken
            // rollout cannot block a node drain.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::seed;
    use crate::sections::scaling::VpaUpdateMode;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn hpas(objects: &[Object]) -> Vec<&HorizontalPodAutoscaler> {
        crate::bundle::typed(objects).collect()
    }

    fn pdbs(objects: &[Object]) -> Vec<&PodDisruptionBudget> {
        crate::bundle::typed(objects).collect()
    }

    fn vpas(objects: &[Object]) -> Vec<&VerticalPodAutoscaler> {
        crate::bundle::typed(objects).collect()
    }

    #[test]
    fn blue_green_gives_the_hpa_to_the_active_color_only() {
        let objects = compile(&seed());
        let hpas = hpas(&objects);
        let targets: Vec<&str> = hpas
            .iter()
            .map(|h| h.spec.as_ref().unwrap().scale_target_ref.name.as_str())
            .collect();
        assert_eq!(targets, ["ai-inference-green"], "green is active");
        let mut blue = seed();
        blue.spec.rollout.blue_green.as_mut().unwrap().active = crate::sections::Color::Blue;
        let objects = compile(&blue);
        let names: Vec<&str> = crate::bundle::typed::<HorizontalPodAutoscaler>(&objects)
            .map(|h| h.metadata.name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["ai-inference-blue"], "the HPA follows the switch");
        for hpa in &hpas {
            let hpa = hpa.spec.as_ref().unwrap();
            assert_eq!((hpa.min_replicas, hpa.max_replicas), (Some(2), 10));
            let metrics: Vec<(&str, Option<i32>)> = hpa
                .metrics
                .as_ref()
                .unwrap()
                .iter()
                .map(|m| {
                    let r = m.resource.as_ref().unwrap();
                    (r.name.as_str(), r.target.average_utilization)
                })
                .collect();
            assert_eq!(metrics, [("cpu", Some(70)), ("memory", Some(80))]);
            let down = hpa.behavior.as_ref().unwrap().scale_down.as_ref().unwrap();
            assert_eq!(down.stabilization_window_seconds, Some(300));
        }
    }

    #[test]
    fn every_color_has_its_own_pdb_selecting_only_that_color() {
        let objects = compile(&seed());
        let selectors: Vec<String> = pdbs(&objects)
            .iter()
            .map(|p| {
                let spec = p.spec.as_ref().unwrap();
                assert_eq!(spec.max_unavailable, Some(IntOrString::Int(1)));
                let labels = spec.selector.as_ref().unwrap().match_labels.as_ref();
                labels.unwrap()[labels::COLOR_LABEL].clone()
            })
            .collect();
        assert_eq!(selectors, ["blue", "green"]);
    }

    /// A PDB with `maxUnavailable` allows evicting the idle color's single pod (and selects
    /// nothing at 0 replicas), so the idle color keeps its PDB and a switch leaves PDBs alone.
    #[test]
    fn the_idle_color_keeps_a_pdb_that_never_blocks_a_drain() {
        let mut spec = seed();
        spec.spec.rollout.blue_green.as_mut().unwrap().idle_replicas = 0;
        let objects = compile(&spec);
        for pdb in pdbs(&objects) {
            let budget = pdb.spec.as_ref().unwrap();
            assert!(budget.min_available.is_none());
            assert_eq!(budget.max_unavailable, Some(IntOrString::Int(1)));
        }
    }

    #[test]
    fn a_pdb_only_when_more_than_one_replica_can_run() {
        let mut spec = minimal();
        assert_eq!(pdbs(&compile(&spec)).len(), 1, "2 replicas by default");
        spec.spec.inference.replicas = Some(1);
        assert!(pdbs(&compile(&spec)).is_empty());
        spec.spec.scaling.hpa = Some(HpaSpec {
            min_replicas: 1,
            max_replicas: 3,
            cpu_utilization: Some(70),
            memory_utilization: None,
            scale_down_stabilization_seconds: 300,
        });
        assert_eq!(pdbs(&compile(&spec)).len(), 1, "the HPA may add replicas");
        spec.spec.scaling.disruption_budget.enabled = false;
        assert!(pdbs(&compile(&spec)).is_empty());
    }

    #[test]
    fn the_vpa_targets_the_server_container_with_its_bounds() {
        let mut spec = seed();
        spec.spec.scaling.vpa.as_mut().unwrap().update_mode = VpaUpdateMode::Initial;
        let objects = compile(&spec);
        let vpas = vpas(&objects);
        assert_eq!(vpas.len(), 2);
        let vpa = &vpas[0].spec;
        assert_eq!(vpa.target_ref.name, "ai-inference-blue");
        assert_eq!(
            vpa.update_policy.as_ref().unwrap().update_mode.as_deref(),
            Some("Initial")
        );
        let policy = &vpa.resource_policy.as_ref().unwrap().container_policies[0];
        assert_eq!(policy.container_name, "server");
        assert_eq!(
            policy.max_allowed.as_ref().unwrap()["memory"],
            Quantity("8Gi".into())
        );
        assert_eq!(
            policy.controlled_resources.as_deref(),
            Some(&["cpu".to_string(), "memory".to_string()][..])
        );
    }

    #[test]
    fn without_an_hpa_or_vpa_only_the_pdb_remains() {
        let objects = compile(&minimal());
        assert!(hpas(&objects).is_empty());
        assert!(vpas(&objects).is_empty());
        assert_eq!(objects.len(), 1);
    }
}
