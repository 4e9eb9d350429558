//! slipway-serve: serves one ONNX model (tract) over the Open Inference Protocol v2 and a simple
//! `/predict` API, with Prometheus metrics, JSON logs, bounded concurrency and a graceful drain.
//!
//! Life cycle: bind and answer liveness at once; load, optimise and warm the model on the
//! inference pool; report ready; on SIGTERM report not ready, wait `--drain-delay-seconds`, stop
//! accepting, let in-flight requests finish within `--shutdown-grace-seconds`, exit 0.

mod api;
mod config;
mod log;
mod metrics;
mod model;
mod process;
mod protocol;
mod tensor;

use std::future::IntoFuture;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;
use tokio::sync::watch;

use crate::api::{AppState, Settings};
use crate::config::Config;
use crate::log::Level;
use crate::model::{Model, TensorMetadata};

fn main() -> ExitCode {
    let config = Config::parse();
    log::set_level(config.log_level);
    let threads = config.threads();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("slipway-serve")
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
    model: &'a str,
    version: &'a str,
    model_path: String,
    threads: usize,
    max_concurrency: usize,
    max_body_bytes: usize,
}

#[derive(Serialize)]
struct Loaded<'a> {
    model: &'a str,
    version: &'a str,
    inputs: Vec<TensorMetadata<'a>>,
    outputs: Vec<TensorMetadata<'a>>,
    load_ms: f64,
}

#[derive(Serialize)]
struct Stopping {
    signal: &'static str,
    in_flight: i64,
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
        max_concurrency: config.max_concurrency.get(),
        threads,
        test_infer_delay: Duration::from_millis(config.test_infer_delay_ms),
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
    log::emit(
        Level::Info,
        "main",
        "listening",
        &Listening {
            address,
            model: &name,
            version: &config.model_version,
            model_path: config.model_path.display().to_string(),
            threads,
            max_concurrency: config.max_concurrency.get(),
            max_body_bytes: config.max_body_bytes,
        },
    );

    // Load in the background so liveness answers while a large model loads.
    let (fatal_tx, fatal_rx) = watch::channel(false);
    tokio::spawn(load_model(
        state.clone(),
        config.clone(),
        name.clone(),
        fatal_tx,
    ));

    let (stop_tx, mut stop_rx) = watch::channel(false);
    let shutdown = shutdown_signal(
        state.clone(),
        fatal_rx.clone(),
        stop_tx,
        Duration::from_secs(config.drain_delay_seconds),
        config.shutdown_grace_seconds,
    );
    let app = api::router(state.clone());
    let mut server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .into_future(),
    );
    let finished = tokio::select! {
        r = &mut server => Some(r),
        _ = stop_rx.changed() => None,
    };
    let result = match finished {
        Some(r) => r,
        None => {
            let grace = Duration::from_secs(config.shutdown_grace_seconds);
            match tokio::time::timeout(grace, &mut server).await {
                Ok(r) => r,
                Err(_) => {
                    log::emit(
                        Level::Error,
                        "main",
                        "shutdown grace period elapsed with requests in flight; exiting",
                        &Stopping {
                            signal: "timeout",
                            in_flight: state.metrics.in_flight_now(),
                            grace_seconds: config.shutdown_grace_seconds,
                        },
                    );
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    match result {
        Ok(Ok(())) if *fatal_rx.borrow() => ExitCode::FAILURE,
        Ok(Ok(())) => {
            log::message(Level::Info, "main", "stopped: every request answered");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            fatal("server error", &e.to_string());
            ExitCode::FAILURE
        }
        Err(e) => {
            fatal("server task failed", &e.to_string());
            ExitCode::FAILURE
        }
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
        let model = Model::load(&path)?;
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
        },
    );
    if config.test_ready_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(config.test_ready_delay_ms)).await;
    }
    state.set_model(Arc::new(model));
    log::message(Level::Info, "model", "ready");
}

/// Resolves when the server should stop accepting: after SIGTERM/SIGINT plus the drain delay,
/// or at once when the model failed to load.
async fn shutdown_signal(
    state: Arc<AppState>,
    mut fatal_rx: watch::Receiver<bool>,
    stop_tx: watch::Sender<bool>,
    drain_delay: Duration,
    grace_seconds: u64,
) {
    let signal = tokio::select! {
        s = wait_for_signal() => s,
        () = load_failed(&mut fatal_rx) => {
            let _ = stop_tx.send(true);
            return;
        }
    };
    state.set_draining();
    let _ = stop_tx.send(true);
    log::emit(
        Level::Info,
        "main",
        "shutting down: not ready, finishing in-flight requests",
        &Stopping {
            signal,
            in_flight: state.metrics.in_flight_now(),
            grace_seconds,
        },
    );
    if !drain_delay.is_zero() {
        tokio::time::sleep(drain_delay).await;
    }
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
