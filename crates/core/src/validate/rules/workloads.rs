//! Model source, training Job settings, environment, probes, rollout parameters and GPU
//! counts (schedules, durations and quantities are parsed at load time: `spec::load`).

use crate::diagnostic::{Diagnostic, codes};
use crate::k8s::int_or_percent::IntOrPercent;
use crate::spec::{AppSpec, ModelSource, ProbeSpec, RuntimeSpec};

/// Reports [`codes::MODEL_SOURCE`](crate::diagnostic::codes::MODEL_SOURCE).
pub(super) fn check_model(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let model = &spec.spec.model;
    if !model.path.starts_with('/') || model.path.ends_with('/') {
        out.push(
            Diagnostic::new(
                &codes::MODEL_SOURCE,
                "spec.model.path",
                format!("model path `{}` must be an absolute file path", model.path),
            )
            .with_help("e.g. `/models/model.onnx`"),
        );
    } else if model.path.matches('/').count() < 2 {
        out.push(
            Diagnostic::new(
                &codes::MODEL_SOURCE,
                "spec.model.path",
                format!("model path `{}` must be inside a directory, which the model volume is mounted at", model.path),
            )
            .with_help("e.g. `/models/model.onnx`"),
        );
    } else if !model.path.ends_with(".onnx") {
        out.push(
            Diagnostic::new(
                &codes::MODEL_FORMAT,
                "spec.model.path",
                format!("model path `{}` does not end in .onnx", model.path),
            )
            .with_help("slipway-serve loads ONNX files"),
        );
    }
    if let ModelSource::Pvc(claim) = &model.source
        && claim.access_mode == crate::spec::AccessMode::ReadOnlyMany
        && spec
            .spec
            .training
            .as_ref()
            .and_then(|t| t.output_claim(model))
            .is_some_and(|output| output.claim_name == claim.claim_name)
    {
        out.push(
            Diagnostic::new(
                &codes::MODEL_SOURCE,
                "spec.model.source.pvc.accessMode",
                format!(
                    "training writes the model claim `{}`, which is ReadOnlyMany: the training Job cannot mount it read-write",
                    claim.claim_name
                ),
            )
            .with_help("use `accessMode: ReadWriteMany` (training writes it, inference pods on many nodes read it)"),
        );
    }
    if let ModelSource::Pvc(claim) = &model.source {
        let max_replicas = spec
            .spec
            .scaling
            .hpa
            .as_ref()
            .map_or(spec.spec.inference.replicas(), |hpa| hpa.max_replicas);
        let several = max_replicas > 1 || spec.spec.rollout.blue_green.is_some();
        if several && claim.access_mode == crate::spec::AccessMode::ReadWriteOnce {
            out.push(
                Diagnostic::new(
                    &codes::MODEL_CLAIM_ACCESS,
                    "spec.model.source.pvc.accessMode",
                    "the model claim is ReadWriteOnce, but several inference pods mount it",
                )
                .with_help("pods on other nodes cannot mount a ReadWriteOnce volume; use `accessMode: ReadWriteMany` (or ReadOnlyMany when nothing in the bundle writes it), or an objectStore source"),
            );
        }
    }
    let versions = std::iter::once(("spec.model.version".to_string(), &model.version))
        .chain(
            model
                .existing_versions
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("spec.model.existingVersions[{i}]"), v)),
        )
        .chain(spec.spec.rollout.blue_green.iter().flat_map(|bg| {
            crate::spec::Color::ALL.into_iter().filter_map(|color| {
                bg.slot(color).model_version.as_ref().map(|v| {
                    (
                        format!("spec.rollout.blueGreen.{}.modelVersion", color.as_str()),
                        v,
                    )
                })
            })
        }));
    for (path, version) in versions {
        let valid = !version.is_empty()
            && version.len() <= 63
            && version != "."
            && version != ".."
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !valid {
            out.push(
                Diagnostic::new(
                    &codes::MODEL_SOURCE,
                    path,
                    format!("model version `{version}` is not a path segment of letters, digits, `.`, `_` and `-` (at most 63)"),
                )
                .with_help("e.g. `2`, `v2.1` or `2026-11-30`; it names a directory of the model store"),
            );
        }
    }
    if let ModelSource::ObjectStore(store) = &model.source {
        let uri = crate::spec::StoreUri::parse(&store.uri);
        if uri.is_none() {
            out.push(
                Diagnostic::new(
                    &codes::MODEL_SOURCE,
                    "spec.model.source.objectStore.uri",
                    format!(
                        "`{}` is not a model URI the init container can fetch",
                        store.uri
                    ),
                )
                .with_help("use `s3://bucket/key`, `gs://bucket/object`, `azure://account/container/blob`, `hf://org/repo[@revision]/path` or `https://host/path`"),
            );
        }
        if store.credentials_secret.is_some()
            && uri.is_some_and(|uri| uri.scheme.secret_keys().is_empty())
        {
            out.push(
                Diagnostic::new(
                    &codes::UNUSED_CREDENTIALS,
                    "spec.model.source.objectStore.credentialsSecret",
                    "credentialsSecret is not used for https:// URIs",
                )
                .with_help("remove it, or use an s3://, gs://, azure:// or hf:// URI"),
            );
        }
    }
}

/// Reports [`codes::TRAINING_JOB`](crate::diagnostic::codes::TRAINING_JOB).
pub(super) fn check_training(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(training) = &spec.spec.training else {
        return;
    };
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(
            Diagnostic::new(
                &codes::TRAINING_JOB,
                format!("spec.training.{field}"),
                message,
            )
            .with_help(help),
        );
    };
    if training.backoff_limit < 0 {
        bad(
            "backoffLimit",
            format!(
                "backoffLimit is {}; it cannot be negative",
                training.backoff_limit
            ),
            "e.g. 3",
        );
    }
    if training.active_deadline_seconds <= 0 {
        bad(
            "activeDeadlineSeconds",
            format!(
                "activeDeadlineSeconds is {}; it must be positive",
                training.active_deadline_seconds
            ),
            "e.g. 86400 (one day)",
        );
    }
    if let Some(ttl) = training.ttl_seconds_after_finished.filter(|ttl| *ttl < 0) {
        bad(
            "ttlSecondsAfterFinished",
            format!("ttlSecondsAfterFinished is {ttl}; it cannot be negative"),
            "e.g. 86400",
        );
    }
    if let (Some(output), ModelSource::ObjectStore(store)) =
        (&training.output, &spec.spec.model.source)
        && output.claim.is_none()
        && !crate::compile::store::can_upload(store)
    {
        bad(
            "output",
            format!(
                "training.output names no claim, and the model comes from `{}`, where nothing can upload",
                store.uri
            ),
            "give the output a claim (`output: {mountPath: /output, claim: {claimName: …}}`) and publish the model yourself, or use an s3://, gs:// or azure:// model, which training uploads to",
        );
    }
    let mounts: Vec<(&str, &str)> = training
        .mounts()
        .into_iter()
        .map(|(field, path, _)| (field, path))
        .collect();
    for (field, path) in &mounts {
        if !path.starts_with('/') {
            bad(
                &format!("{field}.mountPath"),
                format!("mount path `{path}` must be absolute"),
                "e.g. `/data`",
            );
        }
    }
    if let [(_, first), (_, second)] = mounts[..]
        && first == second
    {
        bad(
            "output.mountPath",
            format!("data and output are both mounted at `{first}`"),
            "mount them at different paths, e.g. `/data` and `/output`",
        );
    }
}

/// Variables Slipway sets on the inference container itself.
const RESERVED_ENV: [&str; 4] = ["MODEL_PATH", "MODEL_NAME", "MODEL_VERSION", "PORT"];

/// Reports [`codes::ENV_NAME`](crate::diagnostic::codes::ENV_NAME).
pub(super) fn check_env(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
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
pub(super) fn check_batching(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
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
    let max = crate::compile::runtime::MAX_BATCH_QUEUE_DELAY_MICROS;
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
pub(super) fn check_probes(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
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

/// Reports [`codes::ROLLOUT_VALUES`](crate::diagnostic::codes::ROLLOUT_VALUES).
pub(super) fn check_rollout(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let rollout = &spec.spec.rollout;
    if let IntOrPercent::Percent(percent) = rollout.max_unavailable
        && percent > 100
    {
        out.push(
            Diagnostic::new(
                &codes::ROLLOUT_VALUES,
                "spec.rollout.maxUnavailable",
                format!("maxUnavailable `{percent}%` is above 100%"),
            )
            .with_help("use a percentage from 0% to 100%"),
        );
    }
    if rollout.max_surge.is_zero() && rollout.max_unavailable.is_zero() {
        out.push(
            Diagnostic::new(
                &codes::ROLLOUT_VALUES,
                "spec.rollout.maxSurge",
                "maxSurge and maxUnavailable are both 0: no update can make progress",
            )
            .with_help("set maxSurge to 1 or 25%"),
        );
    }
}

/// Reports [`codes::GPU_COUNT`](crate::diagnostic::codes::GPU_COUNT).
pub(super) fn check_gpu(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(gpu) = &spec.spec.scheduling.gpu else {
        return;
    };
    if gpu.whole_count().is_none() {
        out.push(
            Diagnostic::new(
                &codes::GPU_COUNT,
                "spec.scheduling.gpu.count",
                format!("GPU count `{}` must be a whole number", gpu.count),
            )
            .with_help("GPUs cannot be split; request 1, or use a MIG/time-slicing resource name such as `nvidia.com/mig-1g.5gb`"),
        );
    }
    let valid_name = gpu
        .resource_name
        .split_once('/')
        .is_some_and(|(domain, name)| domain.contains('.') && !name.is_empty());
    if !valid_name {
        out.push(
            Diagnostic::new(
                &codes::GPU_COUNT,
                "spec.scheduling.gpu.resourceName",
                format!("`{}` is not an extended resource name", gpu.resource_name),
            )
            .with_help("use a vendor-domain name such as `nvidia.com/gpu` or `amd.com/gpu`"),
        );
    }
}
