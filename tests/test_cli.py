"""The `metacrm` command: validate and formula, on the shipped package and broken fixtures."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from metacrm.cli import main

ROOT = Path(__file__).resolve().parent.parent
CRM = str(ROOT / "metadata" / "crm")
FIXTURES = ROOT / "tests" / "fixtures"


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_validate_ok_prints_counts_per_kind():
    result = run("validate", CRM)
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert "\n" not in line
    assert re.match(r"crm \d+\.\d+\.\d+: valid: 1 package, \d+ objects, .*\d+ fields$", line)
    assert "workflows" in line and "roles" in line


def test_validate_reports_every_error_as_file_line_path_message():
    result = run("validate", str(FIXTURES / "many_errors"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    errors, summary = lines[:-1], lines[-1]
    assert len(errors) >= 5
    assert summary.endswith(f"{len(errors)} errors; nothing loaded")
    for line in errors:
        assert re.match(r"^[\w/.-]+\.yaml:\d+: [\w.\[\]]+: .+", line), line
    assert any("unknown field type 'curency'; did you mean 'currency'?" in e for e in errors)


def test_validate_missing_folder_is_a_usage_error():
    result = run("validate", str(FIXTURES / "no_such_package"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_formula_prints_type():
    result = run("formula", CRM, "opportunity", "amount * probability / 100")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "type: currency"


def test_formula_evaluates_on_a_record_with_coercion_and_nested_lookups():
    record = {"amount": "1000.50", "probability": 20, "account": {"name": "Acme"}}
    result = run("formula", CRM, "opportunity",
                 'text(amount * probability / 100) & " for " & account.name',
                 "--record", json.dumps(record))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == 'value: "200.1 for Acme"'


def test_formula_changed_with_prior():
    result = run("formula", CRM, "opportunity", "changed(stage)", "--record",
                 '{"stage": "Closed Won"}', "--prior", '{"stage": "Proposal"}')
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "value: true"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_formula_sql_has_joins_for_lookups(dialect):
    result = run("formula", CRM, "opportunity", 'account.name == "Acme"', "--sql", dialect)
    assert result.exit_code == 0, result.output
    sql = result.output.split("sql: ", 1)[1]
    assert "LEFT OUTER JOIN account AS j_account ON j_account.id = opportunity.account" in sql
    assert "'Acme'" in sql


def test_formula_error_points_at_the_column():
    result = run("formula", CRM, "opportunity", "amount > 1 and stag == 'x'")
    assert result.exit_code == 1
    assert "column 16: unknown field 'stag'; did you mean 'stage'?" in result.output
    assert "               ^" in result.output  # the caret under column 16


def test_formula_unknown_object_suggests():
    result = run("formula", CRM, "oportunity", "amount")
    assert result.exit_code == 2
    assert "did you mean 'opportunity'?" in result.output


def test_formula_bad_record_value_names_the_field():
    result = run("formula", CRM, "opportunity", "amount", "--record", '{"amount": "lots"}')
    assert result.exit_code == 2
    assert "amount" in result.output


def test_formula_write_functions_refused_with_sql():
    result = run("formula", CRM, "opportunity", "changed(stage)", "--sql", "sqlite")
    assert result.exit_code == 1
    assert "changed()" in result.output


def test_console_script_is_installed():
    beside_python = Path(sys.executable).parent / "metacrm"
    exe = str(beside_python) if beside_python.exists() else shutil.which("metacrm")
    assert exe, "the metacrm console script is not on PATH"
    done = subprocess.run([exe, "validate", CRM], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "valid:" in done.stdout
