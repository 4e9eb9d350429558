#!/usr/bin/env bash
# Whole-process A/B of `slipway render specs/seed-article.yaml` between two commits, side by
# side in one run: each commit is built in release from its own worktree and renders its own
# seed (the seed grows with the features). Prints hyperfine's wall-clock figures (A and B
# take turns, round by round, so load from other processes hits both) and valgrind's
# instruction counts, which a loaded machine does not move.
#
#   bash bench/render/ab.sh 237c64e            # that commit against this checkout
#   bash bench/render/ab.sh 237c64e main       # against another commit
#   ROUNDS=20 RUNS=200 bash bench/render/ab.sh 237c64e
#
# Needs hyperfine and valgrind (Debian packages). Worktrees and target directories live in
# bench/.cache/ab/ (gitignored); a second run reuses the builds.
set -euo pipefail

base="${1:?usage: ab.sh BASE [HEAD]}"
head="${2:-.}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="$root/bench/.cache/ab"
mkdir -p "$cache"
cd "$root"

build() {
  local rev dir
  if [ "$1" = . ]; then
    # This checkout, in its own target directory.
    cargo build --release -q -p slipway-cli
    mkdir -p "$cache/checkout/target/release" && ln -sfn "$root/specs" "$cache/checkout/specs"
    ln -sf "${CARGO_TARGET_DIR:-$root/target}/release/slipway" "$cache/checkout/target/release/"
    echo "$cache/checkout"
    return
  fi
  rev=$(git rev-parse --short "$1")
  dir="$cache/$rev"
  if [ ! -d "$dir" ]; then
    git worktree add --detach -f "$dir" "$rev" >/dev/null
  fi
  if [ ! -x "$dir/target/release/slipway" ]; then
    (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --release -q -p slipway-cli)
  fi
  echo "$dir"
}

a=$(build "$base")
b=$(build "$head")
for dir in "$a" "$b"; do
  (cd "$dir" && ./target/release/slipway render specs/seed-article.yaml >/dev/null)
done

# hyperfine runs one command's runs, then the other's: a machine whose speed drifts (a VM
# host, another build) favours one side. So A and B take turns, ROUNDS rounds of RUNS runs
# each, and each round's B/A ratio of means is kept; the median ratio is the figure.
echo "== hyperfine, ${ROUNDS:-10} rounds of ${RUNS:-100} runs each, A and B taking turns (A = $base, B = $head)"
rounds="$cache/rounds"
rm -rf "$rounds" && mkdir -p "$rounds"
for round in $(seq "${ROUNDS:-10}"); do
  for side in A B; do
    dir=$a && [ "$side" = B ] && dir=$b
    hyperfine -N --warmup 10 --runs "${RUNS:-100}" --export-json "$rounds/$round-$side.json" \
      "$dir/target/release/slipway render $dir/specs/seed-article.yaml" >/dev/null
  done
done
python3 - "$rounds" <<'PY'
import json, pathlib, statistics, sys
rounds = pathlib.Path(sys.argv[1])
def result(round, side):
    return json.loads((rounds / f"{round}-{side}.json").read_text())["results"][0]
count = len(list(rounds.glob("*-A.json")))
stats = {side: [result(r, side) for r in range(1, count + 1)] for side in "AB"}
print("| | mean (median of rounds) | user | system | minimum |")
print("|---|---:|---:|---:|---:|")
for side in "AB":
    runs = stats[side]
    ms = lambda key: statistics.median(r[key] for r in runs) * 1000
    print(f"| {side} | {ms('mean'):.2f} ms | {ms('user'):.2f} ms | {ms('system'):.2f} ms "
          f"| {min(r['min'] for r in runs) * 1000:.2f} ms |")
ratios = sorted(b["mean"] / a["mean"] for a, b in zip(stats["A"], stats["B"]))
print(f"B / A, mean of each round: median {statistics.median(ratios):.2f}x "
      f"(rounds from {ratios[0]:.2f}x to {ratios[-1]:.2f}x)")
print(f"B / A, minimum over all runs: "
      f"{min(r['min'] for r in stats['B']) / min(r['min'] for r in stats['A']):.2f}x")
PY

instructions() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$1/target/release/slipway" render "$1/specs/seed-article.yaml" 2>&1 >/dev/null |
    awk '/I *refs:/ {gsub(",", "", $NF); print $NF}'
}
ia=$(instructions "$a")
ib=$(instructions "$b")
objects() { "$1/target/release/slipway" render "$1/specs/seed-article.yaml" | grep -c '^kind:'; }
echo "== instructions (valgrind cachegrind)"
printf '| | commit | objects | instructions |\n|---|---|---:|---:|\n'
printf '| A | %s | %s | %s |\n' "$base" "$(objects "$a")" "$ia"
printf '| B | %s | %s | %s |\n' "$head" "$(objects "$b")" "$ib"
awk -v a="$ia" -v b="$ib" 'BEGIN { printf "B / A = %.2f×\n", b / a }'
