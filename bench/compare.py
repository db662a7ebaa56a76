"""``python -m bench.compare OLD NEW`` (two result files of bench/results/): every figure
of two runs side by side, NEW ÷ OLD.

Rows are matched on (figure, size). The ratio is of the medians; for a rate (tx/s, req/s,
doc/s, %) above 1 is better, for a time or a size below 1 is. The machine's state beside
each figure (``bench.machine``) is shown for both runs, so a ratio measured while one run's
machine was slowed can be told apart.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

HIGHER_IS_BETTER = {"tx/s", "req/s", "doc/s", "%"}


def _rows(path: str) -> tuple[dict[str, Any], dict[tuple[str, int], dict[str, Any]]]:
    data = json.loads(Path(path).read_text())
    return data, {(r["figure"], r["size"]): r for r in data["rows"]}


def _machine(row: dict[str, Any] | None) -> str:
    m = (row or {}).get("machine") or {}
    return f"{m['probe_ms']:.1f}ms" + ("!" if m.get("slowed") else "") if m else ""


def compare(a_path: str, b_path: str) -> str:
    a_data, a = _rows(a_path)
    b_data, b = _rows(b_path)
    keys = list(a) + [k for k in b if k not in a]
    lines = [
        f"A: {a_path} (commit {a_data.get('commit')}, {a_data.get('generated_at')})",
        f"B: {b_path} (commit {b_data.get('commit')}, {b_data.get('generated_at')})",
        "",
        f"{'figure':<90} {'size':>9} {'A':>10} {'B':>10} {'B/A':>7}  better  machine A/B",
    ]
    for key in keys:
        ra, rb = a.get(key), b.get(key)
        va = ra["median"] if ra else None
        vb = rb["median"] if rb else None
        unit = (ra or rb)["unit"]
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va:
            ratio = vb / va
            better = (ratio > 1) if unit in HIGHER_IS_BETTER else (ratio < 1)
            shown = f"{ratio:7.2f}"
            verdict = "" if math.isclose(ratio, 1, rel_tol=0.05) else ("yes" if better else "no")
        else:
            shown, verdict = "      –", ""
        lines.append(
            f"{key[0][:90]:<90} {key[1]:>9,} {_fmt(va):>10} {_fmt(vb):>10} {shown}  "
            f"{verdict:<6}  {_machine(ra)}/{_machine(rb)}"
        )
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bench.compare A.json B.json", file=sys.stderr)
        return 2
    print(compare(*args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
