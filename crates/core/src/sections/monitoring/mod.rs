//! Monitoring: Prometheus scraping, alert rules and the Grafana dashboard.

pub mod compile;
pub mod dashboard;
pub mod rules;

/// The `monitoring` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "monitoring",
    compile: |i, b| {
        b.objects.extend(compile::compile(i.spec, i.scope));
        let files = match i.scope {
            crate::sections::Scope::Outline => dashboard::empty_files(i.spec),
            crate::sections::Scope::Full | crate::sections::Scope::Objects => {
                dashboard::files(i.spec)
            }
        };
        b.files.extend(files);
        let objects = dashboard::config_map(i.spec, &b.files);
        b.objects.extend(objects);
    },
    rules: &[rules::check_thresholds, rules::check_limits],
    codes: &[rules::CODES],
};

use crate::k8s::duration::Duration;
use crate::sections::parsed;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Prometheus scraping, alerts and the Grafana dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct MonitoringSpec {
    /// Emit a ServiceMonitor for the inference pods. Default: true.
    pub enabled: bool,
    /// Namespace Prometheus runs in (allowed to scrape by the NetworkPolicy). Default: `monitoring`.
    pub namespace: String,
    /// Scrape interval. The alerts' `rate()` windows hold at least four scrapes: the larger of
    /// `5m` and four intervals, rounded up to whole minutes. Default: `30s`.
    pub scrape_interval: Duration,
    /// URL of the Prometheus API that KEDA and canary analysis query. Default:
    /// `http://prometheus-operated.<namespace>.svc:9090` (the Prometheus operator's Service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_address: Option<String>,
    /// Labels the Prometheus operator selects ServiceMonitors and rules by. Default:
    /// `release: prometheus`.
    pub prometheus_labels: BTreeMap<String, String>,
    /// Alert rules (a PrometheusRule). Default: on, with the thresholds below.
    pub alerts: AlertsSpec,
    /// Grafana dashboard (a JSON file and a sidecar ConfigMap). Default: on.
    pub dashboard: DashboardSpec,
}

impl Default for MonitoringSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            namespace: "monitoring".into(),
            scrape_interval: parsed("30s"),
            prometheus_address: None,
            prometheus_labels: BTreeMap::from([("release".into(), "prometheus".into())]),
            alerts: AlertsSpec::default(),
            dashboard: DashboardSpec::default(),
        }
    }
}

impl MonitoringSpec {
    /// The Prometheus API URL: `prometheusAddress`, else the operator's Service in
    /// `namespace`.
    pub fn prometheus_url(&self) -> String {
        self.prometheus_address
            .clone()
            .unwrap_or_else(|| format!("http://prometheus-operated.{}.svc:9090", self.namespace))
    }
}

/// Alert rules, all derived from the spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertsSpec {
    /// Emit the PrometheusRule. Default: true.
    pub enabled: bool,
    /// Alert when CPU use exceeds this percentage of the declared CPU limit. Default: 80.
    pub cpu_limit_percent: u32,
    /// Alert when memory use exceeds this percentage of the declared memory limit. Default: 80.
    pub memory_limit_percent: u32,
    /// Alert when this percentage of requests fail with 5xx. Default: 5.
    pub error_rate_percent: f64,
    /// Alert when the p99 request latency exceeds this many seconds. Default: 1.0.
    pub latency_p99_seconds: f64,
    /// How long a condition must hold before it fires. Default: `5m`.
    pub for_duration: Duration,
    /// How long the HPA may sit at `maxReplicas` before `InferenceAtMaxReplicas` fires.
    /// Default: `15m`.
    pub at_max_replicas_for: Duration,
    /// Base URL of the runbooks; each alert links `<base>/<AlertName>`. Default:
    /// `https://runbooks.slipway.dev`.
    pub runbook_base_url: String,
}

impl Default for AlertsSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            cpu_limit_percent: 80,
            memory_limit_percent: 80,
            error_rate_percent: 5.0,
            latency_p99_seconds: 1.0,
            for_duration: parsed("5m"),
            at_max_replicas_for: parsed("15m"),
            runbook_base_url: "https://runbooks.slipway.dev".into(),
        }
    }
}

/// The Grafana dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DashboardSpec {
    /// Emit the dashboard. Default: true.
    pub enabled: bool,
    /// Grafana folder (sidecar annotation). Default: `AI Applications`.
    pub folder: String,
}

impl Default for DashboardSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            folder: "AI Applications".into(),
        }
    }
}
