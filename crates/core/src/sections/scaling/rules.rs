//! Replica counts, HorizontalPodAutoscaler bounds, and HPA/VPA conflicts.

use crate::diagnostic::Diagnostic;
use crate::sections::serving::RuntimeSpec;

use crate::diagnostic::codes;
use crate::k8s::int_or_percent::IntOrPercent;
use crate::sections::AppSpec;
use crate::sections::scaling::ScaledResource;
use crate::sections::scaling::VpaUpdateMode;

/// Reports [`codes::REPLICAS_RANGE`](crate::diagnostic::codes::REPLICAS_RANGE),
/// [`codes::ZERO_REPLICAS`](crate::diagnostic::codes::ZERO_REPLICAS) and
/// [`codes::REPLICAS_IGNORED`](crate::diagnostic::codes::REPLICAS_IGNORED).
pub(super) fn check_replicas(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let scaling = &spec.spec.scaling;
    let autoscaler = match (&scaling.hpa, &scaling.keda) {
        (Some(hpa), _) => Some(("the HPA", "scaling.hpa", hpa.min_replicas, hpa.max_replicas)),
        (None, Some(keda)) => Some(("KEDA", "scaling.keda", keda.min_replicas, keda.max_replicas)),
        (None, None) => None,
    };
    let replicas = spec.spec.inference.replicas();
    if replicas < 0 {
        out.push(
            Diagnostic::new(
                &codes::REPLICAS_RANGE,
                "spec.inference.replicas",
                format!("replicas is {replicas}; it cannot be negative"),
            )
            .with_help("set replicas to 1 or more"),
        );
    } else if replicas == 0 && autoscaler.is_none() {
        out.push(
            Diagnostic::new(
                &codes::ZERO_REPLICAS,
                "spec.inference.replicas",
                "replicas is 0: no pod will serve the model",
            )
            .with_help("set replicas to 1 or more, or remove the application"),
        );
    }
    if let (Some(written), Some((owner, field, min, max))) =
        (spec.spec.inference.replicas, autoscaler)
        && written >= 0
        && !(min..=max).contains(&written)
    {
        out.push(
            Diagnostic::new(
                &codes::REPLICAS_IGNORED,
                "spec.inference.replicas",
                format!(
                    "replicas is {written}, but {owner} owns the replica count: the Deployment \
                     carries no `replicas` and runs between {field}.minReplicas ({min}) and \
                     maxReplicas ({max})"
                ),
            )
            .with_help(format!(
                "remove `inference.replicas`, or change {field}.minReplicas if {written} pods \
                 were meant"
            )),
        );
    }
    if let Some(idle) = spec
        .spec
        .rollout
        .blue_green
        .as_ref()
        .map(|bg| bg.idle_replicas)
        .filter(|idle| *idle < 0)
    {
        out.push(
            Diagnostic::new(
                &codes::REPLICAS_RANGE,
                "spec.rollout.blueGreen.idleReplicas",
                format!("idleReplicas is {idle}; it cannot be negative"),
            )
            .with_help("0 stops the idle color, 1 (the default) keeps one preview pod"),
        );
    }
}

/// Reports [`codes::HPA_BOUNDS`](crate::diagnostic::codes::HPA_BOUNDS).
pub(super) fn check_hpa(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(hpa) = &spec.spec.scaling.hpa else {
        return;
    };
    if hpa.min_replicas < 1 {
        out.push(
            Diagnostic::new(
                &codes::HPA_BOUNDS,
                "spec.scaling.hpa.minReplicas",
                format!("minReplicas is {}; it must be at least 1", hpa.min_replicas),
            )
            .with_help("set minReplicas to 1 or more"),
        );
    }
    if hpa.min_replicas > hpa.max_replicas {
        out.push(
            Diagnostic::new(
                &codes::HPA_BOUNDS,
                "spec.scaling.hpa.minReplicas",
                format!(
                    "minReplicas ({}) is greater than maxReplicas ({})",
                    hpa.min_replicas, hpa.max_replicas
                ),
            )
            .with_help("make minReplicas ≤ maxReplicas"),
        );
    }
    if hpa.cpu_utilization.is_none() && hpa.memory_utilization.is_none() {
        out.push(
            Diagnostic::new(
                &codes::HPA_BOUNDS,
                "spec.scaling.hpa",
                "the HPA has no target: set cpuUtilization and/or memoryUtilization",
            )
            .with_help("e.g. `cpuUtilization: 70`"),
        );
    }
    let requests = &spec.spec.inference.resources.requests;
    for (field, target, request, resource) in [
        ("cpuUtilization", hpa.cpu_utilization, &requests.cpu, "cpu"),
        (
            "memoryUtilization",
            hpa.memory_utilization,
            &requests.memory,
            "memory",
        ),
    ] {
        let Some(target) = target else { continue };
        let path = format!("spec.scaling.hpa.{field}");
        if target <= 0 {
            out.push(
                Diagnostic::new(
                    &codes::HPA_BOUNDS,
                    &path,
                    format!("{field} is {target}; it must be a positive percentage"),
                )
                .with_help("e.g. 70"),
            );
        }
        if request.is_none() {
            out.push(
                Diagnostic::new(
                    &codes::HPA_BOUNDS,
                    &path,
                    format!("{field} is a share of the {resource} request, but inference.resources.requests.{resource} is not set"),
                )
                .with_help(format!("set spec.inference.resources.requests.{resource}")),
            );
        }
    }
}

/// Reports [`codes::HPA_VPA_CONFLICT`](crate::diagnostic::codes::HPA_VPA_CONFLICT).
pub(super) fn check_hpa_vpa(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let scaling = &spec.spec.scaling;
    let (Some(hpa), Some(vpa)) = (&scaling.hpa, &scaling.vpa) else {
        return;
    };
    if !matches!(
        vpa.update_mode,
        VpaUpdateMode::Recreate | VpaUpdateMode::Auto
    ) {
        return;
    }
    let hpa_uses = [
        (ScaledResource::Cpu, hpa.cpu_utilization.is_some()),
        (ScaledResource::Memory, hpa.memory_utilization.is_some()),
    ];
    let controlled = vpa.controlled();
    let shared: Vec<&str> = hpa_uses
        .iter()
        .filter(|(resource, used)| *used && controlled.contains(resource))
        .map(|(resource, _)| resource.as_str())
        .collect();
    if shared.is_empty() {
        return;
    }
    let free: Vec<&str> = hpa_uses
        .iter()
        .filter(|(_, used)| !used)
        .map(|(resource, _)| resource.as_str())
        .collect();
    let modes =
        "set `updateMode: \"Off\"` (recommend only) or `Initial` (apply at pod creation only)";
    let help = if free.is_empty() {
        format!(
            "{modes}; the HPA scales on both cpu and memory, so limiting `controlledResources` cannot help"
        )
    } else {
        format!(
            "{modes}, or limit `controlledResources` to [{}]",
            free.join(", ")
        )
    };
    out.push(
        Diagnostic::new(
            &codes::HPA_VPA_CONFLICT,
            "spec.scaling.vpa.updateMode",
            format!(
                "the VPA in `{}` mode would change the {} request the HPA scales on; the two autoscalers would fight",
                vpa.update_mode.as_str(),
                shared.join(" and ")
            ),
        )
        .with_help(help),
    );
}

/// Reports [`codes::DISRUPTION_BUDGET`](crate::diagnostic::codes::DISRUPTION_BUDGET).
pub(super) fn check_disruption_budget(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let budget = &spec.spec.scaling.disruption_budget;
    if !budget.enabled {
        return;
    }
    if budget.max_unavailable.is_zero() {
        out.push(
            Diagnostic::new(
                &codes::DISRUPTION_BUDGET,
                "spec.scaling.disruptionBudget.maxUnavailable",
                format!(
                    "maxUnavailable is {}: no pod could ever be evicted, so node drains would hang",
                    budget.max_unavailable
                ),
            )
            .with_help("set maxUnavailable to 1 or more (raise replicas or hpa.minReplicas to keep capacity)"),
        );
    } else if let IntOrPercent::Percent(percent) = budget.max_unavailable
        && percent > 100
    {
        out.push(
            Diagnostic::new(
                &codes::DISRUPTION_BUDGET,
                "spec.scaling.disruptionBudget.maxUnavailable",
                format!("maxUnavailable is {percent}%: the API server rejects more than 100%"),
            )
            .with_help("use a percentage from 1% to 100%, or a number of pods"),
        );
    }
}

/// Reports [`codes::KEDA_HPA_CONFLICT`], [`codes::KEDA_SCALER`] and
/// [`codes::PROMETHEUS_ADDRESS`].
pub(crate) fn check_keda(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let monitoring = &spec.spec.monitoring;
    if let Some(address) = &monitoring.prometheus_address
        && !(address.starts_with("http://") || address.starts_with("https://"))
    {
        out.push(
            Diagnostic::new(
                &codes::PROMETHEUS_ADDRESS,
                "spec.monitoring.prometheusAddress",
                format!("`{address}` is not an http:// or https:// URL"),
            )
            .with_help("e.g. `http://prometheus-operated.monitoring.svc:9090`"),
        );
    }
    let Some(keda) = &spec.spec.scaling.keda else {
        return;
    };
    if spec.spec.scaling.hpa.is_some() {
        out.push(
            Diagnostic::new(
                &codes::KEDA_HPA_CONFLICT,
                "spec.scaling.keda",
                "scaling.keda and scaling.hpa both scale the inference workload; KEDA creates its own HPA",
            )
            .with_help("remove `scaling.hpa` (or `scaling.keda`)"),
        );
    }
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(
            Diagnostic::new(
                &codes::KEDA_SCALER,
                format!("spec.scaling.keda{field}"),
                message,
            )
            .with_help(help),
        );
    };
    if keda.min_replicas < 1 {
        bad(
            ".minReplicas",
            format!(
                "minReplicas is {}: a serving workload at zero pods has no load metric and no endpoints to wake it",
                keda.min_replicas
            ),
            "set minReplicas to 1 or more; scale only the idle blue/green color to zero (`idleColorToZero: true`)",
        );
    }
    if keda.max_replicas < keda.min_replicas.max(1) {
        bad(
            ".maxReplicas",
            format!(
                "maxReplicas ({}) is below minReplicas ({})",
                keda.max_replicas, keda.min_replicas
            ),
            "make minReplicas ≤ maxReplicas",
        );
    }
    if keda.target_per_pod.is_nan() || keda.target_per_pod <= 0.0 {
        bad(
            ".targetPerPod",
            format!(
                "targetPerPod is {}; it must be positive",
                keda.target_per_pod
            ),
            "e.g. 8 requests in flight per pod",
        );
    }
    if keda.polling_interval_seconds < 1 || keda.cooldown_period_seconds < 0 {
        bad(
            "",
            "pollingIntervalSeconds must be positive and cooldownPeriodSeconds not negative".into(),
            "e.g. 15 and 300",
        );
    }
    if keda.idle_color_to_zero && spec.spec.rollout.blue_green.is_none() {
        bad(
            ".idleColorToZero",
            "idleColorToZero has no effect without rollout.blueGreen".into(),
            "remove it, or use a blue/green rollout",
        );
    }
    if !has_scraped_runtime_metrics(spec) {
        bad(
            "",
            "KEDA scales on slipway-serve's request metrics, which Prometheus does not scrape here (monitoring off or a custom runtime)".into(),
            "keep `monitoring.enabled` and the built-in runtime, or use `scaling.hpa`",
        );
    }
}

/// Whether the inference pods' `slipway_*` series reach Prometheus: the built-in runtime,
/// scraped because monitoring is on.
fn has_scraped_runtime_metrics(spec: &AppSpec) -> bool {
    spec.spec.monitoring.enabled
        && matches!(spec.spec.inference.runtime, RuntimeSpec::SlipwayServe(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;

    fn conflicts(spec: &AppSpec) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        check_hpa_vpa(spec, &mut out);
        out
    }

    fn replica_warnings(spec: &AppSpec) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        check_replicas(spec, &mut out);
        out.into_iter().map(|d| (d.id, d.message)).collect()
    }

    #[test]
    fn replicas_outside_the_autoscalers_bounds_are_a_warning_that_they_are_ignored() {
        let mut spec = crate::compile::testing::minimal();
        spec.spec.inference.replicas = Some(1);
        assert!(replica_warnings(&spec).is_empty(), "no autoscaler");
        let mut hpa = crate::sections::scaling::HpaSpec::new(10);
        hpa.min_replicas = 5;
        spec.spec.scaling.hpa = Some(hpa);
        let found = replica_warnings(&spec);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "replicas-ignored");
        assert!(found[0].1.contains("minReplicas (5)"), "{}", found[0].1);
        assert_eq!(
            codes::REPLICAS_IGNORED.severity,
            crate::diagnostic::Severity::Warning
        );
        // Within the bounds, or not written at all: nothing to say.
        spec.spec.inference.replicas = Some(7);
        assert!(replica_warnings(&spec).is_empty());
        spec.spec.inference.replicas = None;
        assert!(
            replica_warnings(&spec).is_empty(),
            "the default 2 is not written"
        );
        // KEDA owns the count too.
        spec.spec.scaling.hpa = None;
        spec.spec.scaling.keda = Some(
            serde_json::from_value(serde_json::json!({"minReplicas": 2, "maxReplicas": 4}))
                .unwrap(),
        );
        spec.spec.inference.replicas = Some(8);
        let found = replica_warnings(&spec);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("KEDA"), "{}", found[0].1);
    }

    #[test]
    fn a_vpa_in_auto_mode_on_the_hpa_resources_is_an_error() {
        let mut spec = seed();
        assert!(conflicts(&spec).is_empty(), "the seed's VPA is Off");
        spec.spec.scaling.vpa.as_mut().unwrap().update_mode = VpaUpdateMode::Auto;
        let out = conflicts(&spec);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, "spec.scaling.vpa.updateMode");
        assert!(out[0].message.contains("cpu and memory"));
    }

    #[test]
    fn initial_mode_or_disjoint_resources_do_not_fight() {
        let mut spec = seed();
        let vpa = spec.spec.scaling.vpa.as_mut().unwrap();
        vpa.update_mode = VpaUpdateMode::Initial;
        assert!(conflicts(&spec).is_empty());
        let vpa = spec.spec.scaling.vpa.as_mut().unwrap();
        vpa.update_mode = VpaUpdateMode::Recreate;
        vpa.controlled_resources = vec![ScaledResource::Memory];
        spec.spec.scaling.hpa.as_mut().unwrap().memory_utilization = None;
        assert!(conflicts(&spec).is_empty(), "HPA on cpu, VPA on memory");
        spec.spec.scaling.vpa.as_mut().unwrap().controlled_resources = Vec::new();
        let out = conflicts(&spec);
        assert!(
            out[0].help.as_ref().unwrap().contains("[memory]"),
            "empty controlledResources means cpu and memory"
        );
    }
}
