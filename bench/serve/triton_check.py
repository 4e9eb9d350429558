#!/usr/bin/env python3
"""Interoperability check: NVIDIA's tritonclient (HTTP) against slipway-serve, with the binary
tensor data extension for inputs and outputs, compared with onnxruntime.

For each model (tiny 4->8->3 with two outputs, the 784->512->512->10 MLP) and each batch
size (1 and 1,024) it sends random inputs with `binary_data=True`, asks for every output with
`binary_data=True` (and once with no outputs listed, which makes tritonclient ask for all of
them in binary through the `binary_data_output` request parameter), and checks every output
against onnxruntime to 1e-5. The server runs with its default limits: a 1,024-row batch of the
784-feature model (3.2 MB of FP32) must fit the default 4 MiB body limit.

    python bench/serve/triton_check.py --server target/debug/slipway-serve \
        --model crates/runtime/tests/models/tiny.onnx --model bench/serve/.work/medium.onnx

Needs: pip install "tritonclient[http]" onnxruntime numpy. Listens on 127.0.0.1 only, stops
the servers it starts, exits non-zero on any mismatch. Takes a few seconds.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import onnxruntime as ort
import tritonclient.http as httpclient

TOLERANCE = 1e-5
BATCHES = [1, 1024]


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


def check_model(server, path):
    name = os.path.splitext(os.path.basename(path))[0]
    port = free_port()
    proc = subprocess.Popen(
        [server, "--model", path, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        env={"PATH": os.environ.get("PATH", "")},
    )
    rows = []
    try:
        wait_ready(f"http://127.0.0.1:{port}/v2/health/ready", proc)
        client = httpclient.InferenceServerClient(url=f"127.0.0.1:{port}", network_timeout=60)
        meta = client.get_server_metadata()
        assert "binary_tensor_data" in meta["extensions"], meta
        model_meta = client.get_model_metadata(name)
        width = model_meta["inputs"][0]["shape"][1]
        output_names = [o["name"] for o in model_meta["outputs"]]
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(2026)
        for batch in BATCHES:
            x = rng.standard_normal((batch, width)).astype(np.float32)
            expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input": x})))
            for listed in (True, False):
                inp = httpclient.InferInput("input", list(x.shape), "FP32")
                inp.set_data_from_numpy(x, binary_data=True)
                outputs = (
                    [httpclient.InferRequestedOutput(n, binary_data=True) for n in output_names]
                    if listed
                    else None
                )
                start = time.perf_counter()
                result = client.infer(name, [inp], outputs=outputs)
                ms = (time.perf_counter() - start) * 1e3
                response = result.get_response()
                for n in output_names:
                    out = response_output(response, n)
                    assert "binary_data_size" in out.get("parameters", {}), f"{n} not binary: {out}"
                    got = result.as_numpy(n)
                    diff = float(np.max(np.abs(got.astype(np.float64) - expected[n])))
                    ok = got.shape == expected[n].shape and diff <= TOLERANCE
                    rows.append((name, batch, "listed" if listed else "binary_data_output", n, got.shape, diff, ms, ok))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return rows


def response_output(response, name):
    for out in response["outputs"]:
        if out["name"] == name:
            return out
    raise AssertionError(f"no output {name} in {json.dumps(response)[:500]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True, help="slipway-serve binary")
    ap.add_argument("--model", action="append", required=True, help="ONNX model (repeatable)")
    args = ap.parse_args()
    rows = []
    for path in args.model:
        rows += check_model(args.server, os.path.abspath(path))
    print(f"tritonclient {httpclient.__name__} binary_data=True vs onnxruntime {ort.__version__} (tolerance {TOLERANCE})")
    print("| model | batch | outputs asked | output | shape | max abs diff | request ms | ok |")
    print("|---|---:|---|---|---|---:|---:|---|")
    for name, batch, how, out, shape, diff, ms, ok in rows:
        print(f"| {name} | {batch} | {how} | {out} | {list(shape)} | {diff:.2e} | {ms:.1f} | {'yes' if ok else 'NO'} |")
    if not all(r[-1] for r in rows):
        sys.exit("mismatch")


if __name__ == "__main__":
    main()
