#!/usr/bin/env python3
"""Benchmark driver: slipway-serve against the bare axum floor (parse the same JSON body,
answer a fixed reply), FastAPI + uvicorn (2 workers) + onnxruntime, and the source article's
Flask + gunicorn (2 workers) + onnxruntime, all in the same run.

Called by run.sh, which installs the tools, builds the server and the floor and makes the
medium model. For each model (tiny, medium) and each server: time from start to ready, idle
RSS, then wrk at concurrency 1, 8 and 64 on POST /predict with one row, then peak RSS. Prints
a Markdown table and the targets of issue 14. Every server listens on 127.0.0.1 only and is
stopped at the end.
"""

import argparse
import json
import os
import platform
import re
import signal
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


def bench_server(name, cmd, env, ready_url, predict_url, body_file, seconds):
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=HERE,
        start_new_session=True,
    )
    try:
        wait_ready(ready_url, proc)
        ready_s = time.monotonic() - start
        time.sleep(1.0)
        idle_kb = memory_kb(proc.pid, "VmRSS:")
        wrk(predict_url, body_file, 8, 1)  # warm-up, not reported
        cells = {c: wrk(predict_url, body_file, c, seconds) for c in CONCURRENCY}
        peak_kb = memory_kb(proc.pid, "VmHWM:")
        return {"ready_s": ready_s, "idle_mb": idle_kb / 1024, "peak_mb": peak_kb / 1024, "cells": cells}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


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
    args = ap.parse_args()

    bindir = os.path.dirname(args.python)
    models = {"tiny": (args.tiny, 4), "medium": (args.medium, 784)}
    results = {}
    for model, (path, width) in models.items():
        body = json.dumps({"features": [round(0.01 * (i % 97) - 0.3, 4) for i in range(width)]})
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(body)
            body_file = f.name
        model_env = {"PATH": os.environ.get("PATH", ""), "MODEL_PATH": os.path.abspath(path)}
        try:
            servers = [
                (
                    "slipway-serve",
                    lambda port: [args.server, "--model", os.path.abspath(path), "--host", "127.0.0.1", "--port", str(port)],
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


if __name__ == "__main__":
    main()
