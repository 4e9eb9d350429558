//! The rules of the `serving` section.

use crate::diagnostic::Diagnostic;
use crate::sections::AppSpec;
use crate::sections::serving::ProbeSpec;
use crate::sections::serving::RuntimeSpec;

/// Environment variables the runtime sets itself.
const RESERVED_ENV: [&str; 4] = ["MODEL_PATH", "MODEL_NAME", "MODEL_VERSION", "PORT"];

/// Reports [`ENV_NAME`](ENV_NAME).
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
                    &ENV_NAME,
                    &path,
                    format!("`{name}` is not a valid environment variable name"),
                )
                .with_help("use letters, digits and '_', starting with a letter or '_'"),
            );
        } else if RESERVED_ENV.contains(&name.as_str()) || name.starts_with("SLIPWAY_") {
            out.push(
                Diagnostic::new(&ENV_NAME, &path, format!("`{name}` is set by Slipway from the spec"))
                    .with_help("use spec.model.path, spec.model.name, spec.model.version, spec.inference.port or spec.inference.runtime instead"),
            );
        }
    }
    if let Some(training) = &spec.spec.training {
        for name in training.env.keys() {
            if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                out.push(
                    Diagnostic::new(
                        &ENV_NAME,
                        format!("spec.training.env.{name}"),
                        format!("`{name}` is not a valid environment variable name"),
                    )
                    .with_help("use letters, digits and '_', starting with a letter or '_'"),
                );
            }
        }
    }
}

/// Reports [`BATCHING_SETTINGS`](BATCHING_SETTINGS).
pub(crate) fn check_batching(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let RuntimeSpec::SlipwayServe(serve) = &spec.spec.inference.runtime else {
        return;
    };
    let batching = &serve.batching;
    let path = |field: &str| format!("spec.inference.runtime.slipwayServe.batching.{field}");
    if batching.max_batch_size == 0 {
        out.push(
            Diagnostic::new(
                &BATCHING_SETTINGS,
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
            &BATCHING_SETTINGS,
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
                &BATCHING_SETTINGS,
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

/// Reports [`PROBE`](PROBE).
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
                    &PROBE,
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
                        &PROBE,
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
                    &PROBE_TIMEOUT,
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
                &PROBE_PATHS,
                "spec.inference.probes",
                "a custom runtime is probed on slipway-serve's /v2/health endpoints",
            )
            .with_help("set the probe paths your server really has"),
        );
    }
}

/// Reports [`BUILTIN_RUNTIME_GPU`](BUILTIN_RUNTIME_GPU).
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
                &BUILTIN_RUNTIME_GPU,
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

crate::diagnostic::codes! {
    ENV_NAME {
        id: "env-name",
        severity: Error,
        stage: Spec,
        what: "Checks environment variable names, and refuses those Slipway sets for the runtime (`MODEL_PATH`, `MODEL_NAME`, `MODEL_VERSION`, `PORT`, `SLIPWAY_*`).",
        why: "A second `MODEL_PATH` would silently point the server away from the mounted model.",
        example: "`env: {MODEL_PATH: /tmp/other.onnx}`",
        instead: "`model: {path: /models/other.onnx}`",
    }
    PROBE {
        id: "probe",
        severity: Error,
        stage: Spec,
        what: "Checks probe paths and timings, and warns when a custom runtime keeps the default probe paths, which are `slipway-serve`'s endpoints.",
        why: "A probe on a path the server does not have restarts healthy pods forever.",
        example: "`runtime: {custom: {image: flask-app:1.0}}` with default probes",
        instead: "`probes: {liveness: {path: /health}, readiness: {path: /health}, startup: {path: /health}}`",
    }
    PROBE_TIMEOUT {
        id: "probe-timeout",
        severity: Warning,
        stage: Spec,
        what: "Warns when a probe's `timeoutSeconds` is longer than its `periodSeconds`.",
        why: "Probes then overlap: a slow endpoint gets a second probe before the first timed out, doubling load on a struggling pod.",
        example: "`readiness: {periodSeconds: 5, timeoutSeconds: 10}`",
        instead: "`readiness: {periodSeconds: 10, timeoutSeconds: 5}`",
    }
    PROBE_PATHS {
        id: "probe-paths",
        severity: Warning,
        stage: Spec,
        what: "Warns when a custom runtime keeps slipway-serve's `/v2/health/*` probe paths.",
        why: "A server that does not have those endpoints answers 404: its pods never become ready and are restarted in a loop.",
        example: "`runtime: {custom: {image: my/server:1.0}}` with the default probes",
        instead: "`probes: {readiness: {path: /healthz}, liveness: {path: /healthz}}` (the paths your server has)",
    }
    BUILTIN_RUNTIME_GPU {
        id: "builtin-runtime-gpu",
        severity: Error,
        stage: Spec,
        what: "The built-in runtime (`slipway-serve`) requests GPUs (`scheduling.gpu.count` above 0).",
        why: "slipway-serve runs the model with tract on the CPU: every GPU it requests sits idle while no other pod can use it, the GPU panel reads 0, and each replica waits for a GPU node.",
        example: "`scheduling: {gpu: {count: 1}}` with the default `inference.runtime`",
        instead: "drop `scheduling.gpu.count` (keep `scheduling.gpu.resourceName` for `training.gpus`);\nor serve with a runtime that uses GPUs: `inference: {runtime: {custom: {image: …}}}`",
    }
    BATCHING_SETTINGS {
        id: "batching-settings",
        severity: Error,
        stage: Spec,
        what: "Rejects `inference.runtime.slipwayServe.batching` settings that cannot work: `maxBatchSize` 0, a `maxQueueDelayMicroseconds` above what the server accepts (10 s), or a queue delay that reaches the p99 latency alert bound.",
        why: "The server refuses to start with a batch of 0 rows or a delay over 10 s (every pod crash-loops); and a request that arrives alone waits the whole delay, so a delay at the p99 bound fires the latency alert whenever traffic is light.",
        example: "`batching: {maxQueueDelayMicroseconds: 2000000}` with `monitoring.alerts.latencyP99Seconds: 1`",
        instead: "a delay well under the latency budget (`maxQueueDelayMicroseconds: 500`, or 0 to batch only what queues while the model is busy); `maxBatchSize: 1` to turn batching off",
    }
}
