#!/usr/bin/env bash
# Fuzz the whole pipeline (text → load → validate → compile → render) for SECONDS (default 60).
#
#   bash crates/core/fuzz/run.sh 60          # the bounded CI run
#   bash crates/core/fuzz/run.sh 3600 2      # an hour on 2 jobs
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). The working
# corpus lives in crates/core/fuzz/corpus/pipeline (gitignored), seeded from specs/ and
# specs/invalid/ and from the committed crates/core/fuzz/seeds/. A crash is written to
# crates/core/fuzz/artifacts/pipeline/; turn it into a regression test (a spec under
# specs/invalid/ or a file under seeds/) before fixing it.
set -euo pipefail
seconds="${1:-60}"
jobs="${2:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$here"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
corpus="$here/corpus/pipeline"
mkdir -p "$corpus"
cp "$root"/specs/*.yaml "$root"/specs/invalid/*.yaml "$root"/specs/warnings/*.yaml "$corpus"/
if [ -d "$here/seeds" ]; then cp "$here"/seeds/* "$corpus"/ 2>/dev/null || true; fi
# -s none: safe Rust needs no AddressSanitizer to find panics, and runs about twice as fast.
args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -dict="$here/spec.dict" -print_final_stats=1)
if [ "$jobs" -gt 1 ]; then args+=(-fork="$jobs"); fi
exec cargo +nightly fuzz run --sanitizer none pipeline "$corpus" -- "${args[@]}"
