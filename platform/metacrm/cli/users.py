"""``metacrm user …`` and ``metacrm token …``: people who sign in, and their API tokens.

    metacrm user create ann --password 's3cret-pass' --admin --role sales_manager
    metacrm user list [--json]
    metacrm user set ann --add-role finance --manager bob --inactive
    metacrm user deactivate ann         # their sessions and tokens stop on the next request
    metacrm token create ann            # the token alone on the last line: shown once
    metacrm token list ann
    metacrm token revoke TOKEN_ID
"""

from __future__ import annotations

import json
import os
import sys

import click

from ..meta import suggest
from ..runtime import Accounts, Actor, RecordError
from ..store import to_json_value
from .app import main
from .records import _fail, _service


def _accounts(ctx: click.Context) -> Accounts:
    return _service(ctx).runtime.accounts


def _user(accounts: Accounts, username: str) -> dict:
    """The user record, or exit 1 naming the closest username."""
    try:
        return accounts.get_user(username)
    except RecordError as error:
        _fail(error.to_dict())


@main.group()
def user() -> None:
    """Users who sign in (the system ``user`` object plus a password and the admin flag)."""


@user.command(name="create")
@click.argument("username")
@click.option("--password", metavar="PASSWORD", envvar="METACRM_USER_PASSWORD",
              help="The password (at least 8 characters; default: METACRM_USER_PASSWORD). "
                   "Without one the user can use API tokens but not sign in.")
@click.option("--admin", is_flag=True, help="An administrator (may deploy metadata, manage users).")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help="A role of the deployed metadata (repeatable).")
@click.option("--full-name", metavar="NAME", help="The user's full name.")
@click.option("--email", metavar="EMAIL", help="The user's email address.")
@click.option("--if-missing", is_flag=True,
              help="Do nothing (exit 0) when the username is taken, instead of failing.")
@click.pass_context
def create_user(ctx, username, password, admin, roles, full_name, email, if_missing):
    """Create a user; print its id and username."""
    accounts = _accounts(ctx)
    if if_missing and accounts.find_user(username) is not None:
        click.echo(f"user {username} exists already")
        return
    try:
        created = accounts.create_user(username, password, admin=admin, roles=roles,
                                       full_name=full_name, email=email)
    except RecordError as error:
        _fail(error.to_dict())
    click.echo(f"created user {created['username']} ({created['id']})"
               + (", admin" if admin else ""))


@user.command(name="password")
@click.argument("username")
@click.option("--password", metavar="PASSWORD", envvar="METACRM_USER_PASSWORD", required=True,
              help="The new password (default: METACRM_USER_PASSWORD).")
@click.pass_context
def set_password(ctx, username, password):
    """Set a user's password."""
    accounts = _accounts(ctx)
    try:
        accounts.set_password(_user(accounts, username)["id"], password)
    except RecordError as error:
        _fail(error.to_dict())
    click.echo(f"password of {username} changed")


COLUMNS = (("username", "USERNAME"), ("full_name", "FULL NAME"), ("email", "EMAIL"),
           ("roles", "ROLES"), ("manager", "MANAGER"), ("active", "ACTIVE"), ("admin", "ADMIN"))


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(value) or "-"
    return "-" if value in (None, "") else str(value)


@user.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.pass_context
def list_users(ctx, as_json):
    """List the users: username, full name, email, roles, manager, active, admin."""
    users = _accounts(ctx).list_users()
    if as_json:
        click.echo(json.dumps(to_json_value(users), indent=2, ensure_ascii=False))
        return
    rows = [[title for _, title in COLUMNS]]
    rows += [[_cell(u[key]) for key, _ in COLUMNS] for u in users]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def _check_roles(accounts: Accounts, names) -> None:
    """Exit 1 on a role the deployed metadata does not have (naming the closest)."""
    known = accounts.service.catalog.roles
    for name in names:
        if name not in known:
            hint = suggest(name, known)
            _fail({"error": "UnknownRole", "message": f"unknown role {name!r}"
                   + (f"; did you mean '{hint}'?" if hint else "")
                   + (f" (roles: {', '.join(sorted(known))})" if known and not hint else "")})


def _describe(view: dict) -> str:
    return (f"user {view['username']}: roles {_cell(view['roles'])}; "
            f"manager {_cell(view['manager'])}; "
            f"{'active' if view['active'] else 'inactive'}; "
            f"{'admin' if view['admin'] else 'not admin'}")


@user.command(name="set")
@click.argument("username")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help="Replace the user's roles with these (repeatable).")
@click.option("--add-role", "add_roles", multiple=True, metavar="ROLE",
              help="Give the user this role too (repeatable).")
@click.option("--remove-role", "remove_roles", multiple=True, metavar="ROLE",
              help="Take this role away (repeatable; a role they do not hold is ignored).")
@click.option("--no-roles", is_flag=True, help="Take every role away.")
@click.option("--manager", metavar="USERNAME", help="The user's manager.")
@click.option("--no-manager", is_flag=True, help="Clear the user's manager.")
@click.option("--active/--inactive", default=None,
              help="Reactivate, or deactivate (sessions and API tokens stop on the next "
                   "request).")
@click.option("--full-name", metavar="NAME", help="The user's full name ('' clears it).")
@click.option("--email", metavar="EMAIL", help="The user's email address ('' clears it).")
@click.option("--admin/--no-admin", default=None, help="Make or unmake an administrator.")
@click.pass_context
def set_user(ctx, username, roles, add_roles, remove_roles, no_roles, manager, no_manager,
             active, full_name, email, admin):
    """Change a user's roles, manager, active flag, name, email or admin flag."""
    if (roles or no_roles) and (add_roles or remove_roles):
        raise click.UsageError("--role/--no-roles replace the roles: do not combine them with "
                               "--add-role or --remove-role")
    if roles and no_roles:
        raise click.UsageError("--role and --no-roles contradict each other")
    if manager is not None and no_manager:
        raise click.UsageError("--manager and --no-manager contradict each other")
    accounts = _accounts(ctx)
    record = _user(accounts, username)
    _check_roles(accounts, [*roles, *add_roles, *remove_roles])
    changes: dict = {}
    if roles or no_roles:
        changes["roles"] = list(roles)
    elif add_roles or remove_roles:
        held = list(record.get("roles") or ())
        changes["roles"] = [r for r in dict.fromkeys([*held, *add_roles])
                            if r not in remove_roles]
    if manager is not None or no_manager:
        changes["manager"] = manager or None
    for name, value in (("active", active), ("full_name", full_name), ("email", email),
                        ("admin", admin)):
        if value is not None:
            changes[name] = (value or None) if isinstance(value, str) else value
    if not changes:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    try:
        # the version read above: a change made meanwhile (say, another --add-role) is not lost
        view = accounts.update_user(record["id"], actor=Actor.system(),
                                    version=record["version"], **changes)
    except RecordError as error:
        _fail(error.to_dict())
    click.echo(_describe(view))


@user.command(name="deactivate")
@click.argument("username")
@click.pass_context
def deactivate_user(ctx, username):
    """Deactivate a user: their sessions and API tokens stop on the next request."""
    accounts = _accounts(ctx)
    record = _user(accounts, username)
    if record.get("active") is False:
        click.echo(f"user {record['username']} is inactive already")
        return
    try:
        accounts.deactivate(record["id"], actor=Actor.system())
    except RecordError as error:
        _fail(error.to_dict())
    click.echo(f"deactivated user {record['username']}: their sessions and API tokens stop "
               "working now (`metacrm user set {0} --active` undoes it)".format(record["username"]))


@main.group()
def token() -> None:
    """Personal API tokens (sent as ``Authorization: Bearer TOKEN``)."""


@token.command(name="create")
@click.argument("username")
@click.option("--name", metavar="NAME", help="What the token is for (shown by token list).")
@click.pass_context
def create_token(ctx, username, name):
    """Create a token; print it alone on the last line (it is not stored: copy it now)."""
    accounts = _accounts(ctx)
    value = accounts.create_token(_user(accounts, username)["id"], name=name)
    if sys.stdout.isatty() or os.environ.get("METACRM_TOKEN_NOTE"):
        click.echo(f"API token for {username} (shown once; send as 'Authorization: Bearer …'):")
    click.echo(value)


@token.command(name="list")
@click.argument("username")
@click.pass_context
def list_tokens(ctx, username):
    """List a user's tokens: id, name, created, last used, revoked."""
    accounts = _accounts(ctx)
    for row in accounts.list_tokens(_user(accounts, username)["id"]):
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['id']}  {row['name'] or '-'}  created {row['created_at']}  "
                   f"last used {row['last_used_at'] or 'never'}  {state}")


@token.command(name="revoke")
@click.argument("token_id", metavar="TOKEN_ID")
@click.pass_context
def revoke_token(ctx, token_id):
    """Revoke a token by its id (see token list)."""
    if not _accounts(ctx).revoke_token(token_id):
        _fail({"error": "RecordNotFound", "message": f"no active token {token_id!r}"})
    click.echo(f"revoked {token_id}")
