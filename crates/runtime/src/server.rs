//! The server's life cycle: bind and answer liveness at once; load, optimise and warm the model on the
//! inference pool; report ready; on SIGTERM report not ready, wait `--drain-delay-seconds`, stop
//! accepting, let in-flight requests finish within `--shutdown-grace-seconds`, close what is
//! left, exit 0.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;
use tokio::sync::watch;

use crate::config::Config;
use crate::conn::{self, Connections, Limits};
use crate::log::{self, Level};
use crate::model::{self, Model, TensorMetadata};
use crate::state::{self, AppState, Settings};
use crate::{grpc, http, process};

/// Runs the server with the command line and environment of the process; returns its exit code.
pub fn run() -> ExitCode {
    let config = Config::parse();
    log::set_level(config.log_level);
    log::install_panic_hook();
    log::start_flusher();
    let threads = config.threads();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("slipway-serve")
        // Inference threads live as long as the server: each keeps a reusable run state of
        // the model (model.rs), and at most `threads` + 1 exist (the loader, then the pool
        // bounded by the workers semaphore).
        .thread_keep_alive(Duration::from_secs(365 * 24 * 3600))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            fatal("cannot start the async runtime", &e.to_string());
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(serve(config, threads));
    // Do not wait for an inference still running after the grace period.
    runtime.shutdown_timeout(Duration::from_millis(100));
    log::flush();
    code
}

#[derive(Serialize)]
struct Detail<'a> {
    error: &'a str,
}

fn fatal(message: &str, error: &str) {
    log::emit(Level::Error, "main", message, &Detail { error });
}

#[derive(Serialize)]
struct Listening<'a> {
    address: String,
    /// The gRPC listener's address, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    grpc_address: Option<String>,
    model: &'a str,
    version: &'a str,
    model_path: String,
    threads: usize,
    max_concurrency: usize,
    max_body_bytes: usize,
    max_buffered_body_bytes: usize,
    max_output_bytes: usize,
    max_connections: usize,
    header_read_timeout_seconds: u64,
    body_read_timeout_seconds: u64,
    keep_alive_timeout_seconds: u64,
    write_timeout_seconds: u64,
    batch_max_size: usize,
    batch_queue_delay_micros: u64,
}

#[derive(Serialize)]
struct Loaded<'a> {
    model: &'a str,
    version: &'a str,
    inputs: Vec<TensorMetadata<'a>>,
    outputs: Vec<TensorMetadata<'a>>,
    load_ms: f64,
    /// One warm-up row took this long (the best of five runs).
    row_us: f64,
    /// Small requests run on the runtime threads (a fast model), not the inference pool.
    inline: bool,
    /// Dynamic batching: on or off (and why), its limits.
    batching: state::BatchingStatus,
}

#[derive(Serialize)]
struct Stopping {
    signal: &'static str,
    /// Requests being served (headers read, answer not yet sent).
    in_flight: i64,
    /// Open client connections, idle or mid-request.
    connections: usize,
    grace_seconds: u64,
}

async fn serve(config: Config, threads: usize) -> ExitCode {
    let name = config.model_name();
    // A missing file is reported before binding: no point in going live.
    if let Err(e) = std::fs::metadata(&config.model_path) {
        fatal(
            "cannot start: model file not readable",
            &format!("{}: {e}", config.model_path.display()),
        );
        return ExitCode::FAILURE;
    }
    let state = AppState::new(Settings {
        model_name: name.clone(),
        model_version: config.model_version.clone(),
        max_body_bytes: config.max_body_bytes,
        max_buffered_body_bytes: config.max_buffered_body_bytes.max(config.max_body_bytes),
        max_output_bytes: config.max_output_bytes,
        max_concurrency: config.max_concurrency.get(),
        threads,
        body_read_timeout: Duration::from_secs(config.body_read_timeout_seconds),
        batch_max_size: config.batch_max_size.get(),
        batch_queue_delay: Duration::from_micros(config.batch_queue_delay_micros),
        test_infer_delay: Duration::from_millis(config.test_infer_delay_ms),
        test_panic_on_infer: config.test_panic_on_infer,
    });
    let listener = match tokio::net::TcpListener::bind((config.host.as_str(), config.port)).await {
        Ok(l) => l,
        Err(e) => {
            fatal(
                "cannot start: cannot bind",
                &format!("{}:{}: {e}", config.host, config.port),
            );
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr().map_or_else(
        |_| format!("{}:{}", config.host, config.port),
        |a| a.to_string(),
    );
    let grpc_listener = match config.grpc_port {
        None => None,
        Some(port) => match tokio::net::TcpListener::bind((config.host.as_str(), port)).await {
            Ok(l) => Some(l),
            Err(e) => {
                fatal(
                    "cannot start: cannot bind the gRPC port",
                    &format!("{}:{port}: {e}", config.host),
                );
                return ExitCode::FAILURE;
            }
        },
    };
    let grpc_address = grpc_listener.as_ref().map(|l| {
        l.local_addr().map_or_else(
            |_| format!("{}:{}", config.host, config.grpc_port.unwrap_or_default()),
            |a| a.to_string(),
        )
    });
    let limits = Limits {
        max_connections: max_connections(config.max_connections.get()),
        keep_alive: Duration::from_secs(config.keep_alive_timeout_seconds),
        header_read: Duration::from_secs(config.header_read_timeout_seconds),
        write: Duration::from_secs(config.write_timeout_seconds),
    };
    log::emit(
        Level::Info,
        "main",
        "listening",
        &Listening {
            address,
            grpc_address,
            model: &name,
            version: &config.model_version,
            model_path: config.model_path.display().to_string(),
            threads,
            max_concurrency: config.max_concurrency.get(),
            max_body_bytes: config.max_body_bytes,
            max_buffered_body_bytes: config.max_buffered_body_bytes.max(config.max_body_bytes),
            max_output_bytes: config.max_output_bytes,
            max_connections: limits.max_connections,
            header_read_timeout_seconds: config.header_read_timeout_seconds,
            body_read_timeout_seconds: config.body_read_timeout_seconds,
            keep_alive_timeout_seconds: config.keep_alive_timeout_seconds,
            write_timeout_seconds: config.write_timeout_seconds,
            batch_max_size: config.batch_max_size.get(),
            batch_queue_delay_micros: config.batch_queue_delay_micros,
        },
    );

    // Load in the background so liveness answers while a large model loads.
    let (fatal_tx, mut fatal_rx) = watch::channel(false);
    tokio::spawn(load_model(
        state.clone(),
        config.clone(),
        name.clone(),
        fatal_tx,
    ));

    let connections = Connections::new(limits.max_connections);
    let (stop_tx, stop_rx) = watch::channel(false);
    let accepting = tokio::spawn(conn::accept(
        listener,
        conn::Served::Http(http::Service::new(state.clone())),
        limits,
        connections.clone(),
        state.clone(),
        stop_rx.clone(),
    ));
    let accepting_grpc = grpc_listener.map(|listener| {
        tokio::spawn(conn::accept(
            listener,
            conn::Served::Grpc(grpc::GrpcService::new(state.clone())),
            limits,
            connections.clone(),
            state.clone(),
            stop_rx,
        ))
    });
    let signal = tokio::select! {
        s = wait_for_signal() => s,
        () = load_failed(&mut fatal_rx) => {
            let _ = stop_tx.send(true);
            connections.drain();
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    state.set_draining();
    log::emit(
        Level::Info,
        "main",
        "shutting down: not ready, finishing in-flight requests",
        &Stopping {
            signal,
            in_flight: state.metrics.in_flight_now(),
            connections: connections.open(),
            grace_seconds: config.shutdown_grace_seconds,
        },
    );
    let drain_delay = Duration::from_secs(config.drain_delay_seconds).min(grace);
    tokio::time::sleep(drain_delay).await;
    // Stop accepting (the listener closes), and ask every connection to finish its request.
    let _ = stop_tx.send(true);
    let _ = accepting.await;
    if let Some(accepting) = accepting_grpc {
        let _ = accepting.await;
    }
    connections.drain();
    let left = grace.saturating_sub(start.elapsed());
    if tokio::time::timeout(left, connections.closed())
        .await
        .is_ok()
    {
        log::message(Level::Info, "main", "stopped: every request answered");
    } else {
        log::emit(
            Level::Warn,
            "main",
            "shutdown grace period elapsed; closing the connections still open",
            &Stopping {
                signal,
                in_flight: state.metrics.in_flight_now(),
                connections: connections.open(),
                grace_seconds: config.shutdown_grace_seconds,
            },
        );
    }
    ExitCode::SUCCESS
}

/// The connection cap: `--max-connections`, kept below the open-file limit (less room for the
/// listener, the model file and standard streams).
fn max_connections(configured: usize) -> usize {
    match process::sample().max_fds {
        Some(fds) => configured.min(
            usize::try_from(fds.saturating_sub(32))
                .unwrap_or(usize::MAX)
                .max(1),
        ),
        None => configured,
    }
}

/// Loads and warms the model on the blocking pool, then reports ready; on failure logs why and
/// stops the server with a non-zero exit.
async fn load_model(
    state: Arc<AppState>,
    config: Config,
    name: String,
    fatal_tx: watch::Sender<bool>,
) {
    let start = Instant::now();
    let path = config.model_path.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let mut model = Model::load(&path)?;
        model.warm_up()?;
        Ok::<_, model::LoadError>(model)
    })
    .await;
    let model = match loaded {
        Ok(Ok(model)) => model,
        Ok(Err(e)) => {
            fatal("cannot load the model", &e.to_string());
            let _ = fatal_tx.send(true);
            return;
        }
        Err(e) => {
            fatal("model loading crashed", &e.to_string());
            let _ = fatal_tx.send(true);
            return;
        }
    };
    log::emit(
        Level::Info,
        "model",
        "model loaded and warmed up",
        &Loaded {
            model: &name,
            version: &config.model_version,
            inputs: model.inputs.iter().map(TensorMetadata::from).collect(),
            outputs: model.outputs.iter().map(TensorMetadata::from).collect(),
            load_ms: (start.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            row_us: (model.row_time().as_secs_f64() * 1e9).round() / 1e3,
            inline: model.runs_inline(0),
            batching: state.batching(&model),
        },
    );
    if config.test_ready_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(config.test_ready_delay_ms)).await;
    }
    state.set_model(Arc::new(model));
    log::message(Level::Info, "model", "ready");
}

/// Resolves only if the model failed to load (not when the loader finishes fine and drops the
/// sender).
async fn load_failed(fatal_rx: &mut watch::Receiver<bool>) {
    if fatal_rx.wait_for(|failed| *failed).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            fatal("cannot listen for SIGTERM", &e.to_string());
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "ctrl-c"
}
