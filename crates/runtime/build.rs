//! Generates the gRPC messages and service of the Open Inference Protocol from
//! `proto/open_inference_grpc.proto`: compiled by protox (pure Rust, no `protoc` needed), code
//! written by tonic's prost backend into `OUT_DIR` (included by `src/grpc/proto.rs` and the
//! tests' client).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/open_inference_grpc.proto");
    let files = protox::compile(["open_inference_grpc.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .build_transport(false)
        // Raw tensor bytes are kept as `Bytes`: decoded without a copy per tensor.
        .bytes(".inference.ModelInferRequest.raw_input_contents")
        .bytes(".inference.ModelInferResponse.raw_output_contents")
        .compile_fds(files)?;
    Ok(())
}
