//! Replica counts, HorizontalPodAutoscaler bounds, and HPA/VPA conflicts.

use crate::diagnostic::Diagnostic;
use crate::spec::{AppSpec, ScaledResource, VpaUpdateMode};
use crate::validate::Rule;

/// ## What it does
/// Checks `inference.replicas`: negative is an error, zero a warning.
///
/// ## Why it matters
/// Zero replicas deploys an application that answers nothing; the Deployment is valid, so
/// nothing else would say so.
///
/// ## Example
/// `replicas: 0`
///
/// ## Use instead
/// `replicas: 2` (or more, so one pod can restart while another serves)
pub const REPLICAS: Rule = Rule {
    id: "replicas-range",
    check: check_replicas,
};

fn check_replicas(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let replicas = spec.spec.inference.replicas;
    if replicas < 0 {
        out.push(
            Diagnostic::error(
                "replicas-range",
                "spec.inference.replicas",
                format!("replicas is {replicas}; it cannot be negative"),
            )
            .with_help("set replicas to 1 or more"),
        );
    } else if replicas == 0 && spec.spec.scaling.hpa.is_none() {
        out.push(
            Diagnostic::warning(
                "replicas-range",
                "spec.inference.replicas",
                "replicas is 0: no pod will serve the model",
            )
            .with_help("set replicas to 1 or more, or remove the application"),
        );
    }
}

/// ## What it does
/// Checks the HPA: `minReplicas` at least 1 and at most `maxReplicas`, at least one target,
/// targets above 0, and a request for every resource the HPA targets.
///
/// ## Why it matters
/// The API server rejects `minReplicas > maxReplicas`; an HPA with a CPU target but no CPU
/// request never scales (utilisation is a share of the request).
///
/// ## Example
/// `hpa: {minReplicas: 10, maxReplicas: 2}`
///
/// ## Use instead
/// `hpa: {minReplicas: 2, maxReplicas: 10, cpuUtilization: 70}`
pub const HPA_BOUNDS: Rule = Rule {
    id: "hpa-bounds",
    check: check_hpa,
};

fn check_hpa(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(hpa) = &spec.spec.scaling.hpa else {
        return;
    };
    if hpa.min_replicas < 1 {
        out.push(
            Diagnostic::error(
                "hpa-bounds",
                "spec.scaling.hpa.minReplicas",
                format!("minReplicas is {}; it must be at least 1", hpa.min_replicas),
            )
            .with_help("set minReplicas to 1 or more"),
        );
    }
    if hpa.min_replicas > hpa.max_replicas {
        out.push(
            Diagnostic::error(
                "hpa-bounds",
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
            Diagnostic::error(
                "hpa-bounds",
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
                Diagnostic::error(
                    "hpa-bounds",
                    &path,
                    format!("{field} is {target}; it must be a positive percentage"),
                )
                .with_help("e.g. 70"),
            );
        }
        if request.is_none() {
            out.push(
                Diagnostic::error(
                    "hpa-bounds",
                    &path,
                    format!("{field} is a share of the {resource} request, but inference.resources.requests.{resource} is not set"),
                )
                .with_help(format!("set spec.inference.resources.requests.{resource}")),
            );
        }
    }
}

/// ## What it does
/// Reports a VPA that would change a resource the HPA scales on: `updateMode` `Recreate` or
/// `Auto` while `controlledResources` (cpu and memory when empty) includes a resource the HPA
/// targets by utilisation.
///
/// ## Why it matters
/// The HPA's utilisation is usage divided by the request. A VPA that raises the request
/// lowers the utilisation, so the HPA removes pods, which raises usage per pod, so the VPA
/// raises the request again: the two chase each other and evict pods on the way.
///
/// ## Example
/// `hpa: {cpuUtilization: 70}` with `vpa: {updateMode: Auto}`
///
/// ## Use instead
/// `vpa: {updateMode: "Off"}` (recommendations only) or `Initial` (set at pod creation), or
/// `controlledResources: [memory]` when the HPA scales on CPU alone.
pub const HPA_VPA_CONFLICT: Rule = Rule {
    id: "hpa-vpa-conflict",
    check: check_hpa_vpa,
};

fn check_hpa_vpa(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
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
        Diagnostic::error(
            "hpa-vpa-conflict",
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

/// ## What it does
/// Checks `scaling.disruptionBudget.maxUnavailable`: at least 1 when the budget is emitted.
///
/// ## Why it matters
/// `maxUnavailable: 0` forbids every voluntary eviction: `kubectl drain` and cluster upgrades
/// hang on the application's nodes until someone deletes the budget by hand.
///
/// ## Example
/// `disruptionBudget: {maxUnavailable: 0}`
///
/// ## Use instead
/// `disruptionBudget: {maxUnavailable: 1}`, and more replicas if one pod less is too few
pub const DISRUPTION_BUDGET: Rule = Rule {
    id: "disruption-budget",
    check: check_disruption_budget,
};

fn check_disruption_budget(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let budget = &spec.spec.scaling.disruption_budget;
    if budget.enabled && budget.max_unavailable < 1 {
        out.push(
            Diagnostic::error(
                "disruption-budget",
                "spec.scaling.disruptionBudget.maxUnavailable",
                format!(
                    "maxUnavailable is {}: no pod could ever be evicted, so node drains would hang",
                    budget.max_unavailable
                ),
            )
            .with_help("set maxUnavailable to 1 or more (raise replicas or hpa.minReplicas to keep capacity)"),
        );
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
