//! Command-line flags and their environment variables (the names the generated manifests set,
//! from `slipway-contract`; a test checks the two lists are the same).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use clap::Parser;
use slipway_contract as contract;

use crate::log::Level;

/// slipway-serve: serves one ONNX model over the Open Inference Protocol v2 (KServe V2 REST)
/// and a simple `/predict` API, with Prometheus metrics and JSON logs.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Config {
    /// ONNX model file.
    #[arg(long = "model", env = contract::ENV_MODEL_PATH, value_name = "PATH")]
    pub model_path: PathBuf,
    /// Model name in URLs and metrics [default: file stem of the model path].
    #[arg(long, env = contract::ENV_MODEL_NAME)]
    pub model_name: Option<String>,
    /// Model version in URLs and metrics.
    #[arg(long, env = contract::ENV_MODEL_VERSION, default_value = "1")]
    pub model_version: String,
    /// Address to listen on.
    #[arg(long, env = contract::ENV_HOST, default_value = "0.0.0.0")]
    pub host: String,
    /// Port for every endpoint (API, probes, metrics); 0 picks a free port, logged at start.
    #[arg(long, env = contract::ENV_PORT, default_value_t = contract::DEFAULT_PORT)]
    pub port: u16,
    /// Port of the gRPC listener (the Open Inference Protocol's GRPCInferenceService and the
    /// gRPC health check); unset: no gRPC. 0 picks a free port, logged at start.
    #[arg(long, env = contract::ENV_GRPC_PORT)]
    pub grpc_port: Option<u16>,
    /// Threads running the model and the HTTP runtime [default: the container's CPU limit
    /// (cgroup v2 cpu.max), else the available parallelism].
    #[arg(long, env = contract::ENV_THREADS)]
    pub threads: Option<NonZeroUsize>,
    /// Inference requests (/infer, /predict) served at once, counted from the moment the body
    /// has been read until the response has been handed to the connection; more are answered
    /// 503 with Retry-After instead of queueing, and readiness reports 503 while all are taken.
    #[arg(long, env = contract::ENV_MAX_CONCURRENCY, default_value_t = NonZeroUsize::new(64).expect("64 > 0"))]
    pub max_concurrency: NonZeroUsize,
    /// Largest request body accepted; larger ones get 413.
    #[arg(long, env = contract::ENV_MAX_BODY_BYTES, default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Bytes of request bodies buffered at once across all requests (raised to
    /// --max-body-bytes if smaller); a body that would take more gets 503 with Retry-After
    /// and its connection closed, so many concurrent large uploads cannot exhaust memory.
    #[arg(long, env = contract::ENV_MAX_BUFFERED_BODY_BYTES, default_value_t = 64 * 1024 * 1024)]
    pub max_buffered_body_bytes: usize,
    /// Largest output a request may ask for, in bytes of tensor data (all outputs, computed
    /// from the model's output shapes for the request's shapes before running); larger gets 413.
    #[arg(long, env = contract::ENV_MAX_OUTPUT_BYTES, default_value_t = 64 * 1024 * 1024)]
    pub max_output_bytes: usize,
    /// Open client connections at most (capped further by the open-file limit); more are
    /// closed as soon as they are accepted.
    #[arg(long, env = contract::ENV_MAX_CONNECTIONS, default_value_t = NonZeroUsize::new(1024).expect("1024 > 0"))]
    pub max_connections: NonZeroUsize,
    /// Time a client has to send a request's headers, from its first byte.
    #[arg(long, env = contract::ENV_HEADER_READ_TIMEOUT, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_seconds: u64,
    /// Time a client has to send a request body once its headers arrived; then 408.
    #[arg(long, env = contract::ENV_BODY_READ_TIMEOUT, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout_seconds: u64,
    /// Time an idle keep-alive connection stays open waiting for its next request (keep it
    /// above the idle timeout of the load balancer in front).
    #[arg(long, env = contract::ENV_KEEP_ALIVE_TIMEOUT, default_value_t = 75, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_alive_timeout_seconds: u64,
    /// Time a response write may wait on a client that does not read before the connection is
    /// closed (which frees the inference slot the response holds).
    #[arg(long, env = contract::ENV_WRITE_TIMEOUT, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub write_timeout_seconds: u64,
    /// After SIGTERM, time allowed for in-flight requests to finish; connections still open
    /// then are closed and the server exits 0 (saying how many it closed).
    #[arg(long, env = contract::ENV_SHUTDOWN_GRACE, default_value_t = 25)]
    pub shutdown_grace_seconds: u64,
    /// After SIGTERM, keep accepting requests this long (reporting not ready) so that load
    /// balancers stop sending traffic before the listener closes.
    #[arg(long, env = contract::ENV_DRAIN_DELAY, default_value_t = 0)]
    pub drain_delay_seconds: u64,
    /// Dynamic batching: the most rows one model execution takes. Concurrent requests whose
    /// inputs stack on the batch (first) dimension run together up to this many rows, then
    /// are split back per request; 1 turns batching off.
    #[arg(long, env = contract::ENV_BATCH_MAX_SIZE, default_value_t = NonZeroUsize::new(contract::DEFAULT_BATCH_MAX_SIZE as usize).expect("default > 0"))]
    pub batch_max_size: NonZeroUsize,
    /// Dynamic batching: the most a queued request waits for batch-mates, in microseconds,
    /// before its batch runs. 0 never waits: a batch takes what queued while the model was
    /// busy.
    #[arg(long, env = contract::ENV_BATCH_QUEUE_DELAY, default_value_t = contract::DEFAULT_BATCH_QUEUE_DELAY_MICROS, value_parser = clap::value_parser!(u64).range(..=contract::MAX_BATCH_QUEUE_DELAY_MICROS))]
    pub batch_queue_delay_micros: u64,
    /// Least severe log level written.
    #[arg(
        long,
        env = contract::ENV_LOG_LEVEL,
        value_enum,
        default_value = "info",
        ignore_case = true
    )]
    pub log_level: Level,
    /// TESTING ONLY: wait this long after warm-up before reporting ready.
    #[arg(
        long,
        env = contract::ENV_TEST_READY_DELAY,
        default_value_t = 0,
        hide_short_help = true
    )]
    pub test_ready_delay_ms: u64,
    /// TESTING ONLY: hold every inference request this long (without using a thread) before
    /// running the model, to make saturation and draining observable.
    #[arg(
        long,
        env = contract::ENV_TEST_INFER_DELAY,
        default_value_t = 0,
        hide_short_help = true
    )]
    pub test_infer_delay_ms: u64,
    /// TESTING ONLY: make every inference request panic, to check the panic path.
    #[arg(long, env = contract::ENV_TEST_PANIC_ON_INFER, hide_short_help = true)]
    pub test_panic_on_infer: bool,
}

impl Config {
    /// The model name: `--model-name`, else the file stem of the model path.
    pub fn model_name(&self) -> String {
        self.model_name.clone().unwrap_or_else(|| {
            self.model_path
                .file_stem()
                .map_or_else(|| "model".to_owned(), |s| s.to_string_lossy().into_owned())
        })
    }

    /// The thread count: `--threads`, else the CPU limit.
    pub fn threads(&self) -> usize {
        self.threads.map_or_else(default_threads, NonZeroUsize::get)
    }
}

/// The cgroup v2 CPU limit rounded up, capped by the available parallelism.
fn default_threads() -> usize {
    let available = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    std::fs::read_to_string(Path::new("/sys/fs/cgroup/cpu.max"))
        .ok()
        .and_then(|s| cgroup_cpus(&s))
        .map_or(available, |limit| limit.min(available))
}

/// `"150000 100000"` → 2 CPUs; `"max 100000"` → no limit.
fn cgroup_cpus(cpu_max: &str) -> Option<usize> {
    let mut parts = cpu_max.split_whitespace();
    let quota: u64 = parts.next()?.parse().ok()?;
    let period: u64 = parts.next()?.parse().ok()?;
    if period == 0 {
        return None;
    }
    usize::try_from(quota.div_ceil(period).max(1)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_limits_round_up() {
        assert_eq!(cgroup_cpus("150000 100000\n"), Some(2));
        assert_eq!(cgroup_cpus("50000 100000"), Some(1));
        assert_eq!(cgroup_cpus("400000 100000"), Some(4));
        assert_eq!(cgroup_cpus("max 100000"), None);
        assert_eq!(cgroup_cpus(""), None);
    }

    #[test]
    fn model_name_defaults_to_file_stem() {
        let c =
            Config::try_parse_from(["slipway-serve", "--model", "/models/fraud-v2.onnx"]).unwrap();
        assert_eq!(c.model_name(), "fraud-v2");
        assert!(c.threads() >= 1);
    }

    /// Every flag is a contract setting reading the contract's variable, and every contract
    /// setting is a flag: the manifests set exactly the variables the server reads.
    #[test]
    fn flags_and_variables_are_the_contract_settings() {
        use clap::CommandFactory;
        let command = Config::command();
        let mut flags = Vec::new();
        for arg in command.get_arguments() {
            let Some(flag) = arg.get_long() else { continue };
            if ["help", "version"].contains(&flag) {
                continue;
            }
            let setting = contract::SETTINGS
                .iter()
                .find(|s| s.flag == flag)
                .unwrap_or_else(|| panic!("--{flag} is not in slipway_contract::SETTINGS"));
            assert_eq!(
                arg.get_env().and_then(|e| e.to_str()),
                Some(setting.env),
                "--{flag}"
            );
            flags.push(flag);
        }
        for setting in contract::SETTINGS {
            assert!(flags.contains(&setting.flag), "no flag --{}", setting.flag);
        }
    }

    #[test]
    fn flags_parse() {
        let c = Config::try_parse_from([
            "slipway-serve",
            "--model",
            "m.onnx",
            "--model-name",
            "x",
            "--port",
            "0",
            "--max-concurrency",
            "3",
            "--log-level",
            "WARN",
            "--batch-max-size",
            "8",
            "--batch-queue-delay-micros",
            "250",
        ])
        .unwrap();
        assert_eq!(c.batch_max_size.get(), 8);
        assert_eq!(c.batch_queue_delay_micros, 250);
        assert_eq!(c.model_name(), "x");
        assert_eq!(c.port, 0);
        assert_eq!(c.max_concurrency.get(), 3);
        assert_eq!(c.log_level, Level::Warn);
        assert!(
            Config::try_parse_from(["slipway-serve", "--model", "m", "--max-concurrency", "0"])
                .is_err()
        );
        assert!(
            Config::try_parse_from(["slipway-serve", "--model", "m", "--batch-max-size", "0"])
                .is_err()
        );
        let c = Config::try_parse_from(["slipway-serve", "--model", "m"]).unwrap();
        assert_eq!(
            (c.batch_max_size.get(), c.batch_queue_delay_micros),
            (64, 0),
            "batching on by default, never waiting"
        );
    }
}
