"""``python -m bench``: load each data set size, run every figure, print the table, write JSON."""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import db

DEFAULT_SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [2_000, 20_000]
GENERATOR_VERSION = "1"
GROUPS = ("pages", "sweep", "statistics", "pdf", "transitions", "http", "memory")
MARKER_TABLE = "bench_dataset"


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "sizes are whole numbers separated by commas, e.g. 10000,100000"
        ) from None
    if not sizes or any(s < 100 for s in sizes):
        raise argparse.ArgumentTypeError("each size must be at least 100 cases")
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=None,
        help="numbers of cases, comma-separated (default 10000,100000,1000000)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: sizes 2000,20000 and shorter runs"
    )
    parser.add_argument(
        "--json",
        dest="json_path",
        default=None,
        help="where to write the results (default bench/results/<commit>.json, and a copy "
        "in bench/results/latest.json)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL of the bench database (default $DATABASE_URL, else "
        f"{db.DEFAULT_URL}); it is dropped and recreated, so its name must contain 'bench'",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data set when the database already holds one of the same size "
        "(its recorded load time is shown, marked reused)",
    )
    parser.add_argument(
        "--skip-http", action="store_true", help="leave out the gunicorn + wrk figures"
    )
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=None,
        help="run only these groups of figures, comma-separated: " + ", ".join(GROUPS),
    )
    parser.add_argument("--seed", type=int, default=2009)
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    return args


# --------------------------------------------------------------------------- data sets


def _marker() -> dict[str, Any] | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cur.fetchone()[0] is None:
            return None
        cur.execute(f"SELECT info FROM {MARKER_TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cur.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(info: dict[str, Any]) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id serial PRIMARY KEY, info text NOT NULL)"
        )
        cur.execute(f"INSERT INTO {MARKER_TABLE} (info) VALUES (%s)", [json.dumps(info)])  # noqa: S608


def prepare(
    bench_db: db.BenchDatabase, *, size: int, seed: int, reuse: bool, log: Any
) -> dict[str, Any]:
    """The data set of ``size`` cases in the bench database; returns what the load measured."""
    from bench import generate

    if reuse:
        try:
            db.migrate_and_load_catalog()
            found = _marker()
        except Exception:  # noqa: BLE001 - no database or no schema yet: load afresh
            found = None
        if (
            found
            and found.get("size") == size
            and found.get("seed") == seed
            and found.get("version") == GENERATOR_VERSION
        ):
            log(f"  reusing the data set of {size:,} cases loaded on {found['loaded_at']}")
            return {**found, "reused": True}
    t0 = time.perf_counter()
    bench_db.reset()
    db.migrate_and_load_catalog()
    setup_seconds = time.perf_counter() - t0

    def progress(done: int, total: int) -> None:
        log(f"  loaded {done:,} / {total:,} cases ({time.perf_counter() - t0:.0f} s)")

    report = generate.load(bench_db.dsn, n_cases=size, seed=seed, workers=2, progress=progress)
    checked, broken = _verify_sample()
    info = {
        "size": size,
        "seed": seed,
        "version": GENERATOR_VERSION,
        "loaded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "migrate_seconds": setup_seconds,
        "load_seconds": report.seconds,
        "copy_seconds": report.copy_seconds,
        "rows": report.rows,
        "open_cases": report.open_cases,
        "chains_checked": checked,
        "chains_broken": broken,
        "reused": False,
    }
    _write_marker(info)
    return info


def _verify_sample() -> tuple[int, int]:
    """Recompute the hash chains of a sample of cases (open ones included) with the audit code."""
    from cases.audit.chain import verify_case_chain
    from cases.models import Case

    ids = list(
        Case.objects.filter(id__in=Case.objects.order_by("?").values("id")[:200]).values_list(
            "id", flat=True
        )
    )
    ids += list(Case.objects.exclude(status="closed").values_list("id", flat=True)[:50])
    broken = sum(1 for pk in ids if not verify_case_chain(pk).valid)
    return len(ids), broken


# --------------------------------------------------------------------------- the run


def run(args: argparse.Namespace, partial: Any = None) -> dict[str, Any]:
    url = db.resolve_url(args.database_url)
    bench_db = db.BenchDatabase(url)
    bench_db.check_resettable()
    bench_db.ensure_exists()
    db.configure_environment(url)
    db.setup_django()

    from django.utils import timezone

    from bench import figures as f

    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    today = timezone.localdate()
    quick = args.quick
    repeat = 30 if quick else 100
    from bench.machine import MachineReference

    machine = MachineReference()
    log(f"machine reference at the start: probe {machine.start_ms:.1f} ms")
    rows: list[f.Row] = []
    loads: dict[int, dict[str, Any]] = {}
    latency: dict[tuple[str, int], dict[str, float]] = {}
    for size in args.sizes:
        log(f"== {size:,} cases")
        info = prepare(bench_db, size=size, seed=args.seed, reuse=args.reuse, log=log)
        loads[size] = info
        rows.append(
            f.Row(
                "load: generate + COPY + ANALYZE"
                + (" (reused, as recorded)" if info["reused"] else ""),
                size,
                info["load_seconds"],
                None,
                "s",
                "< 600 s for 1 M",
                info["load_seconds"] < 600 if size >= 1_000_000 else None,
                f"{sum(info['rows'].values()):,} rows; {info['open_cases']:,} open cases; "
                f"chains verified {info['chains_checked'] - info['chains_broken']}/{info['chains_checked']}",
            )
        )
        subjects = f.pick_subjects(today)
        rows.append(f.reference(size))

        rows += figures_at(
            size,
            subjects,
            today=today,
            quick=quick,
            repeat=repeat,
            http_too=not args.skip_http,
            latency=latency,
            log=log,
            only=args.only,
            reference=machine,
        )
        if partial is not None:
            partial(_result(args, bench_db, loads, rows))
        from django.db import connections

        connections.close_all()
    rows += growth(latency, args.sizes)
    return _result(args, bench_db, loads, rows)


def _result(
    args: argparse.Namespace,
    bench_db: db.BenchDatabase,
    loads: dict[int, dict[str, Any]],
    rows: list[Any],
) -> dict[str, Any]:
    from bench import figures as f

    return {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": _pg_version(),
            "load_average": os.getloadavg(),
            "sessions": _session_store(),
        },
        "commit": _commit(),
        "database": bench_db.name,
        "api": f.api_mode(),
        "sizes": args.sizes,
        "loads": {str(k): v for k, v in loads.items()},
        "rows": [r.as_dict() for r in rows],
    }


def figures_at(
    size: int,
    subjects: Any,
    *,
    today: datetime.date,
    quick: bool,
    repeat: int,
    http_too: bool,
    latency: dict[tuple[str, int], dict[str, float]],
    log: Any,
    only: set[str] | None = None,
    reference: Any = None,
) -> list[Any]:
    """Every figure at one size; a figure that fails becomes a failed row, the others still run.

    Each group's rows carry the machine's state measured right after it (``bench.machine``).
    """
    from bench import document_worker, http, memory, pages, signing_bench
    from bench import figures as f
    from bench import transitions as t
    from bench.machine import MachineReference

    machine = reference or MachineReference()

    def wanted(group: str) -> bool:
        return only is None or group in only

    def guarded(name: str, fn: Any) -> list[Any]:
        try:
            return machine.mark_all(list(fn()))
        except Exception as exc:  # noqa: BLE001
            log(f"  {name} failed: {exc!r}")
            return [f.Row(name, size, None, None, "", "runs", False, f"failed: {exc!r}"[:300])]

    def latency_figure(name: str, fn: Any) -> Any:
        def run() -> list[Any]:
            part, latency[(name, size)] = fn(subjects, size, repeat)
            return part

        return run

    rows: list[Any] = []
    if wanted("pages"):
        log("  case list, inbox, case detail (with their reference queries)")
        rows += guarded("case list", latency_figure("case list", f.case_list))
        rows += guarded("inbox", latency_figure("inbox", f.inbox))
        rows += guarded("case detail", latency_figure("case detail", f.case_detail))
        rows += guarded("reference queries", lambda: pages.reference_ratios(subjects, size, repeat))
    if wanted("sweep"):
        log("  overdue sweep")
        rows += guarded("overdue sweep", lambda: f.overdue_sweep(size, 20 if quick else 30, today))
    if wanted("statistics"):
        log("  statistics")
        rows += guarded("statistics", lambda: f.statistics_report(size, 3 if quick else 5))
    if wanted("pdf"):
        log("  PDF")
        rows += guarded("PDF", lambda: f.pdf(size, 10 if quick else 20))
        rows += guarded("signed PDF", lambda: signing_bench.bench_rows(size, 10 if quick else 20))
        rows += guarded("document task", lambda: document_worker.rows(size, quick=quick))
    if wanted("transitions"):
        log("  transitions (record_vote, complete_step; 1 and 2 processes on the same cases)")
        rows += guarded(
            "transitions",
            lambda: t.transitions(subjects, size, 3 if quick else 8, today, machine),
        )
        rows += guarded("commit floor", lambda: [f.commit_floor(size)])
    if http_too and wanted("http"):
        log("  HTTP throughput (gunicorn + wrk), beside a bare view")
        rows += guarded(
            "HTTP throughput",
            lambda: http.throughput(
                size=size,
                inbox_user=subjects.inbox_user,
                detail_user=subjects.list_user,
                detail_ids=subjects.detail_ids,
                seconds=5 if quick else 10,
            ),
        )
    if wanted("memory"):
        log("  peak RSS: historic import at two sizes, a Celery worker rendering decisions")
        rows += guarded("memory", lambda: memory.rows(size, quick=quick))
    return rows


def growth(latency: dict[tuple[str, int], dict[str, float]], sizes: list[int]) -> list[Any]:
    from bench.figures import Row

    out = []
    small, big = (
        (100_000, 1_000_000)
        if {100_000, 1_000_000} <= set(sizes)
        else (sizes[-2:] + [None])[:2]
        if len(sizes) > 1
        else (None, None)
    )
    if small is None or big is None:
        return out
    strict = (small, big) == (100_000, 1_000_000)
    for name in ("case list", "inbox", "case detail"):
        a, b = latency.get((name, small)), latency.get((name, big))
        if not a or not b:
            continue
        ratio = b["p95"] / a["p95"] if a["p95"] else math.nan
        out.append(
            Row(
                f"growth of {name} p95 from {small:,} to {big:,} cases",
                big,
                ratio,
                None,
                "×",
                "≤ 1.5 ×",
                ratio <= 1.5 if strict else None,
                f"p95 {a['p95']:.1f} → {b['p95']:.1f} ms",
            )
        )
    return out


def _session_store() -> str:
    from django.conf import settings

    return "Redis (cached_db)" if settings.SESSION_ENGINE.endswith("cached_db") else "the database"


def _pg_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return str(cur.fetchone()[0])


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --------------------------------------------------------------------------- output


def _num(value: Any, unit: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if unit in ("queries", "valid / broken"):
        return f"{int(value)}"
    if unit == "×":
        return f"{value:.2f}"
    if unit in ("tx/s", "req/s", "doc/s"):
        return f"{value:,.1f}"
    return f"{value:,.1f}"


def table(result: dict[str, Any]) -> str:
    header = ("figure", "size", "median", "p95", "unit", "target", "result", "machine")
    lines = []
    for r in result["rows"]:
        verdict = "" if r["passed"] is None else ("PASS" if r["passed"] else "FAIL")
        m = r.get("machine") or {}
        machine = (
            f"probe {m['probe_ms']:.1f} ms ({m['slowdown']:.2f}×), load {m['load_average']:.1f}"
            + (" SLOWED" if m.get("slowed") else "")
            if m
            else ""
        )
        lines.append(
            (
                r["figure"],
                f"{r['size']:,}",
                _num(r["median"], r["unit"]),
                _num(r["p95"], r["unit"]),
                r["unit"],
                r["target"],
                verdict,
                machine,
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i in (0, 4, 5, 6, 7) else c.rjust(widths[i])
            for i, c in enumerate(cells)
        ).rstrip()

    out = [fmt(header), "  ".join("-" * w for w in widths)]
    out += [fmt(line) for line in lines]
    notes = [f"  {r['figure']} [{r['size']:,}]: {r['note']}" for r in result["rows"] if r["note"]]
    failed = sum(1 for r in result["rows"] if r["passed"] is False)
    passed = sum(1 for r in result["rows"] if r["passed"] is True)
    out += [
        "",
        f"{passed} targets met, {failed} missed. API measured through: {result['api']}.",
        f"Machine: {result['machine']['cpus']} CPUs, PostgreSQL {result['machine']['postgresql']}, "
        f"load average at the end {', '.join(f'{x:.1f}' for x in result['machine']['load_average'])}; "
        f"sessions in {result['machine'].get('sessions', 'the database')}; "
        f"commit {result['commit']}.",
        "machine: the CPU probe's time after each figure (about 6 ms on an idle core), ÷ its "
        "time at the start of the run, and the 1-minute load average (bench.machine); "
        "SLOWED above 1.3 × or a load above the CPUs.",
        "",
        "Notes:",
        *notes,
    ]
    return "\n".join(out)


def results_path(commit: str) -> Path:
    """bench/results/<commit>.json, "-dirty" when the work tree has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                cwd=root,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        dirty = False
    return root / "bench" / "results" / f"{commit}{'-dirty' if dirty else ''}.json"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    path = Path(args.json_path) if args.json_path else results_path(_commit())
    path.parent.mkdir(parents=True, exist_ok=True)
    latest = path.parent / "latest.json"

    def write(result: dict[str, Any]) -> None:
        text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
        path.write_text(text)
        if path.resolve() != latest.resolve():
            latest.write_text(text)

    try:
        result = run(args, partial=write)
    finally:
        purged = db.purge_own_broker()
        if purged:
            print(f"Dropped {purged} queued tasks from the bench's Redis database", file=sys.stderr)
    print(table(result))
    write(result)
    print(f"\nWrote {path}", file=sys.stderr)
    return 0
