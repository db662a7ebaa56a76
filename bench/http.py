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
  return wrk.format("GET", paths[i], {["Cookie"] = "%(cookie)s", ["X-Forwarded-Proto"] = "https"})
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
            conn.request("GET", path, headers={"Cookie": cookie, "X-Forwarded-Proto": "https"})
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


def session_cookie(user: Any) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def throughput(
    *,
    size: int,
    inbox_user: Any,
    detail_user: Any,
    detail_ids: list[int],
    seconds: int = 10,
    connections: int = 8,
) -> list[Row]:
    load = _wrk if shutil.which("wrk") else _python_load
    rows = []
    with gunicorn(workers=2) as base:
        for name, user, paths in (
            ("inbox", inbox_user, ["/api/v1/inbox/"]),
            ("case detail", detail_user, [f"/api/v1/cases/{pk}/" for pk in detail_ids]),
        ):
            cookie = session_cookie(user)
            load(
                base, paths, cookie, 2, connections
            )  # warm-up: workers import, connect, fill caches
            r = load(base, paths, cookie, seconds, connections)
            note = f"{r['tool']}, {connections} connections, {r['requests']} requests, {r['errors']} errors"
            rows.append(
                Row(
                    f"HTTP {name}: requests per second (gunicorn, 2 workers)",
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
                Row(
                    f"HTTP {name}: latency under load",
                    size,
                    r["p50"],
                    r["p95"],
                    "ms",
                    "",
                    None,
                    note,
                )
            )
    return rows
