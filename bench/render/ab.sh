#!/usr/bin/env bash
# Whole-process A/B of `slipway render specs/seed-article.yaml` between two commits, side by
# side in one run: each commit is built in release from its own worktree and renders its own
# seed (the seed grows with the features). Prints hyperfine's wall-clock figures (alternating
# A and B, so load from other processes hits both) and valgrind's instruction counts, which
# a loaded machine does not move.
#
#   bash bench/render/ab.sh 237c64e            # that commit against this checkout
#   bash bench/render/ab.sh 237c64e main       # against another commit
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

echo "== hyperfine (A = $base, B = $head)"
hyperfine -N --warmup 20 --runs "${RUNS:-300}" \
  -n "A $base" "$a/target/release/slipway render $a/specs/seed-article.yaml" \
  -n "B $head" "$b/target/release/slipway render $b/specs/seed-article.yaml"

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
