//! The rules of the `serving` section.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::codes;
use crate::sections::AppSpec;
use crate::sections::serving::ProbeSpec;
use crate::sections::serving::RuntimeSpec;

/// Environment variables the runtime sets itself.
const RESERVED_ENV: [&str; 4] = ["MODEL_PATH", "MODEL_NAME", "MODEL_VERSION", "PORT"];

/// Reports [`codes::ENV_NAME`](crate::diagnostic::codes::ENV_NAME).
pub(crate) fn check_env(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let inference = &spec.spec.inference;
    let names = inference
        .env
        .keys()
        .map(|k| ("env", k))
        .chain(inference.secret_env.keys().map(|k| ("secretEnv", k)));
    for (field, name) in names {
        let path = format!("spec.inference.{field}.{name}");
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !valid {
            out.push(
                Diagnostic::new(
                    &codes::ENV_NAME,
                    &path,
                    format!("`{name}` is not a valid environment variable name"),
                )
                .with_help("use letters, digits and '_', starting with a letter or '_'"),
            );
        } else if RESERVED_ENV.contains(&name.as_str()) || name.starts_with("SLIPWAY_") {
            out.push(
                Diagnostic::new(&codes::ENV_NAME, &path, format!("`{name}` is set by Slipway from the spec"))
                    .with_help("use spec.model.path, spec.model.name, spec.model.version, spec.inference.port or spec.inference.runtime instead"),
            );
        }
    }
    if let Some(training) = &spec.spec.training {
        for name in training.env.keys() {
            if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                out.push(
                    Diagnostic::new(
                        &codes::ENV_NAME,
                        format!("spec.training.env.{name}"),
                        format!("`{name}` is not a valid environment variable name"),
                    )
                    .with_help("use letters, digits and '_', starting with a letter or '_'"),
                );
            }
        }
    }
}

/// Reports [`codes::BATCHING_SETTINGS`](crate::diagnostic::codes::BATCHING_SETTINGS).
pub(crate) fn check_batching(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let RuntimeSpec::SlipwayServe(serve) = &spec.spec.inference.runtime else {
        return;
    };
    let batching = &serve.batching;
    let path = |field: &str| format!("spec.inference.runtime.slipwayServe.batching.{field}");
    if batching.max_batch_size == 0 {
        out.push(
            Diagnostic::new(
                &codes::BATCHING_SETTINGS,
                path("maxBatchSize"),
                "maxBatchSize is 0: a model execution takes at least one row, and the server \
                 refuses to start",
            )
            .with_help("`maxBatchSize: 1` turns batching off"),
        );
    }
    let delay = batching.max_queue_delay_microseconds;
    let max = crate::sections::shared::runtime::MAX_BATCH_QUEUE_DELAY_MICROS;
    if delay > max {
        out.push(Diagnostic::new(
            &codes::BATCHING_SETTINGS,
            path("maxQueueDelayMicroseconds"),
            format!(
                "maxQueueDelayMicroseconds is {delay}: the server accepts at most {max} (10 s) \
                 and refuses to start"
            ),
        ));
        return;
    }
    let monitoring = &spec.spec.monitoring;
    let bound = monitoring.alerts.latency_p99_seconds;
    #[allow(clippy::cast_precision_loss)] // at most 10^7 microseconds
    let seconds = delay as f64 / 1e6;
    if monitoring.enabled && monitoring.alerts.enabled && bound > 0.0 && seconds >= bound {
        out.push(
            Diagnostic::new(
                &codes::BATCHING_SETTINGS,
                path("maxQueueDelayMicroseconds"),
                format!(
                    "a request that arrives alone waits the whole queue delay ({seconds} s), \
                     which reaches the p99 latency alert bound ({bound} s): the alert fires \
                     whenever traffic is light"
                ),
            )
            .with_help(
                "keep the delay well under the latency budget (hundreds of microseconds), or 0 \
                 to batch only what queues while the model is busy",
            ),
        );
    }
}

/// Reports [`codes::PROBE`](crate::diagnostic::codes::PROBE).
pub(crate) fn check_probes(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let probes = &spec.spec.inference.probes;
    let all: [(&str, &ProbeSpec); 3] = [
        ("liveness", &probes.liveness),
        ("readiness", &probes.readiness),
        ("startup", &probes.startup),
    ];
    for (name, probe) in all {
        let path = format!("spec.inference.probes.{name}");
        if !probe.path.starts_with('/') {
            out.push(
                Diagnostic::new(
                    &codes::PROBE,
                    format!("{path}.path"),
                    format!("probe path `{}` must start with '/'", probe.path),
                )
                .with_help("e.g. `/v2/health/ready`"),
            );
        }
        for (field, value, minimum) in [
            ("periodSeconds", probe.period_seconds, 1),
            ("timeoutSeconds", probe.timeout_seconds, 1),
            ("failureThreshold", probe.failure_threshold, 1),
            ("initialDelaySeconds", probe.initial_delay_seconds, 0),
        ] {
            if value < minimum {
                out.push(
                    Diagnostic::new(
                        &codes::PROBE,
                        format!("{path}.{field}"),
                        format!("{field} is {value}; it must be at least {minimum}"),
                    )
                    .with_help("the API server rejects smaller values"),
                );
            }
        }
        if probe.timeout_seconds > probe.period_seconds {
            out.push(
                Diagnostic::new(
                    &codes::PROBE_TIMEOUT,
                    format!("{path}.timeoutSeconds"),
                    format!(
                        "timeoutSeconds ({}) is longer than periodSeconds ({})",
                        probe.timeout_seconds, probe.period_seconds
                    ),
                )
                .with_help("probes would overlap; shorten the timeout"),
            );
        }
    }
    if matches!(spec.spec.inference.runtime, RuntimeSpec::Custom(_))
        && all
            .iter()
            .any(|(_, probe)| probe.path.starts_with("/v2/health/"))
    {
        out.push(
            Diagnostic::new(
                &codes::PROBE_PATHS,
                "spec.inference.probes",
                "a custom runtime is probed on slipway-serve's /v2/health endpoints",
            )
            .with_help("set the probe paths your server really has"),
        );
    }
}

/// Reports [`codes::BUILTIN_RUNTIME_GPU`](crate::diagnostic::codes::BUILTIN_RUNTIME_GPU).
pub(crate) fn check_runtime_gpu(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let RuntimeSpec::SlipwayServe(_) = &spec.spec.inference.runtime else {
        return;
    };
    let Some(gpu) = &spec.spec.scheduling.gpu else {
        return;
    };
    if gpu.whole_count().is_some_and(|count| count > 0) {
        out.push(
            Diagnostic::new(
                &codes::BUILTIN_RUNTIME_GPU,
                "spec.scheduling.gpu.count",
                format!(
                    "the built-in runtime slipway-serve runs on the CPU, yet each inference pod requests {} {}",
                    gpu.count, gpu.resource_name
                ),
            )
            .with_help(
                "remove `scheduling.gpu.count` (keep `scheduling.gpu.resourceName` for `training.gpus`), \
                 or serve with a GPU runtime: `inference.runtime.custom`",
            ),
        );
    }
}
