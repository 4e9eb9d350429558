//! The Grafana dashboard: typed panels (`timeseries` and `stat` only, schemaVersion 39) over
//! the runtime's metrics, cAdvisor and kube-state-metrics, emitted as `dashboards/<app>.json`
//! and as a ConfigMap the Grafana sidecar loads (`grafana_dashboard: "1"`).
//!
//! Deterministic: the `uid` derives from the application name, positions from panel order,
//! and there is no `id` or `version`, so a spec change gives a small Git diff.

mod panels;

pub use panels::{config_map, dashboard, empty_files, expressions, file_path, files, to_json, uid};

use serde::Serialize;

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
