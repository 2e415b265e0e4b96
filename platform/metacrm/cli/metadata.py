"""``metacrm validate`` and ``metacrm formula``: the metadata core, no database needed.

    metacrm validate metadata/crm
    metacrm formula metadata/crm opportunity 'amount * probability / 100' --record '{"amount": 10}'
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from decimal import Decimal

import click
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..formula import (
    Environment, EvalContext, FormulaError, SqlCompiler, Usage, check_tree, compile_python,
)
from ..meta import Catalog, FieldValueError, PackageInvalid, load_package, suggest
from ..store import build_tables

_DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


from .app import main, vocabulary


def load_or_exit(ctx: click.Context, package_dir: str, *, nothing: str = "nothing loaded",
                 as_json: bool = False) -> Catalog:
    """The package's Catalog, loaded with the command's plugins; on errors, print every one
    and exit 1 (with ``as_json``, also ``{"ok": false, "error", "errors"}`` on standard output)."""
    try:
        return load_package(package_dir, vocabulary(ctx))
    except PackageInvalid as invalid:
        for error in invalid.errors:
            click.echo(str(error), err=True)
        count = len(invalid.errors)
        message = f"{package_dir}: {count} error{'s' * (count != 1)}; {nothing}"
        if as_json:
            click.echo(json.dumps({"ok": False, "error": message,
                                   "errors": [str(e) for e in invalid.errors]}, indent=2))
        click.echo(message, err=True)
        sys.exit(1)


def _summary(catalog: Catalog) -> str:
    kinds = Counter(doc.kind for doc in catalog.documents)
    order = ["package", "object", "extension", "layout", "list_view", "workflow",
             "approval_process", "role", "sharing_rule"]
    parts = [f"{kinds[k]} {k}{'s' * (kinds[k] != 1)}" for k in order if kinds[k]]
    fields = sum(len(obj.declared_fields) for name, obj in catalog.objects.items()
                 if name != "user")
    return f"valid: {', '.join(parts)}; {fields} fields"


@main.command()
@click.argument("package_dir", type=click.Path(exists=True, file_okay=False))
@click.pass_context
def validate(ctx: click.Context, package_dir: str) -> None:
    """Check a metadata package; print every error as file:line: path: message."""
    catalog = load_or_exit(ctx, package_dir)
    click.echo(f"{catalog.package.name} {catalog.package.version}: {_summary(catalog)}")


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class _Records:
    """Coerces ``--record`` JSON by field type; a lookup may hold the related record inline
    (``{"account": {"name": "Acme"}}``), which ``resolve`` then finds."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.related: dict[tuple[str, str], dict] = {}

    def coerce(self, object_name: str, data: dict, where: str = "--record") -> dict:
        if not isinstance(data, dict):
            raise click.BadParameter("must be a JSON object of field values", param_hint=where)
        fields = self.catalog.fields(object_name)
        record = {}
        for name, raw in data.items():
            field = fields.get(name)
            if field is None:
                hint = suggest(name, fields)
                raise click.BadParameter(f"'{object_name}' has no field '{name}'"
                                         + (f"; did you mean '{hint}'?" if hint else ""),
                                         param_hint=where)
            target = field.type.references()
            if target is not None and isinstance(raw, dict):
                nested = self.coerce(target, raw, f"{where}.{name}")
                nested.setdefault("id", f"{target}-{len(self.related) + 1}")
                self.related[(target, nested["id"])] = nested
                record[name] = nested["id"]
                continue
            try:
                record[name] = field.type.coerce(raw)
            except FieldValueError as err:
                raise click.BadParameter(f"{name}: {err}", param_hint=where) from None
        return record

    def resolve(self, object_name: str, record_id):
        return self.related.get((object_name, record_id))


@main.command()
@click.argument("package_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("object_name", metavar="OBJECT")
@click.argument("expression")
@click.option("--record", "record_json", help="JSON field values to evaluate the expression on.")
@click.option("--prior", "prior_json", help="JSON values before the change (for changed/prior).")
@click.option("--sql", "dialect", type=click.Choice(sorted(_DIALECTS)),
              help="Print the SQL the expression compiles to.")
@click.option("--user", "user_id", help="The id current_user() gives.")
@click.pass_context
def formula(ctx, package_dir, object_name, expression, record_json, prior_json, dialect, user_id):
    """Type-check EXPRESSION on OBJECT; print its type, its value, or its SQL."""
    catalog = load_or_exit(ctx, package_dir)
    if object_name not in catalog.objects:
        hint = suggest(object_name, catalog.objects)
        raise click.BadParameter(f"no object '{object_name}'"
                                 + (f"; did you mean '{hint}'?" if hint else ""),
                                 param_hint="OBJECT")
    scope = catalog.scope(object_name)
    usage = Usage.QUERY if dialect else Usage.WRITE
    try:
        typed = check_tree(expression, scope, usage)
    except FormulaError as err:
        click.echo(f"error: {err}\n{err.pointer()}", err=True)
        sys.exit(1)
    click.echo(f"type: {typed.type}")
    env = Environment(user_id=user_id)
    if record_json is not None:
        records = _Records(catalog)
        try:
            record = records.coerce(object_name, json.loads(record_json))
            prior = records.coerce(object_name, json.loads(prior_json), "--prior") \
                if prior_json else None
        except json.JSONDecodeError as err:
            raise click.BadParameter(f"not valid JSON: {err}") from None
        ctx = EvalContext(resolve=records.resolve, prior=prior, is_new=prior is None, env=env)
        value = compile_python(typed, scope)(record, ctx)
        click.echo(f"value: {json.dumps(_jsonable(value), ensure_ascii=False)}")
    if dialect:
        tables = build_tables(catalog)
        compiler = SqlCompiler(scope, tables.__getitem__, dialect, env)
        value = compiler.value(typed).label("value")
        statement = select(value).select_from(compiler.from_clause())
        click.echo("sql: " + str(statement.compile(dialect=_DIALECTS[dialect],
                                                   compile_kwargs={"literal_binds": True})))

