//! Canary rollout with analysis (Argo Rollouts): under `rollout.canary` each inference
//! Deployment becomes a `Rollout` with the same pod template and canary steps, and two
//! `AnalysisTemplate`s (one for analysis steps, one for the background run) measure the new
//! version with the very expressions of the `InferenceHighErrorRate` and
//! `InferenceHighLatencyP99` alerts ([`monitoring::error_ratio_expr`],
//! [`monitoring::latency_p99_expr`]), narrowed to the new version's pods.
//!
//! Why a Rollout rather than Gateway API `backendRefs` weights: weights written into Git move
//! only when someone commits the next step, and nothing evaluates a metric between steps or
//! rolls back on a bad one. Argo Rollouts runs the steps, the analysis and the abort itself.
//! Without a traffic-routing plugin it shifts traffic by pod count (the main Service selects
//! stable and canary pods alike), which needs nothing beyond the Rollouts controller.

use crate::sections::serving::compile as serving;
use crate::sections::shared::labels::POD_TEMPLATE_HASH_SERIES_LABEL;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::k8s::crd::rollouts::AnalysisArg;

use crate::k8s::crd::rollouts::AnalysisMetric;

use crate::k8s::crd::rollouts::AnalysisTemplate;

use crate::k8s::crd::rollouts::AnalysisTemplateSpec;

use crate::k8s::crd::rollouts::ArgValueFrom;

use crate::k8s::crd::rollouts::BackgroundAnalysis;

use crate::k8s::crd::rollouts::CanaryStep as RolloutStep;

use crate::k8s::crd::rollouts::CanaryStrategy;

use crate::k8s::crd::rollouts::MetricProvider;

use crate::k8s::crd::rollouts::Pause;

use crate::k8s::crd::rollouts::PrometheusMetric;

use crate::k8s::crd::rollouts::Rollout;

use crate::k8s::crd::rollouts::RolloutSpec;

use crate::k8s::crd::rollouts::RolloutStrategy;

use crate::k8s::crd::rollouts::StepAnalysis;

use crate::k8s::crd::rollouts::TemplateArg;

use crate::bundle::Object;
use crate::k8s::crd::rollouts::TemplateRef;
use crate::promql;
use crate::sections::AppSpec;
use crate::sections::monitoring::compile as monitoring;
use crate::sections::rollout::CanarySpec;
use crate::sections::rollout::CanaryStep;
use crate::sections::shared::labels;
use crate::sections::shared::labels::Component;

/// The analysis argument holding the new version's pod-template hash.
const HASH_ARG: &str = "canary-hash";

/// `apiVersion` and `kind` of the inference workloads: `Rollout` under a canary, else
/// `Deployment`. Autoscalers target them by these.
pub fn workload_kind(spec: &AppSpec) -> (&'static str, &'static str) {
    if spec.spec.rollout.canary.is_some() {
        ("argoproj.io/v1alpha1", "Rollout")
    } else {
        ("apps/v1", "Deployment")
    }
}

/// Name of the AnalysisTemplate of analysis steps (`count` measurements).
pub fn step_template_name(spec: &AppSpec) -> String {
    labels::name(spec, "canary")
}

/// Name of the AnalysisTemplate of the background analysis (measures until promotion).
pub fn background_template_name(spec: &AppSpec) -> String {
    labels::name(spec, "canary-background")
}

/// The Rollout replacing `deployment`: same metadata, selector, replicas and pod template; the
/// Deployment's surge and unavailability bounds; the spec's canary steps.
pub fn rollout(spec: &AppSpec, canary: &CanarySpec, deployment: Deployment) -> Rollout {
    let deployment_spec = deployment.spec.unwrap_or_default();
    let rolling = deployment_spec
        .strategy
        .and_then(|s| s.rolling_update)
        .unwrap_or_default();
    let args = || {
        vec![AnalysisArg {
            name: HASH_ARG.into(),
            value_from: ArgValueFrom {
                pod_template_hash_value: "Latest".into(),
            },
        }]
    };
    let steps: Vec<RolloutStep> = canary
        .steps
        .iter()
        .map(|step| match step {
            CanaryStep::SetWeight(weight) => RolloutStep {
                set_weight: Some(*weight as i32),
                ..Default::default()
            },
            CanaryStep::Pause(pause) => RolloutStep {
                pause: Some(Pause {
                    duration: pause.duration.as_ref().map(|d| d.go_text().into_owned()),
                }),
                ..Default::default()
            },
            CanaryStep::Analysis(_) => RolloutStep {
                analysis: Some(StepAnalysis {
                    templates: vec![TemplateRef {
                        template_name: step_template_name(spec),
                    }],
                    args: args(),
                }),
                ..Default::default()
            },
        })
        .collect();
    // The background run starts once the first canary pods take traffic.
    let starting_step = canary
        .steps
        .iter()
        .position(|s| matches!(s, CanaryStep::SetWeight(_)))
        .map_or(0, |i| i as i32 + 1);
    Rollout {
        metadata: deployment.metadata,
        spec: RolloutSpec {
            replicas: deployment_spec.replicas,
            revision_history_limit: deployment_spec.revision_history_limit.unwrap_or(5),
            selector: deployment_spec.selector,
            template: deployment_spec.template,
            strategy: RolloutStrategy {
                canary: CanaryStrategy {
                    max_surge: rolling
                        .max_surge
                        .unwrap_or(IntOrString::String("25%".into())),
                    max_unavailable: rolling.max_unavailable.unwrap_or(IntOrString::Int(0)),
                    analysis: canary.analysis.background.then(|| BackgroundAnalysis {
                        templates: vec![TemplateRef {
                            template_name: background_template_name(spec),
                        }],
                        starting_step,
                        args: args(),
                    }),
                    steps,
                },
            },
        },
    }
}

/// Under a canary, replaces each inference Deployment the serving section compiled with an
/// Argo Rollouts Rollout running the same pods.
pub fn replace_deployments(spec: &AppSpec, objects: &mut [Object]) {
    let Some(canary) = &spec.spec.rollout.canary else {
        return;
    };
    let names: Vec<String> = serving::workloads(spec)
        .into_iter()
        .map(|w| w.name)
        .collect();
    for object in objects.iter_mut() {
        if let Object::Deployment(deployment) = object
            && names
                .iter()
                .any(|name| Some(name) == deployment.metadata.name.as_ref())
        {
            *object = rollout(spec, canary, (**deployment).clone()).into();
        }
    }
}

/// The AnalysisTemplates of a canary; nothing without `rollout.canary`.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let Some(canary) = &spec.spec.rollout.canary else {
        return Vec::new();
    };
    let mut objects = Vec::new();
    if canary
        .steps
        .iter()
        .any(|s| matches!(s, CanaryStep::Analysis(_)))
    {
        objects.push(
            analysis_template(
                spec,
                canary,
                step_template_name(spec),
                Some(canary.analysis.count),
            )
            .into(),
        );
    }
    if canary.analysis.background {
        objects.push(analysis_template(spec, canary, background_template_name(spec), None).into());
    }
    objects
}

/// Matchers narrowing the alert expressions to the new version's pods.
fn canary_matchers() -> String {
    format!(",{POD_TEMPLATE_HASH_SERIES_LABEL}=\"{{{{args.{HASH_ARG}}}}}\"")
}

/// The queries of the analysis: `(metric name, PromQL, threshold)`.
pub fn queries(spec: &AppSpec) -> Vec<(&'static str, String, f64)> {
    let alerts = &spec.spec.monitoring.alerts;
    vec![
        (
            "error-ratio",
            monitoring::error_ratio_expr(spec, &canary_matchers()),
            alerts.error_rate_percent / 100.0,
        ),
        (
            "latency-p99",
            monitoring::latency_p99_expr(spec, &canary_matchers()),
            alerts.latency_p99_seconds,
        ),
    ]
}

fn analysis_template(
    spec: &AppSpec,
    canary: &CanarySpec,
    name: String,
    count: Option<i32>,
) -> AnalysisTemplate {
    let address = spec.spec.monitoring.prometheus_url();
    AnalysisTemplate {
        metadata: labels::meta(spec, name, Component::Inference),
        spec: AnalysisTemplateSpec {
            args: vec![TemplateArg {
                name: HASH_ARG.into(),
            }],
            metrics: queries(spec)
                .into_iter()
                .map(|(metric, query, threshold)| {
                    let threshold = promql::number(threshold);
                    AnalysisMetric {
                        name: metric.into(),
                        interval: canary.analysis.interval.go_text().into_owned(),
                        initial_delay: canary.analysis.initial_delay.go_text().into_owned(),
                        count,
                        failure_limit: canary.analysis.failure_limit,
                        // No request reached the new pods yet (an empty result, or 0/0):
                        // neither condition holds, the measurement is inconclusive and the
                        // rollout pauses instead of promoting blind.
                        success_condition: format!(
                            "len(result) > 0 && !isNaN(result[0]) && result[0] <= {threshold}"
                        ),
                        failure_condition: format!("len(result) > 0 && result[0] > {threshold}"),
                        provider: MetricProvider {
                            prometheus: PrometheusMetric {
                                address: address.clone(),
                                query,
                            },
                        },
                    }
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::canary;

    #[test]
    fn the_deployment_becomes_a_rollout_with_the_same_pods() {
        let spec = canary();
        let bundle = crate::compile::compile(&spec);
        assert!(bundle.find("Deployment", "demo").is_none());
        let Some(Object::Rollout(rollout)) = bundle.find("Rollout", "demo") else {
            panic!("no Rollout demo");
        };
        let selector = rollout.spec.selector.match_labels.as_ref().unwrap();
        let pod_labels = crate::compile::testing::pod_labels(rollout.as_ref());
        assert!(selector.iter().all(|(k, v)| pod_labels[k] == *v));
        let canary = &rollout.spec.strategy.canary;
        assert_eq!(canary.steps.len(), 4);
        assert_eq!(canary.steps[0].set_weight, Some(20));
        assert_eq!(
            canary.steps[2].analysis.as_ref().unwrap().templates[0].template_name,
            "demo-canary"
        );
        let background = canary.analysis.as_ref().unwrap();
        assert_eq!(background.starting_step, 1);
        assert_eq!(
            background.args[0].value_from.pod_template_hash_value,
            "Latest"
        );
        assert_eq!(canary.max_unavailable, IntOrString::Int(0));
        assert_eq!(workload_kind(&spec), ("argoproj.io/v1alpha1", "Rollout"));
    }

    /// The analysis and the alerts come from one function: the analysis query is the alert's
    /// expression with the canary matcher added and the threshold moved into the condition.
    #[test]
    fn the_analysis_measures_what_the_alerts_measure() {
        let spec = canary();
        let objects = compile(&spec);
        assert_eq!(objects.len(), 2);
        let alerts = monitoring::alerts(&spec);
        for template in crate::bundle::typed::<AnalysisTemplate>(&objects) {
            for (metric, alert) in template
                .spec
                .metrics
                .iter()
                .zip(["InferenceHighErrorRate", "InferenceHighLatencyP99"])
            {
                let alert = alerts.iter().find(|a| a.alert == alert).unwrap();
                let query = &metric.provider.prometheus.query;
                promql::parse(query).unwrap();
                assert_eq!(
                    query.replace(&canary_matchers(), ""),
                    alert.expr.rsplit_once(" > ").unwrap().0
                );
                let threshold = alert.expr.rsplit_once(" > ").unwrap().1;
                assert!(
                    metric
                        .failure_condition
                        .ends_with(&format!("> {threshold}"))
                );
                assert_eq!(
                    metric.provider.prometheus.address,
                    "http://prometheus-operated.monitoring.svc:9090"
                );
            }
        }
        let step: &AnalysisTemplate = crate::bundle::typed(&objects).next().unwrap();
        assert_eq!(step.spec.metrics[0].count, Some(5));
        let background: &AnalysisTemplate = crate::bundle::typed(&objects).nth(1).unwrap();
        assert_eq!(background.spec.metrics[0].count, None);
    }
}
