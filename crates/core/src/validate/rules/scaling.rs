//! Replica counts and HorizontalPodAutoscaler bounds.

use crate::spec::AppSpec;
use crate::validate::{Diagnostic, Rule};

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
