#!/usr/bin/env bash
# The gRPC benchmark (issue 24): slipway-serve over gRPC (raw and typed tensors) and over REST
# (V2 JSON), and MLServer 1.7.1 over gRPC, on the 784->512->512->10 MLP, one row per call, 64
# concurrent callers, driven by the Rust load client bench/serve/grpc_load.rs (tonic, hyper: no
# Python in the measured path). One server at a time, in one run; each cell BENCH_SECONDS (10)
# after 2 s of warm-up.
#
#   bash bench/serve/grpc_bench.sh
#
# Listens on 127.0.0.1 only; stops what it starts. Needs python3 (for MLServer's venv, in
# bench/serve/.work/venv-mlserver) and the medium model (made with the interop venv's onnx, or
# taken from $TARGET/ci-models).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=$ROOT/bench/serve/.work
SECONDS_PER_CELL=${BENCH_SECONDS:-10}
CONCURRENCY=${BENCH_CONCURRENCY:-64}
PROFILE=${BENCH_PROFILE:-bench-serve}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$WORK"

cargo build -q --profile "$PROFILE" -p slipway-serve --bin slipway-serve --example grpc_load
SERVE=$TARGET/$PROFILE/slipway-serve
LOAD=$TARGET/$PROFILE/examples/grpc_load

MODEL=$WORK/medium.onnx
if [ ! -f "$MODEL" ]; then
  if [ -f "$TARGET/ci-models/medium.onnx" ]; then
    cp "$TARGET/ci-models/medium.onnx" "$MODEL"
  else
    "$ROOT/.venv-interop/bin/python" crates/runtime/tests/models/make_models.py --medium "$MODEL"
  fi
fi

MLS=$WORK/venv-mlserver
if [ ! -x "$MLS/bin/mlserver" ]; then
  python3 -m venv "$MLS"
  "$MLS/bin/pip" install -q mlserver==1.7.1 onnxruntime==1.32.0 numpy==2.4.6
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 600); do
    if curl -fs "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "not ready: $1" >&2
  return 1
}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

run_cell() { # label, target, address
  local out
  out=$("$LOAD" --target "$2" --address "$3" --model medium --width 784 \
    --concurrency "$CONCURRENCY" --seconds "$SECONDS_PER_CELL" --warmup 2)
  echo "$1 $out" >&2
  python3 -c 'import json, sys; r = json.loads(sys.argv[2]); print("| %s | %.0f | %.2f | %.2f | %d |" % (sys.argv[1], r["rps"], r["p50_ms"], r["p99_ms"], r["errors"]))' "$1" "$out"
}

echo "commit $(git rev-parse --short HEAD), profile $PROFILE, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "| server | req/s | p50 (ms) | p99 (ms) | errors |"
echo "|---|---:|---:|---:|---:|"

HTTP=$(free_port); GRPC=$(free_port)
"$SERVE" --model "$MODEL" --model-name medium --host 127.0.0.1 --port "$HTTP" --grpc-port "$GRPC" \
  --log-level warn >/dev/null &
pids+=($!)
wait_ready "http://127.0.0.1:$HTTP/v2/health/ready"
run_cell "slipway-serve gRPC, raw tensors" grpc-raw "127.0.0.1:$GRPC"
run_cell "slipway-serve gRPC, typed tensors" grpc-typed "127.0.0.1:$GRPC"
run_cell "slipway-serve REST, V2 JSON" rest "127.0.0.1:$HTTP"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

# parallel_workers 0: inference in MLServer's main process. MLServer 1.7.1's worker pool dies at
# start here ("There is no current event loop in thread 'MainThread'", Python 3.11).
MHTTP=$(free_port); MGRPC=$(free_port)
MDIR=$WORK/mlserver-models
mkdir -p "$MDIR/medium"
cat > "$MDIR/settings.json" <<JSON
{"http_port": $MHTTP, "grpc_port": $MGRPC, "host": "127.0.0.1", "metrics_endpoint": null, "debug": false, "parallel_workers": 0}
JSON
cat > "$MDIR/medium/model-settings.json" <<JSON
{"name": "medium", "implementation": "mlserver_onnx.OnnxModel", "parameters": {"uri": "$MODEL"}}
JSON
(cd "$MDIR" && PYTHONPATH="$ROOT/bench/serve" "$MLS/bin/mlserver" start . >"$WORK/mlserver.log" 2>&1) &
pids+=($!)
wait_ready "http://127.0.0.1:$MHTTP/v2/models/medium/ready"
run_cell "MLServer 1.7.1 gRPC, typed tensors" grpc-typed "127.0.0.1:$MGRPC"
