//! The rules of the `monitoring` section.

use crate::diagnostic::Diagnostic;
use crate::sections::AppSpec;

/// Reports [`ALERT_THRESHOLD`](ALERT_THRESHOLD).
pub(crate) fn check_thresholds(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let alerts = &spec.spec.monitoring.alerts;
    for (field, value) in [
        ("cpuLimitPercent", alerts.cpu_limit_percent),
        ("memoryLimitPercent", alerts.memory_limit_percent),
    ] {
        if !(1..=100).contains(&value) {
            out.push(
                Diagnostic::new(
                    &ALERT_THRESHOLD,
                    format!("spec.monitoring.alerts.{field}"),
                    format!("{field} is {value}: a share of the limit must be 1 to 100"),
                )
                .with_help("usage cannot pass the limit (CPU is throttled, memory OOM-killed)"),
            );
        }
    }
    if !(alerts.error_rate_percent > 0.0 && alerts.error_rate_percent <= 100.0) {
        out.push(Diagnostic::new(
            &ALERT_THRESHOLD,
            "spec.monitoring.alerts.errorRatePercent",
            format!(
                "errorRatePercent is {}: it must be above 0 and at most 100",
                alerts.error_rate_percent
            ),
        ));
    }
    if alerts.latency_p99_seconds.is_nan() || alerts.latency_p99_seconds <= 0.0 {
        out.push(Diagnostic::new(
            &ALERT_THRESHOLD,
            "spec.monitoring.alerts.latencyP99Seconds",
            format!(
                "latencyP99Seconds is {}: it must be above 0",
                alerts.latency_p99_seconds
            ),
        ));
    }
}

/// Reports [`ALERT_WITHOUT_LIMIT`](ALERT_WITHOUT_LIMIT).
pub(crate) fn check_limits(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let monitoring = &spec.spec.monitoring;
    if !(monitoring.enabled && monitoring.alerts.enabled) {
        return;
    }
    let limits = &spec.spec.inference.resources.limits;
    for (resource, limit) in [("cpu", &limits.cpu), ("memory", &limits.memory)] {
        if limit.is_none() {
            out.push(
                Diagnostic::new(
                    &ALERT_WITHOUT_LIMIT,
                    "spec.inference.resources.limits",
                    format!("no {resource} limit: the {resource} alert is left out"),
                )
                .with_help(format!("declare `limits.{resource}`")),
            );
        }
    }
}

crate::diagnostic::codes! {
    ALERT_THRESHOLD {
        id: "alert-threshold",
        severity: Error,
        stage: Spec,
        what: "Checks the alert thresholds: `cpuLimitPercent` and `memoryLimitPercent` in 1–100, `errorRatePercent` in (0, 100], `latencyP99Seconds` above 0.",
        why: "A container is throttled at its CPU limit and killed at its memory limit, so a threshold above 100% of the limit never fires; a zero error or latency threshold fires all the time.",
        example: "`alerts: {cpuLimitPercent: 120}`",
        instead: "`alerts: {cpuLimitPercent: 80}`",
    }
    ALERT_WITHOUT_LIMIT {
        id: "alert-without-limit",
        severity: Warning,
        stage: Spec,
        what: "Warns when alerts are on but the inference container declares no CPU or memory limit.",
        why: "The CPU and memory alerts are a share of the declared limit; without one, Slipway emits no such alert, and a container may grow until the node runs short.",
        example: "`resources: {limits: {}}`",
        instead: "`resources: {limits: {cpu: \"1\", memory: 2Gi}}`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::check;

    fn ids(spec: &AppSpec) -> Vec<&'static str> {
        check(spec).into_iter().map(|d| d.id()).collect()
    }

    #[test]
    fn thresholds_outside_their_range_are_errors() {
        let mut spec = crate::compile::testing::seed();
        assert!(!ids(&spec).contains(&"alert-threshold"));
        spec.spec.monitoring.alerts.cpu_limit_percent = 120;
        spec.spec.monitoring.alerts.latency_p99_seconds = 0.0;
        assert_eq!(
            ids(&spec)
                .iter()
                .filter(|id| **id == "alert-threshold")
                .count(),
            2
        );
    }

    #[test]
    fn a_missing_limit_is_a_warning() {
        let mut spec = crate::compile::testing::seed();
        spec.spec.inference.resources.limits.memory = None;
        let diagnostics = check(&spec);
        let warning = diagnostics
            .iter()
            .find(|d| d.id() == "alert-without-limit")
            .unwrap();
        assert!(!warning.is_error());
    }

    #[test]
    fn fluentd_in_the_application_namespace_is_an_error() {
        let mut spec = crate::compile::testing::seed();
        spec.spec.logging.as_mut().unwrap().namespace = Some("ai-applications".into());
        assert!(ids(&spec).contains(&"logging-namespace"));
    }
}
