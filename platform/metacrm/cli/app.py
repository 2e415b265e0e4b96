"""The ``metacrm`` command group and what every command shares: the database option, and the
process's one plugin manager (the CLI is a composition root, like ``create_app`` and the
worker).
"""

from __future__ import annotations

import click
import pluggy

from ..automation import plugin_manager
from ..meta import Vocabulary
from ..plugins import make_plugin_manager
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


def plugins(ctx: click.Context, *, writes_records: bool = False) -> pluggy.PluginManager:
    """The plugin manager of this command (built once): field types and installed plugins;
    with the workflow and approval engines when the command writes records (``data load``,
    ``record``, ``user``). Rows the workflows queue are delivered by the worker's sweeps."""
    root = ctx.find_root()
    if "plugins" not in root.obj:
        root.obj["plugins"] = (plugin_manager()[0] if writes_records else make_plugin_manager())
    return root.obj["plugins"]


def vocabulary(ctx: click.Context) -> Vocabulary:
    """What packages may use: the field types and action types of this command's plugins."""
    return Vocabulary.from_plugins(plugins(ctx))
