"""``metacrm record …``: records of the deployed metadata, through the RecordService.

    metacrm record create account --json '{"name": "Acme"}'
    metacrm record create contact --json @contacts.json       # a JSON array: one bulk create
    metacrm record get account ID
    metacrm record update account ID --json '{"industry": "Retail"}' --version 3
    metacrm record delete account ID
    metacrm record list opportunity --filter 'stage == "Proposal"' --sort -amount --limit 20
    metacrm record history account ID

Output is JSON on stdout. A failure prints a JSON error on stderr (``errors`` per field) and
exits 1; wrong usage exits 2. The command line acts as the system actor.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import click
from sqlalchemy.exc import SQLAlchemyError

from ..runtime import Actor, RecordError, RecordService, Runtimes
from ..store import to_json_value
from .app import main, open_database, plugins

EXIT_FAILED = 1


def _echo(value: Any) -> None:
    click.echo(json.dumps(to_json_value(value), indent=2, ensure_ascii=False, default=str))


def _fail(payload: dict) -> None:
    click.echo(json.dumps(to_json_value(payload), indent=2, ensure_ascii=False, default=str),
               err=True)
    sys.exit(EXIT_FAILED)


def _service(ctx: click.Context) -> RecordService:
    """The RecordService of the version in force, with the workflow and approval engines."""
    db = open_database(ctx)
    try:
        runtime = Runtimes(db, plugins=plugins(ctx, writes_records=True)).current()
    except SQLAlchemyError as error:
        _fail({"error": "DatabaseError", "message": _first_line(error)})
    if runtime is None:
        _fail({"error": "NothingDeployed",
               "message": "nothing is deployed: run `metacrm deploy PACKAGE_DIR` first"})
    return runtime.service


def _first_line(error: SQLAlchemyError) -> str:
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    return detail[0] if detail else type(error).__name__


def _run(ctx: click.Context, action: Callable[[RecordService, Actor], Any]) -> None:
    service = _service(ctx)
    try:
        result = action(service, Actor.system())
    except RecordError as error:
        _fail(error.to_dict())
    except SQLAlchemyError as error:
        _fail({"error": "DatabaseError", "message": _first_line(error)})
    if result is not None:
        _echo(result)


def _data(text: str) -> Any:
    """``--json``: JSON text, ``@file`` for a file's content, ``-`` for standard input."""
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        try:
            text = Path(text[1:]).read_text()
        except OSError as error:
            raise click.BadParameter(f"cannot read {text[1:]}: {error.strerror}",
                                     param_hint="--json") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not valid JSON: {error}", param_hint="--json") from None


def _fields(text: str | None) -> list[str] | None:
    return [f.strip() for f in text.split(",") if f.strip()] if text else None


@main.group()
def record() -> None:
    """Create, read, update, delete and list records of the deployed metadata."""


@record.command()
@click.argument("object_name", metavar="OBJECT")
@click.option("--json", "data", required=True, metavar="JSON",
              help="The field values: a JSON object, or an array for a bulk create "
                   "(@FILE reads a file, - standard input).")
@click.pass_context
def create(ctx, object_name, data):
    """Create a record (or, given a JSON array, many in one transaction); print it (or the ids)."""
    values = _data(data)
    if isinstance(values, list):
        _run(ctx, lambda s, a: {"ids": s.create_many(object_name, values, a)})
    else:
        _run(ctx, lambda s, a: s.create(object_name, values, a))


@record.command()
@click.argument("object_name", metavar="OBJECT")
@click.argument("record_id", metavar="ID")
@click.option("--fields", metavar="FIELDS", help="Comma-separated fields (lookup paths allowed).")
@click.pass_context
def get(ctx, object_name, record_id, fields):
    """Print one record (formula fields computed)."""
    _run(ctx, lambda s, a: s.get(object_name, record_id, a, fields=_fields(fields)))


@record.command()
@click.argument("object_name", metavar="OBJECT")
@click.argument("record_id", metavar="ID")
@click.option("--json", "data", required=True, metavar="JSON",
              help="The fields to change, as a JSON object (@FILE, - for standard input).")
@click.option("--version", "version", type=int, metavar="N",
              help="Fail unless the record is still at version N (optimistic locking).")
@click.pass_context
def update(ctx, object_name, record_id, data, version):
    """Change some fields of a record; print it."""
    values = _data(data)
    _run(ctx, lambda s, a: s.update(object_name, record_id, values, a, version=version))


@record.command()
@click.argument("object_name", metavar="OBJECT")
@click.argument("record_id", metavar="ID")
@click.option("--version", "version", type=int, metavar="N",
              help="Fail unless the record is still at version N.")
@click.pass_context
def delete(ctx, object_name, record_id, version):
    """Delete a record (applying each lookup's on_delete); print its id."""
    def action(service, actor):
        service.delete(object_name, record_id, actor, version=version)
        return {"deleted": record_id}
    _run(ctx, action)


@record.command(name="list")
@click.argument("object_name", metavar="OBJECT")
@click.option("--filter", "filter_", metavar="EXPR", help="A condition in the formula language.")
@click.option("--sort", metavar="FIELDS", help="Comma-separated fields, '-' for descending.")
@click.option("--limit", type=int, default=50, show_default=True, help="Records per page.")
@click.option("--cursor", metavar="CURSOR", help="The next_cursor of the previous page.")
@click.option("--fields", metavar="FIELDS", help="Comma-separated fields (lookup paths allowed).")
@click.option("--count", is_flag=True, help="Also count every matching record.")
@click.pass_context
def list_records(ctx, object_name, filter_, sort, limit, cursor, fields, count):
    """Print a page of records: {"records": [...], "next_cursor": ..., "count": ...}."""
    def action(service, actor):
        page = service.query(object_name, actor, filter=filter_, sort=sort, limit=limit,
                             cursor=cursor, fields=_fields(fields), count=count)
        out = {"records": page.records, "next_cursor": page.next_cursor}
        if count:
            out["count"] = page.count
        return out
    _run(ctx, action)


@record.command()
@click.argument("object_name", metavar="OBJECT")
@click.argument("record_id", metavar="ID")
@click.pass_context
def history(ctx, object_name, record_id):
    """Print every change of a record, oldest first."""
    _run(ctx, lambda s, a: s.history(object_name, record_id))
