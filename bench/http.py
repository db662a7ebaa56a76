"""HTTP throughput: gunicorn (2 workers) on the bench database, loaded by wrk over loopback.

wrk comes from Debian (``apt-get install wrk``; ``make bench`` installs it). A small Lua
script rotates the request paths and reports p50/p95 and requests per second as JSON. When
wrk is missing, a Python load generator with threads takes its place (and says so).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics as stats
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.figures import Row

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], {["Authorization"] = "%(cookie)s", ["X-Forwarded-Proto"] = "https"})
end
done = function(summary, latency, requests)
  local f = io.open("%(out)s", "w")
  f:write(string.format('{"requests": %%d, "seconds": %%f, "p50_us": %%f, "p95_us": %%f, "errors": %%d, "non2xx": %%d}',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
  f:close()
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(workers: int = 2) -> Iterator[str]:
    """Start gunicorn on the bench database (the bench's environment) and stop it after."""
    port = _free_port()
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "bench.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    _PIDS[base] = proc.pid
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/inbox/", timeout=1)  # noqa: S310 - loopback
                break
            except urllib.error.HTTPError:
                break  # it answers (302/401/403 without a session): it is up
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited; see {log.name}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wrk(
    base: str, paths: list[str], cookie: str, seconds: int, connections: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        script = Path(tmp) / "bench.lua"
        script.write_text(
            WRK_SCRIPT
            % {"paths": ", ".join(json.dumps(p) for p in paths), "cookie": cookie, "out": out}
        )
        subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.read_text())
    return {
        "rps": result["requests"] / result["seconds"],
        "p50": result["p50_us"] / 1000,
        "p95": result["p95_us"] / 1000,
        "errors": result["errors"] + result["non2xx"],
        "requests": result["requests"],
        "tool": "wrk",
    }


def _python_load(
    base: str, paths: list[str], cookie: str, seconds: int, connections: int
) -> dict[str, Any]:
    """Threads with keep-alive connections, when wrk is not installed."""
    import http.client

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    host, port = base.removeprefix("http://").split(":")

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        i = k
        while time.perf_counter() < stop:
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            conn.request(
                "GET", path, headers={"Authorization": cookie, "X-Forwarded-Proto": "https"}
            )
            response = conn.getresponse()
            response.read()
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(ms)
                if response.status != 200:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    from bench.figures import percentile

    return {
        "rps": len(latencies) / elapsed,
        "p50": stats.median(latencies),
        "p95": percentile(latencies, 0.95),
        "errors": errors[0],
        "requests": len(latencies),
        "tool": "python threads",
    }


def token_header(user: Any) -> str:
    """The ``Authorization`` value of the user's API token (DRF TokenAuthentication)."""
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=user)
    return f"Token {token.key}"


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def throughput(
    *,
    size: int,
    inbox_user: Any,
    detail_user: Any,
    detail_ids: list[int],
    seconds: int = 10,
    connections: int = 8,
) -> list[Row]:
    """Requests/s of the inbox and the case detail, and of a bare view in the same run.

    The bare view (``bench.urls``: /bench/bare/) is a DRF view behind the same middleware,
    the same token authentication and permission, returning a small JSON: what the stack
    costs before the page does any work. The pages are reported as a share of it.
    """
    load = _wrk if shutil.which("wrk") else _python_load
    rows = []
    results: dict[str, dict[str, Any]] = {}
    with gunicorn(workers=2) as base:
        master = None
        for name, user, paths in (
            ("bare view", inbox_user, ["/bench/bare/"]),
            ("inbox", inbox_user, ["/api/v1/inbox/"]),
            ("case detail", detail_user, [f"/api/v1/cases/{pk}/" for pk in detail_ids]),
        ):
            header = token_header(user)
            load(base, paths, header, 2, connections)  # warm-up: import, connect, fill caches
            r = results[name] = load(base, paths, header, seconds, connections)
            note = f"{r['tool']}, {connections} connections, {r['requests']} requests, {r['errors']} errors"
            rows.append(
                Row(
                    f"HTTP {name}: requests per second (gunicorn, 2 workers, token auth)",
                    size,
                    r["rps"],
                    None,
                    "req/s",
                    "",
                    None if not r["errors"] else False,
                    note,
                )
            )
            rows.append(
                Row(f"HTTP {name}: latency under load", size, r["p50"], r["p95"], "ms", "", None)
            )
            if name != "bare view":
                share = r["rps"] / results["bare view"]["rps"]
                rows.append(
                    Row(
                        f"HTTP {name}: share of the bare view's requests/s",
                        size,
                        share * 100,
                        None,
                        "%",
                        "≥ 50 %",
                        share >= 0.5 and not r["errors"],
                        f"{r['rps']:,.0f} of {results['bare view']['rps']:,.0f} req/s",
                    )
                )
        master = _gunicorn_pid(base)
        if master is not None:
            workers = _children(master)
            peaks = [peak_rss_mb(pid) for pid in workers]
            if peaks:
                rows.append(
                    Row(
                        "memory: peak RSS of a gunicorn web worker after the HTTP figures",
                        size,
                        max(peaks),
                        None,
                        "MB",
                        "",
                        None,
                        "workers: " + ", ".join(f"{p:.0f}" for p in peaks) + " MB (VmHWM)",
                    )
                )
    return rows


_PIDS: dict[str, int] = {}


def _gunicorn_pid(base: str) -> int | None:
    return _PIDS.get(base)
