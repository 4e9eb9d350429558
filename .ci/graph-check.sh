#!/usr/bin/env bash
# Draws the example specs with `slipway graph` and checks the pictures with real tools:
# Graphviz's `dot` accepts the .dot, the .svg is well-formed with one node group per node, and
# the .html opens in headless Chromium with no script error and shows every node's name.
# Usage: .ci/graph-check.sh [path/to/slipway]   (needs: graphviz, chromium, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
slipway="${1:-target/debug/slipway}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for tool in dot chromium python3; do
  command -v "$tool" >/dev/null || { echo "graph-check: $tool is not installed (apt-get install -y graphviz chromium)" >&2; exit 1; }
done
for spec in specs/seed-article.yaml specs/production.yaml specs/minimal.yaml; do
  name="$(basename "$spec" .yaml)"
  for format in json dot svg html mmd; do
    "$slipway" graph "$spec" -o "$out/$name.$format" 2>/dev/null
  done
  dot -Tsvg "$out/$name.dot" -o "$out/$name.dot.svg"
  python3 - "$out/$name.json" "$out/$name.svg" <<'PY'
import json, sys, xml.dom.minidom
graph = json.load(open(sys.argv[1]))
svg = xml.dom.minidom.parse(sys.argv[2])
groups = [g for g in svg.getElementsByTagName("g") if "node" in g.getAttribute("class").split()]
assert len(groups) == len(graph["nodes"]), (len(groups), len(graph["nodes"]))
PY
  profile="$(mktemp -d)"
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 --virtual-time-budget=3000 \
    --dump-dom "file://$out/$name.html" >"$out/$name.dom" 2>"$out/$name.chromium.log" || true
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" \
    --window-size=1600,1000 --screenshot="$out/$name.png" "file://$out/$name.html" >/dev/null 2>&1 || true
  rm -rf "$profile"
  python3 - "$out/$name.json" "$out/$name.dom" "$out/$name.chromium.log" "$out/$name.png" <<'PY'
import html, json, os, re, sys
graph = json.load(open(sys.argv[1]))
dom = open(sys.argv[2], encoding="utf-8").read()
log = open(sys.argv[3], encoding="utf-8", errors="replace").read()
problems = []
ready = re.search(r'<body[^>]*data-ready="(\d+)"', dom)
if not ready or int(ready.group(1)) != len(graph["nodes"]):
    problems.append("the page's script did not finish (no data-ready with the node count)")
error = re.search(r'<body[^>]*data-js-error="([^"]*)"', dom)
if error:
    problems.append("a script error: " + error.group(1))
for line in log.splitlines():
    if "CONSOLE" in line and ("Uncaught" in line or "Error" in line):
        problems.append("console: " + line)
text = html.unescape(dom)
for node in graph["nodes"]:
    if node["name"][:30] not in text:
        problems.append("node name not shown: " + node["id"])
if not os.path.exists(sys.argv[4]) or os.path.getsize(sys.argv[4]) < 1000:
    problems.append("no screenshot")
if problems:
    sys.exit(sys.argv[1] + ":\n  " + "\n  ".join(problems))
print(f"{sys.argv[1]}: {len(graph['nodes'])} nodes shown, no console error, screenshot taken")
PY
done
echo "graph-check: ok"
