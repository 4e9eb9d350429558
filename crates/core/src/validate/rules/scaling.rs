//! Replica counts, HorizontalPodAutoscaler bounds, and HPA/VPA conflicts.

use crate::diagnostic::{Diagnostic, codes};
use crate::spec::{AppSpec, ScaledResource, VpaUpdateMode};

/// Reports [`codes::REPLICAS_RANGE`](crate::diagnostic::codes::REPLICAS_RANGE).
pub(super) fn check_replicas(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let replicas = spec.spec.inference.replicas;
    if replicas < 0 {
        out.push(
            Diagnostic::new(
                &codes::REPLICAS_RANGE,
                "spec.inference.replicas",
                format!("replicas is {replicas}; it cannot be negative"),
            )
            .with_help("set replicas to 1 or more"),
        );
    } else if replicas == 0 && spec.spec.scaling.hpa.is_none() {
        out.push(
            Diagnostic::new(
                &codes::ZERO_REPLICAS,
                "spec.inference.replicas",
                "replicas is 0: no pod will serve the model",
            )
            .with_help("set replicas to 1 or more, or remove the application"),
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
    if budget.enabled && budget.max_unavailable < 1 {
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
