//! Autoscaling on request load with KEDA: one `ScaledObject` per inference workload, with a
//! Prometheus trigger on what `slipway-serve` exports — requests in flight per pod, or API
//! requests per second per pod. KEDA creates (and owns) the HorizontalPodAutoscaler
//! `keda-hpa-<workload>`, so `sections/scaling/compile.rs` emits none under `scaling.keda`.
//!
//! Under blue/green, `idleColorToZero` lets the color that takes no traffic scale to zero:
//! its minimum becomes 0 and, with no request reaching it, KEDA deactivates it after the
//! cooldown. This is the one scaling setting that follows `rollout.blueGreen.active`, so a
//! switch then also changes both ScaledObjects and starts the new color cold.

use std::collections::BTreeMap;

use crate::k8s::crd::keda::ScaleTargetRef;

use crate::k8s::crd::keda::ScaledObject;

use crate::k8s::crd::keda::ScaledObjectSpec;

use crate::bundle::Object;
use crate::k8s::crd::keda::Trigger;
use crate::promql;
use crate::sections::AppSpec;
use crate::sections::monitoring::compile as monitoring;
use crate::sections::scaling::KedaSpec;
use crate::sections::scaling::LoadMetric;
use crate::sections::serving::compile as serving;
use crate::sections::serving::compile::Workload;
use crate::sections::shared::labels;
use crate::sections::shared::labels::Component;
use crate::sections::shared::runtime::METRIC_IN_FLIGHT;
use crate::sections::shared::runtime::METRIC_REQUESTS;

/// The shortest window of the requests-per-second rate: four scrapes at the default 30 s
/// (longer at a longer `scrapeInterval`: [`monitoring::rate_window`]). Shorter than the
/// alerts' so the scaler reacts quickly.
const MIN_RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(120);

/// The ScaledObjects; nothing without `scaling.keda`.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let Some(keda) = &spec.spec.scaling.keda else {
        return Vec::new();
    };
    serving::workloads(spec)
        .iter()
        .map(|workload| scaled_object(spec, keda, workload).into())
        .collect()
}

/// The load of one workload's pods, summed (KEDA divides by the replica count): requests in
/// flight, or API requests per second. `slipway-serve` counts the scrape that reads the
/// in-flight gauge as one request in flight, so one per pod is taken off.
pub fn query(spec: &AppSpec, keda: &KedaSpec, workload: &str) -> String {
    let pods = monitoring::pods_regex(&[workload.to_string()]);
    let matchers = format!(
        "{},pod=~{}",
        monitoring::runtime_matchers(spec),
        promql::quote(&pods)
    );
    match keda.metric {
        LoadMetric::InFlight => {
            format!("sum(clamp_min({METRIC_IN_FLIGHT}{{{matchers}}} - 1, 0))")
        }
        LoadMetric::RequestsPerSecond => format!(
            "sum(rate({METRIC_REQUESTS}{{{matchers},{}}}[{}]))",
            monitoring::api_routes_matcher(spec),
            monitoring::rate_window(spec, MIN_RATE_WINDOW)
        ),
    }
}

fn scaled_object(spec: &AppSpec, keda: &KedaSpec, workload: &Workload) -> ScaledObject {
    let idle = match (&spec.spec.rollout.blue_green, workload.color) {
        // During a switch the old color drains with its pods: not idle yet.
        (Some(blue_green), Some(color)) => color != blue_green.active && !blue_green.switching,
        _ => false,
    };
    let (api_version, kind) = crate::sections::rollout::compile::workload_kind(spec);
    ScaledObject {
        metadata: labels::meta(spec, workload.name.clone(), Component::Inference),
        spec: ScaledObjectSpec {
            scale_target_ref: ScaleTargetRef {
                api_version: api_version.into(),
                kind: kind.into(),
                name: workload.name.clone(),
            },
            polling_interval: keda.polling_interval_seconds,
            cooldown_period: keda.cooldown_period_seconds,
            min_replica_count: if idle && keda.idle_color_to_zero {
                0
            } else {
                keda.min_replicas
            },
            max_replica_count: keda.max_replicas,
            triggers: vec![Trigger {
                type_: "prometheus".into(),
                metric_type: "AverageValue".into(),
                metadata: BTreeMap::from([
                    (
                        "serverAddress".to_string(),
                        spec.spec.monitoring.prometheus_url(),
                    ),
                    ("query".to_string(), query(spec, keda, &workload.name)),
                    ("threshold".to_string(), promql::number(keda.target_per_pod)),
                ]),
            }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::seed;
    use crate::sections::Color;

    fn keda(idle_color_to_zero: bool) -> KedaSpec {
        KedaSpec {
            min_replicas: 2,
            max_replicas: 8,
            metric: LoadMetric::InFlight,
            target_per_pod: 8.0,
            idle_color_to_zero,
            polling_interval_seconds: 15,
            cooldown_period_seconds: 300,
        }
    }

    #[test]
    fn one_scaled_object_per_workload_on_in_flight_requests() {
        let mut spec = minimal();
        spec.spec.scaling.keda = Some(keda(false));
        let objects = compile(&spec);
        let scaled: &ScaledObject = crate::bundle::typed(&objects).next().unwrap();
        assert_eq!(scaled.spec.scale_target_ref.kind, "Deployment");
        assert_eq!(scaled.spec.scale_target_ref.name, "demo");
        let trigger = &scaled.spec.triggers[0];
        assert_eq!(trigger.metadata["threshold"], "8");
        let query = &trigger.metadata["query"];
        let parsed = promql::parse(query).unwrap();
        assert_eq!(
            promql::metric_names(&parsed)
                .into_iter()
                .collect::<Vec<_>>(),
            ["slipway_http_requests_in_flight"]
        );
        assert!(query.contains("pod=~\"(demo)-"), "{query}");
        // KEDA owns the HPA and the replica count.
        let bundle = crate::compile::compile(&spec);
        assert_eq!(bundle.of_kind("HorizontalPodAutoscaler").count(), 0);
        let Some(Object::Deployment(deployment)) = bundle.find("Deployment", "demo") else {
            panic!("no Deployment");
        };
        assert_eq!(deployment.spec.as_ref().unwrap().replicas, None);
    }

    #[test]
    fn the_idle_color_may_scale_to_zero() {
        let mut spec = seed();
        spec.spec.scaling.hpa = None;
        spec.spec.scaling.keda = Some(keda(true));
        let min = |spec: &AppSpec| -> Vec<(String, i32)> {
            crate::bundle::typed::<ScaledObject>(&compile(spec))
                .map(|s| (s.metadata.name.clone().unwrap(), s.spec.min_replica_count))
                .collect()
        };
        // Green is active in the seed spec.
        assert_eq!(
            min(&spec),
            [
                ("ai-inference-blue".to_string(), 0),
                ("ai-inference-green".to_string(), 2)
            ]
        );
        spec.spec.rollout.blue_green.as_mut().unwrap().active = Color::Blue;
        assert_eq!(min(&spec)[0].1, 2);
        spec.spec.scaling.keda.as_mut().unwrap().idle_color_to_zero = false;
        assert!(min(&spec).iter().all(|(_, n)| *n == 2));
    }

    #[test]
    fn requests_per_second_excludes_probes() {
        let mut spec = minimal();
        let mut settings = keda(false);
        settings.metric = LoadMetric::RequestsPerSecond;
        spec.spec.scaling.keda = Some(settings.clone());
        let query = query(&spec, &settings, "demo");
        promql::parse(&query).unwrap();
        assert!(query.contains("route!~"), "{query}");
        assert!(query.starts_with("sum(rate(slipway_http_requests_total{"));
    }
}
