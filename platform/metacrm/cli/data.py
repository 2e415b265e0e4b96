"""``metacrm data load PACKAGE_DIR``: a package's seed records (data/*.csv), through the
RecordService.

    metacrm data load metadata/crm --as admin
"""

from __future__ import annotations

from pathlib import Path

import click

from ..runtime import Actor, RecordError
from ..runtime.accounts import Accounts
from ..runtime.seed import load_data
from .app import main
from .records import _fail, _service


@main.group()
def data() -> None:
    """Seed records of a package."""


@data.command(name="load")
@click.argument("package_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--as", "username", metavar="USERNAME",
              help="Act as this user (who then owns the records); default: the system actor.")
@click.option("--force", is_flag=True, help="Load into objects that already have records too.")
@click.pass_context
def load(ctx, package_dir, username, force):
    """Load data/<object>.csv files: parents first, each file all or nothing; objects that
    already have records are skipped (so loading twice never duplicates)."""
    service = _service(ctx)
    actor = Actor.system()
    if username:
        accounts = Accounts(service)
        user = accounts.find_user(username)
        if user is None:
            _fail({"error": "RecordNotFound", "message": f"no user {username!r}"})
        actor = accounts.actor(user["id"])
    def progress(name: str, count: int | None) -> None:
        click.echo(f"loaded {count} {name} records" if count is not None
                   else f"skipped {name}: it has records already")

    try:
        report = load_data(service, package_dir, actor, force=force, progress=progress)
    except RecordError as error:
        _fail({"file": f"data/{error.object_name}.csv", **error.to_dict()})
    if not report.loaded and not report.skipped:
        click.echo("no data files")
