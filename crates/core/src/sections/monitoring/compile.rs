//! Prometheus scraping and alerting: a headless `<app>-metrics` Service and the ServiceMonitor
//! that scrapes it, and a PrometheusRule whose thresholds are derived from the spec.
//!
//! Why a Service of its own: the main Service selects the active color, `<app>-preview` the
//! other and `<app>-external` the active one again. A ServiceMonitor over those would scrape
//! every active pod twice, and a blue/green switch would move each pod's series from one
//! `job` to another. `<app>-metrics` selects the inference pods of both colors once (it never
//! carries traffic: it is headless), so every pod is one target with a stable `job`, and the
//! pods' color and version are copied onto the series (`podTargetLabels`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::k8s::crd::monitoring::AlertRule;

use crate::k8s::crd::monitoring::Endpoint;

use crate::k8s::crd::monitoring::NamespaceSelector;

use crate::k8s::crd::monitoring::PrometheusRule;

use crate::k8s::crd::monitoring::PrometheusRuleSpec;

use crate::k8s::crd::monitoring::RuleGroup;

use crate::k8s::crd::monitoring::ServiceMonitor;

use crate::bundle::Object;
use crate::k8s::crd::monitoring::ServiceMonitorSpec;
use crate::k8s::duration::Duration;
use crate::k8s::quantity::Quantity;
use crate::promql;
use crate::sections::AppSpec;
use crate::sections::Scope;
use crate::sections::serving::METRICS_PATH;
use crate::sections::serving::RuntimeSpec;
use crate::sections::serving::compile as serving;
use crate::sections::shared::labels;
use crate::sections::shared::labels::COLOR_LABEL;
use crate::sections::shared::labels::Component;
use crate::sections::shared::runtime::METRIC_REQUEST_DURATION;
use crate::sections::shared::runtime::METRIC_REQUESTS;
use crate::sections::shared::runtime::PORT_NAME;

/// Name of the inference container (set by `sections/serving/compile.rs`); cAdvisor labels its
/// series with it.
pub const SERVER_CONTAINER: &str = "server";
/// The shortest window of the alerts' `rate()`s: ten scrapes at the default 30 s interval.
pub const MIN_RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(300);
/// Scrapes a `rate()` window holds at least, so one failed scrape leaves it enough samples.
const SAMPLES_PER_WINDOW: u32 = 4;
/// The characters Kubernetes uses in generated name suffixes (ReplicaSet pod-template hash and
/// pod suffix): no vowels, so `training` or `backup` can never match a Deployment pod.
const NAME_SUFFIX_CHARS: &str = "bcdfghjklmnpqrstvwxz2456789";

/// `<app>-metrics`: the headless Service Prometheus scrapes.
pub fn metrics_service_name(spec: &AppSpec) -> String {
    labels::name(spec, "metrics")
}

/// The metrics path of the inference server, if it has one: `/metrics` for `slipway-serve`,
/// the declared `metricsPath` for a custom runtime.
pub fn metrics_path(spec: &AppSpec) -> Option<&str> {
    match &spec.spec.inference.runtime {
        RuntimeSpec::SlipwayServe(_) => Some(METRICS_PATH),
        RuntimeSpec::Custom(custom) => custom.metrics_path.as_deref(),
    }
}

/// Whether the server exports `slipway-serve`'s metrics (`slipway_*`, `sections/shared/runtime.rs`).
pub fn has_runtime_metrics(spec: &AppSpec) -> bool {
    matches!(spec.spec.inference.runtime, RuntimeSpec::SlipwayServe(_))
}

/// Label matchers of the runtime's own series: the namespace and the `job` the Prometheus
/// operator names after the scraped Service.
pub fn runtime_matchers(spec: &AppSpec) -> String {
    format!(
        "namespace=\"{}\",job=\"{}\"",
        spec.metadata.namespace(),
        metrics_service_name(spec)
    )
}

/// Matchers excluding the probe and scrape routes, so ratios and latencies describe the API.
pub fn api_routes_matcher(spec: &AppSpec) -> String {
    let probes = &spec.spec.inference.probes;
    let mut routes = vec![
        probes.liveness.path.as_str(),
        probes.readiness.path.as_str(),
        probes.startup.path.as_str(),
        METRICS_PATH,
    ];
    routes.sort_unstable();
    routes.dedup();
    let alternatives: Vec<String> = routes.into_iter().map(promql::regex_escape).collect();
    format!("route!~{}", promql::quote(&alternatives.join("|")))
}

/// The window of a `rate()` over the server's series: the larger of `floor` and four
/// `monitoring.scrapeInterval`s, rounded up to whole minutes (`5m`, `6m`, `1h20m`). A shorter
/// window holds fewer than four samples, and a rate over fewer than two is empty: the alert
/// or the scaler goes blind.
///
/// ```
/// use slipway_core::sections::monitoring::compile::{MIN_RATE_WINDOW, rate_window};
/// use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
///
/// let mut spec = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
/// assert_eq!(rate_window(&spec, MIN_RATE_WINDOW).as_str(), "5m"); // 30s: 4 × 30s < 5m
/// spec.spec.monitoring.scrape_interval = "90s".parse().unwrap();
/// assert_eq!(rate_window(&spec, MIN_RATE_WINDOW).as_str(), "6m"); // 4 × 90s
/// spec.spec.monitoring.scrape_interval = "100s".parse().unwrap();
/// assert_eq!(rate_window(&spec, MIN_RATE_WINDOW).as_str(), "7m"); // 6m40s, rounded up
/// ```
pub fn rate_window(spec: &AppSpec, floor: std::time::Duration) -> Duration {
    let samples = (spec.spec.monitoring.scrape_interval.as_std())
        .checked_mul(SAMPLES_PER_WINDOW)
        .unwrap_or(std::time::Duration::MAX);
    let seconds = samples.max(floor).as_secs_f64().ceil() as u64;
    Duration::from_std(std::time::Duration::from_secs(
        seconds.div_ceil(60).saturating_mul(60),
    ))
}

/// The window of the alerts' and the canary analysis' `rate()`s:
/// [`rate_window`] with [`MIN_RATE_WINDOW`].
pub fn alert_rate_window(spec: &AppSpec) -> Duration {
    rate_window(spec, MIN_RATE_WINDOW)
}

/// The runtime's series of API requests (probes and scrapes excluded), plus `extra`.
fn api_matchers(spec: &AppSpec, extra: &str) -> String {
    format!(
        "{},{}{extra}",
        runtime_matchers(spec),
        api_routes_matcher(spec)
    )
}

/// The share of API requests answered with a 5xx status over [`alert_rate_window`]: the expression
/// of the `InferenceHighErrorRate` alert and of the canary analysis (`sections/rollout/compile.rs`), so
/// the two cannot drift. `extra` appends matchers (`,name="value"`) that narrow the requests,
/// e.g. to the canary's pods; the alert passes none.
pub fn error_ratio_expr(spec: &AppSpec, extra: &str) -> String {
    let window = alert_rate_window(spec);
    let matchers = api_matchers(spec, extra);
    format!(
        "sum(rate({METRIC_REQUESTS}{{{matchers},status=~\"5..\"}}[{window}])) / sum(rate({METRIC_REQUESTS}{{{matchers}}}[{window}]))"
    )
}

/// The 99th percentile of API request latency in seconds over [`alert_rate_window`]: the expression
/// of the `InferenceHighLatencyP99` alert and of the canary analysis; `extra` as for
/// [`error_ratio_expr`].
pub fn latency_p99_expr(spec: &AppSpec, extra: &str) -> String {
    let window = alert_rate_window(spec);
    let matchers = api_matchers(spec, extra);
    format!(
        "histogram_quantile(0.99, sum by (le) (rate({METRIC_REQUEST_DURATION}_bucket{{{matchers}}}[{window}])))"
    )
}

/// A regular expression matching the inference pods' names and nothing else of the
/// application: `<deployment>-<pod-template-hash>-<suffix>`.
pub fn pod_regex(spec: &AppSpec) -> String {
    let names: Vec<String> = serving::workloads(spec)
        .into_iter()
        .map(|w| w.name)
        .collect();
    pods_regex(&names)
}

/// A regular expression matching the pods of the Deployments (or Rollouts) `names`:
/// `<name>-<pod-template-hash>-<suffix>`.
pub fn pods_regex(names: &[String]) -> String {
    format!(
        "({})-[{NAME_SUFFIX_CHARS}]{{1,10}}-[{NAME_SUFFIX_CHARS}]{{5}}",
        names.join("|")
    )
}

/// Matchers of the inference container's cAdvisor and kube-state-metrics series.
pub fn container_matchers(spec: &AppSpec) -> String {
    format!(
        "namespace=\"{}\",pod=~\"{}\",container=\"{SERVER_CONTAINER}\"",
        spec.metadata.namespace(),
        pod_regex(spec)
    )
}

/// Available inference pods per workload (the label `workload`), from kube-state-metrics.
/// A Deployment reports its available replicas; a Rollout is no Deployment (and
/// kube-state-metrics does not know it), so its ready pods are counted instead.
pub fn available_pods_expr(spec: &AppSpec) -> String {
    let names: Vec<String> = serving::workloads(spec)
        .into_iter()
        .map(|w| w.name)
        .collect();
    let namespace = spec.metadata.namespace();
    if spec.spec.rollout.is_rollout() {
        format!(
            "label_replace(sum(kube_pod_status_ready{{namespace=\"{namespace}\",pod=~\"{}\",condition=\"true\"}}), \"workload\", \"{}\", \"\", \"\")",
            pods_regex(&names),
            names.join("|")
        )
    } else {
        format!(
            "label_replace(sum by (deployment) (kube_deployment_status_replicas_available{{namespace=\"{namespace}\",deployment=~\"{}\"}}), \"workload\", \"$1\", \"deployment\", \"(.*)\")",
            names.join("|")
        )
    }
}

/// Matchers of the HorizontalPodAutoscalers scaling the inference workloads in
/// kube-state-metrics, with the field setting their maximum and its value: the HPA Slipway
/// writes is named as its workload, the one KEDA's ScaledObject creates `keda-hpa-<workload>`.
/// `None` without autoscaling.
pub fn hpa_matchers(spec: &AppSpec) -> Option<(String, &'static str, i32)> {
    let (prefix, field, max) = match (&spec.spec.scaling.hpa, &spec.spec.scaling.keda) {
        (Some(hpa), _) => ("", "scaling.hpa.maxReplicas", hpa.max_replicas),
        (None, Some(keda)) => ("keda-hpa-", "scaling.keda.maxReplicas", keda.max_replicas),
        (None, None) => return None,
    };
    let names: Vec<String> = serving::workloads(spec)
        .into_iter()
        .map(|w| format!("{prefix}{}", w.name))
        .collect();
    let matchers = format!(
        "namespace=\"{}\",horizontalpodautoscaler=~\"{}\"",
        spec.metadata.namespace(),
        names.join("|")
    );
    Some((matchers, field, max))
}

/// The headless metrics Service and the ServiceMonitor, when monitoring is on and the server
/// has a metrics endpoint, and the PrometheusRule (without rules in an outline).
pub fn compile(spec: &AppSpec, scope: Scope) -> Vec<Object> {
    let monitoring = &spec.spec.monitoring;
    let mut objects = Vec::new();
    if monitoring.enabled
        && let Some(path) = metrics_path(spec)
    {
        objects.push(metrics_service(spec).into());
        objects.push(service_monitor(spec, path).into());
    }
    if monitoring.enabled && monitoring.alerts.enabled {
        objects.push(prometheus_rule(spec, scope).into());
    }
    objects
}

fn metrics_service(spec: &AppSpec) -> Service {
    Service {
        metadata: labels::meta(spec, metrics_service_name(spec), Component::Monitoring),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            cluster_ip: Some("None".into()),
            selector: Some(labels::selector(spec, Component::Inference, None)),
            // Pods that are starting or failing readiness are still scraped.
            publish_not_ready_addresses: Some(true),
            ports: Some(vec![ServicePort {
                name: Some(PORT_NAME.into()),
                port: spec.spec.inference.port as i32,
                target_port: Some(IntOrString::String(PORT_NAME.into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Metadata of a Prometheus-operator object: the application's labels plus the labels the
/// operator selects by.
fn operator_meta(
    spec: &AppSpec,
    name: String,
) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    let mut metadata = labels::meta(spec, name, Component::Monitoring);
    metadata
        .labels
        .get_or_insert_default()
        .extend(spec.spec.monitoring.prometheus_labels.clone());
    metadata
}

fn service_monitor(spec: &AppSpec, path: &str) -> ServiceMonitor {
    ServiceMonitor {
        metadata: operator_meta(spec, spec.metadata.name.clone()),
        spec: ServiceMonitorSpec {
            selector: labels::match_labels(labels::selector(spec, Component::Monitoring, None)),
            namespace_selector: Some(NamespaceSelector {
                match_names: vec![spec.metadata.namespace().to_string()],
            }),
            endpoints: vec![Endpoint {
                port: PORT_NAME.into(),
                path: path.into(),
                scheme: "http".into(),
                interval: spec.spec.monitoring.scrape_interval.to_string(),
                scrape_timeout: None,
            }],
            pod_target_labels: pod_target_labels(spec),
        },
    }
}

/// Pod labels copied onto every scraped series: the color and version, and under a Rollout
/// (canary, or blue/green with the `rollouts` engine) the pod-template hash Argo Rollouts puts
/// on each version's pods (the analysis selects the new version's series by it).
fn pod_target_labels(spec: &AppSpec) -> Vec<String> {
    let mut labels = vec![
        COLOR_LABEL.to_string(),
        "app.kubernetes.io/version".to_string(),
    ];
    if spec.spec.rollout.is_rollout() {
        labels.push(crate::sections::shared::labels::POD_TEMPLATE_HASH_LABEL.to_string());
    }
    labels
}

/// Name of the PrometheusRule.
pub fn rule_name(spec: &AppSpec) -> String {
    labels::name(spec, "alerts")
}

/// The alert rules (none in an outline).
fn prometheus_rule(spec: &AppSpec, scope: Scope) -> PrometheusRule {
    PrometheusRule {
        metadata: operator_meta(spec, rule_name(spec)),
        spec: PrometheusRuleSpec {
            groups: vec![RuleGroup {
                name: spec.metadata.name.clone(),
                rules: if scope.bodies() {
                    alerts(spec)
                } else {
                    Vec::new()
                },
            }],
        },
    }
}

/// Severity label of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    Warning,
    Critical,
}

struct AlertText<'a> {
    name: &'a str,
    severity: Severity,
    summary: String,
    description: String,
}

fn rule(spec: &AppSpec, text: AlertText<'_>, expr: String, for_: &str) -> AlertRule {
    let alerts = &spec.spec.monitoring.alerts;
    AlertRule {
        alert: text.name.to_string(),
        expr,
        for_: for_.to_string(),
        labels: BTreeMap::from([
            (
                "severity".to_string(),
                match text.severity {
                    Severity::Warning => "warning",
                    Severity::Critical => "critical",
                }
                .to_string(),
            ),
            ("application".to_string(), spec.metadata.name.clone()),
        ]),
        annotations: BTreeMap::from([
            ("summary".to_string(), text.summary),
            ("description".to_string(), text.description),
            (
                "runbook_url".to_string(),
                format!(
                    "{}/{}",
                    alerts.runbook_base_url.trim_end_matches('/'),
                    text.name
                ),
            ),
        ]),
    }
}

/// The CPU alert's threshold in cores: `alerts.cpuLimitPercent` of the declared CPU limit,
/// exact to the microcore (the dashboard draws the same line).
pub fn cpu_threshold(spec: &AppSpec) -> Option<Quantity> {
    let percent = spec.spec.monitoring.alerts.cpu_limit_percent;
    let limit = spec.spec.inference.resources.limits.cpu.as_ref()?;
    Some(limit.percent(percent, 6))
}

/// The memory alert's threshold in bytes: `alerts.memoryLimitPercent` of the declared memory
/// limit, rounded to a whole byte (the dashboard draws the same line).
pub fn memory_threshold(spec: &AppSpec) -> Option<Quantity> {
    let percent = spec.spec.monitoring.alerts.memory_limit_percent;
    let limit = spec.spec.inference.resources.limits.memory.as_ref()?;
    Some(limit.percent(percent, 0))
}

/// Every alerting rule of the spec, in a fixed order. Thresholds come from the declared
/// limits and the `monitoring.alerts` settings; metric names from `sections/shared/runtime.rs`
/// (the server's), cAdvisor and kube-state-metrics.
pub fn alerts(spec: &AppSpec) -> Vec<AlertRule> {
    let app = &spec.metadata.name;
    let settings = &spec.spec.monitoring.alerts;
    let for_ = settings.for_duration.as_str();
    let window = alert_rate_window(spec);
    let container = container_matchers(spec);
    let limits = &spec.spec.inference.resources.limits;
    let mut rules = Vec::new();

    if let (Some(cpu), Some(threshold)) = (&limits.cpu, cpu_threshold(spec)) {
        rules.push(rule(
            spec,
            AlertText {
                name: "InferenceCpuNearLimit",
                severity: Severity::Warning,
                summary: format!("{app}: an inference pod uses most of its CPU limit"),
                description: format!(
                    "{{{{ $labels.pod }}}} uses {{{{ $value | humanize }}}} CPU cores. Threshold \
                     {} cores = {}% (alerts.cpuLimitPercent) of the declared CPU limit `{cpu}` \
                     ({} cores); beyond the limit the container is throttled.",
                    threshold,
                    settings.cpu_limit_percent,
                    cpu.decimal(),
                ),
            },
            format!(
                "sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{{{container}}}[{window}])) > {threshold}"
            ),
            for_,
        ));
    }
    if let (Some(memory), Some(threshold)) = (&limits.memory, memory_threshold(spec)) {
        rules.push(rule(
            spec,
            AlertText {
                name: "InferenceMemoryNearLimit",
                severity: Severity::Warning,
                summary: format!("{app}: an inference pod uses most of its memory limit"),
                description: format!(
                    "{{{{ $labels.pod }}}} uses {{{{ $value | humanize1024 }}}}B of memory. \
                     Threshold {} bytes = {}% (alerts.memoryLimitPercent) of the declared memory \
                     limit `{memory}` ({} bytes); at the limit the container is OOM-killed.",
                    threshold,
                    settings.memory_limit_percent,
                    memory.decimal(),
                ),
            },
            format!(
                "max by (namespace, pod) (container_memory_working_set_bytes{{{container}}}) > {threshold}"
            ),
            for_,
        ));
    }
    if has_runtime_metrics(spec) {
        let ratio = settings.error_rate_percent / 100.0;
        rules.push(rule(
            spec,
            AlertText {
                name: "InferenceHighErrorRate",
                severity: Severity::Critical,
                summary: format!("{app}: too many requests fail with 5xx"),
                description: format!(
                    "{{{{ $value | humanizePercentage }}}} of API requests failed with a 5xx status \
                     over {window} (threshold {}%, alerts.errorRatePercent).",
                    promql::number(settings.error_rate_percent)
                ),
            },
            format!(
                "{} > {}",
                error_ratio_expr(spec, ""),
                promql::number(ratio)
            ),
            for_,
        ));
        rules.push(rule(
            spec,
            AlertText {
                name: "InferenceHighLatencyP99",
                severity: Severity::Warning,
                summary: format!("{app}: p99 request latency is high"),
                description: format!(
                    "The 99th percentile of API request latency is {{{{ $value | humanizeDuration }}}} \
                     over {window} (threshold {} s, alerts.latencyP99Seconds).",
                    promql::number(settings.latency_p99_seconds)
                ),
            },
            format!(
                "{} > {}",
                latency_p99_expr(spec, ""),
                promql::number(settings.latency_p99_seconds)
            ),
            for_,
        ));
    }
    let pods = format!(
        "namespace=\"{}\",pod=~\"{}\"",
        spec.metadata.namespace(),
        pod_regex(spec)
    );
    rules.push(rule(
        spec,
        AlertText {
            name: "InferencePodNotReady",
            severity: Severity::Warning,
            summary: format!("{app}: an inference pod is not ready"),
            description: format!(
                "{{{{ $labels.pod }}}} has not been ready for {for_}: the model may fail to load or \
                 the readiness probe ({}) fails.",
                spec.spec.inference.probes.readiness.path
            ),
        },
        format!("max by (namespace, pod) (kube_pod_status_ready{{{pods},condition=\"false\"}}) == 1"),
        for_,
    ));
    rules.push(rule(
        spec,
        AlertText {
            name: "InferencePodCrashLooping",
            severity: Severity::Critical,
            summary: format!("{app}: an inference container keeps restarting"),
            description: "{{ $labels.pod }} restarted {{ $value | humanize }} times in 15 minutes \
                          (more than 2): see its previous logs and the liveness probe."
                .to_string(),
        },
        format!("increase(kube_pod_container_status_restarts_total{{{container}}}[15m]) > 2"),
        for_,
    ));
    if let Some((hpas, field, max_replicas)) = hpa_matchers(spec) {
        rules.push(rule(
            spec,
            AlertText {
                name: "InferenceAtMaxReplicas",
                severity: Severity::Warning,
                summary: format!("{app}: autoscaling is at its maximum"),
                description: format!(
                    "{{{{ $labels.horizontalpodautoscaler }}}} has run at maxReplicas ({}) for \
                     {}: load may exceed capacity; raise {field} or the limits.",
                    max_replicas, settings.at_max_replicas_for
                ),
            },
            format!(
                "max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{{{hpas}}}) >= max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas{{{hpas}}})"
            ),
            settings.at_max_replicas_for.as_str(),
        ));
    }
    // A distributed run is a PyTorchJob, not a Job: kube_job_failed never sees it, the
    // training operator counts it.
    match spec.spec.training.as_ref().map(|t| t.distributed.is_some()) {
        Some(false) => rules.push(job_failed(
            spec,
            "TrainingJobFailed",
            "training",
            spec.metadata.namespace(),
            for_,
        )),
        Some(true) => rules.push(pytorch_job_failed(spec, for_)),
        None => {}
    }
    if spec.spec.backup.is_some() {
        let namespace = spec.metadata.namespace();
        rules.push(job_failed(
            spec,
            "BackupJobFailed",
            "backup",
            namespace,
            for_,
        ));
    }
    if spec
        .spec
        .logging
        .as_ref()
        .is_some_and(|l| l.enabled && l.elasticsearch.retention_days.is_some())
    {
        let namespace = crate::sections::logging::namespace(spec);
        rules.push(job_failed(
            spec,
            "LogRetentionJobFailed",
            "log-retention",
            &namespace,
            for_,
        ));
    }
    rules
}

/// The Kubeflow training operator marked a PyTorchJob of the namespace failed. Its counter
/// carries the Job's namespace (`job_namespace`) and framework, not its name; the operator's
/// own `/metrics` (port 8080) must be scraped.
fn pytorch_job_failed(spec: &AppSpec, for_: &str) -> AlertRule {
    let namespace = spec.metadata.namespace();
    let job = labels::name(spec, "training");
    rule(
        spec,
        AlertText {
            name: "DistributedTrainingFailed",
            severity: Severity::Warning,
            summary: format!("{}: a distributed training run failed", spec.metadata.name),
            description: format!(
                "The training operator marked a PyTorchJob of {namespace} failed in the last \
                 hour ({job} is this application's): it ran out of retries or hit its deadline. \
                 See `kubectl -n {namespace} describe pytorchjob {job}`."
            ),
        },
        format!(
            "sum by (job_namespace) (increase(training_operator_jobs_failed_total{{job_namespace=\"{namespace}\",framework=\"pytorch\"}}[1h])) > 0"
        ),
        for_,
    )
}

/// A Job of `<app>-<suffix>` in `namespace` (one-off, or created by the CronJob of that name)
/// failed.
/// `kube_job_failed{condition="true"}` is the Job's `Failed` condition: unlike
/// `kube_job_status_failed` (failed pods), it stays 0 when a retry succeeded.
fn job_failed(spec: &AppSpec, name: &str, suffix: &str, namespace: &str, for_: &str) -> AlertRule {
    let job = labels::name(spec, suffix);
    rule(
        spec,
        AlertText {
            name,
            severity: Severity::Warning,
            summary: format!("{}: the {suffix} Job failed", spec.metadata.name),
            description: format!(
                "Job {{{{ $labels.job_name }}}} ({job}) failed: it ran out of retries or hit its \
                 deadline. See `kubectl -n {namespace} logs job/{{{{ $labels.job_name }}}}`."
            ),
        },
        format!(
            "max by (namespace, job_name) (kube_job_failed{{namespace=\"{namespace}\",job_name=~\"{job}(-[0-9]+)?\",condition=\"true\"}}) == 1"
        ),
        for_,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::pod;
    use crate::compile::testing::seed;

    fn alert<'a>(rules: &'a [AlertRule], name: &str) -> &'a AlertRule {
        rules
            .iter()
            .find(|r| r.alert == name)
            .unwrap_or_else(|| panic!("no alert {name}"))
    }

    /// Every `[window]` of the expressions that `rate()` over the server's or cAdvisor's series.
    fn windows(expr: &str) -> Vec<&str> {
        expr.match_indices("}[")
            .map(|(at, _)| &expr[at + 2..at + expr[at..].find(']').unwrap()])
            .collect()
    }

    #[test]
    fn rate_windows_hold_four_scrapes_at_a_90s_scrape_interval() {
        let mut spec = seed();
        spec.spec.rollout.canary = Some(crate::sections::rollout::CanarySpec {
            steps: vec![crate::sections::rollout::CanaryStep::SetWeight(20)],
            analysis: Default::default(),
        });
        let rated = |spec: &AppSpec| -> Vec<String> {
            let rules = alerts(spec);
            let mut exprs: Vec<String> = [
                "InferenceCpuNearLimit",
                "InferenceHighErrorRate",
                "InferenceHighLatencyP99",
            ]
            .iter()
            .map(|name| alert(&rules, name).expr.clone())
            .collect();
            // The canary analysis measures with the alerts' own expressions.
            exprs.extend(
                crate::sections::rollout::compile::queries(spec)
                    .into_iter()
                    .map(|q| q.1),
            );
            exprs
                .iter()
                .flat_map(|expr| windows(expr).into_iter().map(String::from))
                .collect()
        };
        let at_30s = rated(&spec);
        assert_eq!(at_30s.len(), 7, "{at_30s:?}");
        assert!(at_30s.iter().all(|w| w == "5m"), "{at_30s:?}");

        spec.spec.monitoring.scrape_interval = "90s".parse().unwrap();
        let at_90s = rated(&spec);
        assert_eq!(at_90s.len(), 7, "{at_90s:?}");
        assert!(at_90s.iter().all(|w| w == "6m"), "4 × 90s: {at_90s:?}");
        let rules = alerts(&spec);
        assert!(
            alert(&rules, "InferenceHighErrorRate").annotations["description"].contains("over 6m")
        );
        // Every window parses as PromQL.
        for expr in rules.iter().map(|rule| &rule.expr) {
            crate::promql::parse(expr).unwrap();
        }
        // The crash-loop window counts restarts over a fixed quarter hour.
        assert_eq!(
            windows(&alert(&rules, "InferencePodCrashLooping").expr),
            ["15m"]
        );
    }

    #[test]
    fn the_cpu_threshold_follows_the_declared_limit() {
        let mut spec = seed();
        assert!(
            alert(&alerts(&spec), "InferenceCpuNearLimit")
                .expr
                .ends_with("> 0.8")
        );
        spec.spec.inference.resources.limits.cpu = Some("2500m".parse().unwrap());
        let rules = alerts(&spec);
        let cpu = alert(&rules, "InferenceCpuNearLimit");
        assert!(cpu.expr.ends_with("> 2"), "{}", cpu.expr);
        assert!(cpu.annotations["description"].contains("`2500m` (2.5 cores)"));
        spec.spec.monitoring.alerts.cpu_limit_percent = 90;
        assert!(
            alert(&alerts(&spec), "InferenceCpuNearLimit")
                .expr
                .ends_with("> 2.25")
        );
    }

    #[test]
    fn the_memory_threshold_follows_the_declared_limit() {
        let mut spec = seed();
        // 80% of 4Gi.
        assert!(
            alert(&alerts(&spec), "InferenceMemoryNearLimit")
                .expr
                .ends_with("> 3435973837")
        );
        spec.spec.inference.resources.limits.memory = Some("1G".parse().unwrap());
        assert!(
            alert(&alerts(&spec), "InferenceMemoryNearLimit")
                .expr
                .ends_with("> 800000000")
        );
        spec.spec.inference.resources.limits.memory = None;
        assert!(
            alerts(&spec)
                .iter()
                .all(|r| r.alert != "InferenceMemoryNearLimit")
        );
    }

    #[test]
    fn every_alert_parses_and_has_severity_runbook_and_for() {
        for spec in [seed(), minimal()] {
            for rule in alerts(&spec) {
                promql::parse(&rule.expr).unwrap_or_else(|e| panic!("{}: {e}", rule.alert));
                assert!(["warning", "critical"].contains(&rule.labels["severity"].as_str()));
                assert_eq!(
                    rule.annotations["runbook_url"],
                    format!("https://runbooks.slipway.dev/{}", rule.alert)
                );
                assert!(!rule.annotations["summary"].is_empty());
                assert!(!rule.for_.is_empty());
            }
        }
    }

    #[test]
    fn optional_alerts_follow_the_spec() {
        let names =
            |spec: &AppSpec| -> Vec<String> { alerts(spec).into_iter().map(|r| r.alert).collect() };
        let seed_names = names(&seed());
        for name in [
            "InferenceAtMaxReplicas",
            "TrainingJobFailed",
            "BackupJobFailed",
        ] {
            assert!(seed_names.contains(&name.to_string()), "{name}");
            assert!(!names(&minimal()).contains(&name.to_string()), "{name}");
        }
        assert_eq!(
            alert(&alerts(&seed()), "InferenceAtMaxReplicas").for_,
            "15m"
        );
    }

    #[test]
    fn a_distributed_run_is_watched_through_the_training_operator() {
        let spec = crate::compile::testing::distributed();
        let rules = alerts(&spec);
        assert!(!rules.iter().any(|r| r.alert == "TrainingJobFailed"));
        let failed = alert(&rules, "DistributedTrainingFailed");
        assert_eq!(
            failed.expr,
            "sum by (job_namespace) (increase(training_operator_jobs_failed_total{job_namespace=\"ai-applications\",framework=\"pytorch\"}[1h])) > 0"
        );
        promql::parse(&failed.expr).unwrap();
    }

    #[test]
    fn runtime_metric_names_are_the_servers() {
        for rule in alerts(&seed()) {
            let expr = promql::parse(&rule.expr).unwrap();
            for name in promql::metric_names(&expr) {
                if name.starts_with("slipway_") {
                    assert!(
                        crate::sections::shared::runtime::METRICS.contains(&promql::family(&name)),
                        "{}: {name}",
                        rule.alert
                    );
                }
            }
        }
    }

    #[test]
    fn the_pod_regex_matches_deployment_pods_only() {
        let spec = seed();
        let regex = pod_regex(&spec);
        assert_eq!(
            regex,
            "(ai-inference-blue|ai-inference-green)-[bcdfghjklmnpqrstvwxz2456789]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5}"
        );
    }

    #[test]
    fn one_scrape_target_per_pod_for_both_colors() {
        let objects = compile(&seed(), Scope::Full);
        let service: &k8s_openapi::api::core::v1::Service =
            crate::bundle::typed(&objects).next().unwrap();
        let spec = service.spec.as_ref().unwrap();
        assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
        let selector = spec.selector.as_ref().unwrap();
        assert!(!selector.contains_key(COLOR_LABEL), "both colors");
        let monitor: &crate::k8s::crd::monitoring::ServiceMonitor =
            crate::bundle::typed(&objects).next().unwrap();
        assert_eq!(
            monitor.spec.selector.match_labels.as_ref().unwrap()["app.kubernetes.io/component"],
            "monitoring"
        );
        assert_eq!(monitor.spec.endpoints[0].port, "http");
        assert_eq!(monitor.spec.endpoints[0].path, "/metrics");
        assert_eq!(monitor.spec.endpoints[0].interval, "30s");
        assert_eq!(
            monitor.metadata.labels.as_ref().unwrap()["release"],
            "prometheus"
        );
        // Only the metrics Service carries the monitoring component among Services.
        let all = crate::compile::compile(&seed());
        let scraped: Vec<&str> = all
            .of_kind("Service")
            .filter(|s| {
                s.metadata().labels.as_ref().unwrap()["app.kubernetes.io/component"] == "monitoring"
            })
            .map(|s| s.name())
            .collect();
        assert_eq!(scraped, ["ai-inference-metrics"]);
    }

    #[test]
    fn the_server_container_name_is_the_deployments() {
        let bundle = crate::compile::compile(&seed());
        let Some(Object::Deployment(deployment)) = bundle.find("Deployment", "ai-inference-blue")
        else {
            panic!("no blue Deployment")
        };
        let pod = pod(deployment.as_ref());
        assert_eq!(pod.containers[0].name, SERVER_CONTAINER);
    }

    #[test]
    fn switches_turn_outputs_off() {
        let mut spec = seed();
        spec.spec.monitoring.alerts.enabled = false;
        assert!(
            compile(&spec, Scope::Full)
                .iter()
                .all(|o| o.kind() != "PrometheusRule")
        );
        spec.spec.monitoring.enabled = false;
        assert!(compile(&spec, Scope::Full).is_empty());
        let mut custom = minimal();
        custom.spec.inference.runtime =
            RuntimeSpec::Custom(crate::sections::serving::CustomRuntimeSpec {
                image: "x:1".into(),
                command: vec![],
                args: vec![],
                metrics_path: None,
            });
        assert!(
            compile(&custom, Scope::Full)
                .iter()
                .all(|o| o.kind() != "ServiceMonitor")
        );
        assert!(alerts(&custom).iter().all(|r| !r.expr.contains("slipway_")));
    }
}
