"""``scripts/bench [--quick] [--output FILE]``: run every benchmark, print a table, write JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import access, automation, deploy, http_api, meta_formula, pages, records  # noqa: E402
from bench.harness import Report  # noqa: E402

SUITES = [meta_formula, deploy, records, access, http_api, automation, pages]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a reduced run, under a minute")
    parser.add_argument("--output", default="bench-results.json")
    args = parser.parse_args(argv)
    report = Report()
    for suite in SUITES:
        suite.run(report, args.quick)
    report.print_table()
    report.write(args.output)
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
