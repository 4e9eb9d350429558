//! Model source, training Job settings, environment, probes, schedules, durations, rollout
//! parameters and GPU counts.

use crate::diagnostic::Diagnostic;
use crate::k8s::duration::is_prometheus_duration;
use crate::spec::{AppSpec, ModelSource, ProbeSpec, RuntimeSpec};
use crate::validate::Rule;

/// ## What it does
/// Checks `model`: an absolute `path` ending in `.onnx`, an object-store `uri` that the
/// init container can fetch (`s3://bucket/key` or `https://…`), and warns when several
/// inference pods share a `ReadWriteOnce` model claim.
///
/// ## Why it matters
/// A relative path or an `ftp://` URI renders fine and fails only when the pod starts.
///
/// ## Example
/// `path: models/model.onnx`
///
/// ## Use instead
/// `path: /models/model.onnx`
pub const MODEL: Rule = Rule {
    id: "model-source",
    check: check_model,
};

fn check_model(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let model = &spec.spec.model;
    if !model.path.starts_with('/') || model.path.ends_with('/') {
        out.push(
            Diagnostic::error(
                "model-source",
                "spec.model.path",
                format!("model path `{}` must be an absolute file path", model.path),
            )
            .with_help("e.g. `/models/model.onnx`"),
        );
    } else if model.path.matches('/').count() < 2 {
        out.push(
            Diagnostic::error(
                "model-source",
                "spec.model.path",
                format!("model path `{}` must be inside a directory, which the model volume is mounted at", model.path),
            )
            .with_help("e.g. `/models/model.onnx`"),
        );
    } else if !model.path.ends_with(".onnx") {
        out.push(
            Diagnostic::warning(
                "model-source",
                "spec.model.path",
                format!("model path `{}` does not end in .onnx", model.path),
            )
            .with_help("slipway-serve loads ONNX files"),
        );
    }
    if let ModelSource::Pvc(claim) = &model.source {
        let max_replicas = spec
            .spec
            .scaling
            .hpa
            .as_ref()
            .map_or(spec.spec.inference.replicas, |hpa| hpa.max_replicas);
        let several = max_replicas > 1 || spec.spec.rollout.blue_green.is_some();
        if several && claim.access_mode == crate::spec::AccessMode::ReadWriteOnce {
            out.push(
                Diagnostic::warning(
                    "model-source",
                    "spec.model.source.pvc.accessMode",
                    "the model claim is ReadWriteOnce, but several inference pods mount it",
                )
                .with_help("pods on other nodes cannot mount a ReadWriteOnce volume; use `accessMode: ReadOnlyMany`, or an objectStore source"),
            );
        }
    }
    if let ModelSource::ObjectStore(store) = &model.source {
        let valid = store
            .uri
            .strip_prefix("s3://")
            .map(|rest| {
                rest.split_once('/')
                    .is_some_and(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
            })
            .unwrap_or_else(|| store.uri.starts_with("https://"));
        if !valid {
            out.push(
                Diagnostic::error(
                    "model-source",
                    "spec.model.source.objectStore.uri",
                    format!(
                        "`{}` is not a model URI the init container can fetch",
                        store.uri
                    ),
                )
                .with_help("use `s3://bucket/path/model.onnx` or `https://host/path/model.onnx`"),
            );
        }
        if store.credentials_secret.is_some() && !store.uri.starts_with("s3://") {
            out.push(
                Diagnostic::warning(
                    "model-source",
                    "spec.model.source.objectStore.credentialsSecret",
                    "credentialsSecret is only used for s3:// URIs",
                )
                .with_help("remove it, or use an s3:// URI"),
            );
        }
    }
}

/// ## What it does
/// Checks the training Job: `backoffLimit` ≥ 0, `activeDeadlineSeconds` > 0,
/// `ttlSecondsAfterFinished` ≥ 0, absolute and distinct mount paths.
///
/// ## Why it matters
/// A Job without a deadline can hold a GPU node forever; two volumes on one path hide each
/// other.
///
/// ## Example
/// `activeDeadlineSeconds: 0`
///
/// ## Use instead
/// `activeDeadlineSeconds: 86400`
pub const TRAINING: Rule = Rule {
    id: "training-job",
    check: check_training,
};

fn check_training(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(training) = &spec.spec.training else {
        return;
    };
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(
            Diagnostic::error("training-job", format!("spec.training.{field}"), message)
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
    if training.ttl_seconds_after_finished < 0 {
        bad(
            "ttlSecondsAfterFinished",
            format!(
                "ttlSecondsAfterFinished is {}; it cannot be negative",
                training.ttl_seconds_after_finished
            ),
            "e.g. 86400",
        );
    }
    let mounts: Vec<(&str, &str)> = [("data", &training.data), ("output", &training.output)]
        .into_iter()
        .filter_map(|(field, mount)| mount.as_ref().map(|m| (field, m.mount_path.as_str())))
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
const RESERVED_ENV: [&str; 3] = ["MODEL_PATH", "MODEL_NAME", "PORT"];

/// ## What it does
/// Checks environment variable names, and refuses those Slipway sets for the runtime
/// (`MODEL_PATH`, `MODEL_NAME`, `PORT`, `SLIPWAY_*`).
///
/// ## Why it matters
/// A second `MODEL_PATH` would silently point the server away from the mounted model.
///
/// ## Example
/// `env: {MODEL_PATH: /tmp/other.onnx}`
///
/// ## Use instead
/// `model: {path: /models/other.onnx}`
pub const ENV: Rule = Rule {
    id: "env-name",
    check: check_env,
};

fn check_env(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
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
                Diagnostic::error(
                    "env-name",
                    &path,
                    format!("`{name}` is not a valid environment variable name"),
                )
                .with_help("use letters, digits and '_', starting with a letter or '_'"),
            );
        } else if RESERVED_ENV.contains(&name.as_str()) || name.starts_with("SLIPWAY_") {
            out.push(
                Diagnostic::error("env-name", &path, format!("`{name}` is set by Slipway from the spec"))
                    .with_help("use spec.model.path, spec.model.name, spec.inference.port or spec.inference.runtime instead"),
            );
        }
    }
    if let Some(training) = &spec.spec.training {
        for name in training.env.keys() {
            if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                out.push(
                    Diagnostic::error(
                        "env-name",
                        format!("spec.training.env.{name}"),
                        format!("`{name}` is not a valid environment variable name"),
                    )
                    .with_help("use letters, digits and '_', starting with a letter or '_'"),
                );
            }
        }
    }
}

/// ## What it does
/// Checks probe paths and timings, and warns when a custom runtime keeps the default probe
/// paths, which are `slipway-serve`'s endpoints.
///
/// ## Why it matters
/// A probe on a path the server does not have restarts healthy pods forever.
///
/// ## Example
/// `runtime: {custom: {image: flask-app:1.0}}` with default probes
///
/// ## Use instead
/// `probes: {liveness: {path: /health}, readiness: {path: /health}, startup: {path: /health}}`
pub const PROBES: Rule = Rule {
    id: "probe",
    check: check_probes,
};

fn check_probes(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
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
                Diagnostic::error(
                    "probe",
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
                    Diagnostic::error(
                        "probe",
                        format!("{path}.{field}"),
                        format!("{field} is {value}; it must be at least {minimum}"),
                    )
                    .with_help("the API server rejects smaller values"),
                );
            }
        }
        if probe.timeout_seconds > probe.period_seconds {
            out.push(
                Diagnostic::warning(
                    "probe",
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
            Diagnostic::warning(
                "probe",
                "spec.inference.probes",
                "a custom runtime is probed on slipway-serve's /v2/health endpoints",
            )
            .with_help("set the probe paths your server really has"),
        );
    }
}

/// ## What it does
/// Checks cron schedules (training, backup): five fields of digits, `*`, `,`, `-`, `/` or
/// names, or a macro such as `@daily`.
///
/// ## Why it matters
/// The API server accepts many malformed schedules, which then never fire.
///
/// ## Example
/// `schedule: "every day"`
///
/// ## Use instead
/// `schedule: "0 2 * * *"`
pub const SCHEDULES: Rule = Rule {
    id: "cron-syntax",
    check: check_schedules,
};

fn check_schedules(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let mut schedules = Vec::new();
    if let Some(schedule) = spec
        .spec
        .training
        .as_ref()
        .and_then(|t| t.schedule.as_ref())
    {
        schedules.push(("spec.training.schedule", schedule));
    }
    if let Some(backup) = &spec.spec.backup {
        schedules.push(("spec.backup.schedule", &backup.schedule));
    }
    for (path, schedule) in schedules {
        if !is_cron(schedule) {
            out.push(
                Diagnostic::error("cron-syntax", path, format!("`{schedule}` is not a cron schedule"))
                    .with_help("use five fields `minute hour day-of-month month day-of-week`, e.g. `0 2 * * *`, or @hourly/@daily/@weekly/@monthly"),
            );
        }
    }
}

/// Whether `text` is a five-field cron expression or a macro Kubernetes accepts.
pub fn is_cron(text: &str) -> bool {
    const MACROS: [&str; 7] = [
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ];
    if MACROS.contains(&text) {
        return true;
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|field| {
            field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "*,-/?".contains(c))
        })
}

/// ## What it does
/// Checks Prometheus durations (`scrapeInterval`, `alerts.forDuration`).
///
/// ## Why it matters
/// The Prometheus operator rejects the ServiceMonitor or rule group, and the alerts silently
/// never load.
///
/// ## Example
/// `scrapeInterval: 30 seconds`
///
/// ## Use instead
/// `scrapeInterval: 30s`
pub const DURATIONS: Rule = Rule {
    id: "duration-syntax",
    check: check_durations,
};

fn check_durations(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let monitoring = &spec.spec.monitoring;
    for (path, value) in [
        (
            "spec.monitoring.scrapeInterval",
            &monitoring.scrape_interval,
        ),
        (
            "spec.monitoring.alerts.forDuration",
            &monitoring.alerts.for_duration,
        ),
        (
            "spec.monitoring.alerts.atMaxReplicasFor",
            &monitoring.alerts.at_max_replicas_for,
        ),
    ] {
        if !is_prometheus_duration(value) {
            out.push(
                Diagnostic::error(
                    "duration-syntax",
                    path,
                    format!("`{value}` is not a Prometheus duration"),
                )
                .with_help("use a number and a unit, e.g. `30s`, `5m`, `1h30m`"),
            );
        }
    }
}

/// ## What it does
/// Checks `rollout.maxSurge` and `rollout.maxUnavailable`: each a whole number or a
/// percentage, and not both zero.
///
/// ## Why it matters
/// The API server rejects a Deployment whose update could never make progress.
///
/// ## Example
/// `maxSurge: 0` with `maxUnavailable: 0`
///
/// ## Use instead
/// `maxSurge: 25%` with `maxUnavailable: 0`
pub const ROLLOUT: Rule = Rule {
    id: "rollout-values",
    check: check_rollout,
};

fn check_rollout(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let rollout = &spec.spec.rollout;
    let mut zero = 0;
    for (field, value) in [
        ("maxSurge", &rollout.max_surge),
        ("maxUnavailable", &rollout.max_unavailable),
    ] {
        let number = value.strip_suffix('%').unwrap_or(value);
        match number.parse::<u32>() {
            Ok(0) => zero += 1,
            Ok(n) if value.ends_with('%') && n > 100 => out.push(
                Diagnostic::error(
                    "rollout-values",
                    format!("spec.rollout.{field}"),
                    format!("{field} `{value}` is above 100%"),
                )
                .with_help("use a percentage from 0% to 100%"),
            ),
            Ok(_) => {}
            Err(_) => out.push(
                Diagnostic::error(
                    "rollout-values",
                    format!("spec.rollout.{field}"),
                    format!("{field} `{value}` is neither a whole number nor a percentage"),
                )
                .with_help("e.g. `1` or `25%`"),
            ),
        }
    }
    if zero == 2 {
        out.push(
            Diagnostic::error(
                "rollout-values",
                "spec.rollout.maxSurge",
                "maxSurge and maxUnavailable are both 0: no update can make progress",
            )
            .with_help("set maxSurge to 1 or 25%"),
        );
    }
}

/// ## What it does
/// Checks `scheduling.gpu.count` and `training.gpus`: GPUs are whole, positive numbers.
///
/// ## Why it matters
/// Extended resources cannot be overcommitted or split: `0.5` GPUs is rejected by the API
/// server, and a GPU request must equal its limit. The spec cannot express requests ≠ limits
/// for GPUs (one `count` sets both, see `compile::pod::resources`), so no rule is needed for
/// that; `validate::bundle` still checks the compiled pods.
///
/// ## Example
/// `gpu: {count: 0.5}`
///
/// ## Use instead
/// `gpu: {count: 1}` (use MIG or time-slicing profiles with their own resource names to share)
pub const GPU: Rule = Rule {
    id: "gpu-count",
    check: check_gpu,
};

fn check_gpu(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(gpu) = &spec.spec.scheduling.gpu else {
        return;
    };
    if gpu.whole_count().is_none_or(|n| n == 0) {
        out.push(
            Diagnostic::error(
                "gpu-count",
                "spec.scheduling.gpu.count",
                format!("GPU count `{}` must be a whole number of at least 1", gpu.count),
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
            Diagnostic::error(
                "gpu-count",
                "spec.scheduling.gpu.resourceName",
                format!("`{}` is not an extended resource name", gpu.resource_name),
            )
            .with_help("use a vendor-domain name such as `nvidia.com/gpu` or `amd.com/gpu`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions() {
        assert!(is_cron("0 2 * * *"));
        assert!(is_cron("*/15 0-6 * * mon-fri"));
        assert!(is_cron("@daily"));
        assert!(!is_cron("every day"));
        assert!(!is_cron("0 2 * *"));
    }

    #[test]
    fn prometheus_durations() {
        for ok in ["30s", "5m", "1h30m", "500ms", "2d"] {
            assert!(is_prometheus_duration(ok), "{ok}");
        }
        for bad in ["", "30", "30 seconds", "s", "1.5m"] {
            assert!(!is_prometheus_duration(bad), "{bad}");
        }
    }
}
