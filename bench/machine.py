"""How fast the machine is right now, beside every figure that depends on it.

The machine is shared: a rate measured while another job held the CPUs is not the code's
rate. ``MachineReference`` times a fixed CPU-bound probe at the start of the run and again
around each figure; a figure measured while the probe ran more than ``SLOWED`` × slower
than at the start, or while the load average exceeded the number of CPUs, is marked as
measured on a slowed machine.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import time
from typing import Any

SLOWED = 1.3


def probe_ms() -> float:
    """Median of 5 × 20,000 SHA-256 of short strings, in ms (about 6 ms on an idle core)."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for i in range(20_000):
            hashlib.sha256(b"%d" % i).digest()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class MachineReference:
    def __init__(self) -> None:
        self.start_ms = probe_ms()

    def now(self) -> dict[str, Any]:
        ms = probe_ms()
        return {
            "probe_ms": round(ms, 2),
            "slowdown": round(ms / self.start_ms, 2),
            "load_average": round(os.getloadavg()[0], 2),
        }

    def mark(self, row: Any, state: dict[str, Any] | None = None) -> Any:
        """Put the machine's state beside ``row`` (measured just after it)."""
        state = state or self.now()
        if row.machine:
            return row  # marked already, by the figure itself
        row.machine = state
        state["slowed"] = state["slowdown"] > SLOWED or state["load_average"] > (
            os.cpu_count() or 1
        )
        if state["slowed"]:
            row.note = (
                f"SLOWED MACHINE (probe {state['slowdown']:.2f} × the start, "
                f"load {state['load_average']:.1f}); " + row.note
            )
        return row

    def mark_all(self, rows: list[Any]) -> list[Any]:
        """One probe after a group of figures, beside each of them."""
        state = self.now()
        return [self.mark(row, state) for row in rows]
