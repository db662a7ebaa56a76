"""Peak memory: the historic import at two file sizes, a process rendering 200 decisions.

Each runs in a child process of its own, which reports its own peak resident set
(VmHWM): the import through ``python -m bench.import_bench`` on a fresh SQLite database, the
rendering through ``render_decision`` on the bench database, 200 times, as a document
worker does. The web worker's peak comes with the HTTP figures (``bench.http``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.figures import Row

ROOT = Path(__file__).resolve().parent.parent
IMPORT_SIZES = (100_000, 1_000_000)
QUICK_IMPORT_SIZES = (10_000, 50_000)


PEAK = re.compile(r"peak RSS: ([0-9.]+) MB")


def _child(args: list[str], env: dict[str, str] | None = None) -> tuple[str, float | None]:
    """(output, peak RSS in MB) of a child process, or None when it failed.

    The child reports its own peak (VmHWM, bench.import_bench.peak_rss_mb): ``ru_maxrss``
    from ``wait4`` would start at this process's resident set, since Linux carries the
    parent's peak over fork and exec.
    """
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or dict(os.environ),
        check=False,
    )
    # The peak is printed last, after the import's own checks: a run that missed its
    # time target still measured its memory (the rows/s figure shows the time).
    found = PEAK.findall(proc.stdout)
    if not found:
        return proc.stdout, None
    return proc.stdout, float(found[-1])


def import_rows(sizes: tuple[int, ...]) -> list[Row]:
    rows = []
    peaks: dict[int, float | None] = {}
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    for n in sizes:
        out, peak = _child(["-m", "bench.import_bench", "--rows", str(n)], env)
        rate = re.search(r"first import (\d+) rows/s", out)
        cpu = re.search(r"first import CPU ([0-9.]+) s", out)
        peaks[n] = peak
        rows.append(
            Row(
                f"memory: peak RSS of the historic import, {n:,} rows (SQLite)",
                n,
                peak,
                None,
                "MB",
                "< 300 MB",
                peak is not None and peak < 300,
                f"first import {int(rate.group(1)):,} rows/s"
                + (f", {cpu.group(1)} CPU s" if cpu else "")
                if rate and peak is not None
                else "failed: " + out[-300:],
            )
        )
        if rate and peak is not None:
            rows.append(
                Row(
                    f"historic import: rows per second, {n:,} rows (SQLite, first import)",
                    n,
                    float(rate.group(1)),
                    None,
                    "rows/s",
                    "≥ 11,000 rows/s",
                    float(rate.group(1)) >= 11_000,
                )
            )
    small, big = sizes[0], sizes[-1]
    low, high = peaks[small], peaks[big]
    ratio = high / low if low and high else None
    rows.append(
        Row(
            f"memory: import peak RSS at {big:,} ÷ at {small:,} rows",
            big,
            ratio,
            None,
            "×",
            "< 1.3 ×",
            ratio is not None and ratio < 1.3,
        )
    )
    return rows


RENDER_SCRIPT = """
import sys
sys.path.insert(0, %(root)r)
from bench import db
db.configure_environment(%(url)r)
db.setup_django()
from bench.figures import decision_context
from cases.documents.render import render_decision
from cases.models import Case
ids = list(Case.objects.filter(status="closed", outcome="approved").order_by("id")
           .values_list("id", flat=True)[:200])
for k in range(200):
    render_decision(decision_context(ids[k %% len(ids)]))
from bench.import_bench import peak_rss_mb
print("rendered 200")
print(f"peak RSS: {peak_rss_mb():.1f} MB")
"""


def render_rows(size: int) -> list[Row]:
    url = os.environ["DATABASE_URL"]
    out, peak = _child(["-c", RENDER_SCRIPT % {"root": str(ROOT), "url": url}])
    return [
        Row(
            "memory: peak RSS of a process after rendering 200 decisions",
            size,
            peak,
            None,
            "MB",
            "",
            None if "rendered 200" in out and peak is not None else False,
            "render_decision in a child process, as the document task runs it "
            "(not through a Celery worker)",
        )
    ]


def rows(size: int, *, quick: bool) -> list[Row]:
    return import_rows(QUICK_IMPORT_SIZES if quick else IMPORT_SIZES) + render_rows(size)
