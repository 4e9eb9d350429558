#!/usr/bin/env bash
# Server CPU time per request on the tiny model (4-8-3) at c=64, POST /predict with one row:
# slipway-serve with batching on (its defaults) and off (--batch-max-size 1) and the bare axum
# floor (crates/runtime/examples/http_floor.rs), side by side in one run. From the repository
# root:
#
#   bench/serve/cpu_per_request.sh                       # 3 rounds of 4 s, profile bench-serve
#   CPU_ROUNDS=5 CPU_SECONDS=6 bench/serve/cpu_per_request.sh
#   CPU_BASELINE=/tmp/slipway-serve.before bench/serve/cpu_per_request.sh   # before/after
#
# Every server starts at once (an idle server costs no CPU); then, round after round, wrk
# (2 threads, 64 connections) runs against each in turn, and the server's user + system CPU
# time (utime + stime of /proc/<pid>/stat, all threads) before and after, divided by the
# requests wrk completed, gives microseconds of server CPU per request. Unlike req/s, this
# hardly depends on how busy the rest of the machine is (wrk shares the machine too). Prints
# every round and the median per server, and the floor's share: floor µs / server µs is the
# req/s share the server would reach if CPU were the only limit.
#
# CPU_BASELINE names another slipway-serve binary (a build of an earlier commit) measured the
# same way in the same run, batching on and off, for before/after figures.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
profile="${BENCH_PROFILE:-bench-serve}"
if [ -z "${CPU_NO_BUILD:-}" ]; then
    cargo build --profile "$profile" --locked -p slipway-serve --bin slipway-serve --example http_floor
fi
target_dir="${CARGO_TARGET_DIR:-$root/target}"
out_dir="$target_dir/$profile"
if [ "$profile" = "dev" ]; then out_dir="$target_dir/debug"; fi

exec python3 - "$out_dir/slipway-serve" "$out_dir/examples/http_floor" \
    "$root/crates/runtime/tests/models/tiny.onnx" "${CPU_ROUNDS:-3}" "${CPU_SECONDS:-4}" \
    "${CPU_BASELINE:-}" <<'EOF'
import json, os, re, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.getcwd(), "bench", "serve"))
import bench  # free_port, start_server, stop_server

server, floor, tiny, rounds, seconds, baseline = sys.argv[1:7]
rounds, seconds = int(rounds), int(seconds)
ticks = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def wrk(url, body_file, connections, secs):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{secs}s", "--timeout", "10s",
         "-s", os.path.join(bench.HERE, "post.lua"), url],
        env={**os.environ, "BODY_FILE": body_file}, capture_output=True, text=True, check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        sys.exit(f"{url}: {bad.group(1)} non-2xx responses")
    return requests, float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


serve = lambda binary, *extra: lambda port: [
    binary, "--model", tiny, "--host", "127.0.0.1", "--port", str(port), *extra]
configs = [
    ("slipway-serve (batching on)", serve(server), "/v2/health/ready"),
    ("slipway-serve, batching off", serve(server, "--batch-max-size", "1"), "/v2/health/ready"),
]
if baseline:
    configs += [
        ("baseline (batching on)", serve(baseline), "/v2/health/ready"),
        ("baseline, batching off", serve(baseline, "--batch-max-size", "1"), "/v2/health/ready"),
    ]
configs.append(("axum floor", lambda port: [floor, f"127.0.0.1:{port}"], "/v2/health/ready"))

body = json.dumps({"features": [round(0.01 * (i % 97) - 0.3, 4) for i in range(4)]})
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    f.write(body)
    body_file = f.name
env = {"PATH": os.environ.get("PATH", "")}
procs, urls = {}, {}
try:
    for name, cmd, ready in configs:
        port = bench.free_port()
        base = f"http://127.0.0.1:{port}"
        procs[name] = bench.start_server(cmd(port), env, base + ready)
        urls[name] = base + "/predict"
        wrk(urls[name], body_file, 64, 1)  # warm-up
    results = {name: [] for name, _, _ in configs}
    for r in range(rounds):
        for name, _, _ in configs:
            pid = procs[name].pid
            before = cpu_seconds(pid)
            requests, rps = wrk(urls[name], body_file, 64, seconds)
            used = cpu_seconds(pid) - before
            results[name].append((used / requests * 1e6, rps))
            print(f"round {r + 1}: {name:30} {used / requests * 1e6:6.1f} us/request  {rps:8.0f} req/s",
                  flush=True)
finally:
    for proc in procs.values():
        bench.stop_server(proc)
    os.unlink(body_file)

with open("/proc/loadavg") as f:
    load = " ".join(f.read().split()[:3])
print(f"\nTiny model, c=64, POST /predict one row, wrk -t2 -c64 {seconds} s x {rounds} rounds; "
      f"load average after: {load}\n")
print("| server | CPU us/request (median) | rounds | req/s (median) |")
print("|---|---:|---|---:|")
floor_us = statistics.median(us for us, _ in results["axum floor"])
for name, cells in results.items():
    us = statistics.median(u for u, _ in cells)
    rps = statistics.median(r for _, r in cells)
    shown = ", ".join(f"{u:.1f}" for u, _ in cells)
    share = "" if name == "axum floor" else f" (floor/this = {floor_us / us:.0%})"
    print(f"| {name} | {us:.1f}{share} | {shown} | {rps:.0f} |")
EOF
