#!/usr/bin/env bash
# CI checks of slipway-serve (crates/runtime), called by .ci/run with ROOT and TARGET set:
# interoperability with the Open Inference Protocol's own clients against onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${ROOT:-$PWD}
TARGET=${TARGET:-${CARGO_TARGET_DIR:-$ROOT/target}}

echo "==> tritonclient interoperability: binary tensor extension vs onnxruntime (slipway-serve)"
# The peers' pinned versions (bench/serve/requirements.txt) in a venv of their own.
INTEROP=$ROOT/.venv-interop
if [ ! -x "$INTEROP/bin/python" ] || ! "$INTEROP/bin/python" -c 'import tritonclient.http, tritonclient.grpc, onnxruntime, onnx' 2>/dev/null; then
  python3 -m venv "$INTEROP"
  "$INTEROP/bin/pip" install -q "tritonclient[http,grpc]==2.73.0" grpcio==1.85.4 protobuf==6.33.6 \
    onnxruntime==1.32.0 onnx==1.23.2 numpy==2.4.6
fi
cargo build -q -p slipway-serve
mkdir -p "$TARGET/ci-models"
[ -f "$TARGET/ci-models/medium.onnx" ] ||
  "$INTEROP/bin/python" crates/runtime/tests/models/make_models.py --medium "$TARGET/ci-models/medium.onnx"
"$INTEROP/bin/python" bench/serve/triton_check.py --server "$TARGET/debug/slipway-serve" \
  --model crates/runtime/tests/models/tiny.onnx --model "$TARGET/ci-models/medium.onnx"

echo "==> tritonclient interoperability over gRPC: raw and typed tensors vs onnxruntime (slipway-serve)"
"$INTEROP/bin/python" bench/serve/triton_grpc_check.py --server "$TARGET/debug/slipway-serve" \
  --model crates/runtime/tests/models/tiny.onnx --model "$TARGET/ci-models/medium.onnx"

echo "==> fuzzing slipway-serve's request parsing (20 s per target)"
# OIP JSON, the binary tensor extension, /predict and gRPC ModelInfer messages (crates/runtime/fuzz).
if cargo +nightly --version >/dev/null 2>&1; then
  bash crates/runtime/fuzz/run.sh all "${FUZZ_SECONDS:-20}"
else
  echo "!!! SKIPPED: no nightly toolchain (rustup toolchain install nightly); the runtime's fuzz targets did not run !!!" >&2
fi
