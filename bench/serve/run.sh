#!/usr/bin/env bash
# Benchmark slipway-serve, with dynamic batching on (its defaults) and off, against the bare
# axum floor (crates/runtime/examples/http_floor.rs), FastAPI + uvicorn (2 workers) and the
# source article's Flask + gunicorn (2 workers), both with onnxruntime, in one run on
# loopback, with wrk; then paired off/on rounds for the medium model. From the repository root:
#
#   bench/serve/run.sh                          # 5 s per cell, 3 paired rounds, profile bench-serve
#   BENCH_SECONDS=10 BENCH_PAIRS=5 BENCH_PROFILE=release bench/serve/run.sh
#
# Installs what it needs: wrk (apt-get, needs root or sudo), a Python venv with the peers'
# packages (bench/serve/.venv), then builds slipway-serve and the floor with the cargo profile
# `bench-serve` (release optimisation, no LTO, 16 codegen units: much faster to build than
# `release` on a small machine), generates the medium MLP (784-512-512-10, ≈ 2.7 MB, not
# committed) into bench/serve/.work, and prints Markdown tables and the targets of issues 14
# and 16. Takes about 5 minutes after the build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/serve"
venv="${BENCH_VENV:-$here/.venv}"
work="$here/.work"
seconds="${BENCH_SECONDS:-5}"
pairs="${BENCH_PAIRS:-3}"
cd "$root"

if ! command -v wrk >/dev/null; then
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq wrk
fi

if [ ! -x "$venv/bin/uvicorn" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi

profile="${BENCH_PROFILE:-bench-serve}"
cargo build --profile "$profile" --locked -p slipway-serve --bin slipway-serve --example http_floor
target_dir="${CARGO_TARGET_DIR:-$root/target}"
out_dir="$target_dir/$profile"
if [ "$profile" = "dev" ]; then out_dir="$target_dir/debug"; fi
server="$out_dir/slipway-serve"
floor="$out_dir/examples/http_floor"

mkdir -p "$work"
if [ ! -f "$work/medium.onnx" ]; then
    "$venv/bin/python" crates/runtime/tests/models/make_models.py --medium "$work/medium.onnx"
fi

echo "slipway-serve $("$server" --version | awk '{print $2}'), $(rustc --version), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
exec "$venv/bin/python" "$here/bench.py" \
    --server "$server" \
    --floor "$floor" \
    --profile "$profile" \
    --tiny crates/runtime/tests/models/tiny.onnx \
    --medium "$work/medium.onnx" \
    --seconds "$seconds" \
    --pairs "$pairs" \
    --python "$venv/bin/python"
