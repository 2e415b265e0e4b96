"""scripts/bench starts: every benchmark module imports as bench/run.py imports it (a module
named like a standard one in bench/ would hide it; the benchmarks themselves are not run in
the suite, they are measurements, not tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runner_imports_every_suite():
    # run as scripts/bench runs it: bench/ is then the first folder on sys.path
    result = subprocess.run([sys.executable, "bench/run.py", "--help"], cwd=ROOT,
                            capture_output=True, text=True)
    # --help exits 0 after the imports at the top of run.py have all succeeded
    assert result.returncode == 0, result.stderr
    assert "--quick" in result.stdout


def test_the_runner_lists_each_benchmark_module():
    run = (ROOT / "bench" / "run.py").read_text()
    modules = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"__init__", "run", "harness",
                                                                "http_baseline"}
    for module in modules:
        assert module in run, f"bench/{module}.py is not in bench/run.py's SUITES"
