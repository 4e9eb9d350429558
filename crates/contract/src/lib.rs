//! What `slipway-serve` (crates/runtime) and the manifests `slipway` generates (crates/core) must
//! agree on: the server's settings (command-line flags and their environment variables), its
//! port, endpoints, metric names and label values, log fields and protocol extensions.
//!
//! Both crates use these constants instead of writing the strings, so a server that renames
//! an endpoint, a metric or a variable and manifests that still use the old name cannot both
//! compile: the runtime's unit tests check its command line, routes and metric labels against
//! this crate, and `crates/cli/tests/runtime_contract.rs` checks the generated objects against
//! the running server.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// ---------------------------------------------------------------------------------------------
// Settings: environment variables and the command-line flags they stand for

/// Environment variable with the model file path (`--model`).
pub const ENV_MODEL_PATH: &str = "MODEL_PATH";
/// Environment variable with the model name in the V2 API (`--model-name`).
pub const ENV_MODEL_NAME: &str = "MODEL_NAME";
/// Environment variable with the model version in the V2 API (`--model-version`).
pub const ENV_MODEL_VERSION: &str = "MODEL_VERSION";
/// Environment variable with the listening address (`--host`).
pub const ENV_HOST: &str = "HOST";
/// Environment variable with the listening port (`--port`).
pub const ENV_PORT: &str = "PORT";
/// Environment variable with the intra-op thread count (`--threads`).
pub const ENV_THREADS: &str = "SLIPWAY_THREADS";
/// Environment variable with the concurrency bound, 503 beyond it (`--max-concurrency`).
pub const ENV_MAX_CONCURRENCY: &str = "SLIPWAY_MAX_CONCURRENCY";
/// Environment variable with the largest request body, 413 beyond it (`--max-body-bytes`).
pub const ENV_MAX_BODY_BYTES: &str = "SLIPWAY_MAX_BODY_BYTES";
/// Environment variable with the bytes of request bodies buffered at once across all
/// requests; a body that would exceed it gets 503 (`--max-buffered-body-bytes`).
pub const ENV_MAX_BUFFERED_BODY_BYTES: &str = "SLIPWAY_MAX_BUFFERED_BODY_BYTES";
/// Environment variable with the largest output a request may ask for, computed from the
/// model's output shapes before running, 413 beyond it (`--max-output-bytes`).
pub const ENV_MAX_OUTPUT_BYTES: &str = "SLIPWAY_MAX_OUTPUT_BYTES";
/// Environment variable with the number of open client connections; more are closed at once
/// (`--max-connections`).
pub const ENV_MAX_CONNECTIONS: &str = "SLIPWAY_MAX_CONNECTIONS";
/// Environment variable with the seconds a client has to send a request's headers once it
/// sent its first byte (`--header-read-timeout-seconds`).
pub const ENV_HEADER_READ_TIMEOUT: &str = "SLIPWAY_HEADER_READ_TIMEOUT_SECONDS";
/// Environment variable with the seconds a client has to send a request body once its headers
/// arrived, 408 beyond (`--body-read-timeout-seconds`).
pub const ENV_BODY_READ_TIMEOUT: &str = "SLIPWAY_BODY_READ_TIMEOUT_SECONDS";
/// Environment variable with the seconds an idle keep-alive connection stays open
/// (`--keep-alive-timeout-seconds`).
pub const ENV_KEEP_ALIVE_TIMEOUT: &str = "SLIPWAY_KEEP_ALIVE_TIMEOUT_SECONDS";
/// Environment variable with the seconds a response write may wait on a client that does not
/// read before the connection is closed (`--write-timeout-seconds`).
pub const ENV_WRITE_TIMEOUT: &str = "SLIPWAY_WRITE_TIMEOUT_SECONDS";
/// Environment variable with the seconds the server drains in-flight requests on SIGTERM
/// (`--shutdown-grace-seconds`).
pub const ENV_SHUTDOWN_GRACE: &str = "SLIPWAY_SHUTDOWN_GRACE_SECONDS";
/// Environment variable with the seconds the server keeps accepting, not ready, after SIGTERM
/// (`--drain-delay-seconds`).
pub const ENV_DRAIN_DELAY: &str = "SLIPWAY_DRAIN_DELAY_SECONDS";
/// Environment variable with the gRPC port (`--grpc-port`); unset, the server has no gRPC
/// listener (off by default); `0` picks a free port, logged at start.
pub const ENV_GRPC_PORT: &str = "GRPC_PORT";
/// Environment variable with the most rows one batched model execution takes
/// (`--batch-max-size`); `1` turns dynamic batching off.
pub const ENV_BATCH_MAX_SIZE: &str = "SLIPWAY_BATCH_MAX_SIZE";
/// Environment variable with the microseconds a queued request may wait for batch-mates
/// before its batch runs (`--batch-queue-delay-micros`); `0` never waits.
pub const ENV_BATCH_QUEUE_DELAY: &str = "SLIPWAY_BATCH_QUEUE_DELAY_MICROS";
/// Environment variable with the least severe log level written (`--log-level`).
pub const ENV_LOG_LEVEL: &str = "LOG_LEVEL";
/// Testing only: environment variable delaying readiness after warm-up
/// (`--test-ready-delay-ms`).
pub const ENV_TEST_READY_DELAY: &str = "SLIPWAY_TEST_READY_DELAY_MS";
/// Testing only: environment variable holding every inference request before the model runs
/// (`--test-infer-delay-ms`).
pub const ENV_TEST_INFER_DELAY: &str = "SLIPWAY_TEST_INFER_DELAY_MS";
/// Testing only: environment variable making every inference request panic, to check the
/// panic path (`--test-panic-on-infer`).
pub const ENV_TEST_PANIC_ON_INFER: &str = "SLIPWAY_TEST_PANIC_ON_INFER";

/// Default of `--batch-max-size` (and of the spec's `batching.maxBatchSize`): rows per batched
/// model execution.
pub const DEFAULT_BATCH_MAX_SIZE: u32 = 64;
/// Default of `--batch-queue-delay-micros` (and of the spec's
/// `batching.maxQueueDelayMicroseconds`): never wait for batch-mates, batch only what queued
/// while the model was busy.
pub const DEFAULT_BATCH_QUEUE_DELAY_MICROS: u64 = 0;

/// The longest `--batch-queue-delay-micros` the server accepts (10 s); it refuses to start
/// with more.
pub const MAX_BATCH_QUEUE_DELAY_MICROS: u64 = 10_000_000;

/// One setting of the server: its long flag (without `--`) and its environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The long command-line flag, without the leading `--`.
    pub flag: &'static str,
    /// The environment variable read when the flag is absent.
    pub env: &'static str,
}

/// Every setting of the server. The runtime's tests check that its command line has exactly
/// these flags, each reading exactly this variable.
pub const SETTINGS: [Setting; 24] = [
    Setting {
        flag: "model",
        env: ENV_MODEL_PATH,
    },
    Setting {
        flag: "model-name",
        env: ENV_MODEL_NAME,
    },
    Setting {
        flag: "model-version",
        env: ENV_MODEL_VERSION,
    },
    Setting {
        flag: "host",
        env: ENV_HOST,
    },
    Setting {
        flag: "grpc-port",
        env: ENV_GRPC_PORT,
    },
    Setting {
        flag: "port",
        env: ENV_PORT,
    },
    Setting {
        flag: "threads",
        env: ENV_THREADS,
    },
    Setting {
        flag: "max-concurrency",
        env: ENV_MAX_CONCURRENCY,
    },
    Setting {
        flag: "max-body-bytes",
        env: ENV_MAX_BODY_BYTES,
    },
    Setting {
        flag: "max-buffered-body-bytes",
        env: ENV_MAX_BUFFERED_BODY_BYTES,
    },
    Setting {
        flag: "max-output-bytes",
        env: ENV_MAX_OUTPUT_BYTES,
    },
    Setting {
        flag: "max-connections",
        env: ENV_MAX_CONNECTIONS,
    },
    Setting {
        flag: "header-read-timeout-seconds",
        env: ENV_HEADER_READ_TIMEOUT,
    },
    Setting {
        flag: "body-read-timeout-seconds",
        env: ENV_BODY_READ_TIMEOUT,
    },
    Setting {
        flag: "keep-alive-timeout-seconds",
        env: ENV_KEEP_ALIVE_TIMEOUT,
    },
    Setting {
        flag: "write-timeout-seconds",
        env: ENV_WRITE_TIMEOUT,
    },
    Setting {
        flag: "shutdown-grace-seconds",
        env: ENV_SHUTDOWN_GRACE,
    },
    Setting {
        flag: "drain-delay-seconds",
        env: ENV_DRAIN_DELAY,
    },
    Setting {
        flag: "batch-max-size",
        env: ENV_BATCH_MAX_SIZE,
    },
    Setting {
        flag: "batch-queue-delay-micros",
        env: ENV_BATCH_QUEUE_DELAY,
    },
    Setting {
        flag: "log-level",
        env: ENV_LOG_LEVEL,
    },
    Setting {
        flag: "test-ready-delay-ms",
        env: ENV_TEST_READY_DELAY,
    },
    Setting {
        flag: "test-infer-delay-ms",
        env: ENV_TEST_INFER_DELAY,
    },
    Setting {
        flag: "test-panic-on-infer",
        env: ENV_TEST_PANIC_ON_INFER,
    },
];

// ---------------------------------------------------------------------------------------------
// Port and endpoints

/// Name of the container port (and of the Service port) the server listens on.
pub const PORT_NAME: &str = "http";
/// Name of the container port (and of the Service port) of the gRPC listener, when enabled.
pub const PORT_NAME_GRPC: &str = "grpc";
/// The gRPC port manifests should set (`--grpc-port`/`GRPC_PORT`) when they enable gRPC: the
/// port KServe's and MLServer's gRPC servers use. The server itself has no gRPC listener unless
/// told a port.
pub const DEFAULT_GRPC_PORT: u16 = 8081;
/// The gRPC service of the Open Inference Protocol, as `grpc.health.v1.Health/Check` names it:
/// `SERVING` once the model is loaded and warmed and while a slot is free (the readiness of
/// `GET /v2/health/ready`); a `grpc:` readiness probe sets this `service`.
pub const GRPC_HEALTH_SERVICE_READY: &str = "inference.GRPCInferenceService";
/// The health service name of the whole server (the empty name of the gRPC health protocol):
/// `SERVING` as soon as the gRPC listener is up (the liveness of `GET /v2/health/live`); a
/// `grpc:` liveness probe leaves `service` empty.
pub const GRPC_HEALTH_SERVICE_LIVE: &str = "";
/// The application protocol of the gRPC Service port (`appProtocol`): HTTP/2 without TLS.
pub const GRPC_APP_PROTOCOL: &str = "kubernetes.io/h2c";

/// The port the server listens on when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 8000;

/// Liveness probe: 200 as soon as the server listens.
pub const PATH_LIVE: &str = "/v2/health/live";
/// Readiness probe: 200 once the model is loaded and warmed, 503 before, while saturated and
/// after SIGTERM.
pub const PATH_READY: &str = "/v2/health/ready";
/// Prometheus metrics in the text exposition format 0.0.4.
pub const PATH_METRICS: &str = "/metrics";
/// The source article's simple inference API.
pub const PATH_PREDICT: &str = "/predict";
/// The source article's health check (200 when ready).
pub const PATH_HEALTH: &str = "/health";
/// V2 server metadata.
pub const PATH_SERVER_METADATA: &str = "/v2";
/// V2 model metadata (route template).
pub const ROUTE_MODEL_METADATA: &str = "/v2/models/{name}";
/// V2 model metadata of one version (route template).
pub const ROUTE_MODEL_VERSION_METADATA: &str = "/v2/models/{name}/versions/{version}";
/// V2 model readiness (route template).
pub const ROUTE_MODEL_READY: &str = "/v2/models/{name}/ready";
/// V2 model readiness of one version (route template).
pub const ROUTE_MODEL_VERSION_READY: &str = "/v2/models/{name}/versions/{version}/ready";
/// V2 inference (route template).
pub const ROUTE_INFER: &str = "/v2/models/{name}/infer";
/// V2 inference on one version (route template).
pub const ROUTE_VERSION_INFER: &str = "/v2/models/{name}/versions/{version}/infer";

/// Every route of the server, as the `route` label and the request log write it.
pub const ROUTES: [&str; 12] = [
    PATH_LIVE,
    PATH_READY,
    PATH_SERVER_METADATA,
    ROUTE_MODEL_METADATA,
    ROUTE_MODEL_VERSION_METADATA,
    ROUTE_MODEL_READY,
    ROUTE_MODEL_VERSION_READY,
    ROUTE_INFER,
    ROUTE_VERSION_INFER,
    PATH_PREDICT,
    PATH_HEALTH,
    PATH_METRICS,
];

/// The `route` label of a request whose path matches no route.
pub const ROUTE_UNMATCHED: &str = "unmatched";

/// Request methods that get their own `method` label value; any other is [`METHOD_OTHER`].
pub const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
];

/// The `method` label of a request with a method outside [`METHODS`].
pub const METHOD_OTHER: &str = "other";

// ---------------------------------------------------------------------------------------------
// Metrics

/// Counter of HTTP requests by `route`, `method` and `status`.
pub const METRIC_REQUESTS: &str = "slipway_http_requests_total";
/// Histogram of request durations in seconds, by `route` and `method`.
pub const METRIC_REQUEST_DURATION: &str = "slipway_http_request_duration_seconds";
/// Histogram of model execution time in seconds, by `model`.
pub const METRIC_INFERENCE_DURATION: &str = "slipway_inference_duration_seconds";
/// Gauge of requests being served.
pub const METRIC_IN_FLIGHT: &str = "slipway_http_requests_in_flight";
/// Counter of requests and connections refused by `reason` (see [`REJECTION_REASONS`]).
pub const METRIC_REJECTED: &str = "slipway_http_requests_rejected_total";
/// Gauge, 1 when the model is loaded and warmed, by `model` and `version`.
pub const METRIC_MODEL_LOADED: &str = "slipway_model_loaded";
/// Histogram of rows per inference, by `model`.
pub const METRIC_BATCH_SIZE: &str = "slipway_inference_batch_size";

/// Histogram of the time a request waited in the batch queue before its model execution
/// started, in seconds, by `model`.
pub const METRIC_BATCH_QUEUE_DELAY: &str = "slipway_batch_queue_delay_seconds";
/// Gauge of requests waiting in the batch queue, by `model`.
pub const METRIC_BATCH_QUEUE_DEPTH: &str = "slipway_batch_queue_depth";

/// Counter of gRPC calls by `rpc` (one of [`GRPC_RPCS`] or [`GRPC_RPC_OTHER`]) and `code` (one
/// of [`GRPC_CODES`]). gRPC inference requests also count in [`METRIC_IN_FLIGHT`] and
/// [`METRIC_REJECTED`] (both protocols share the slots and limits).
pub const METRIC_GRPC_REQUESTS: &str = "slipway_grpc_requests_total";
/// Histogram of gRPC call durations in seconds, by `rpc` (same buckets as
/// [`METRIC_REQUEST_DURATION`]).
pub const METRIC_GRPC_REQUEST_DURATION: &str = "slipway_grpc_request_duration_seconds";

/// The gRPC metric families, apart from [`METRICS`] until the generated dashboard shows them
/// (`crates/cli/tests/runtime_contract.rs` checks that it shows every family of [`METRICS`]).
pub const GRPC_METRICS: [&str; 2] = [METRIC_GRPC_REQUESTS, METRIC_GRPC_REQUEST_DURATION];

/// Label with the gRPC method name (one of [`GRPC_RPCS`] or [`GRPC_RPC_OTHER`]).
pub const LABEL_RPC: &str = "rpc";
/// Label with the gRPC status code name (one of [`GRPC_CODES`]).
pub const LABEL_GRPC_CODE: &str = "code";

/// The gRPC service's full name.
pub const GRPC_SERVICE: &str = "inference.GRPCInferenceService";
/// The methods of [`GRPC_SERVICE`] the server implements, as the `rpc` label writes them.
pub const GRPC_RPCS: [&str; 6] = [
    "ModelInfer",
    "ModelMetadata",
    "ModelReady",
    "ServerLive",
    "ServerMetadata",
    "ServerReady",
];
/// The health check (`grpc.health.v1.Health/Check`), as the `rpc` label writes it.
pub const GRPC_RPC_HEALTH_CHECK: &str = "Health.Check";
/// The `rpc` label of any other gRPC path (answered `UNIMPLEMENTED`).
pub const GRPC_RPC_OTHER: &str = "other";
/// The gRPC status codes, by number, as the `code` label writes them.
pub const GRPC_CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Every metric family the server exports beside the standard `process_*` ones and the gRPC
/// families ([`GRPC_METRICS`]).
pub const METRICS: [&str; 9] = [
    METRIC_REQUESTS,
    METRIC_REQUEST_DURATION,
    METRIC_INFERENCE_DURATION,
    METRIC_IN_FLIGHT,
    METRIC_REJECTED,
    METRIC_MODEL_LOADED,
    METRIC_BATCH_SIZE,
    METRIC_BATCH_QUEUE_DELAY,
    METRIC_BATCH_QUEUE_DEPTH,
];

/// Label with the route template (one of [`ROUTES`] or [`ROUTE_UNMATCHED`]).
pub const LABEL_ROUTE: &str = "route";
/// Label with the request method (one of [`METHODS`] or [`METHOD_OTHER`]).
pub const LABEL_METHOD: &str = "method";
/// Label with the numeric HTTP status code.
pub const LABEL_STATUS: &str = "status";
/// Label with the model name.
pub const LABEL_MODEL: &str = "model";
/// Label with the model version.
pub const LABEL_VERSION: &str = "version";
/// Label with the reason a request or connection was refused (one of [`REJECTION_REASONS`]).
pub const LABEL_REASON: &str = "reason";

/// Rejection reason: `--max-concurrency` inference requests were already running (503).
pub const REASON_SATURATED: &str = "saturated";
/// Rejection reason: the body exceeded `--max-body-bytes` (413).
pub const REASON_BODY_TOO_LARGE: &str = "body_too_large";
/// Rejection reason: the bodies being read by all requests already take
/// `--max-buffered-body-bytes` (503).
pub const REASON_BUFFERED_BODIES: &str = "buffered_bodies";
/// Rejection reason: the outputs the request asks for exceed `--max-output-bytes` (413).
pub const REASON_OUTPUT_TOO_LARGE: &str = "output_too_large";
/// Rejection reason: the body did not arrive within `--body-read-timeout-seconds` (408).
pub const REASON_BODY_TIMEOUT: &str = "body_timeout";
/// Rejection reason: a connection beyond `--max-connections`, closed at once.
pub const REASON_CONNECTIONS: &str = "connection_limit";

/// Every value of the `reason` label; each series exists from start.
pub const REJECTION_REASONS: [&str; 6] = [
    REASON_SATURATED,
    REASON_BODY_TOO_LARGE,
    REASON_BUFFERED_BODIES,
    REASON_OUTPUT_TOO_LARGE,
    REASON_BODY_TIMEOUT,
    REASON_CONNECTIONS,
];

// ---------------------------------------------------------------------------------------------
// Logs

/// Log field with the time of the line (RFC 3339, UTC, milliseconds).
pub const LOG_FIELD_TIMESTAMP: &str = "timestamp";
/// Log field with the severity: `debug`, `info`, `warn` or `error`.
pub const LOG_FIELD_LEVEL: &str = "level";
/// Log field with the human message.
pub const LOG_FIELD_MESSAGE: &str = "message";
/// Log field with the request method of a request line (one of [`METHODS`] or
/// [`METHOD_OTHER`]).
pub const LOG_FIELD_METHOD: &str = "method";
/// Log field with the route template of a request line.
pub const LOG_FIELD_ROUTE: &str = "route";
/// Log field with the HTTP status code of a request line (an integer).
pub const LOG_FIELD_STATUS: &str = "status";
/// Log field with the request duration in milliseconds (a number).
pub const LOG_FIELD_RESPONSE_TIME: &str = "response_time_ms";
/// Log field with the model name of a request line on a model route.
pub const LOG_FIELD_MODEL: &str = "model";

/// Log field with the gRPC method of a gRPC request line (an `rpc` label value).
pub const LOG_FIELD_RPC: &str = "rpc";
/// Log field with the gRPC status code name of a gRPC request line (one of [`GRPC_CODES`]).
pub const LOG_FIELD_GRPC_CODE: &str = "grpc_code";

/// Fields of the server's JSON log lines.
pub const LOG_FIELDS: [&str; 8] = [
    LOG_FIELD_TIMESTAMP,
    LOG_FIELD_LEVEL,
    LOG_FIELD_MESSAGE,
    LOG_FIELD_METHOD,
    LOG_FIELD_ROUTE,
    LOG_FIELD_STATUS,
    LOG_FIELD_RESPONSE_TIME,
    LOG_FIELD_MODEL,
];

/// The most bytes of client input (a name, a datatype, a path) an error body or a log line
/// repeats; longer input is cut and marked as cut.
pub const MAX_ECHOED_INPUT_BYTES: usize = 256;

// ---------------------------------------------------------------------------------------------
// Open Inference Protocol: the binary tensor data extension

/// The name of the binary tensor data extension in the server metadata's `extensions`.
pub const EXTENSION_BINARY_TENSOR_DATA: &str = "binary_tensor_data";
/// Every protocol extension the server lists in its metadata (`GET /v2`).
pub const EXTENSIONS: [&str; 1] = [EXTENSION_BINARY_TENSOR_DATA];
/// Header with the length of the JSON part of a request or response whose tensors follow it
/// as binary data.
pub const HEADER_INFERENCE_HEADER_CONTENT_LENGTH: &str = "inference-header-content-length";
/// Tensor parameter: the byte length of this input's (or output's) binary data.
pub const PARAM_BINARY_DATA_SIZE: &str = "binary_data_size";
/// Output parameter: `true` asks for this output as binary data.
pub const PARAM_BINARY_DATA: &str = "binary_data";
/// Request parameter: `true` asks for every output as binary data.
pub const PARAM_BINARY_DATA_OUTPUT: &str = "binary_data_output";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn unique(items: &[&str]) -> bool {
        items.iter().collect::<BTreeSet<_>>().len() == items.len()
    }

    #[test]
    fn settings_pair_one_flag_with_one_variable() {
        let flags: Vec<&str> = SETTINGS.iter().map(|s| s.flag).collect();
        let envs: Vec<&str> = SETTINGS.iter().map(|s| s.env).collect();
        assert!(unique(&flags) && unique(&envs));
        for s in SETTINGS {
            assert!(
                s.flag
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{s:?}"
            );
            assert!(
                s.env
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    && !s.env.is_empty(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn closed_label_sets_are_distinct() {
        assert!(unique(&ROUTES) && !ROUTES.contains(&ROUTE_UNMATCHED));
        assert!(ROUTES.iter().all(|r| r.starts_with('/')));
        assert!(unique(&METHODS) && !METHODS.contains(&METHOD_OTHER));
        assert!(unique(&REJECTION_REASONS) && unique(&METRICS) && unique(&LOG_FIELDS));
        assert!(unique(&GRPC_RPCS) && !GRPC_RPCS.contains(&GRPC_RPC_OTHER));
        assert!(unique(&GRPC_CODES) && unique(&GRPC_METRICS));
        assert!(GRPC_METRICS.iter().all(|m| !METRICS.contains(m)));
    }
}
