//! Prometheus-operator kinds (`monitoring.coreos.com/v1`): ServiceMonitor and PrometheusRule,
//! with only the fields Slipway sets. Checked against the CRD schemas in CI.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::Serialize;

/// A ServiceMonitor: which Services' endpoints Prometheus scrapes, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceMonitor {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// What to scrape.
    pub spec: ServiceMonitorSpec,
}

custom_resource!(ServiceMonitor, group: "monitoring.coreos.com", version: "v1", kind: "ServiceMonitor", plural: "servicemonitors");

/// `ServiceMonitor.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Endpoints (ports) scraped on every selected Service.
    pub endpoints: Vec<Endpoint>,
    /// Namespaces the Services are looked up in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// Pod labels copied onto every scraped series.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pod_target_labels: Vec<String>,
    /// Labels of the Services whose endpoints are scraped.
    pub selector: LabelSelector,
}

/// Namespaces a monitor looks in.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Namespace names.
    pub match_names: Vec<String>,
}

/// One scraped port of a ServiceMonitor.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Scrape interval, e.g. `30s`.
    pub interval: String,
    /// HTTP path of the metrics.
    pub path: String,
    /// Name of the Service port.
    pub port: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Scrape timeout, at most the interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
}

/// A PrometheusRule: groups of alerting rules loaded by the Prometheus operator.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PrometheusRule {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The rule groups.
    pub spec: PrometheusRuleSpec,
}

custom_resource!(PrometheusRule, group: "monitoring.coreos.com", version: "v1", kind: "PrometheusRule", plural: "prometheusrules");

/// `PrometheusRule.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PrometheusRuleSpec {
    /// Rule groups, each evaluated on its own schedule.
    pub groups: Vec<RuleGroup>,
}

/// A named group of rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuleGroup {
    /// Group name, unique within the rule file.
    pub name: String,
    /// The alerting rules.
    pub rules: Vec<AlertRule>,
}

/// One alerting rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlertRule {
    /// Alert name (a label value), e.g. `InferenceHighErrorRate`.
    pub alert: String,
    /// `summary`, `description` and `runbook_url`.
    pub annotations: BTreeMap<String, String>,
    /// The PromQL expression; the alert fires for every series it returns.
    pub expr: String,
    /// How long the expression must hold before the alert fires.
    #[serde(rename = "for")]
    pub for_: String,
    /// Labels added to the alert (`severity`, the application).
    pub labels: BTreeMap<String, String>,
}
