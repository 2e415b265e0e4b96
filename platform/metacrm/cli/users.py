"""``metacrm user …`` and ``metacrm token …``: people who sign in, and their API tokens.

    metacrm user create ann --password 's3cret-pass' --admin --role sales_manager
    metacrm token create ann            # the token alone on the last line: shown once
    metacrm token list ann
    metacrm token revoke TOKEN_ID
"""

from __future__ import annotations

import os
import sys

import click

from ..runtime import Accounts, RecordError
from .app import main
from .records import _fail, _service


def _accounts(ctx: click.Context) -> Accounts:
    return _service(ctx).runtime.accounts


def _user(accounts: Accounts, username: str) -> dict:
    user = accounts.find_user(username)
    if user is None:
        _fail({"error": "RecordNotFound", "message": f"no user {username!r}"})
    return user


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
