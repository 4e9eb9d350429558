//! Generated code: the messages and the service of the Open Inference Protocol's gRPC half,
//! written at build time by `build.rs` (protox + tonic-prost-build) from
//! `proto/open_inference_grpc.proto`. Nothing here is written by hand.

#![allow(missing_docs, clippy::all, clippy::pedantic, unreachable_pub)]

tonic::include_proto!("inference");
