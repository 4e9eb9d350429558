//! Placing diagnostics on the nodes they concern: an output check names its object
//! (`Deployment/ai-inference-blue.spec.selector`), a spec or system rule names the spec field
//! that causes the problem, and each section of the spec compiles into known kinds.

use super::model::{Graph, Mark};
use crate::diagnostic::Diagnostic;

/// Spec field prefixes and the kinds they compile into, most specific first. A rule's
/// diagnostic marks every rendered node of those kinds (a name filter narrows it where a
/// section shares a kind with others).
const PLACES: &[(&str, &[&str], Option<&str>)] = &[
    ("spec.scaling.vpa", &["VerticalPodAutoscaler"], None),
    ("spec.scaling.keda", &["ScaledObject"], None),
    ("spec.scaling.pdb", &["PodDisruptionBudget"], None),
    ("spec.scaling.disruption", &["PodDisruptionBudget"], None),
    (
        "spec.scaling",
        &["HorizontalPodAutoscaler", "ScaledObject"],
        None,
    ),
    ("spec.training.output", &["PersistentVolumeClaim"], None),
    (
        "spec.training",
        &["Job", "PyTorchJob", "CronJob"],
        Some("training"),
    ),
    ("spec.backup", &["CronJob"], Some("backup")),
    (
        "spec.logging",
        &["DaemonSet", "ConfigMap", "CronJob"],
        Some("fluentd"),
    ),
    ("spec.gitops", &["Application", "AppProject"], None),
    ("spec.pipeline", &["Application"], None),
    (
        "spec.security.rbac",
        &["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
        None,
    ),
    ("spec.security.networkPolicy", &["NetworkPolicy"], None),
    ("spec.security", &["Deployment", "Rollout"], None),
    ("spec.exposure.tls", &["Certificate"], None),
    (
        "spec.exposure",
        &["HTTPRoute", "Ingress", "NetworkPolicy", "Certificate"],
        None,
    ),
    (
        "spec.rollout",
        &["Rollout", "AnalysisTemplate", "Deployment"],
        None,
    ),
    (
        "spec.monitoring.dashboard",
        &["ConfigMap"],
        Some("dashboard"),
    ),
    (
        "spec.monitoring",
        &["PrometheusRule", "ServiceMonitor"],
        None,
    ),
    (
        "spec.scheduling",
        &["PriorityClass", "Deployment", "Rollout"],
        None,
    ),
    ("spec.model", &["Deployment", "Rollout"], None),
    ("spec.inference", &["Deployment", "Rollout"], None),
    ("metadata", &["Namespace"], None),
];

/// Puts each diagnostic on the nodes it concerns; those that concern none go to
/// `graph.diagnostics`.
pub fn place(graph: &mut Graph, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        let mark = Mark {
            severity: diagnostic.severity,
            code: diagnostic.id(),
            path: diagnostic.path.clone(),
            message: diagnostic.message.clone(),
        };
        let targets = targets(graph, &diagnostic.path);
        if targets.is_empty() {
            graph.diagnostics.push(mark);
        } else {
            for i in targets {
                graph.nodes[i].diagnostics.push(mark.clone());
            }
        }
    }
    for node in &mut graph.nodes {
        node.diagnostics.sort();
        node.diagnostics.dedup();
    }
    graph.diagnostics.sort();
    graph.diagnostics.dedup();
}

/// The indexes of the nodes a diagnostic at `path` concerns.
fn targets(graph: &Graph, path: &str) -> Vec<usize> {
    // `Kind/name…`: an output check naming its object.
    if let Some((kind, rest)) = path.split_once('/') {
        let name = rest.split(['.', ':', ' ']).next().unwrap_or_default();
        let found: Vec<usize> = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind == kind && n.name == name)
            .map(|(i, _)| i)
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    for (prefix, kinds, name_part) in PLACES {
        let under = path == *prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(['.', '[']));
        if !under {
            continue;
        }
        let found: Vec<usize> = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.origin == super::model::Origin::Rendered)
            .filter(|(_, n)| kinds.contains(&n.kind.as_str()))
            .filter(|(_, n)| name_part.is_none_or(|part| n.name.contains(part)))
            .map(|(i, _)| i)
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}
