//! Logging: Fluentd shipping container logs to Elasticsearch, and index retention.

pub mod compile;
pub mod fluentd;
pub mod retention;
pub mod rules;
pub mod size;

/// The `logging` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "logging",
    compile: |i, b| {
        let files = match i.scope {
            crate::sections::Scope::Outline => compile::empty_files(i.spec),
            crate::sections::Scope::Full | crate::sections::Scope::Objects => {
                compile::files(i.spec)
            }
        };
        b.files.extend(files);
        let objects = compile::objects(i.spec, &b.files);
        b.objects.extend(objects);
    },
    rules: &[rules::check_logging_namespace],
    codes: &[rules::CODES],
};

pub use size::{ByteSize, ByteSizeError};

use crate::k8s::duration::Duration;
use crate::sections::AppSpec;
use crate::sections::parsed;
use crate::sections::shared::labels;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Fluentd tailing the application's container logs into Elasticsearch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggingSpec {
    /// Emit Fluentd. Default: true.
    #[serde(default = "crate::sections::yes")]
    pub enabled: bool,
    /// Namespace of the Fluentd DaemonSet. It mounts host log directories, which Pod Security
    /// "restricted" (the application's namespace) forbids, so it runs apart. Default:
    /// `<app>-logging`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Container log line format on the nodes. Default: `cri` (containerd, CRI-O).
    #[serde(default)]
    pub container_log_format: LogFormat,
    /// Where the logs go.
    pub elasticsearch: ElasticsearchSpec,
    /// Fluentd image with the Elasticsearch and Kubernetes plugins. Default: pinned
    /// `fluent/fluentd-kubernetes-daemonset:v1.17.1-debian-elasticsearch8-1.0`.
    #[serde(default = "default_fluentd_image")]
    pub image: String,
    /// Buffering of the Elasticsearch output.
    #[serde(default)]
    pub buffer: BufferSpec,
}

fn default_fluentd_image() -> String {
    "fluent/fluentd-kubernetes-daemonset:v1.17.1-debian-elasticsearch8-1.0".into()
}

/// Container log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum LogFormat {
    /// CRI lines (`<time> <stream> <P|F> <message>`), written by containerd and CRI-O.
    #[default]
    Cri,
    /// Docker's json-file lines.
    Docker,
}

/// The Elasticsearch output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElasticsearchSpec {
    /// Host name, e.g. `elasticsearch-service`.
    pub host: String,
    /// Port. Default: 9200.
    #[serde(default = "default_es_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// `http` or `https`. Default: `http`.
    #[serde(default)]
    pub scheme: EsScheme,
    /// Daily indices `<prefix>-YYYY.MM.DD`. Default: the application name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logstash_prefix: Option<String>,
    /// Delete this application's daily indices older than this many days (a CronJob
    /// `<app>-log-retention` beside Fluentd, daily at 00:30 UTC). Default: none, indices are
    /// kept until something else (an ILM policy) deletes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<std::num::NonZeroU32>,
    /// Secret holding `username` and `password`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<String>,
}

fn default_es_port() -> u32 {
    9200
}

/// Elasticsearch URL scheme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum EsScheme {
    /// Plain HTTP.
    #[default]
    Http,
    /// TLS.
    Https,
}

/// Output buffer settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct BufferSpec {
    /// Flush interval, a Prometheus-style duration (written to Fluentd in seconds).
    /// Default: `5s`.
    pub flush_interval: Duration,
    /// Chunk size limit, in Fluentd's syntax (`8MB`, `512k`, or bytes). Default: `8MB`.
    pub chunk_limit_size: ByteSize,
    /// Total buffer size, in Fluentd's syntax. Default: `512MB`.
    pub total_limit_size: ByteSize,
    /// Retries before chunks are dropped. Default: 17.
    pub retry_max_times: u32,
    /// What happens when the buffer is full. Default: `block` (stop tailing; the log files on
    /// the node keep the lines, so nothing is lost while Elasticsearch catches up).
    pub overflow_action: OverflowAction,
}

/// Fluentd's `overflow_action`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum OverflowAction {
    /// Stop reading input until the buffer has room.
    #[default]
    Block,
    /// Drop the oldest chunk to make room.
    DropOldestChunk,
    /// Raise an error to the input plugin.
    ThrowException,
}

impl OverflowAction {
    /// The Fluentd spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::DropOldestChunk => "drop_oldest_chunk",
            Self::ThrowException => "throw_exception",
        }
    }
}

impl Default for BufferSpec {
    fn default() -> Self {
        Self {
            flush_interval: parsed("5s"),
            chunk_limit_size: parsed("8MB"),
            total_limit_size: parsed("512MB"),
            retry_max_times: 17,
            overflow_action: OverflowAction::default(),
        }
    }
}

/// The namespace Fluentd runs in: `logging.namespace`, else `<app>-logging` (with `-<env>` in
/// an environment: [`AppSpec::for_environment`] sets `logging.namespace`).
pub fn namespace(spec: &AppSpec) -> String {
    spec.spec
        .logging
        .as_ref()
        .and_then(|logging| logging.namespace.clone())
        .unwrap_or_else(|| labels::name(spec, "logging"))
}

/// The prefix of the daily indices: `logstash_prefix`, else the application name.
pub fn index_prefix(spec: &AppSpec) -> String {
    spec.spec
        .logging
        .as_ref()
        .and_then(|logging| logging.elasticsearch.logstash_prefix.clone())
        .unwrap_or_else(|| spec.metadata.name.clone())
}
