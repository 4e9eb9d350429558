#!/usr/bin/env bash
# Benchmark slipway-serve against the source article's stack (Flask + gunicorn, 2 workers,
# here with onnxruntime) on loopback, with wrk. From the repository root:
#
#   bench/serve/run.sh              # 5 s per cell
#   BENCH_SECONDS=10 bench/serve/run.sh
#
# Installs what it needs: wrk (apt-get, needs root or sudo), a Python venv with the peer's
# packages (bench/serve/.venv), then builds slipway-serve in release mode (≈ 10-15 min cold),
# generates the medium MLP (784-512-512-10, ≈ 2.7 MB, not committed) into bench/serve/.work,
# and prints a Markdown table. Takes about 2 minutes after the build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/serve"
venv="${BENCH_VENV:-$here/.venv}"
work="$here/.work"
seconds="${BENCH_SECONDS:-5}"
cd "$root"

if ! command -v wrk >/dev/null; then
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq wrk
fi

if [ ! -x "$venv/bin/gunicorn" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi

cargo build --release --locked -p slipway-serve
target_dir="${CARGO_TARGET_DIR:-$root/target}"
server="$target_dir/release/slipway-serve"

mkdir -p "$work"
if [ ! -f "$work/medium.onnx" ]; then
    "$venv/bin/python" crates/runtime/tests/models/make_models.py --medium "$work/medium.onnx"
fi

echo "slipway-serve $("$server" --version | awk '{print $2}'), $(rustc --version), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
exec "$venv/bin/python" "$here/bench.py" \
    --server "$server" \
    --tiny crates/runtime/tests/models/tiny.onnx \
    --medium "$work/medium.onnx" \
    --seconds "$seconds" \
    --python "$venv/bin/python"
