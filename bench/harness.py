"""Timing and reporting shared by every benchmark: figures go to a table and to
``bench-results.json`` (figure name -> value and unit, plus the machine and the time)."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, field
from typing import Callable


def rate(fn: Callable[[], object], *, seconds: float, batch: int = 1) -> float:
    """Calls of ``fn`` per second (each call does ``batch`` operations), best of 3 rounds."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        deadline = start + seconds / 3
        while True:
            fn()
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count * batch / (now - start))
    return best


def duration(fn: Callable[[], object], *, repeat: int = 3) -> float:
    """The best wall time of ``fn`` in seconds over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@dataclass
class Report:
    figures: dict[str, dict] = field(default_factory=dict)
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, target: str = "", note: str = ""):
        self.figures[name] = {"value": round(value, 6), "unit": unit}
        if target:
            self.figures[name]["target"] = target
        shown = f"{value:,.0f}" if value >= 100 else f"{value:,.3f}"
        self.rows.append((name, f"{shown} {unit}", target, note))

    def print_table(self) -> None:
        widths = [max(len(r[i]) for r in self.rows + [("figure", "value", "target", "")])
                  for i in range(3)]
        header = ("figure", "value", "target", "note")
        for row in [header] + self.rows:
            print("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])

    def write(self, path: str) -> None:
        data = {"figures": self.figures, "cpu_count": os.cpu_count(),
                "machine": platform.machine(), "python": platform.python_version(),
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        with open(path, "w") as out:
            json.dump(data, out, indent=2, sort_keys=True)
            out.write("\n")
