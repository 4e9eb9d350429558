//! The gRPC benchmark's load client (`bench/serve/grpc_bench.sh`): N concurrent callers for a
//! fixed time against an Open Inference Protocol server, over gRPC (`ModelInfer`, typed or raw
//! tensors, the calls multiplexed on `--connections` HTTP/2 connections) or over REST (V2 JSON
//! `POST /v2/models/{name}/infer`, one HTTP/1.1 keep-alive connection per caller). Rust end to
//! end (tonic, hyper): no Python in the measured path. One row of random FP32 features per
//! call; every answer is checked to have the model's outputs. Prints one JSON line: requests,
//! errors, req/s, p50/p90/p99 latency in ms.
//!
//!     cargo run --profile bench-serve -p slipway-serve --example grpc_load -- \
//!         --target grpc-raw --address 127.0.0.1:8081 --model medium --width 784 \
//!         --concurrency 64 --seconds 10

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use tonic::transport::Channel;

#[allow(clippy::all, clippy::pedantic, missing_docs)]
mod pb {
    tonic::include_proto!("inference");
}

use pb::grpc_inference_service_client::GrpcInferenceServiceClient;
use pb::model_infer_request::InferInputTensor;
use pb::{InferTensorContents, ModelInferRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    GrpcRaw,
    GrpcTyped,
    Rest,
}

#[derive(Debug, Clone)]
struct Args {
    target: Target,
    address: String,
    model: String,
    input: String,
    width: usize,
    concurrency: usize,
    connections: usize,
    seconds: f64,
    warmup: f64,
}

fn args() -> Args {
    let mut a = Args {
        target: Target::GrpcRaw,
        address: "127.0.0.1:8081".into(),
        model: "medium".into(),
        input: "input".into(),
        width: 784,
        concurrency: 64,
        connections: 1,
        seconds: 10.0,
        warmup: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--target" => {
                a.target = match value.as_str() {
                    "grpc-raw" => Target::GrpcRaw,
                    "grpc-typed" => Target::GrpcTyped,
                    "rest" => Target::Rest,
                    other => panic!("--target grpc-raw | grpc-typed | rest, not {other}"),
                }
            }
            "--address" => a.address = value,
            "--model" => a.model = value,
            "--input" => a.input = value,
            "--width" => a.width = value.parse().expect("--width"),
            "--concurrency" => a.concurrency = value.parse().expect("--concurrency"),
            "--connections" => a.connections = value.parse().expect("--connections"),
            "--seconds" => a.seconds = value.parse().expect("--seconds"),
            "--warmup" => a.warmup = value.parse().expect("--warmup"),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// Deterministic features in [-1, 1) (xorshift), a different row per caller.
fn features(width: usize, seed: u64) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..width)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            #[allow(clippy::cast_precision_loss)]
            let v = (x >> 40) as f32 / (1u64 << 24) as f32;
            v * 2.0 - 1.0
        })
        .collect()
}

struct Stats {
    running: AtomicBool,
    measuring: AtomicBool,
    errors: AtomicU64,
}

fn grpc_request(args: &Args, row: &[f32]) -> ModelInferRequest {
    let shape = vec![1, i64::try_from(row.len()).unwrap()];
    let raw = args.target == Target::GrpcRaw;
    ModelInferRequest {
        model_name: args.model.clone(),
        inputs: vec![InferInputTensor {
            name: args.input.clone(),
            datatype: "FP32".into(),
            shape,
            contents: (!raw).then(|| InferTensorContents {
                fp32_contents: row.to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        raw_input_contents: if raw {
            vec![
                row.iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect::<Vec<u8>>()
                    .into(),
            ]
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

async fn grpc_caller(args: Arc<Args>, channel: Channel, stats: Arc<Stats>, seed: u64) -> Vec<u32> {
    let mut client = GrpcInferenceServiceClient::new(channel)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20);
    let req = grpc_request(&args, &features(args.width, seed));
    let mut latencies = Vec::with_capacity(1 << 16);
    while stats.running.load(Ordering::Relaxed) {
        let start = Instant::now();
        let ok = match client.model_infer(req.clone()).await {
            Ok(resp) => !resp.get_ref().outputs.is_empty(),
            Err(_) => false,
        };
        if stats.measuring.load(Ordering::Relaxed) {
            if ok {
                latencies.push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
            } else {
                stats.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    latencies
}

async fn rest_caller(args: Arc<Args>, stats: Arc<Stats>, seed: u64) -> Vec<u32> {
    let row = features(args.width, seed);
    let body = serde_json::json!({"inputs": [{"name": args.input, "shape": [1, args.width],
        "datatype": "FP32", "data": row}]})
    .to_string();
    let body = Bytes::from(body);
    let path = format!("/v2/models/{}/infer", args.model);
    let stream = tokio::net::TcpStream::connect(&args.address)
        .await
        .expect("connect");
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let mut latencies = Vec::with_capacity(1 << 16);
    while stats.running.load(Ordering::Relaxed) {
        let req = hyper::Request::post(&path)
            .header("host", &args.address)
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .unwrap();
        let start = Instant::now();
        let ok = match sender.send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                let bytes = resp.into_body().collect().await.map(|b| b.to_bytes());
                status.is_success()
                    && bytes.is_ok_and(|b| b.windows(9).any(|w| w == b"\"outputs\""))
            }
            Err(_) => false,
        };
        if stats.measuring.load(Ordering::Relaxed) {
            if ok {
                latencies.push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
            } else {
                stats.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !ok && sender.ready().await.is_err() {
            break;
        }
    }
    latencies
}

fn main() {
    let args = Arc::new(args());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let stats = Arc::new(Stats {
            running: AtomicBool::new(true),
            measuring: AtomicBool::new(false),
            errors: AtomicU64::new(0),
        });
        let mut channels = Vec::new();
        if args.target != Target::Rest {
            for _ in 0..args.connections.max(1) {
                let channel = Channel::from_shared(format!("http://{}", args.address))
                    .unwrap()
                    .connect()
                    .await
                    .expect("connect");
                channels.push(channel);
            }
        }
        let callers: Vec<_> = (0..args.concurrency)
            .map(|i| {
                let (args, stats) = (args.clone(), stats.clone());
                let seed = i as u64 + 1;
                if args.target == Target::Rest {
                    tokio::spawn(rest_caller(args, stats, seed))
                } else {
                    let channel = channels[i % channels.len()].clone();
                    tokio::spawn(grpc_caller(args, channel, stats, seed))
                }
            })
            .collect();
        tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
        stats.measuring.store(true, Ordering::Relaxed);
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
        stats.measuring.store(false, Ordering::Relaxed);
        let elapsed = start.elapsed().as_secs_f64();
        stats.running.store(false, Ordering::Relaxed);
        let mut all: Vec<u32> = Vec::new();
        for c in callers {
            all.extend(c.await.unwrap());
        }
        all.sort_unstable();
        let q = |p: f64| {
            if all.is_empty() {
                return 0.0;
            }
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let i = ((all.len() as f64 * p) as usize).min(all.len() - 1);
            f64::from(all[i]) / 1e3
        };
        #[allow(clippy::cast_precision_loss)]
        let rps = all.len() as f64 / elapsed;
        println!(
            "{}",
            serde_json::json!({
                "target": format!("{:?}", args.target),
                "requests": all.len(),
                "errors": stats.errors.load(Ordering::Relaxed),
                "seconds": elapsed,
                "rps": rps.round(),
                "p50_ms": q(0.5),
                "p90_ms": q(0.9),
                "p99_ms": q(0.99),
            })
        );
    });
}
