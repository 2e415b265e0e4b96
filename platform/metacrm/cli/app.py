"""The ``metacrm`` command group and what every command shares (the database option)."""

from __future__ import annotations

import click

from ..store import Database, database_url


@click.group()
@click.version_option(package_name="metacrm")
@click.option("--database", "database", metavar="URL", envvar="METACRM_DATABASE_URL",
              help="The database (default: METACRM_DATABASE_URL, else "
                   "sqlite:///instance/metacrm.db).")
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """metacrm: a metadata-driven, low-code CRM."""
    ctx.obj = {"database_url": database_url(database)}


def open_database(ctx: click.Context) -> Database:
    """The database the command line names (opened on first use, disposed at exit)."""
    root = ctx.find_root()
    if "db" not in root.obj:
        root.obj["db"] = Database.from_url(root.obj["database_url"])
        root.call_on_close(root.obj["db"].dispose)
    return root.obj["db"]
