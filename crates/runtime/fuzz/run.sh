#!/usr/bin/env bash
# Fuzz slipway-serve's request parsing: one TARGET (oip_json, binary_ext, predict, grpc_proto, or
# `all`, one after the other) for SECONDS each (default 20), on JOBS processes (default 1).
#
#   bash crates/runtime/fuzz/run.sh all 20            # the bounded CI run (.ci/runtime.sh)
#   bash crates/runtime/fuzz/run.sh grpc_proto 3600   # an hour of one target
#   RUNS=10000000 bash crates/runtime/fuzz/run.sh all # a fixed number of executions each
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). The working
# corpus lives in crates/runtime/fuzz/corpus/TARGET (gitignored), seeded from the committed
# seeds/TARGET (made by make_seeds.py from the tests' requests). A crash is written to
# crates/runtime/fuzz/artifacts/TARGET/; turn it into a regression test before fixing it.
set -euo pipefail
target="${1:-all}"
seconds="${2:-20}"
jobs="${3:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
# Its own target/ (its own instrumentation flags), whatever the caller builds the workspace into.
unset CARGO_TARGET_DIR
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if [ "$target" = all ]; then
  targets=(oip_json binary_ext predict grpc_proto)
else
  targets=("$target")
fi
# Build every target once (the build is most of a short run's time).
cargo +nightly fuzz build --sanitizer none
for t in "${targets[@]}"; do
  corpus="$here/corpus/$t"
  mkdir -p "$corpus"
  cp "$here/seeds/$t"/* "$corpus"/ 2>/dev/null || true
  # -s none: safe Rust needs no AddressSanitizer to find panics, and runs about twice as fast.
  args=(-timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1)
  if [ -n "${RUNS:-}" ]; then args+=(-runs="$RUNS"); else args+=(-max_total_time="$seconds"); fi
  if [ "$jobs" -gt 1 ]; then args+=(-fork="$jobs"); fi
  echo "==> fuzz $t"
  cargo +nightly fuzz run --sanitizer none "$t" "$corpus" -- "${args[@]}"
done
