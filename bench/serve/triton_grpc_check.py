#!/usr/bin/env python3
"""Interoperability check of slipway-serve's gRPC side: NVIDIA's tritonclient (gRPC) against
onnxruntime.

For each model (tiny 4->8->3 with two outputs, the 784->512->512->10 MLP) and each batch size
(1 and 1,024) it sends random FP32 inputs twice: through tritonclient.grpc's `infer` (raw
tensors: `raw_input_contents`, answered in `raw_output_contents`, which is what
`InferResult.as_numpy` reads), and as a typed request (`contents.fp32_contents`, answered in
typed contents) built from tritonclient's own protobuf messages and sent through its gRPC stub.
Every output is checked against onnxruntime to 1e-5. It also checks liveness, readiness, model
readiness, server metadata and model metadata over gRPC. The server runs with its default
limits: a 1,024-row batch of the 784-feature model (3.2 MB of FP32) fits the 4 MiB message
limit.

    python bench/serve/triton_grpc_check.py --server target/debug/slipway-serve \
        --model crates/runtime/tests/models/tiny.onnx --model bench/serve/.work/medium.onnx

Needs: pip install "tritonclient[grpc]" onnxruntime numpy. Listens on 127.0.0.1 only, stops
the servers it starts, exits non-zero on any mismatch. Takes a few seconds.
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request

import grpc
import numpy as np
import onnxruntime as ort
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc

TOLERANCE = 1e-5
BATCHES = [1, 1024]
MAX_MESSAGE = 64 * 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, proc, timeout=60.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            sys.exit(f"server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.02)
    sys.exit(f"{url} not ready within {timeout}s")


def typed_infer(stub, name, x, output_names):
    """A ModelInfer with typed contents; the outputs decoded from typed contents."""
    request = service_pb2.ModelInferRequest(model_name=name, id="typed")
    tensor = request.inputs.add(name="input", datatype="FP32", shape=list(x.shape))
    tensor.contents.fp32_contents.extend(x.ravel().tolist())
    response = stub.ModelInfer(request, timeout=60)
    assert not response.raw_output_contents, "a typed request gets typed outputs"
    assert response.id == "typed", response.id
    got = {}
    for out in response.outputs:
        assert out.datatype == "FP32", out.datatype
        got[out.name] = np.array(out.contents.fp32_contents, dtype=np.float32).reshape(list(out.shape))
    assert sorted(got) == sorted(output_names), got.keys()
    return got


def check_model(server, path):
    name = os.path.splitext(os.path.basename(path))[0]
    port, grpc_port = free_port(), free_port()
    proc = subprocess.Popen(
        [server, "--model", path, "--host", "127.0.0.1", "--port", str(port), "--grpc-port", str(grpc_port)],
        stdout=subprocess.DEVNULL,
        env={"PATH": os.environ.get("PATH", "")},
    )
    rows = []
    try:
        wait_ready(f"http://127.0.0.1:{port}/v2/health/ready", proc)
        url = f"127.0.0.1:{grpc_port}"
        client = grpcclient.InferenceServerClient(url=url)
        assert client.is_server_live(), "live"
        assert client.is_server_ready(), "ready"
        assert client.is_model_ready(name), "model ready"
        meta = client.get_server_metadata()
        assert meta.name == "slipway-serve" and "binary_tensor_data" in meta.extensions, meta
        model_meta = client.get_model_metadata(name)
        assert model_meta.name == name and model_meta.platform == "onnx_onnxv1", model_meta
        width = model_meta.inputs[0].shape[1]
        assert model_meta.inputs[0].datatype == "FP32" and model_meta.inputs[0].shape[0] == -1
        output_names = [o.name for o in model_meta.outputs]
        channel = grpc.insecure_channel(
            url,
            options=[("grpc.max_send_message_length", MAX_MESSAGE), ("grpc.max_receive_message_length", MAX_MESSAGE)],
        )
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(2026)
        for batch in BATCHES:
            x = rng.standard_normal((batch, width)).astype(np.float32)
            expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input": x})))
            # Raw tensors, through tritonclient's own infer().
            inp = grpcclient.InferInput("input", list(x.shape), "FP32")
            inp.set_data_from_numpy(x)
            outputs = [grpcclient.InferRequestedOutput(n) for n in output_names]
            start = time.perf_counter()
            result = client.infer(name, [inp], outputs=outputs)
            ms = (time.perf_counter() - start) * 1e3
            for n in output_names:
                got = result.as_numpy(n)
                rows.append(row(name, batch, "raw", n, got, expected[n], ms))
            # Typed tensors, through tritonclient's protobuf messages and stub.
            start = time.perf_counter()
            typed = typed_infer(stub, name, x, output_names)
            ms = (time.perf_counter() - start) * 1e3
            for n in output_names:
                rows.append(row(name, batch, "typed", n, typed[n], expected[n], ms))
        channel.close()
        client.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return rows


def row(name, batch, how, out, got, expected, ms):
    if got is None or got.shape != expected.shape:
        return (name, batch, how, out, None if got is None else got.shape, float("inf"), ms, False)
    diff = float(np.max(np.abs(got.astype(np.float64) - expected)))
    return (name, batch, how, out, got.shape, diff, ms, diff <= TOLERANCE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True, help="slipway-serve binary")
    ap.add_argument("--model", action="append", required=True, help="ONNX model (repeatable)")
    args = ap.parse_args()
    rows = []
    for path in args.model:
        rows += check_model(args.server, os.path.abspath(path))
    print(f"tritonclient.grpc (raw) and typed ModelInfer vs onnxruntime {ort.__version__} (tolerance {TOLERANCE}); "
          "health, readiness and metadata checked over gRPC")
    print("| model | batch | tensors | output | shape | max abs diff | request ms | ok |")
    print("|---|---:|---|---|---|---:|---:|---|")
    for name, batch, how, out, shape, diff, ms, ok in rows:
        print(f"| {name} | {batch} | {how} | {out} | {list(shape) if shape else shape} | {diff:.2e} | {ms:.1f} | {'yes' if ok else 'NO'} |")
    if not all(r[-1] for r in rows):
        sys.exit("mismatch")


if __name__ == "__main__":
    main()
