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

use crate::k8s::crd::rollouts::BlueGreenStrategy;

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
use crate::sections::rollout::AnalysisSpec;
use crate::sections::rollout::BlueGreenSpec;
use crate::sections::rollout::CanarySpec;
use crate::sections::rollout::CanaryStep;
use crate::sections::shared::labels;
use crate::sections::shared::labels::Component;

/// The analysis argument holding the new version's pod-template hash.
const HASH_ARG: &str = "canary-hash";
/// The same argument in a `rollouts` blue/green's analyses: the preview's hash.
const PROMOTION_HASH_ARG: &str = "preview-hash";

/// Whether the inference workload is an Argo Rollouts Rollout: under a canary, or blue/green
/// with the `rollouts` engine.
pub fn is_rollout(spec: &AppSpec) -> bool {
    spec.spec.rollout.is_rollout()
}

/// `apiVersion` and `kind` of the inference workloads: `Rollout` under a canary or a
/// `rollouts` blue/green, else `Deployment`. Autoscalers target them by these.
pub fn workload_kind(spec: &AppSpec) -> (&'static str, &'static str) {
    if is_rollout(spec) {
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

/// Name of the AnalysisTemplate of a `rollouts` blue/green's pre- and post-promotion
/// analyses.
pub fn promotion_template_name(spec: &AppSpec) -> String {
    labels::name(spec, "promotion")
}

/// The analysis arguments: the hash of the newest revision's pods, as `arg`.
fn hash_args(arg: &str) -> Vec<AnalysisArg> {
    vec![AnalysisArg {
        name: arg.into(),
        value_from: ArgValueFrom {
            pod_template_hash_value: "Latest".into(),
        },
    }]
}

/// The Rollout of a `rollouts` blue/green replacing `deployment`: same metadata, selector,
/// replicas and pod template. The preview runs at full size (no `previewReplicaCount`), the
/// pre-promotion analysis measures it through the preview Service's traffic, the switch
/// follows when it passes, the post-promotion analysis measures it under production traffic
/// (a failure switches back to the old revision, still running for `scaleDownDelaySeconds`).
pub fn blue_green_rollout(
    spec: &AppSpec,
    blue_green: &BlueGreenSpec,
    deployment: Deployment,
) -> Rollout {
    let deployment_spec = deployment.spec.unwrap_or_default();
    let analysis = || StepAnalysis {
        templates: vec![TemplateRef {
            template_name: promotion_template_name(spec),
        }],
        args: hash_args(PROMOTION_HASH_ARG),
    };
    Rollout {
        metadata: deployment.metadata,
        spec: RolloutSpec {
            replicas: deployment_spec.replicas,
            revision_history_limit: deployment_spec.revision_history_limit.unwrap_or(5),
            selector: deployment_spec.selector,
            template: deployment_spec.template,
            strategy: RolloutStrategy {
                blue_green: Some(BlueGreenStrategy {
                    active_service: spec.metadata.name.clone(),
                    preview_service: labels::name(spec, "preview"),
                    auto_promotion_enabled: true,
                    pre_promotion_analysis: Some(analysis()),
                    post_promotion_analysis: Some(analysis()),
                    scale_down_delay_seconds: blue_green.scale_down_delay_seconds() as i32,
                }),
                canary: None,
            },
        },
    }
}

/// The Rollout replacing `deployment`: same metadata, selector, replicas and pod template; the
/// Deployment's surge and unavailability bounds; the spec's canary steps.
pub fn rollout(spec: &AppSpec, canary: &CanarySpec, deployment: Deployment) -> Rollout {
    let deployment_spec = deployment.spec.unwrap_or_default();
    let rolling = deployment_spec
        .strategy
        .and_then(|s| s.rolling_update)
        .unwrap_or_default();
    let args = || hash_args(HASH_ARG);
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
                blue_green: None,
                canary: Some(CanaryStrategy {
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
                }),
            },
        },
    }
}

/// Under a canary or a `rollouts` blue/green, replaces each inference Deployment the serving
/// section compiled with an Argo Rollouts Rollout running the same pods.
pub fn replace_deployments(spec: &AppSpec, objects: &mut [Object]) {
    let rollout = &spec.spec.rollout;
    let blue_green = rollout.blue_green.as_ref().filter(|bg| bg.rollouts());
    if rollout.canary.is_none() && blue_green.is_none() {
        return;
    }
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
            let deployment = (**deployment).clone();
            *object = match (&rollout.canary, blue_green) {
                (Some(canary), _) => self::rollout(spec, canary, deployment),
                (None, Some(blue_green)) => blue_green_rollout(spec, blue_green, deployment),
                (None, None) => continue,
            }
            .into();
        }
    }
}

/// The AnalysisTemplates of a canary or of a `rollouts` blue/green; nothing otherwise.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let rollout = &spec.spec.rollout;
    if let Some(canary) = &rollout.canary {
        let mut objects = Vec::new();
        if canary
            .steps
            .iter()
            .any(|s| matches!(s, CanaryStep::Analysis(_)))
        {
            objects.push(
                analysis_template(
                    spec,
                    &canary.analysis,
                    step_template_name(spec),
                    Some(canary.analysis.count),
                    HASH_ARG,
                )
                .into(),
            );
        }
        if canary.analysis.background {
            objects.push(
                analysis_template(
                    spec,
                    &canary.analysis,
                    background_template_name(spec),
                    None,
                    HASH_ARG,
                )
                .into(),
            );
        }
        return objects;
    }
    match &rollout.blue_green {
        Some(blue_green) if blue_green.rollouts() => {
            let settings = AnalysisSpec::default();
            vec![
                analysis_template(
                    spec,
                    &settings,
                    promotion_template_name(spec),
                    Some(settings.count),
                    PROMOTION_HASH_ARG,
                )
                .into(),
            ]
        }
        _ => Vec::new(),
    }
}

/// Matchers narrowing the alert expressions to the new version's pods, whose hash is the
/// analysis argument `arg`.
fn hash_matchers(arg: &str) -> String {
    format!(",{POD_TEMPLATE_HASH_SERIES_LABEL}=\"{{{{args.{arg}}}}}\"")
}

/// Matchers narrowing the alert expressions to the canary's pods.
#[cfg(test)]
fn canary_matchers() -> String {
    hash_matchers(HASH_ARG)
}

/// The queries of the canary analysis: `(metric name, PromQL, threshold)`.
pub fn queries(spec: &AppSpec) -> Vec<(&'static str, String, f64)> {
    queries_for(spec, HASH_ARG)
}

/// The queries of an analysis whose new-revision hash is the argument `arg`: the alerts'
/// error-ratio and p99 expressions narrowed to those pods, with the alerts' thresholds.
pub fn queries_for(spec: &AppSpec, arg: &str) -> Vec<(&'static str, String, f64)> {
    let alerts = &spec.spec.monitoring.alerts;
    vec![
        (
            "error-ratio",
            monitoring::error_ratio_expr(spec, &hash_matchers(arg)),
            alerts.error_rate_percent / 100.0,
        ),
        (
            "latency-p99",
            monitoring::latency_p99_expr(spec, &hash_matchers(arg)),
            alerts.latency_p99_seconds,
        ),
    ]
}

fn analysis_template(
    spec: &AppSpec,
    settings: &AnalysisSpec,
    name: String,
    count: Option<i32>,
    arg: &str,
) -> AnalysisTemplate {
    let address = spec.spec.monitoring.prometheus_url();
    AnalysisTemplate {
        metadata: labels::meta(spec, name, Component::Inference),
        spec: AnalysisTemplateSpec {
            args: vec![TemplateArg { name: arg.into() }],
            metrics: queries_for(spec, arg)
                .into_iter()
                .map(|(metric, query, threshold)| {
                    let threshold = promql::number(threshold);
                    AnalysisMetric {
                        name: metric.into(),
                        interval: settings.interval.go_text().into_owned(),
                        initial_delay: settings.initial_delay.go_text().into_owned(),
                        count,
                        failure_limit: settings.failure_limit,
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
        let canary = rollout.spec.strategy.canary.as_ref().unwrap();
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

    /// GIVEN the seed (blue/green, HPA 2–10) with `engine: rollouts`; WHEN compiled; THEN one
    /// Rollout runs the active slot (its image and model version) with a blue/green strategy
    /// over the main and the preview Service, both analyses, a 30 s scale-down delay, and the
    /// HPA scales the Rollout.
    #[test]
    fn rollouts_blue_green_is_one_rollout_between_two_services() {
        use crate::sections::rollout::BlueGreenEngine;
        let mut spec = crate::compile::testing::seed();
        spec.spec.rollout.blue_green.as_mut().unwrap().engine = BlueGreenEngine::Rollouts;
        let bundle = crate::compile::compile(&spec);
        assert_eq!(bundle.of_kind("Deployment").count(), 0);
        let Some(Object::Rollout(rollout)) = bundle.find("Rollout", "ai-inference") else {
            panic!("no Rollout ai-inference");
        };
        assert!(rollout.spec.strategy.canary.is_none());
        let strategy = rollout.spec.strategy.blue_green.as_ref().unwrap();
        assert_eq!(strategy.active_service, "ai-inference");
        assert_eq!(strategy.preview_service, "ai-inference-preview");
        assert_eq!(strategy.scale_down_delay_seconds, 30);
        assert!(strategy.auto_promotion_enabled);
        for analysis in [
            &strategy.pre_promotion_analysis,
            &strategy.post_promotion_analysis,
        ] {
            let analysis = analysis.as_ref().unwrap();
            assert_eq!(
                analysis.templates[0].template_name,
                "ai-inference-promotion"
            );
            assert_eq!(
                analysis.args[0].value_from.pod_template_hash_value,
                "Latest"
            );
        }
        assert_eq!(rollout.spec.replicas, None, "the HPA owns the count");
        let pod = rollout.spec.template.spec.as_ref().unwrap();
        let env: Vec<(String, String)> = pod.containers[0]
            .env
            .iter()
            .flatten()
            .map(|e| (e.name.clone(), e.value.clone().unwrap_or_default()))
            .collect();
        assert!(env.contains(&("MODEL_VERSION".into(), "2".into())));
        assert!(
            pod.containers[0]
                .image
                .as_deref()
                .unwrap()
                .ends_with(":v2.0")
        );
        // Both Services select the Rollout's pods, without a color: Argo Rollouts adds the hash.
        for name in ["ai-inference", "ai-inference-preview"] {
            let Some(Object::Service(service)) = bundle.find("Service", name) else {
                panic!("no Service {name}");
            };
            let selector = service.spec.as_ref().unwrap().selector.as_ref().unwrap();
            assert!(!selector.contains_key(labels::COLOR_LABEL), "{name}");
        }
        let Some(Object::HorizontalPodAutoscaler(hpa)) =
            bundle.find("HorizontalPodAutoscaler", "ai-inference")
        else {
            panic!("no HPA");
        };
        let target = &hpa.spec.as_ref().unwrap().scale_target_ref;
        assert_eq!(
            (target.api_version.as_deref(), target.kind.as_str()),
            (Some("argoproj.io/v1alpha1"), "Rollout")
        );
        // The analysis measures what the alerts measure, narrowed to the preview's pods.
        let alerts = monitoring::alerts(&spec);
        let templates: Vec<&AnalysisTemplate> = crate::bundle::typed(&bundle.objects).collect();
        assert_eq!(templates.len(), 1);
        for (metric, alert) in templates[0]
            .spec
            .metrics
            .iter()
            .zip(["InferenceHighErrorRate", "InferenceHighLatencyP99"])
        {
            let alert = alerts.iter().find(|a| a.alert == alert).unwrap();
            let query = &metric.provider.prometheus.query;
            promql::parse(query).unwrap();
            assert_eq!(
                query.replace(&hash_matchers(PROMOTION_HASH_ARG), ""),
                alert.expr.rsplit_once(" > ").unwrap().0
            );
        }
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
