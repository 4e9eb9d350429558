//! What `slipway-serve` (crates/runtime) really has: its settings, endpoints, metric names and
//! log fields. Manifests, alerts, the dashboard and the Fluentd parser use these names; the
//! runtime's end-to-end tests check the server against them.

/// Environment variable with the model file path.
pub const ENV_MODEL_PATH: &str = "MODEL_PATH";
/// Environment variable with the model name in the V2 API.
pub const ENV_MODEL_NAME: &str = "MODEL_NAME";
/// Environment variable with the model version (in the V2 API's `versions`, the
/// `slipway_model_loaded{version}` metric and the logs); the runtime's default is `1`.
pub const ENV_MODEL_VERSION: &str = "MODEL_VERSION";
/// Environment variable with the listening port.
pub const ENV_PORT: &str = "PORT";
/// Environment variable with the intra-op thread count.
pub const ENV_THREADS: &str = "SLIPWAY_THREADS";
/// Environment variable with the concurrency bound (503 beyond it).
pub const ENV_MAX_CONCURRENCY: &str = "SLIPWAY_MAX_CONCURRENCY";
/// Environment variable with the seconds the server drains in-flight requests on SIGTERM.
pub const ENV_SHUTDOWN_GRACE: &str = "SLIPWAY_SHUTDOWN_GRACE_SECONDS";

/// Name of the container port (and of the Service port) the server listens on.
pub const PORT_NAME: &str = "http";

/// Counter of HTTP requests by `route`, `method` and `status`.
pub const METRIC_REQUESTS: &str = "slipway_http_requests_total";
/// Histogram of request durations in seconds, by `route` and `method`.
pub const METRIC_REQUEST_DURATION: &str = "slipway_http_request_duration_seconds";
/// Histogram of model execution time in seconds, by `model`.
pub const METRIC_INFERENCE_DURATION: &str = "slipway_inference_duration_seconds";
/// Gauge of requests being served.
pub const METRIC_IN_FLIGHT: &str = "slipway_http_requests_in_flight";
/// Counter of requests refused by `reason` (`saturated`, `body_too_large`).
pub const METRIC_REJECTED: &str = "slipway_http_requests_rejected_total";
/// Gauge, 1 when the model is loaded and warmed, by `model` and `version`.
pub const METRIC_MODEL_LOADED: &str = "slipway_model_loaded";
/// Histogram of rows per inference, by `model`.
pub const METRIC_BATCH_SIZE: &str = "slipway_inference_batch_size";

/// Every metric family the server exports beside the standard `process_*` ones.
pub const METRICS: [&str; 7] = [
    METRIC_REQUESTS,
    METRIC_REQUEST_DURATION,
    METRIC_INFERENCE_DURATION,
    METRIC_IN_FLIGHT,
    METRIC_REJECTED,
    METRIC_MODEL_LOADED,
    METRIC_BATCH_SIZE,
];

/// Fields of the server's JSON log lines.
pub const LOG_FIELDS: [&str; 8] = [
    "timestamp",
    "level",
    "message",
    "method",
    "route",
    "status",
    "response_time_ms",
    "model",
];

/// Log field with the severity: `debug`, `info`, `warn` or `error`.
pub const LOG_FIELD_LEVEL: &str = "level";
/// Log field with the human message.
pub const LOG_FIELD_MESSAGE: &str = "message";
/// Log field with the HTTP status code of a request line (an integer).
pub const LOG_FIELD_STATUS: &str = "status";
/// Log field with the request duration in milliseconds (a number).
pub const LOG_FIELD_RESPONSE_TIME: &str = "response_time_ms";
