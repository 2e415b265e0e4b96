"""Metadata core: loading a large package, parsing + type-checking, evaluating formulas.

Each figure is printed beside a hand-written Python baseline doing the same work where one
exists, so the ratio says what the metadata layer costs.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from metacrm.formula import EvalContext, compile_python, parse
from metacrm.formula.typecheck import Usage, check_tree
from metacrm.meta import load_package

from .harness import Report, duration, rate

_FIELD_KINDS = [
    "{type: text, max_length: 80}", "{type: integer, min: 0}", "{type: currency}",
    "{type: percent}", "{type: date}", "{type: boolean}", "{type: email}",
    "{type: picklist, options: [Low, Medium, High]}", "{type: decimal, scale: 4}",
    "{type: long_text}",
]


def write_big_package(root: Path, objects: int, fields: int) -> Path:
    """A package of ``objects`` objects x ``fields`` fields, with lookups, formulas, rules."""
    pkg = root / "big"
    (pkg / "objects").mkdir(parents=True)
    (pkg / "package.yaml").write_text("kind: package\nname: big\nversion: 1.0.0\n")
    for o in range(objects):
        lines = [f"kind: object\nname: obj{o}\nlabel: Object {o}\ntitle: f0\nfields:"]
        for f in range(fields - 3):
            lines.append(f"  f{f}: {_FIELD_KINDS[f % len(_FIELD_KINDS)]}")
        parent = f"obj{o - 1}" if o else "obj0"
        lines.append(f"  parent: {{type: lookup, to: {parent}}}")
        lines.append("  score: {type: formula, returns: currency, expression: 'f2 * f3 / 100'}")
        lines.append("  label2: {type: formula, returns: text, expression: 'f0 & \" \" & parent.f0'}")
        lines.append("validations:\n  - name: positive\n    when: 'f1 < 0 and f5'\n"
                     "    message: Must be positive.")
        (pkg / "objects" / f"obj{o}.yaml").write_text("\n".join(lines) + "\n")
    return pkg


def run(report: Report, quick: bool) -> None:
    seconds = 1.0 if quick else 3.0
    with tempfile.TemporaryDirectory() as tmp:
        pkg = write_big_package(Path(tmp), 50, 40)
        catalog = load_package(pkg)
        took = duration(lambda: load_package(pkg), repeat=2 if quick else 3)
        report.add("meta.load_50x40_package", took, "s", "< 1 s",
                   f"{len(catalog.objects) - 1} objects")

    crm = load_package(Path(__file__).resolve().parent.parent / "metadata" / "crm")
    scope = crm.scope("opportunity")
    counter = iter(range(10**9))

    # a new literal each time, so parse's cache never answers
    def check_rule():  # a typical validation rule: 9 tokens
        check_tree(parse(f'stage == "Closed Won" and amount > {next(counter)}'), scope)

    def check_long():  # 24 tokens, a lookup, a list
        check_tree(parse(f'amount * probability / {next(counter)} > 10 and '
                         f'stage in ["Closed Won", "Negotiation"] and '
                         f'not is_blank(account.name)'), scope, Usage.WRITE)
    report.add("formula.parse_and_check", rate(check_rule, seconds=seconds), "expr/s",
               ">= 5,000/s", "a 9-token validation rule")
    report.add("formula.parse_and_check_long", rate(check_long, seconds=seconds), "expr/s",
               "", "a 24-token condition with a lookup and a list")

    record = {"amount": Decimal("125000.00"), "probability": Decimal("40")}
    ctx = EvalContext()
    formula = compile_python("amount * probability / 100", scope)
    ours = rate(lambda: formula(record, ctx), seconds=seconds)

    def by_hand(r):  # what a developer would write for the same formula, blanks included
        a, p = r.get("amount"), r.get("probability")
        return None if a is None or p is None else a * p / 100
    baseline = rate(lambda: by_hand(record), seconds=seconds)
    report.add("formula.evaluate", ours, "evals/s", ">= 300,000/s",
               f"{ours / baseline:.0%} of hand-written Python ({baseline:,.0f}/s)")

    condition = compile_python('stage == "Closed Won" and is_blank(close_date)', scope)
    record2 = {"stage": "Closed Won", "close_date": None}
    report.add("formula.evaluate_condition",
               rate(lambda: condition(record2, ctx), seconds=seconds), "evals/s")
