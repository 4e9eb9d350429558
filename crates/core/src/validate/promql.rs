//! PromQL in the compiled output: every expression of the PrometheusRules, of the Grafana
//! dashboards, of the KEDA ScaledObjects' Prometheus triggers and of the Argo Rollouts
//! AnalysisTemplates parses (with the `promql-parser` crate).
//! A failure here is a bug in Slipway or a spec value that breaks an expression; either way
//! the output is not written.

use serde::Deserialize;

use crate::bundle::Bundle;

use crate::bundle::Object;
use crate::diagnostic::Diagnostic;
use crate::promql;

const HELP: &str = "the expression is generated from the spec: check the values it quotes \
                    (names, probe paths), and report the problem if they look right";

/// Every PromQL problem of a compiled bundle; each names the object or file and the alert or
/// panel.
pub fn promql(bundle: &Bundle) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut checker = promql::Checker::default();
    for object in &bundle.objects {
        if let Object::PrometheusRule(rule) = object {
            for (g, group) in rule.spec.groups.iter().enumerate() {
                for (r, alert) in group.rules.iter().enumerate() {
                    if let Err(error) = checker.check(&alert.expr) {
                        out.push(located(
                            Diagnostic::new(
                                &PROMQL_SYNTAX,
                                format!("spec.groups[{g}].rules[{r}].expr"),
                                format!("alert `{}`: {error}", alert.alert),
                            ),
                            format!("PrometheusRule/{}", object.name()),
                        ));
                    }
                }
            }
        }
    }
    for object in &bundle.objects {
        let queries: Vec<(String, String, &str)> = match object {
            Object::ScaledObject(scaled) => scaled
                .spec
                .triggers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.type_ == "prometheus")
                .filter_map(|(t, trigger)| {
                    let query = trigger.metadata.get("query")?;
                    Some((
                        format!("spec.triggers[{t}].metadata.query"),
                        format!("trigger `{}`", trigger.type_),
                        query.as_str(),
                    ))
                })
                .collect(),
            Object::AnalysisTemplate(template) => template
                .spec
                .metrics
                .iter()
                .enumerate()
                .map(|(m, metric)| {
                    (
                        format!("spec.metrics[{m}].provider.prometheus.query"),
                        format!("metric `{}`", metric.name),
                        metric.provider.prometheus.query.as_str(),
                    )
                })
                .collect(),
            _ => continue,
        };
        for (path, what, query) in queries {
            if let Err(error) = checker.check(query) {
                out.push(located(
                    Diagnostic::new(&PROMQL_SYNTAX, path, format!("{what}: {error}")),
                    format!("{}/{}", object.kind(), object.name()),
                ));
            }
        }
    }
    for (path, text) in &bundle.files {
        if !(path.starts_with("dashboards/") && path.ends_with(".json")) {
            continue;
        }
        let Ok(dashboard) = serde_json::from_str::<Dashboard>(text) else {
            out.push(located(
                Diagnostic::new(&PROMQL_SYNTAX, "", "the dashboard is not valid JSON"),
                path.clone(),
            ));
            continue;
        };
        for (p, panel) in dashboard.panels.iter().enumerate() {
            for (t, target) in panel.targets.iter().enumerate() {
                let Some(expr) = &target.expr else {
                    continue;
                };
                if let Err(error) = checker.check_grafana(expr) {
                    out.push(located(
                        Diagnostic::new(
                            &PROMQL_SYNTAX,
                            format!("panels[{p}].targets[{t}].expr"),
                            format!("panel `{}`: {error}", panel.title),
                        ),
                        path.clone(),
                    ));
                }
            }
        }
    }
    out
}

/// What the check reads of a dashboard file (every other field is skipped unparsed).
#[derive(Deserialize)]
struct Dashboard {
    #[serde(default)]
    panels: Vec<Panel>,
}

#[derive(Deserialize)]
struct Panel {
    #[serde(default)]
    title: String,
    #[serde(default)]
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    expr: Option<String>,
}

fn located(diagnostic: Diagnostic, file: String) -> Diagnostic {
    let mut diagnostic = diagnostic.with_help(HELP);
    diagnostic.file = file;
    diagnostic
}

crate::diagnostic::codes! {
    PROMQL_SYNTAX {
        id: "promql-syntax",
        severity: Error,
        stage: Bundle,
        what: "An alert or dashboard expression is not valid PromQL (checked with promql-parser).",
        why: "Prometheus rejects the whole rule group, so none of its alerts fire; a broken panel shows an error instead of data.",
        example: "`rate(slipway_http_requests_total[5m]` (unclosed)",
        instead: "the expression Slipway generates from the spec; if a quoted value (a name, a path) breaks it, fix that value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::compile::testing::seed;

    #[test]
    fn the_seed_output_has_no_problem() {
        assert_eq!(promql(&compile(&seed())), []);
    }

    #[test]
    fn a_broken_alert_expression_is_an_error_naming_the_alert() {
        let mut compiled = compile(&seed());
        for object in &mut compiled.objects {
            if let Object::PrometheusRule(rule) = object {
                rule.spec.groups[0].rules[1].expr.push_str(" and (");
            }
        }
        let problems = promql(&compiled);
        assert_eq!(problems.len(), 1);
        let problem = &problems[0];
        assert!(problem.is_error());
        assert_eq!(problem.file, "PrometheusRule/ai-inference-alerts");
        assert_eq!(problem.path, "spec.groups[0].rules[1].expr");
        assert!(
            problem
                .message
                .starts_with("alert `InferenceMemoryNearLimit`: `max by"),
            "{}",
            problem.message
        );
        assert!(
            problem
                .render(None)
                .contains("--> PrometheusRule/ai-inference-alerts")
        );
    }

    #[test]
    fn broken_keda_and_analysis_queries_are_errors_naming_the_object() {
        let mut spec = seed();
        spec.spec.scaling.hpa = None;
        spec.spec.scaling.keda = Some(crate::sections::scaling::KedaSpec {
            min_replicas: 1,
            max_replicas: 4,
            metric: crate::sections::scaling::LoadMetric::InFlight,
            target_per_pod: 4.0,
            idle_color_to_zero: false,
            polling_interval_seconds: 15,
            cooldown_period_seconds: 300,
        });
        let mut compiled = compile(&spec);
        assert_eq!(promql(&compiled), []);
        for object in &mut compiled.objects {
            if let Object::ScaledObject(scaled) = object {
                let query = scaled.spec.triggers[0].metadata.get_mut("query").unwrap();
                query.push_str(" and (");
            }
        }
        let problems = promql(&compiled);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].file, "ScaledObject/ai-inference-blue");
        assert_eq!(problems[0].path, "spec.triggers[0].metadata.query");
    }

    #[test]
    fn a_broken_dashboard_target_is_an_error_naming_the_panel() {
        let mut compiled = compile(&seed());
        let file = compiled
            .files
            .get_mut("dashboards/ai-inference.json")
            .unwrap();
        *file = file.replacen("sum(rate(", "sum(rate((", 1);
        let problems = promql(&compiled);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.starts_with("panel `Request rate`"));
    }
}
