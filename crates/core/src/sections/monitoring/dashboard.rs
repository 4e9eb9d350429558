//! The Grafana dashboard: typed panels (`timeseries` and `stat` only, schemaVersion 39) over
//! the runtime's metrics, cAdvisor and kube-state-metrics, emitted as `dashboards/<app>.json`
//! and as a ConfigMap the Grafana sidecar loads (`grafana_dashboard: "1"`).
//!
//! Deterministic: the `uid` derives from the application name, positions from panel order,
//! and there is no `id` or `version`, so a spec change gives a small Git diff.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use serde::Serialize;

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::monitoring::compile as monitoring;
use crate::sections::serving::RuntimeSpec;
use crate::sections::shared::labels::Component;
use crate::sections::shared::pod;
use crate::sections::shared::runtime::DEFAULT_BATCH_MAX_SIZE;
use crate::sections::shared::runtime::DEFAULT_BATCH_QUEUE_DELAY_MICROS;
use crate::sections::shared::runtime::METRIC_BATCH_QUEUE_DELAY;
use crate::sections::shared::runtime::METRIC_BATCH_QUEUE_DEPTH;
use crate::sections::shared::runtime::METRIC_BATCH_SIZE;
use crate::sections::shared::runtime::METRIC_IN_FLIGHT;
use crate::sections::shared::runtime::METRIC_INFERENCE_DURATION;
use crate::sections::shared::runtime::METRIC_MODEL_LOADED;
use crate::sections::shared::runtime::METRIC_REJECTED;
use crate::sections::shared::runtime::METRIC_REQUEST_DURATION;
use crate::sections::shared::runtime::METRIC_REQUESTS;

/// The dashboard JSON schema version written (Grafana 10.4 and later read it unchanged).
pub const SCHEMA_VERSION: u32 = 39;
/// Label the Grafana sidecar selects dashboard ConfigMaps by.
pub const SIDECAR_LABEL: &str = "grafana_dashboard";
/// Annotation naming the Grafana folder of a sidecar dashboard.
pub const FOLDER_ANNOTATION: &str = "grafana_folder";
/// The datasource template variable every panel queries through.
pub const DATASOURCE: &str = "${datasource}";
/// Grafana's rate window, four scrape intervals at least.
const RATE: &str = "$__rate_interval";

/// A dashboard (the fields Slipway sets).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// Stable identifier, `slipway-<app>` (at most 40 characters).
    pub uid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// `browser`.
    pub timezone: String,
    /// Whether users may edit it in Grafana (changes are lost on the next sync).
    pub editable: bool,
    /// 1: shared crosshair.
    pub graph_tooltip: u8,
    /// Default time range.
    pub time: TimeRange,
    /// Refresh interval.
    pub refresh: String,
    /// Dashboard JSON schema version.
    pub schema_version: u32,
    /// Template variables (the datasource).
    pub templating: Templating,
    /// Annotation queries (Grafana's built-in one).
    pub annotations: Annotations,
    /// Panels, top to bottom.
    pub panels: Vec<Panel>,
}

/// A relative time range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeRange {
    /// Start, e.g. `now-6h`.
    pub from: String,
    /// End, `now`.
    pub to: String,
}

/// `templating`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Templating {
    /// The variables.
    pub list: Vec<Variable>,
}

/// A template variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Variable {
    /// `datasource`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name, referenced as `${name}`.
    pub name: String,
    /// Display label.
    pub label: String,
    /// For a datasource variable: the plugin id (`prometheus`).
    pub query: String,
    /// 1: refresh on dashboard load.
    pub refresh: u8,
    /// 0: shown.
    pub hide: u8,
    /// Multiple values.
    pub multi: bool,
    /// An "All" option.
    pub include_all: bool,
}

/// `annotations`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotations {
    /// The annotation queries.
    pub list: Vec<Annotation>,
}

/// An annotation query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    /// 1 for Grafana's built-in annotations.
    pub built_in: u8,
    /// Grafana's own datasource.
    pub datasource: DataSourceRef,
    /// Queried on refresh.
    pub enable: bool,
    /// Toggle hidden.
    pub hide: bool,
    /// Marker color.
    pub icon_color: String,
    /// Name.
    pub name: String,
    /// `dashboard`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A datasource reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSourceRef {
    /// Plugin id.
    #[serde(rename = "type")]
    pub kind: String,
    /// Instance uid (here a template variable).
    pub uid: String,
}

impl DataSourceRef {
    fn prometheus() -> Self {
        Self {
            kind: "prometheus".into(),
            uid: DATASOURCE.into(),
        }
    }
}

/// A panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Panel {
    /// `timeseries` or `stat`.
    #[serde(rename = "type")]
    pub kind: PanelKind,
    /// Title.
    pub title: String,
    /// What the panel shows and where its numbers come from.
    pub description: String,
    /// The Prometheus datasource variable.
    pub datasource: DataSourceRef,
    /// Position in the 24-column grid.
    pub grid_pos: GridPos,
    /// The queries.
    pub targets: Vec<Target>,
    /// Units, bounds and thresholds.
    pub field_config: FieldConfig,
    /// Legend, tooltip and reduction options.
    pub options: PanelOptions,
}

/// The panel types Slipway uses (never the deprecated `graph`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PanelKind {
    /// A time series chart.
    Timeseries,
    /// A single value.
    Stat,
}

/// Position and size of a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GridPos {
    /// Height in rows.
    pub h: u32,
    /// Width in columns (of 24).
    pub w: u32,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

/// A Prometheus query of a panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The datasource variable.
    pub datasource: DataSourceRef,
    /// PromQL (may use `$__rate_interval`).
    pub expr: String,
    /// Series name template.
    pub legend_format: String,
    /// `A`, `B`, …
    pub ref_id: String,
}

/// `fieldConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldConfig {
    /// Defaults for every field.
    pub defaults: FieldDefaults,
    /// Per-field overrides (none).
    pub overrides: Vec<Override>,
}

/// A field override (Slipway sets none; the schema requires the list).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Override {}

/// Field defaults.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDefaults {
    /// Grafana unit id, e.g. `reqps`, `s`, `bytes`, `percentunit`.
    pub unit: String,
    /// Lower bound of the axis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Upper bound of the axis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Threshold steps (the alert's threshold when there is one).
    pub thresholds: Thresholds,
    /// Coloring.
    pub color: FieldColor,
    /// Plugin-specific settings (time series: draw thresholds as a dashed line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<TimeseriesCustom>,
}

/// Threshold steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    /// `absolute`.
    pub mode: String,
    /// Steps, the first with a null value (−∞).
    pub steps: Vec<Threshold>,
}

/// One threshold step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// Lower edge; `null` for the base step.
    pub value: Option<f64>,
    /// Color from this edge on.
    pub color: String,
}

/// Field coloring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldColor {
    /// `palette-classic` or `thresholds`.
    pub mode: String,
}

/// Time series field settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeseriesCustom {
    /// How thresholds are drawn.
    pub thresholds_style: ThresholdsStyle,
    /// Area fill, percent.
    pub fill_opacity: u8,
}

/// How thresholds are drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdsStyle {
    /// `off` or `dashed`.
    pub mode: String,
}

/// Panel options, by panel type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PanelOptions {
    /// Time series options.
    Timeseries(TimeseriesOptions),
    /// Stat options.
    Stat(StatOptions),
}

/// Time series options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeseriesOptions {
    /// Legend.
    pub legend: Legend,
    /// Tooltip.
    pub tooltip: Tooltip,
}

/// Legend settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Legend {
    /// `list` or `table`.
    pub display_mode: String,
    /// `bottom` or `right`.
    pub placement: String,
    /// Shown.
    pub show_legend: bool,
    /// Reducers shown beside series names.
    pub calcs: Vec<String>,
}

/// Tooltip settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tooltip {
    /// `single` or `multi`.
    pub mode: String,
    /// `none`, `asc` or `desc`.
    pub sort: String,
}

/// Stat options.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatOptions {
    /// How series reduce to one value.
    pub reduce_options: ReduceOptions,
    /// `value` or `background`.
    pub color_mode: String,
    /// `area` sparkline or `none`.
    pub graph_mode: String,
    /// `auto`.
    pub justify_mode: String,
    /// `auto`.
    pub orientation: String,
    /// `auto`.
    pub text_mode: String,
    /// Name and value side by side when wide.
    pub wide_layout: bool,
    /// Change against the start of the range.
    pub show_percent_change: bool,
    /// `standard`.
    pub percent_change_color_mode: String,
}

/// Stat reduction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReduceOptions {
    /// Reducers, e.g. `lastNotNull`.
    pub calcs: Vec<String>,
    /// Fields reduced (empty: numeric fields).
    pub fields: String,
    /// Whether each row is shown.
    pub values: bool,
}

/// `slipway-<app>`, shortened with a stable hash when longer than Grafana's 40 characters.
pub fn uid(spec: &AppSpec) -> String {
    crate::k8s::name::shorten(&format!("slipway-{}", spec.metadata.name), 40)
}

/// The dashboard of the spec, when monitoring and the dashboard are on.
pub fn dashboard(spec: &AppSpec) -> Option<Dashboard> {
    if !enabled(spec) {
        return None;
    }
    let app = &spec.metadata.name;
    let mut layout = Layout::default();
    let mut panels = Vec::new();
    if monitoring::has_runtime_metrics(spec) {
        panels.extend(runtime_stats(spec, &mut layout));
    }
    panels.push(replicas_stat(spec, &mut layout));
    layout.next_row();
    if monitoring::has_runtime_metrics(spec) {
        panels.extend(runtime_series(spec, &mut layout));
    }
    panels.extend(resource_series(spec, &mut layout));
    Some(Dashboard {
        uid: uid(spec),
        title: format!("{app} ({})", spec.metadata.namespace()),
        description: format!(
            "Requests, errors, latency, inference time and resources of the AI application \
             {app}. Generated by Slipway from its spec: edit the spec, not this dashboard."
        ),
        tags: vec!["slipway".into(), app.clone()],
        timezone: "browser".into(),
        editable: false,
        graph_tooltip: 1,
        time: TimeRange {
            from: "now-6h".into(),
            to: "now".into(),
        },
        refresh: "30s".into(),
        schema_version: SCHEMA_VERSION,
        templating: Templating {
            list: vec![Variable {
                kind: "datasource".into(),
                name: "datasource".into(),
                label: "Data source".into(),
                query: "prometheus".into(),
                refresh: 1,
                hide: 0,
                multi: false,
                include_all: false,
            }],
        },
        annotations: Annotations {
            list: vec![Annotation {
                built_in: 1,
                datasource: DataSourceRef {
                    kind: "grafana".into(),
                    uid: "-- Grafana --".into(),
                },
                enable: true,
                hide: true,
                icon_color: "rgba(0, 211, 255, 1)".into(),
                name: "Annotations & Alerts".into(),
                kind: "dashboard".into(),
            }],
        },
        panels,
    })
}

/// The dashboard as pretty JSON with a trailing newline.
pub fn to_json(dashboard: &Dashboard) -> String {
    // A dashboard is tens of kilobytes: one allocation instead of a dozen regrowths.
    let mut text = Vec::with_capacity(64 * 1024);
    serde_json::to_writer_pretty(&mut text, dashboard).expect("dashboards serialise to JSON");
    text.push(b'\n');
    String::from_utf8(text).expect("serde_json writes UTF-8")
}

/// Path of the dashboard file in the output tree.
pub fn file_path(spec: &AppSpec) -> String {
    format!("dashboards/{}.json", spec.metadata.name)
}

/// The sidecar ConfigMap `<app>-dashboard`, in the application's namespace (the sidecar of
/// kube-prometheus-stack searches all namespaces), holding the dashboard file of `files`
/// (the output of [`files`]; the JSON is built once for both).
pub fn config_map(spec: &AppSpec, files: &BTreeMap<String, String>) -> Vec<Object> {
    let Some(json) = files.get(&file_path(spec)) else {
        return Vec::new();
    };
    let mut metadata = labels::meta(spec, labels::name(spec, "dashboard"), Component::Monitoring);
    metadata
        .labels
        .get_or_insert_default()
        .insert(SIDECAR_LABEL.into(), "1".into());
    metadata.annotations.get_or_insert_default().insert(
        FOLDER_ANNOTATION.into(),
        spec.spec.monitoring.dashboard.folder.clone(),
    );
    vec![
        ConfigMap {
            metadata,
            data: Some(BTreeMap::from([(
                format!("{}.json", spec.metadata.name),
                json.clone(),
            )])),
            ..Default::default()
        }
        .into(),
    ]
}

/// `dashboards/<app>.json`.
pub fn files(spec: &AppSpec) -> BTreeMap<String, String> {
    dashboard(spec)
        .map(|dashboard| BTreeMap::from([(file_path(spec), to_json(&dashboard))]))
        .unwrap_or_default()
}

/// The path [`files`] writes, holding nothing (for [`crate::sections::Scope::Outline`]).
pub fn empty_files(spec: &AppSpec) -> BTreeMap<String, String> {
    if enabled(spec) {
        BTreeMap::from([(file_path(spec), String::new())])
    } else {
        BTreeMap::new()
    }
}

fn enabled(spec: &AppSpec) -> bool {
    let monitoring = &spec.spec.monitoring;
    monitoring.enabled && monitoring.dashboard.enabled
}

/// Places panels left to right, wrapping at 24 columns.
#[derive(Debug, Default)]
struct Layout {
    x: u32,
    y: u32,
    row_height: u32,
}

impl Layout {
    fn place(&mut self, w: u32, h: u32) -> GridPos {
        if self.x + w > 24 {
            self.next_row();
        }
        let pos = GridPos {
            h,
            w,
            x: self.x,
            y: self.y,
        };
        self.x += w;
        self.row_height = self.row_height.max(h);
        pos
    }

    fn next_row(&mut self) {
        if self.x > 0 {
            self.y += self.row_height;
        }
        self.x = 0;
        self.row_height = 0;
    }
}

/// A query: expression and legend.
struct Query<'a>(String, &'a str);

struct PanelText<'a> {
    title: &'a str,
    description: String,
    unit: &'a str,
}

fn panel(
    kind: PanelKind,
    text: PanelText<'_>,
    grid_pos: GridPos,
    queries: Vec<Query<'_>>,
    threshold: Option<f64>,
    bounds: (Option<f64>, Option<f64>),
) -> Panel {
    let mut steps = vec![Threshold {
        value: None,
        color: "green".into(),
    }];
    if let Some(value) = threshold {
        steps.push(Threshold {
            value: Some(value),
            color: "red".into(),
        });
    }
    let (color, custom, options) = match kind {
        PanelKind::Timeseries => (
            "palette-classic",
            Some(TimeseriesCustom {
                thresholds_style: ThresholdsStyle {
                    mode: if threshold.is_some() { "dashed" } else { "off" }.into(),
                },
                fill_opacity: 10,
            }),
            PanelOptions::Timeseries(TimeseriesOptions {
                legend: Legend {
                    display_mode: "list".into(),
                    placement: "bottom".into(),
                    show_legend: true,
                    calcs: Vec::new(),
                },
                tooltip: Tooltip {
                    mode: "multi".into(),
                    sort: "desc".into(),
                },
            }),
        ),
        PanelKind::Stat => (
            "thresholds",
            None,
            PanelOptions::Stat(StatOptions {
                reduce_options: ReduceOptions {
                    calcs: vec!["lastNotNull".into()],
                    fields: String::new(),
                    values: false,
                },
                color_mode: "value".into(),
                graph_mode: "area".into(),
                justify_mode: "auto".into(),
                orientation: "auto".into(),
                text_mode: "auto".into(),
                wide_layout: true,
                show_percent_change: false,
                percent_change_color_mode: "standard".into(),
            }),
        ),
    };
    Panel {
        kind,
        title: text.title.into(),
        description: text.description,
        datasource: DataSourceRef::prometheus(),
        grid_pos,
        targets: queries
            .into_iter()
            .zip('A'..='Z')
            .map(|(Query(expr, legend), ref_id)| Target {
                datasource: DataSourceRef::prometheus(),
                expr,
                legend_format: legend.into(),
                ref_id: ref_id.to_string(),
            })
            .collect(),
        field_config: FieldConfig {
            defaults: FieldDefaults {
                unit: text.unit.into(),
                min: bounds.0,
                max: bounds.1,
                thresholds: Thresholds {
                    mode: "absolute".into(),
                    steps,
                },
                color: FieldColor { mode: color.into() },
                custom,
            },
            overrides: Vec::new(),
        },
        options,
    }
}

/// Stat panel width and height; time series ones.
const STAT: (u32, u32) = (4, 4);
const SERIES: (u32, u32) = (12, 8);

fn quantile(q: f64, metric: &str, matchers: &str, by: &str) -> String {
    format!("histogram_quantile({q}, sum by ({by}) (rate({metric}_bucket{{{matchers}}}[{RATE}])))")
}

fn api(spec: &AppSpec) -> String {
    format!(
        "{},{}",
        monitoring::runtime_matchers(spec),
        monitoring::api_routes_matcher(spec)
    )
}

fn error_ratio(spec: &AppSpec) -> String {
    let api = api(spec);
    format!(
        "sum(rate({METRIC_REQUESTS}{{{api},status=~\"5..\"}}[{RATE}])) / sum(rate({METRIC_REQUESTS}{{{api}}}[{RATE}]))"
    )
}

fn runtime_stats(spec: &AppSpec, layout: &mut Layout) -> Vec<Panel> {
    let alerts = &spec.spec.monitoring.alerts;
    let api = api(spec);
    let runtime = monitoring::runtime_matchers(spec);
    let stat = |layout: &mut Layout| layout.place(STAT.0, STAT.1);
    vec![
        panel(
            PanelKind::Stat,
            PanelText {
                title: "Request rate",
                description: format!(
                    "API requests per second (`{METRIC_REQUESTS}`, probes and scrapes excluded)."
                ),
                unit: "reqps",
            },
            stat(layout),
            vec![Query(
                format!("sum(rate({METRIC_REQUESTS}{{{api}}}[{RATE}]))"),
                "requests/s",
            )],
            None,
            (None, None),
        ),
        panel(
            PanelKind::Stat,
            PanelText {
                title: "Error ratio",
                description: format!(
                    "Share of API requests answered 5xx; red from the alert threshold ({}%).",
                    alerts.error_rate_percent
                ),
                unit: "percentunit",
            },
            stat(layout),
            vec![Query(error_ratio(spec), "5xx ratio")],
            Some(alerts.error_rate_percent / 100.0),
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Stat,
            PanelText {
                title: "p99 latency",
                description: format!(
                    "99th percentile of API request duration; red from the alert bound ({} s).",
                    alerts.latency_p99_seconds
                ),
                unit: "s",
            },
            stat(layout),
            vec![Query(
                quantile(0.99, METRIC_REQUEST_DURATION, &api, "le"),
                "p99",
            )],
            Some(alerts.latency_p99_seconds),
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Stat,
            PanelText {
                title: "Models loaded",
                description: format!(
                    "Pods whose model is loaded and warmed (`{METRIC_MODEL_LOADED}`)."
                ),
                unit: "short",
            },
            stat(layout),
            vec![Query(
                format!("sum({METRIC_MODEL_LOADED}{{{runtime}}})"),
                "loaded",
            )],
            None,
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Stat,
            PanelText {
                title: "In flight",
                description: format!("Requests being served now (`{METRIC_IN_FLIGHT}`)."),
                unit: "short",
            },
            stat(layout),
            vec![Query(
                format!("sum({METRIC_IN_FLIGHT}{{{runtime}}})"),
                "in flight",
            )],
            None,
            (Some(0.0), None),
        ),
    ]
}

fn replicas_stat(spec: &AppSpec, layout: &mut Layout) -> Panel {
    panel(
        PanelKind::Stat,
        PanelText {
            title: "Available pods",
            description: "Available inference pods (kube-state-metrics; a canary Rollout's \
                          ready pods)."
                .into(),
            unit: "short",
        },
        layout.place(STAT.0, STAT.1),
        vec![Query(
            format!("sum({})", monitoring::available_pods_expr(spec)),
            "available",
        )],
        None,
        (Some(0.0), None),
    )
}

fn runtime_series(spec: &AppSpec, layout: &mut Layout) -> Vec<Panel> {
    let alerts = &spec.spec.monitoring.alerts;
    let api = api(spec);
    let runtime = monitoring::runtime_matchers(spec);
    let series = |layout: &mut Layout| layout.place(SERIES.0, SERIES.1);
    vec![
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "Request rate by route and status",
                description: format!(
                    "`{METRIC_REQUESTS}` per second, probes and scrapes excluded."
                ),
                unit: "reqps",
            },
            series(layout),
            vec![Query(
                format!("sum by (route, status) (rate({METRIC_REQUESTS}{{{api}}}[{RATE}]))"),
                "{{route}} {{status}}",
            )],
            None,
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "Error ratio (5xx)",
                description: format!(
                    "Share of API requests answered 5xx; the dashed line is the alert threshold \
                     ({}%, alerts.errorRatePercent).",
                    alerts.error_rate_percent
                ),
                unit: "percentunit",
            },
            series(layout),
            vec![Query(error_ratio(spec), "5xx ratio")],
            Some(alerts.error_rate_percent / 100.0),
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "Request latency p50 / p95 / p99",
                description: format!(
                    "From `{METRIC_REQUEST_DURATION}`; the dashed line is the p99 alert bound ({} s).",
                    alerts.latency_p99_seconds
                ),
                unit: "s",
            },
            series(layout),
            [0.5, 0.95, 0.99]
                .into_iter()
                .zip(["p50", "p95", "p99"])
                .map(|(q, legend)| Query(quantile(q, METRIC_REQUEST_DURATION, &api, "le"), legend))
                .collect(),
            Some(alerts.latency_p99_seconds),
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "Inference time p50 / p99",
                description: format!(
                    "Model execution alone, without HTTP and JSON (`{METRIC_INFERENCE_DURATION}`)."
                ),
                unit: "s",
            },
            series(layout),
            vec![
                Query(
                    quantile(0.5, METRIC_INFERENCE_DURATION, &runtime, "le"),
                    "p50",
                ),
                Query(
                    quantile(0.99, METRIC_INFERENCE_DURATION, &runtime, "le"),
                    "p99",
                ),
            ],
            None,
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "Saturation",
                description: format!(
                    "Requests in flight (`{METRIC_IN_FLIGHT}`), refused per second by reason \
                     (`{METRIC_REJECTED}`) and waiting for a batch (`{METRIC_BATCH_QUEUE_DEPTH}`)."
                ),
                unit: "short",
            },
            series(layout),
            vec![
                Query(format!("sum({METRIC_IN_FLIGHT}{{{runtime}}})"), "in flight"),
                Query(
                    format!("sum by (reason) (rate({METRIC_REJECTED}{{{runtime}}}[{RATE}]))"),
                    "rejected {{reason}}/s",
                ),
                Query(
                    format!("sum({METRIC_BATCH_QUEUE_DEPTH}{{{runtime}}})"),
                    "queued for a batch",
                ),
            ],
            None,
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "Batch size",
                description: format!(
                    "Rows per model execution (`{METRIC_BATCH_SIZE}`): above the rows per request, \
                     dynamic batching is running concurrent requests together (at most \
                     batching.maxBatchSize = {}).",
                    batch_limit(spec)
                ),
                unit: "short",
            },
            series(layout),
            vec![
                Query(
                    format!(
                        "sum(rate({METRIC_BATCH_SIZE}_sum{{{runtime}}}[{RATE}])) / sum(rate({METRIC_BATCH_SIZE}_count{{{runtime}}}[{RATE}]))"
                    ),
                    "mean rows",
                ),
                Query(quantile(0.5, METRIC_BATCH_SIZE, &runtime, "le"), "p50"),
                Query(quantile(0.99, METRIC_BATCH_SIZE, &runtime, "le"), "p99"),
            ],
            None,
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "Batch queue delay p50 / p99",
                description: format!(
                    "Time a request waited for its batch to start (`{METRIC_BATCH_QUEUE_DELAY}`): \
                     the configured delay at most when the model keeps up \
                     (batching.maxQueueDelayMicroseconds = {} µs), more when it is saturated.",
                    queue_delay(spec)
                ),
                unit: "s",
            },
            series(layout),
            vec![
                Query(
                    quantile(0.5, METRIC_BATCH_QUEUE_DELAY, &runtime, "le"),
                    "p50",
                ),
                Query(
                    quantile(0.99, METRIC_BATCH_QUEUE_DELAY, &runtime, "le"),
                    "p99",
                ),
            ],
            None,
            (Some(0.0), None),
        ),
    ]
}

/// The spec's `batching.maxBatchSize` (the default for a custom runtime, which the dashboard
/// does not chart).
fn batch_limit(spec: &AppSpec) -> u32 {
    match &spec.spec.inference.runtime {
        RuntimeSpec::SlipwayServe(serve) => serve.batching.max_batch_size,
        RuntimeSpec::Custom(_) => DEFAULT_BATCH_MAX_SIZE,
    }
}

/// The spec's `batching.maxQueueDelayMicroseconds`.
fn queue_delay(spec: &AppSpec) -> u64 {
    match &spec.spec.inference.runtime {
        RuntimeSpec::SlipwayServe(serve) => serve.batching.max_queue_delay_microseconds,
        RuntimeSpec::Custom(_) => DEFAULT_BATCH_QUEUE_DELAY_MICROS,
    }
}

fn resource_series(spec: &AppSpec, layout: &mut Layout) -> Vec<Panel> {
    let container = monitoring::container_matchers(spec);
    let alerts = &spec.spec.monitoring.alerts;
    // The alerts' own thresholds, computed exactly; JSON numbers are floating point.
    let threshold = |line: Option<crate::k8s::quantity::Quantity>| line.map(|q| q.as_f64());
    let series = |layout: &mut Layout| layout.place(SERIES.0, SERIES.1);
    let mut panels = vec![
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "CPU vs limit",
                description: format!(
                    "CPU cores used per pod (cAdvisor) against the declared limit \
                     (kube-state-metrics); the dashed line is the alert threshold \
                     ({}% of the limit).",
                    alerts.cpu_limit_percent
                ),
                unit: "short",
            },
            series(layout),
            vec![
                Query(
                    format!(
                        "sum by (pod) (rate(container_cpu_usage_seconds_total{{{container}}}[{RATE}]))"
                    ),
                    "{{pod}}",
                ),
                Query(
                    format!(
                        "max(kube_pod_container_resource_limits{{{container},resource=\"cpu\"}})"
                    ),
                    "limit",
                ),
            ],
            threshold(monitoring::cpu_threshold(spec)),
            (Some(0.0), None),
        ),
        panel(
            PanelKind::Timeseries,
            PanelText {
                title: "Memory vs limit",
                description: format!(
                    "Working-set bytes per pod (cAdvisor) against the declared limit \
                     (kube-state-metrics); the dashed line is the alert threshold \
                     ({}% of the limit).",
                    alerts.memory_limit_percent
                ),
                unit: "bytes",
            },
            series(layout),
            vec![
                Query(
                    format!("max by (pod) (container_memory_working_set_bytes{{{container}}})"),
                    "{{pod}}",
                ),
                Query(
                    format!(
                        "max(kube_pod_container_resource_limits{{{container},resource=\"memory\"}})"
                    ),
                    "limit",
                ),
            ],
            threshold(monitoring::memory_threshold(spec)),
            (Some(0.0), None),
        ),
    ];
    let mut replicas = vec![Query(
        monitoring::available_pods_expr(spec),
        "{{workload}} available",
    )];
    if let Some((hpas, _, _)) = monitoring::hpa_matchers(spec) {
        replicas.push(Query(
            format!(
                "max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_desired_replicas{{{hpas}}})"
            ),
            "{{horizontalpodautoscaler}} desired",
        ));
        replicas.push(Query(
            format!(
                "max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas{{{hpas}}})"
            ),
            "{{horizontalpodautoscaler}} max",
        ));
    }
    panels.push(panel(
        PanelKind::Timeseries,
        PanelText {
            title: "Replicas",
            description: "Available pods per workload, and the HPA's (or KEDA's HPA's) \
                          desired and maximum replicas when autoscaling is on \
                          (kube-state-metrics)."
                .into(),
            unit: "short",
        },
        series(layout),
        replicas,
        None,
        (Some(0.0), None),
    ));
    let gpus = spec
        .spec
        .scheduling
        .gpu
        .as_ref()
        .and_then(|gpu| gpu.whole_count())
        .unwrap_or(0);
    if gpus > 0 {
        panels.push(panel(
            PanelKind::Timeseries,
            PanelText {
                title: "GPU utilisation",
                description: format!(
                    "`DCGM_FI_DEV_GPU_UTIL` of the inference pods' GPUs ({} {} each) from the \
                     NVIDIA DCGM exporter (needs its pod-to-GPU mapping and `honorLabels`).",
                    gpus,
                    pod::gpu_resource(spec)
                ),
                unit: "percent",
            },
            series(layout),
            vec![Query(
                format!(
                    "avg by (pod) (DCGM_FI_DEV_GPU_UTIL{{namespace=\"{}\",pod=~\"{}\"}})",
                    spec.metadata.namespace(),
                    monitoring::pod_regex(spec)
                ),
                "{{pod}}",
            )],
            None,
            (Some(0.0), Some(100.0)),
        ));
    }
    panels
}

/// Every PromQL expression of the dashboard, with its panel title.
pub fn expressions(dashboard: &Dashboard) -> Vec<(&str, &str)> {
    dashboard
        .panels
        .iter()
        .flat_map(|panel| {
            panel
                .targets
                .iter()
                .map(move |t| (panel.title.as_str(), t.expr.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::seed;
    use crate::promql;

    #[test]
    fn every_target_parses() {
        for spec in [seed(), minimal()] {
            let dashboard = dashboard(&spec).unwrap();
            for (title, expr) in expressions(&dashboard) {
                promql::parse_grafana(expr).unwrap_or_else(|e| panic!("{title}: {e}"));
            }
        }
    }

    /// The replica panels follow the workload kind and the autoscaler that really exist.
    #[test]
    fn replica_panels_follow_rollouts_and_keda() {
        let replica_queries = |spec: &AppSpec| -> Vec<String> {
            let dashboard = dashboard(spec).unwrap();
            expressions(&dashboard)
                .into_iter()
                .filter(|(title, _)| ["Replicas", "Available pods"].contains(title))
                .map(|(_, expr)| expr.to_string())
                .collect()
        };
        let seed_queries = replica_queries(&seed()).join("\n");
        assert!(seed_queries.contains("kube_deployment_status_replicas_available"));
        assert!(seed_queries.contains("kube_horizontalpodautoscaler_spec_max_replicas"));

        let canary = crate::compile::testing::canary();
        let queries = replica_queries(&canary).join("\n");
        assert!(!queries.contains("kube_deployment"), "{queries}");
        assert!(queries.contains("kube_pod_status_ready{namespace=\"demo\",pod=~\"(demo)-"));

        let mut keda = minimal();
        keda.spec.scaling.keda = Some(crate::sections::scaling::KedaSpec {
            min_replicas: 1,
            max_replicas: 4,
            metric: crate::sections::scaling::LoadMetric::InFlight,
            target_per_pod: 8.0,
            idle_color_to_zero: false,
            polling_interval_seconds: 15,
            cooldown_period_seconds: 300,
        });
        let queries = replica_queries(&keda).join("\n");
        assert!(
            queries.contains("horizontalpodautoscaler=~\"keda-hpa-demo\""),
            "{queries}"
        );
        for spec in [canary, keda] {
            for expr in replica_queries(&spec) {
                promql::parse_grafana(&expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            }
        }
    }

    #[test]
    fn only_timeseries_and_stat_panels_with_the_datasource_variable() {
        let json: serde_json::Value =
            serde_json::from_str(&to_json(&dashboard(&seed()).unwrap())).unwrap();
        assert!(json["schemaVersion"].as_u64().unwrap() >= 39);
        assert!(json.get("id").is_none() && json.get("version").is_none());
        assert_eq!(json["templating"]["list"][0]["type"], "datasource");
        for panel in json["panels"].as_array().unwrap() {
            assert!(["timeseries", "stat"].contains(&panel["type"].as_str().unwrap()));
            assert_eq!(panel["datasource"]["uid"], "${datasource}");
            assert!(panel.get("id").is_none());
        }
    }

    #[test]
    fn gpu_panel_only_with_gpus() {
        let titles = |spec: &AppSpec| -> Vec<String> {
            dashboard(spec)
                .unwrap()
                .panels
                .into_iter()
                .map(|p| p.title)
                .collect()
        };
        // The seed's server is slipway-serve, on the CPU: no GPU panel (training's GPU is
        // not the server's).
        assert!(!titles(&seed()).contains(&"GPU utilisation".to_string()));
        assert!(!titles(&minimal()).contains(&"GPU utilisation".to_string()));
        assert!(
            titles(&crate::compile::testing::gpu_runtime())
                .contains(&"GPU utilisation".to_string())
        );
    }

    #[test]
    fn panels_do_not_overlap_and_stay_in_the_grid() {
        let dashboard = dashboard(&seed()).unwrap();
        let cells =
            |p: GridPos| (p.x..p.x + p.w).flat_map(move |x| (p.y..p.y + p.h).map(move |y| (x, y)));
        let mut seen = std::collections::BTreeSet::new();
        for panel in &dashboard.panels {
            assert!(panel.grid_pos.x + panel.grid_pos.w <= 24);
            for cell in cells(panel.grid_pos) {
                assert!(seen.insert(cell), "{} overlaps", panel.title);
            }
        }
    }

    #[test]
    fn uid_is_stable_and_short() {
        assert_eq!(uid(&seed()), "slipway-ai-inference");
        let mut long = minimal();
        long.metadata.name = "a".repeat(60);
        // Grafana's limit is 40 characters: a prefix, then a stable hash of the whole uid.
        assert_eq!(uid(&long), "slipway-aaaaaaaaaaaaaaaaaaaaaaa-88daa389");
    }

    #[test]
    fn sidecar_configmap_and_file_hold_the_same_json() {
        let spec = seed();
        let objects = config_map(&spec, &files(&spec));
        let Object::ConfigMap(config_map) = &objects[0] else {
            panic!("not a ConfigMap")
        };
        let labels = config_map.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[SIDECAR_LABEL], "1");
        assert_eq!(
            config_map.metadata.annotations.as_ref().unwrap()[FOLDER_ANNOTATION],
            "AI Applications"
        );
        let file = &files(&spec)["dashboards/ai-inference.json"];
        assert_eq!(
            &config_map.data.as_ref().unwrap()["ai-inference.json"],
            file
        );
        assert!(file.ends_with("}\n"));
    }

    #[test]
    fn switched_off_with_the_dashboard_or_monitoring() {
        let mut spec = seed();
        spec.spec.monitoring.dashboard.enabled = false;
        assert!(files(&spec).is_empty() && config_map(&spec, &files(&spec)).is_empty());
    }
}
