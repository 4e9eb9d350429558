//! slipway-serve: serves one ONNX model (tract) over the Open Inference Protocol v2 — REST
//! and gRPC — and a simple `/predict` API, with Prometheus metrics, JSON logs, bounded
//! concurrency and a graceful drain.
//!
//! The library exists for the binary (`src/main.rs` calls [`run`]) and for the fuzz targets
//! (`crates/runtime/fuzz`, through [`fuzzing`]); everything else is private.

mod admission;
mod batch;
mod config;
mod conn;
mod grpc;
mod http;
mod job;
mod log;
mod metrics;
mod model;
mod process;
mod protocol;
mod server;
mod state;
mod tensor;

pub mod fuzzing;

pub use server::run;
