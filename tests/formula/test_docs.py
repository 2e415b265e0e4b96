"""docs/formulas.md is tested against the code: every function is documented, every documented
function exists, every ``expression`` → ``result`` example holds on both back-ends, and the
error messages and limits it quotes are the real ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from metacrm.formula import (
    FUNCTIONS, MAX_DEPTH, MAX_LENGTH, EvalContext, FormulaError, SqlCompiler, check,
    compile_python, register_sqlite_functions,
)

from formula_support import scope

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "formulas.md"
DOC = DOC_PATH.read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of one ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", DOC, re.M | re.S)
    assert match, f"docs/formulas.md has no section '## {title}'"
    return match.group(1)


def documented_functions() -> list[str]:
    return re.findall(r"^### `(\w+)\(", section("Functions"), re.M)


def test_every_function_is_documented():
    missing = sorted(set(FUNCTIONS) - set(documented_functions()))
    assert missing == [], f"functions missing from docs/formulas.md: {missing}"


def test_every_documented_function_exists():
    unknown = sorted(set(documented_functions()) - set(FUNCTIONS))
    assert unknown == [], f"docs/formulas.md documents unknown functions: {unknown}"


def test_each_function_is_documented_once_in_table_order():
    assert documented_functions() == list(FUNCTIONS)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_function_signature_has_the_right_arity(name):
    heading = re.search(rf"^### `{name}\((.*?)\)`", DOC, re.M).group(1)
    spec = FUNCTIONS[name]
    params = [p.strip() for p in heading.split(",") if p.strip()]
    if "…" in heading:  # value, …: one or more / two or more
        assert spec.max_args >= 99
        assert len([p for p in params if p != "…"]) == spec.min_args
    else:
        assert spec.min_args <= len(params) <= spec.max_args
        if name != "round":  # round(number, digits): digits may be left out (said in the text)
            assert len(params) == spec.min_args


def test_write_only_functions_are_the_documented_ones():
    text = section("Write-only functions")
    named = set(re.findall(r"`(\w+)\(", text.split("\n\n")[0]))
    assert named == {name for name, f in FUNCTIONS.items() if f.write_only}


def test_limits_are_the_real_ones():
    limits = section("Limits")
    assert f"**{MAX_LENGTH:,} characters**" in limits
    assert f"**{MAX_DEPTH} levels deep**" in limits
    assert f"at most {MAX_LENGTH} are allowed" in limits
    from metacrm.formula.evaluate import MAX_FORMULA_NESTING
    assert f"at most {MAX_FORMULA_NESTING} deep" in limits


# -- examples: `expression` → `result` ------------------------------------------------------------

EXAMPLES = [pair for pair in re.findall(r"`([^`\n]+)` → `([^`\n]+)`", DOC)
            if pair != ("expression", "result")]  # the sentence that explains the notation


def test_there_are_examples():
    assert len(EXAMPLES) > 60


def _sqlite():
    engine = sa.create_engine("sqlite://")
    sa.event.listen(engine, "connect", lambda conn, _: register_sqlite_functions(conn))
    return engine


ENGINE = _sqlite()


def python_value(source):
    return compile_python(source, scope())({}, EvalContext())


def sql_value(source):
    value = SqlCompiler(scope(), lambda name: sa.table(name, sa.column("id")), "sqlite") \
        .value(source)
    with ENGINE.connect() as conn:
        return conn.execute(sa.select(value)).scalar()


def agrees(got, expected) -> bool:
    if expected is None:
        return got is None
    if isinstance(expected, bool):
        return got is expected
    return got == expected and type(got) is not bool


@pytest.mark.parametrize("source, result", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example(source, result):
    expected = python_value(result)
    assert agrees(python_value(source), expected), "Python"
    assert agrees(sql_value(source), expected), "SQL"


# -- quoted errors ------------------------------------------------------------------------------

ERROR_ROWS = re.findall(r"^\| `([^`]+)` \| `(column \d+: [^`]+)` \|$", section("Errors"), re.M)


def test_there_are_error_rows():
    assert len(ERROR_ROWS) >= 15


@pytest.mark.parametrize("source, message", ERROR_ROWS, ids=[r[0] for r in ERROR_ROWS])
def test_quoted_error(source, message):
    with pytest.raises(FormulaError) as info:
        check(source, scope())
    if message.endswith("…"):
        assert str(info.value).startswith(message[:-1])
    else:
        assert str(info.value) == message


def test_pointer_example():
    with pytest.raises(FormulaError) as info:
        check("amount = 5", scope())
    assert f"{info.value.pointer()}\n{info.value}" in DOC
