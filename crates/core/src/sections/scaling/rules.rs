//! Replica counts, HorizontalPodAutoscaler bounds, and HPA/VPA conflicts.

use crate::diagnostic::Diagnostic;
use crate::sections::serving::RuntimeSpec;

use crate::k8s::int_or_percent::IntOrPercent;
use crate::sections::AppSpec;
use crate::sections::scaling::ScaledResource;
use crate::sections::scaling::VpaUpdateMode;

/// Reports [`REPLICAS_RANGE`](REPLICAS_RANGE),
/// [`ZERO_REPLICAS`](ZERO_REPLICAS) and
/// [`REPLICAS_IGNORED`](REPLICAS_IGNORED).
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
                &REPLICAS_RANGE,
                "spec.inference.replicas",
                format!("replicas is {replicas}; it cannot be negative"),
            )
            .with_help("set replicas to 1 or more"),
        );
    } else if replicas == 0 && autoscaler.is_none() {
        out.push(
            Diagnostic::new(
                &ZERO_REPLICAS,
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
                &REPLICAS_IGNORED,
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
                &REPLICAS_RANGE,
                "spec.rollout.blueGreen.idleReplicas",
                format!("idleReplicas is {idle}; it cannot be negative"),
            )
            .with_help("0 stops the idle color, 1 (the default) keeps one preview pod"),
        );
    }
}

/// Reports [`HPA_BOUNDS`](HPA_BOUNDS).
pub(super) fn check_hpa(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(hpa) = &spec.spec.scaling.hpa else {
        return;
    };
    if hpa.min_replicas < 1 {
        out.push(
            Diagnostic::new(
                &HPA_BOUNDS,
                "spec.scaling.hpa.minReplicas",
                format!("minReplicas is {}; it must be at least 1", hpa.min_replicas),
            )
            .with_help("set minReplicas to 1 or more"),
        );
    }
    if hpa.min_replicas > hpa.max_replicas {
        out.push(
            Diagnostic::new(
                &HPA_BOUNDS,
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
                &HPA_BOUNDS,
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
                    &HPA_BOUNDS,
                    &path,
                    format!("{field} is {target}; it must be a positive percentage"),
                )
                .with_help("e.g. 70"),
            );
        }
        if request.is_none() {
            out.push(
                Diagnostic::new(
                    &HPA_BOUNDS,
                    &path,
                    format!("{field} is a share of the {resource} request, but inference.resources.requests.{resource} is not set"),
                )
                .with_help(format!("set spec.inference.resources.requests.{resource}")),
            );
        }
    }
}

/// Reports [`HPA_VPA_CONFLICT`](HPA_VPA_CONFLICT).
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
            &HPA_VPA_CONFLICT,
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

/// Reports [`DISRUPTION_BUDGET`](DISRUPTION_BUDGET).
pub(super) fn check_disruption_budget(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let budget = &spec.spec.scaling.disruption_budget;
    if !budget.enabled {
        return;
    }
    if budget.max_unavailable.is_zero() {
        out.push(
            Diagnostic::new(
                &DISRUPTION_BUDGET,
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
                &DISRUPTION_BUDGET,
                "spec.scaling.disruptionBudget.maxUnavailable",
                format!("maxUnavailable is {percent}%: the API server rejects more than 100%"),
            )
            .with_help("use a percentage from 1% to 100%, or a number of pods"),
        );
    }
}

/// Reports [`KEDA_HPA_CONFLICT`], [`KEDA_SCALER`] and
/// [`PROMETHEUS_ADDRESS`].
pub(crate) fn check_keda(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let monitoring = &spec.spec.monitoring;
    if let Some(address) = &monitoring.prometheus_address
        && !(address.starts_with("http://") || address.starts_with("https://"))
    {
        out.push(
            Diagnostic::new(
                &PROMETHEUS_ADDRESS,
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
                &KEDA_HPA_CONFLICT,
                "spec.scaling.keda",
                "scaling.keda and scaling.hpa both scale the inference workload; KEDA creates its own HPA",
            )
            .with_help("remove `scaling.hpa` (or `scaling.keda`)"),
        );
    }
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(
            Diagnostic::new(&KEDA_SCALER, format!("spec.scaling.keda{field}"), message)
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

crate::diagnostic::codes! {
    REPLICAS_RANGE {
        id: "replicas-range",
        severity: Error,
        stage: Spec,
        what: "Checks `inference.replicas` (negative is an error, zero a warning) and `rollout.blueGreen.idleReplicas` (negative is an error).",
        why: "Zero replicas deploys an application that answers nothing; the Deployment is valid, so nothing else would say so.",
        example: "`replicas: 0`",
        instead: "`replicas: 2` (or more, so one pod can restart while another serves)",
    }
    HPA_BOUNDS {
        id: "hpa-bounds",
        severity: Error,
        stage: Spec,
        what: "Checks the HPA: `minReplicas` at least 1 and at most `maxReplicas`, at least one target, targets above 0, and a request for every resource the HPA targets.",
        why: "The API server rejects `minReplicas > maxReplicas`; an HPA with a CPU target but no CPU request never scales (utilisation is a share of the request).",
        example: "`hpa: {minReplicas: 10, maxReplicas: 2}`",
        instead: "`hpa: {minReplicas: 2, maxReplicas: 10, cpuUtilization: 70}`",
    }
    HPA_VPA_CONFLICT {
        id: "hpa-vpa-conflict",
        severity: Error,
        stage: Spec,
        what: "Reports a VPA that would change a resource the HPA scales on: `updateMode` `Recreate` or `Auto` while `controlledResources` (cpu and memory when empty) includes a resource the HPA targets by utilisation.",
        why: "The HPA's utilisation is usage divided by the request. A VPA that raises the request lowers the utilisation, so the HPA removes pods, which raises usage per pod, so the VPA raises the request again: the two chase each other and evict pods on the way.",
        example: "`hpa: {cpuUtilization: 70}` with `vpa: {updateMode: Auto}`",
        instead: "`vpa: {updateMode: \"Off\"}` (recommendations only) or `Initial` (set at pod creation), or\n`controlledResources: [memory]` when the HPA scales on CPU alone.",
    }
    DISRUPTION_BUDGET {
        id: "disruption-budget",
        severity: Error,
        stage: Spec,
        what: "Checks `scaling.disruptionBudget.maxUnavailable`: at least 1 (or 1%) and at most 100% when the budget is emitted.",
        why: "`maxUnavailable: 0` forbids every voluntary eviction: `kubectl drain` and cluster upgrades hang on the application's nodes until someone deletes the budget by hand.",
        example: "`disruptionBudget: {maxUnavailable: 0}`",
        instead: "`disruptionBudget: {maxUnavailable: 1}`, and more replicas if one pod less is too few",
    }
    ZERO_REPLICAS {
        id: "zero-replicas",
        severity: Warning,
        stage: Spec,
        what: "Warns when `inference.replicas` is 0 and no autoscaler raises it.",
        why: "The application deploys cleanly and answers nothing; no other check would say so.",
        example: "`inference: {replicas: 0}`",
        instead: "`inference: {replicas: 2}`",
    }
    REPLICAS_IGNORED {
        id: "replicas-ignored",
        severity: Warning,
        stage: Spec,
        what: "Warns when `inference.replicas` is written while an HPA or KEDA scales the Deployment and the value lies outside the autoscaler's `minReplicas`..`maxReplicas`.",
        why: "With an autoscaler the Deployment carries no `replicas` (a GitOps sync must not reset the autoscaler's count), so the written value is ignored: `replicas: 1` with `minReplicas: 5` runs five pods, `replicas: 20` with `maxReplicas: 10` never runs twenty.",
        example: "`inference: {replicas: 1}` with `scaling: {hpa: {minReplicas: 5, maxReplicas: 10}}`",
        instead: "leave `replicas` out and set `scaling.hpa.minReplicas` to the count you want at least",
    }
    KEDA_HPA_CONFLICT {
        id: "keda-hpa-conflict",
        severity: Error,
        stage: Spec,
        what: "`scaling.keda` and `scaling.hpa` are both set.",
        why: "KEDA creates its own HorizontalPodAutoscaler for the workload; a second HPA on the same Deployment makes the two overwrite each other's replica count every few seconds.",
        example: "`scaling: {hpa: {maxReplicas: 10, cpuUtilization: 70}, keda: {maxReplicas: 10}}`",
        instead: "one of them: `scaling: {keda: {maxReplicas: 10, targetPerPod: 8}}`",
    }
    KEDA_SCALER {
        id: "keda-scaler",
        severity: Error,
        stage: Spec,
        what: "Checks `scaling.keda`: 1 ≤ `minReplicas` ≤ `maxReplicas`, a positive target, positive polling and cooldown periods, `idleColorToZero` only with blue/green, and a source for its query (slipway-serve's metrics, scraped because monitoring is on).",
        why: "A serving workload at zero pods exports no load metric and has no endpoints, so nothing would ever scale it up again; without the ServiceMonitor (or with a custom runtime) the query returns nothing and KEDA never scales.",
        example: "`scaling: {keda: {minReplicas: 0, maxReplicas: 5}}` on a rolling-update application",
        instead: "`scaling: {keda: {minReplicas: 1, maxReplicas: 5}}`; scale to zero only the idle blue/green color (`idleColorToZero: true`)",
    }
    PROMETHEUS_ADDRESS {
        id: "prometheus-address",
        severity: Error,
        stage: Spec,
        what: "`monitoring.prometheusAddress` is not an `http://` or `https://` URL.",
        why: "KEDA and the canary analysis query Prometheus there; a bare host name fails every query, so scaling stops and every canary is aborted.",
        example: "`monitoring: {prometheusAddress: prometheus:9090}`",
        instead: "`monitoring: {prometheusAddress: http://prometheus-operated.monitoring.svc:9090}`",
    }
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
        out.into_iter().map(|d| (d.id(), d.message)).collect()
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
            REPLICAS_IGNORED.severity,
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
