"""``metacrm user list``, ``user set`` and ``user deactivate`` through click's CliRunner, on a
SQLite file: tables and JSON, every option, and the errors (exit 1 with a JSON error naming
the closest user or role; exit 2 for a usage error)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from metacrm.cli import main
from metacrm.runtime import Runtimes
from metacrm.store import Database


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """``cli(*args)`` runs metacrm on a database with the CRM and users ann, bob and root."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli')}/cli.db"
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--database", url, *args])
    assert run("deploy", "metadata/crm").exit_code == 0
    for args in (["ann", "--role", "sales_rep", "--full-name", "Ann Seller",
                  "--email", "ann@example.com", "--password", "ann-password-1"],
                 ["bob", "--role", "sales_manager"], ["root", "--admin"]):
        assert run("user", "create", *args).exit_code == 0
    run.url = url
    return run


def _user(cli, username):
    [found] = [u for u in json.loads(cli("user", "list", "--json").output)
               if u["username"] == username]
    return found


def test_list_is_a_table(cli):
    result = cli("user", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["USERNAME", "FULL", "NAME", "EMAIL", "ROLES", "MANAGER",
                                "ACTIVE", "ADMIN"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["ann"].split() == ["ann", "Ann", "Seller", "ann@example.com", "sales_rep", "-",
                                   "yes", "no"]
    assert rows["root"].split()[-2:] == ["yes", "yes"]


def test_list_json(cli):
    result = cli("user", "list", "--json")
    users = json.loads(result.output)
    assert [u["username"] for u in users] == sorted(u["username"] for u in users)
    ann = _user(cli, "ann")
    assert set(ann) == {"id", "username", "full_name", "email", "roles", "manager", "active",
                        "admin", "version"}


def test_set_roles_manager_and_flags(cli):
    result = cli("user", "set", "ann", "--add-role", "finance", "--manager", "bob",
                 "--full-name", "Ann S", "--admin")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == \
        "user ann: roles finance,sales_rep; manager bob; active; admin"
    assert cli("user", "set", "ann", "--remove-role", "sales_rep", "--remove-role",
               "sales_manager", "--no-admin").output.strip() == \
        "user ann: roles finance; manager bob; active; not admin"
    assert cli("user", "set", "ann", "--role", "sales_rep", "--role", "finance",
               "--no-manager", "--email", "").exit_code == 0
    ann = _user(cli, "ann")
    assert (ann["roles"], ann["manager"], ann["email"], ann["full_name"]) == \
        (["finance", "sales_rep"], None, None, "Ann S")
    assert cli("user", "set", "ann", "--no-roles").exit_code == 0
    assert _user(cli, "ann")["roles"] == []
    cli("user", "set", "ann", "--role", "sales_rep")


def test_deactivate_and_reactivate(cli):
    result = cli("user", "deactivate", "ann")
    assert result.exit_code == 0
    assert result.output.startswith("deactivated user ann: their sessions and API tokens stop")
    assert _user(cli, "ann")["active"] is False
    db = Database.from_url(cli.url)
    accounts = Runtimes(db).current().accounts
    assert accounts.authenticate("ann", "ann-password-1") is None
    again = cli("user", "deactivate", "ann")
    assert again.exit_code == 0 and again.output.strip() == "user ann is inactive already"
    assert cli("user", "set", "ann", "--active").output.strip().endswith("; active; not admin")
    assert accounts.authenticate("ann", "ann-password-1") is not None
    db.dispose()


@pytest.mark.parametrize("args, error, message", [
    (["set", "anne", "--active"], "UnknownUser", "no user 'anne'; did you mean 'ann'?"),
    (["deactivate", "anne"], "UnknownUser", "no user 'anne'; did you mean 'ann'?"),
    (["set", "ann", "--add-role", "financ"], "UnknownRole",
     "unknown role 'financ'; did you mean 'finance'?"),
    (["set", "ann", "--remove-role", "sales_mgr"], "UnknownRole",
     "unknown role 'sales_mgr'; did you mean 'sales_manager'?"),
])
def test_unknown_names_exit_1_with_the_closest(cli, args, error, message):
    result = cli("user", *args)
    assert result.exit_code == 1
    payload = json.loads(result.stderr if result.stderr else result.output)
    assert payload == {"error": error, "message": message}


def test_invalid_values_exit_1_per_field(cli):
    result = cli("user", "set", "ann", "--manager", "ann")
    assert result.exit_code == 1
    payload = json.loads(result.stderr if result.stderr else result.output)
    assert payload["error"] == "RecordInvalid"
    assert payload["errors"] == {"manager": ["a user cannot be their own manager"]}
    bad_email = cli("user", "set", "ann", "--email", "nope")
    assert bad_email.exit_code == 1 and "email" in bad_email.output


@pytest.mark.parametrize("args", [
    ["set", "ann"],
    ["set", "ann", "--role", "finance", "--add-role", "sales_rep"],
    ["set", "ann", "--manager", "bob", "--no-manager"],
    ["set", "ann", "--role", "finance", "--no-roles"],
])
def test_usage_errors_exit_2(cli, args):
    result = cli("user", *args)
    assert result.exit_code == 2
    assert "Error:" in result.output
