"""Benchmark of the historic import: ``python -m bench.import_bench [--rows N]``.

Generates a CSV of N closed cases (100,000 by default) spread over the three regimes,
their forms and grounds, the four levels and the demo organisation's units, then times
``manage.py import_cases`` on it twice: the first run creates every case, the second
(the same file) creates nothing and skips every row. The target is under a minute for
100,000 rows on the embedded default database (SQLite).

It runs against a fresh SQLite database in a temporary folder, never the project's own;
``--database-url`` points it at another (empty, migrated or not) database instead.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
HEADER = [
    "case_ref",
    "regulation",
    "form",
    "ground_ids",
    "official_name",
    "position_title",
    "org_unit_code",
    "level",
    "filed_on",
    "decided_on",
    "outcome",
]
REGIMES = [
    # code, first filing day, last filing day, forms
    (
        "R260",
        datetime.date(2009, 10, 2),
        datetime.date(2021, 11, 2),
        ["termination", "dismissal", "resignation"],
    ),
    ("R41", datetime.date(2021, 11, 3), datetime.date(2025, 10, 7), ["dismissal", "resignation"]),
    (
        "R377",
        datetime.date(2025, 10, 8),
        datetime.date(2026, 6, 30),
        ["termination", "dismissal", "resignation"],
    ),
]
SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thu", "Hữu", "Đức", "Ngọc", "Thanh", "Xuân"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hòa",
    "Hùng",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trung",
    "Tuấn",
    "Vân",
    "Yến",
]
TITLES = {
    "central": ["Vụ trưởng", "Phó Vụ trưởng", "Cục trưởng"],
    "provincial": ["Giám đốc Sở", "Phó Giám đốc Sở", "Chánh Văn phòng", "Trưởng ban"],
    "district": [
        "Chủ tịch Ủy ban nhân dân huyện",
        "Phó Chủ tịch Ủy ban nhân dân huyện",
        "Trưởng phòng",
    ],
    "commune": [
        "Chủ tịch Ủy ban nhân dân xã",
        "Phó Chủ tịch Ủy ban nhân dân xã",
        "Bí thư Đảng ủy xã",
    ],
}
UNITS = {
    "central": ["TW", ""],
    "provincial": ["UBND-LC", "TU-LC", "UBND-NA", ""],
    "district": ["UBND-LC-BAOTHANG", ""],
    "commune": ["UBND-LC-COCSAN", "DU-LC-COCSAN", "UBND-NA-VINHPHU", ""],
}


def peak_rss_mb() -> float:
    """This process's peak resident set since its exec (VmHWM of /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _setup_django(database_url: str | None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="cadre-import-bench-"))
    os.environ["CADRE_VAR_DIR"] = str(folder)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadre_exit.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # As production runs it: with DEBUG on, Django keeps the text of the last 9,000
    # queries, and an import's are long (2,000 references each): that log, not the
    # import, would grow with the file.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "import-bench-only")
    # Audit keys of this run, in its own folder (production settings want them to exist).
    os.environ.setdefault("AUDIT_AUTOGENERATE_KEYS", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    return folder


def generate(
    path: Path, rows: int, grounds: dict[tuple[str, str], list[str]], seed: int = 2026
) -> None:
    """Write ``rows`` valid rows; about 1 official in 3 appears on more than one row."""
    rng = random.Random(seed)
    people = max(rows // 3, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            regime, first, last, forms = rng.choices(REGIMES, weights=[60, 30, 10])[0]
            form = rng.choice(forms)
            filed = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
            levels = ["central", "provincial", "district", "commune"]
            if filed > datetime.date(2025, 6, 30):
                levels.remove("district")
            level = rng.choices(
                levels, weights=[5, 25, 30, 40][: len(levels)] if len(levels) == 4 else [5, 35, 60]
            )[0]
            ids = grounds[(regime, form)]
            chosen = rng.sample(ids, k=1 if rng.random() < 0.8 else min(2, len(ids)))
            outcome = rng.choices(["approved", "rejected", "withdrawn"], weights=[85, 10, 5])[0]
            if outcome == "withdrawn" and form != "resignation":
                outcome = "approved"
            decided = filed + datetime.timedelta(days=rng.randrange(5, 120))
            person = rng.randrange(people)
            name = f"{SURNAMES[person % 15]} {MIDDLE[(person // 15) % 10]} {GIVEN[(person // 150) % 23]} {person:06d}"
            writer.writerow(
                [
                    f"BENCH-{n:07d}",
                    regime,
                    form,
                    ";".join(chosen),
                    name,
                    rng.choice(TITLES[level]),
                    rng.choice(UNITS[level]),
                    level,
                    filed.isoformat(),
                    min(decided, datetime.date(2026, 7, 31)).isoformat(),
                    outcome,
                ]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--database-url", help="run against this database instead of a fresh SQLite file"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated file and database folder"
    )
    args = parser.parse_args(argv)

    folder = _setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from cases.audit.chain import verify_case_chain
    from cases.catalog.loader import load_catalog
    from cases.models import Case, Ground
    from cases.ops.demo import build_demo_world

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})", flush=True)
    call_command("migrate", verbosity=0)
    load_catalog()
    build_demo_world(password="bench-only-password")
    grounds: dict[tuple[str, str], list[str]] = {}
    for code, regime, form in Ground.objects.filter(
        regulation__version__is_current=True
    ).values_list("code", "regulation__code", "form"):
        grounds.setdefault((regime, form), []).append(code)

    path = folder / "history.csv"
    started = time.perf_counter()
    generate(path, args.rows, grounds)
    generated = time.perf_counter() - started
    size_mb = path.stat().st_size / 1e6
    print(f"generated {args.rows:,} rows ({size_mb:.1f} MB) in {generated:.1f} s", flush=True)

    runs = []
    # This process's CPU time per run: on a shared machine the wall time also counts the
    # waits for a CPU (the database's own work is in this process too, for SQLite).
    cpu_seconds: list[float] = []
    for label in ("first import (creates every case)", "same file again (skips every row)"):
        before = Case.objects.count()
        started, cpu = time.perf_counter(), time.process_time()
        call_command("import_cases", str(path), verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        seconds = time.perf_counter() - started
        runs.append((label, seconds, Case.objects.count() - before))
        cpu_seconds.append(time.process_time() - cpu)

    sample = Case.objects.filter(imported=True).order_by("?").values_list("pk", flat=True)[:50]
    chains_ok = all(verify_case_chain(pk).valid for pk in sample)

    rows = args.rows
    print()
    print(f"{'run':<38} {'rows':>9} {'created':>9} {'seconds':>8} {'rows/s':>9} {'target':>8}  ok")
    print("-" * 90)
    for label, seconds, created in runs:
        target_ok = seconds <= TARGET_SECONDS * rows / 100_000
        print(
            f"{label:<38} {rows:>9,} {created:>9,} {seconds:>8.1f} {rows / seconds:>9,.0f} "
            f"{'≤ 60 s' if rows == 100_000 else '':>8}  {'yes' if target_ok else 'NO'}"
        )
    print(
        f"{'audit chains of 50 sampled cases':<38} {'':>9} {'':>9} {'':>8} {'':>9} {'':>8}  {'yes' if chains_ok else 'NO'}"
    )
    # Peak resident set of this process (generation, import and re-import): bench.memory
    # reads it. VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still counts the
    # parent's resident set (Linux keeps the larger of the two), so a child of a big
    # bench process would report the bench's size, whatever the import used.
    print(
        f"first import CPU {cpu_seconds[0]:.1f} s ({rows / cpu_seconds[0]:.0f} rows per CPU second)"
    )
    print(f"peak RSS: {peak_rss_mb():.1f} MB; first import {rows / runs[0][1]:.0f} rows/s")
    if args.keep:
        print(f"\nfiles kept under {folder}")
    else:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(folder, ignore_errors=True)
    return (
        0
        if runs[0][2] == rows
        and runs[1][2] == 0
        and chains_ok
        and all(s <= TARGET_SECONDS * rows / 100_000 for _l, s, _c in runs)
        else 1
    )


if __name__ == "__main__":
    raise SystemExit(main())
