"""``metacrm access …``: what a user may do, and why (``docs/access.md``).

    metacrm access explain sam opportunity ID      # read/edit/delete that record, and why
    metacrm access explain sam opportunity ID --json
    metacrm access check sam                       # object rights and field access per object
    metacrm access check sam --json

The user's Actor is built as a sign-in builds it (``Accounts.actor``), and the answer comes
from the version's compiled ``Access`` (``Access.explain``): the same predicate the list
queries and the RecordService use. Admins, and every user of an open package (no role
declares ``permissions``), may do everything; the answer says so.
"""

from __future__ import annotations

import json

import click
from sqlalchemy.exc import SQLAlchemyError

from ..meta import USER_OBJECT
from ..runtime import Actor, RecordError, Runtime, explain_record, person, user_rights
from ..store import to_json_value
from .app import main
from .records import _fail, _first_line, _service


def _echo_json(value) -> None:
    click.echo(json.dumps(to_json_value(value), indent=2, ensure_ascii=False, default=str))


def _runtime(ctx: click.Context) -> Runtime:
    return _service(ctx).runtime


def _person(runtime: Runtime, username: str) -> tuple[dict, Actor]:
    try:
        return person(runtime, username)
    except RecordError as error:
        _fail(error.to_dict())


@main.group()
def access() -> None:
    """What a user may do with records, and why (roles, sharing, sharing rules)."""


@access.command()
@click.argument("username", metavar="USER")
@click.argument("object_name", metavar="OBJECT")
@click.argument("record_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
def explain(ctx, username, object_name, record_id, as_json):
    """What USER may do with one record (read, edit, delete) and why."""
    runtime = _runtime(ctx)
    user, actor = _person(runtime, username)
    try:
        answer = explain_record(runtime, user, actor, object_name, record_id)
    except RecordError as error:
        _fail(error.to_dict())
    except SQLAlchemyError as error:
        _fail({"error": "DatabaseError", "message": _first_line(error)})
    if as_json:
        _echo_json(answer)
        return
    title = f" ({answer['title']})" if answer["title"] else ""
    click.echo(f"{answer['user']} on {object_name} {record_id}{title}: "
               + ", ".join(f"{action} {'yes' if answer[action] else 'no'}"
                           for action in ("read", "edit", "delete")))
    if answer["because"]:
        click.echo("because:")
        for line in answer["because"]:
            click.echo(f"  + {line}")
    if answer["not_because"]:
        click.echo("not because:")
        for line in answer["not_because"]:
            click.echo(f"  - {line}")
    if answer["hidden_fields"]:
        click.echo(f"hidden fields: {', '.join(answer['hidden_fields'])}")
    if answer["read_only_fields"]:
        click.echo(f"read-only fields: {', '.join(answer['read_only_fields'])}")


@access.command()
@click.argument("username", metavar="USER")
@click.option("--json", "as_json", is_flag=True, help="Print the rights as JSON.")
@click.pass_context
def check(ctx, username, as_json):
    """USER's effective rights: per object, the actions, which records, and field access."""
    runtime = _runtime(ctx)
    user, actor = _person(runtime, username)
    rights = user_rights(runtime, user, actor)
    if as_json:
        _echo_json(rights)
        return
    roles = ", ".join(rights["roles"]) or "no role"
    click.echo(f"{rights['user']} ({roles}{', admin' if rights['admin'] else ''})")
    if rights["note"]:
        click.echo(rights["note"])
        return
    for name, entry in rights["objects"].items():
        click.echo(f"{name}: {', '.join(entry['allow'])}")
        click.echo(f"  records: {entry['why']}")
        if entry["read"] is not None:
            click.echo(f"  read where: {entry['read']}")
        if entry["edit"] is not None and entry["edit"] != entry["read"]:
            click.echo(f"  edit where: {entry['edit']}")
        hidden = sorted(f for f, level in entry["fields"].items() if level == "none")
        if name == USER_OBJECT and "only" in entry["why"]:
            hidden = []  # said in the line above
        read_only = sorted(f for f, level in entry["fields"].items() if level == "read")
        if hidden:
            click.echo(f"  hidden fields: {', '.join(hidden)}")
        if read_only:
            click.echo(f"  read-only fields: {', '.join(read_only)}")
    if rights["no_access"]:
        click.echo(f"no access: {', '.join(rights['no_access'])}")
