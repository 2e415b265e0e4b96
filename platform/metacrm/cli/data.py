"""``metacrm data load PACKAGE_DIR``: a package's seed records (data/*.csv), through the
RecordService.

    metacrm data load metadata/crm --as admin
"""

from __future__ import annotations

from pathlib import Path

import click

from ..runtime import Actor, RecordError, load_data
from .app import main
from .records import _fail, _service


@main.group()
def data() -> None:
    """Seed records of a package."""


@data.command(name="load")
@click.argument("package_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--as", "username", metavar="USERNAME",
              help="Act as this user (who then owns the records); default: the system actor.")
@click.option("--force", is_flag=True,
              help="Load every row, even those whose record seems to be there already.")
@click.pass_context
def load(ctx, package_dir, username, force):
    """Load data/<object>.csv files: users first, then parents before children, each file all
    or nothing; rows whose record is there already are left out (loading twice never
    duplicates)."""
    service = _service(ctx)
    actor = Actor.system()
    if username:
        accounts = service.runtime.accounts
        user = accounts.find_user(username)
        if user is None:
            _fail({"error": "RecordNotFound", "message": f"no user {username!r}"})
        actor = accounts.actor(user["id"])
    def progress(name: str, loaded: int, kept: int) -> None:
        if loaded:
            click.echo(f"loaded {loaded} {name} records"
                       + (f" ({kept} there already)" if kept else ""))
        else:
            click.echo(f"skipped {name}: its records are there already")

    try:
        report = load_data(service, package_dir, actor, force=force, progress=progress)
    except RecordError as error:
        _fail({"file": f"data/{error.object_name}.csv", **error.to_dict()})
    if not report.loaded and not report.skipped:
        click.echo("no data files")
