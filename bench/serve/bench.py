#!/usr/bin/env python3
"""Benchmark driver: slipway-serve with dynamic batching on (its defaults: 64 rows, no queue
delay) and off (--batch-max-size 1), against the bare axum floor (parse the same JSON body,
answer a fixed reply), FastAPI + uvicorn (2 workers) + onnxruntime, and the source article's
Flask + gunicorn (2 workers) + onnxruntime, all in the same run.

Called by run.sh, which installs the tools, builds the server and the floor and makes the
medium model. For each model (tiny, medium) and each server: time from start to ready, idle
RSS, then wrk at concurrency 1, 8 and 64 on POST /predict with one row, then peak RSS. Then,
for the medium model, paired rounds: both slipway-serve configurations run side by side and
wrk alternates between them (off, on, off, on, ...) at c=64 and c=1, so that the batching
ratio compares figures taken seconds apart on this shared machine. Prints Markdown tables and
the targets of issues 14 and 16. Every server listens on 127.0.0.1 only and is stopped at the
end.
"""

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CONCURRENCY = [1, 8, 64]


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def wait_ready(url, proc, timeout=60.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            sys.exit(f"server exited early with {proc.returncode}")
        if status(url) == 200:
            return
        time.sleep(0.002)
    sys.exit(f"{url} not ready within {timeout}s")


def process_tree(pid):
    """pid and every descendant (gunicorn master + workers)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def memory_kb(pid, key):
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(key):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, body_file, connections, seconds):
    threads = min(connections, 2)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            os.path.join(HERE, "post.lua"),
            url,
        ],
        env={**os.environ, "BODY_FILE": body_file},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def start_server(cmd, env, ready_url):
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=HERE,
        start_new_session=True,
    )
    wait_ready(ready_url, proc)
    return proc


def stop_server(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def bench_server(name, cmd, env, ready_url, predict_url, body_file, seconds):
    start = time.monotonic()
    proc = None
    try:
        proc = start_server(cmd, env, ready_url)
        ready_s = time.monotonic() - start
        time.sleep(1.0)
        idle_kb = memory_kb(proc.pid, "VmRSS:")
        wrk(predict_url, body_file, 8, 1)  # warm-up, not reported
        cells = {c: wrk(predict_url, body_file, c, seconds) for c in CONCURRENCY}
        peak_kb = memory_kb(proc.pid, "VmHWM:")
        return {"ready_s": ready_s, "idle_mb": idle_kb / 1024, "peak_mb": peak_kb / 1024, "cells": cells}
    finally:
        if proc is not None:
            stop_server(proc)


def paired(configs, env, body_file, seconds, rounds):
    """Runs every configuration side by side (idle servers cost no CPU) and alternates wrk
    between them, `rounds` times at c=64 and at c=1. Returns {(name, c): [cell, ...]}."""
    procs, urls = [], {}
    try:
        for name, cmd in configs:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            procs.append(start_server(cmd(port), env, f"{base}/v2/health/ready"))
            urls[name] = f"{base}/predict"
            wrk(urls[name], body_file, 8, 1)  # warm-up
        cells = {}
        for c in (64, 1):
            for _ in range(rounds):
                for name, _ in configs:
                    cells.setdefault((name, c), []).append(wrk(urls[name], body_file, c, seconds))
        return cells
    finally:
        for proc in procs:
            stop_server(proc)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}, Python {platform.python_version()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="slipway-serve binary")
    ap.add_argument("--floor", required=True, help="the http_floor example binary")
    ap.add_argument("--tiny", required=True)
    ap.add_argument("--medium", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--python", default=sys.executable, help="python of the peers' venv")
    ap.add_argument("--profile", default="bench-serve", help="cargo profile of the binaries, for the report")
    ap.add_argument("--pairs", type=int, default=3, help="paired off/on rounds for the medium model")
    args = ap.parse_args()

    bindir = os.path.dirname(args.python)
    pairs = {}
    models = {"tiny": (args.tiny, 4), "medium": (args.medium, 784)}
    results = {}
    for model, (path, width) in models.items():
        body = json.dumps({"features": [round(0.01 * (i % 97) - 0.3, 4) for i in range(width)]})
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(body)
            body_file = f.name
        model_env = {"PATH": os.environ.get("PATH", ""), "MODEL_PATH": os.path.abspath(path)}
        try:
            serve = lambda port, *extra: [
                args.server, "--model", os.path.abspath(path), "--host", "127.0.0.1", "--port", str(port), *extra
            ]
            servers = [
                ("slipway-serve", serve, "/v2/health/ready"),
                (
                    "slipway-serve, batching off",
                    lambda port: serve(port, "--batch-max-size", "1"),
                    "/v2/health/ready",
                ),
                ("axum floor", lambda port: [args.floor, f"127.0.0.1:{port}"], "/v2/health/ready"),
                (
                    "fastapi+uvicorn",
                    lambda port: [os.path.join(bindir, "uvicorn"), "--workers", "2", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-access-log", "--log-level", "warning", "fastapi_app:app"],
                    "/health",
                ),
                (
                    "flask+gunicorn",
                    lambda port: [os.path.join(bindir, "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "peer_app:app"],
                    "/health",
                ),
            ]
            for name, cmd, ready_path in servers:
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                results[(model, name)] = bench_server(
                    name, cmd(port), model_env, f"{base}{ready_path}", f"{base}/predict", body_file, args.seconds
                )
            if model == "medium" and args.pairs > 0:
                pairs = paired(
                    [("batching off", lambda port: serve(port, "--batch-max-size", "1")), ("batching on", serve)],
                    model_env,
                    body_file,
                    args.seconds,
                    args.pairs,
                )
        finally:
            os.unlink(body_file)

    print(
        f"\nMachine: {machine()}; binaries built with the cargo profile `{args.profile}`; wrk {args.seconds} s "
        "per cell (2 threads), POST /predict with one row; every server and wrk on the same machine (loopback).\n"
    )
    print("| model | server | ready (s) | idle RSS (MB) | peak RSS (MB) | c | req/s | p50 (ms) | p99 (ms) | non-2xx |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (model, server), r in results.items():
        for c in CONCURRENCY:
            cell = r["cells"][c]
            print(
                f"| {model} | {server} | {r['ready_s']:.3f} | {r['idle_mb']:.1f} | {r['peak_mb']:.1f} "
                f"| {c} | {cell['rps']:.0f} | {cell['p50']:.2f} | {cell['p99']:.2f} | {cell['non2xx']} |"
            )
    if pairs:
        print(
            f"\nMedium model, paired rounds (slipway-serve with batching off and on side by side, wrk alternating, "
            f"{args.seconds} s each):\n"
        )
        print("| c | round | off req/s | on req/s | on/off | off p50 (ms) | on p50 (ms) | off p99 (ms) | on p99 (ms) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in (64, 1):
            offs, ons = pairs[("batching off", c)], pairs[("batching on", c)]
            for i, (off, on) in enumerate(zip(offs, ons), 1):
                print(
                    f"| {c} | {i} | {off['rps']:.0f} | {on['rps']:.0f} | {on['rps'] / off['rps']:.2f} "
                    f"| {off['p50']:.3f} | {on['p50']:.3f} | {off['p99']:.2f} | {on['p99']:.2f} |"
                )

    print()
    print("Targets (issue 14), c=64:")
    for model in models:
        s = results[(model, "slipway-serve")]["cells"][64]
        floor = results[(model, "axum floor")]["cells"][64]
        fast = results[(model, "fastapi+uvicorn")]["cells"][64]
        share = s["rps"] / floor["rps"]
        ratio = s["rps"] / fast["rps"]
        p99 = s["p99"] / fast["p99"]
        met = lambda ok: "met" if ok else "NOT met"
        if model == "tiny":
            print(f"- tiny: {share:.0%} of the axum floor (target >= 60%: {met(share >= 0.6)})")
        print(f"- {model}: {ratio:.1f}x FastAPI req/s (target >= 4x: {met(ratio >= 4)})")
        print(f"- {model}: p99 {s['p99']:.2f} ms vs FastAPI {fast['p99']:.2f} ms = {p99:.2f} (target <= 1/3: {met(p99 <= 1 / 3)})")
        idle = results[(model, "slipway-serve")]["idle_mb"]
        print(f"- {model}: slipway-serve idle RSS {idle:.1f} MB (target < 30: {met(idle < 30)})")

    met = lambda ok: "met" if ok else "NOT met"
    on = results[("medium", "slipway-serve")]["cells"]
    off = results[("medium", "slipway-serve, batching off")]["cells"]
    fast = results[("medium", "fastapi+uvicorn")]["cells"]
    print()
    print("Targets (issue 16), medium model (784-512-512-10), batching on = defaults (64 rows, queue delay 0 us):")
    ratio = on[64]["rps"] / off[64]["rps"]
    print(f"- c=64 on/off, main table: {ratio:.2f}x ({on[64]['rps']:.0f} vs {off[64]['rps']:.0f} req/s; target >= 2x: {met(ratio >= 2)})")
    if pairs:
        ratios = [b["rps"] / a["rps"] for a, b in zip(pairs[("batching off", 64)], pairs[("batching on", 64)])]
        median = statistics.median(ratios)
        shown = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"- c=64 on/off, paired rounds: median {median:.2f}x ({shown}; target >= 2x: {met(median >= 2)})")
    ratio = on[64]["rps"] / fast[64]["rps"]
    print(f"- c=64 on vs FastAPI: {ratio:.1f}x (target >= 8x: {met(ratio >= 8)})")
    p99 = on[64]["p99"] / fast[64]["p99"]
    print(f"- c=64 p99 on {on[64]['p99']:.2f} ms vs FastAPI {fast[64]['p99']:.2f} ms = {p99:.2f} (target <= 1/3: {met(p99 <= 1 / 3)})")
    extra_us = (on[1]["p50"] - off[1]["p50"]) * 1000
    print(f"- c=1 p50 on - off, main table: {extra_us:+.0f} us (target <= queue delay, 0 us: {met(extra_us <= 0)})")
    if pairs:
        deltas = [(b["p50"] - a["p50"]) * 1000 for a, b in zip(pairs[("batching off", 1)], pairs[("batching on", 1)])]
        median = statistics.median(deltas)
        shown = ", ".join(f"{d:+.0f}" for d in deltas)
        print(f"- c=1 p50 on - off, paired rounds: median {median:+.0f} us ({shown}; target <= 0 us: {met(median <= 0)})")


if __name__ == "__main__":
    main()
