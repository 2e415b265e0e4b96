"""``metacrm init``, ``deploy``, ``versions``, ``rollback`` and ``export``: metadata in the database.

    metacrm init
    metacrm deploy metadata/crm --dry-run          # the plan: changes, DDL, risks
    metacrm deploy metadata/crm                    # plan (once), then apply it in one transaction
    metacrm versions
    metacrm rollback 3
    metacrm export out/                            # out/crm/… as deployed

Exit codes: 0 done (or nothing to do), 1 invalid metadata or a failed deploy (nothing
changed), 2 wrong usage, 3 not applied and nothing changed: refused because the plan is risky
(``--allow-destructive``), or a conflict (another deploy came in between the plan and the
apply: run it again to plan again). ``--json`` tells them apart (``refused`` / ``conflict``).
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from typing import Any, Callable

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..meta import Catalog
from ..packages import ExportError, export_package
from ..store import Database, init_database
from ..store import deploy as deployment
from ..store import versions
from .app import main, open_database, vocabulary
from .metadata import load_or_exit

EXIT_FAILED = 1
#: refused (risky) or a conflict (planned against a version no longer in force): not applied
EXIT_REFUSED = EXIT_CONFLICT = 3


def _fail(message: str, as_json: bool = False, code: int = EXIT_FAILED, **extra: Any) -> None:
    if as_json:
        click.echo(json.dumps({"ok": False, "error": message, **extra}, indent=2))
    click.echo(message, err=True)
    sys.exit(code)


def _guarded(as_json: bool, action: Callable[[], None]) -> None:
    """Run ``action``; a database or deploy problem becomes a message and an exit code."""
    try:
        action()
    except deployment.DeployRefused as refused:
        _fail(str(refused) + "\n(use --allow-destructive to go ahead)", as_json, EXIT_REFUSED,
              plan=refused.plan.to_json(), refused=True)
    except deployment.DeployConflict as conflict:
        _fail(str(conflict), as_json, EXIT_CONFLICT, conflict=True, base=conflict.base,
              current_version=conflict.current)
    except (deployment.DeployError, versions.UnknownVersion, versions.StoredVersionInvalid,
            ExportError) as error:
        _fail(str(error), as_json)
    except SQLAlchemyError as error:
        detail = str(error.orig if getattr(error, "orig", None) else error).strip().splitlines()
        _fail(f"database error: {detail[0] if detail else type(error).__name__}", as_json)


def _shown_url(db: Database) -> str:
    return make_url(str(db.engine.url)).render_as_string(hide_password=True)


def _deployer(deployed_by: str | None) -> str | None:
    if deployed_by:
        return deployed_by
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # no user name to be found (a container): leave it blank
        return None


def _run_deploy(ctx: click.Context, catalog: Catalog, *, dry_run: bool, allow_destructive: bool,
                as_json: bool, note: str | None, deployed_by: str | None) -> None:
    db = open_database(ctx)
    plan = deployment.plan(db, catalog)
    would_refuse = plan.risky and not allow_destructive
    if dry_run or plan.empty:
        if as_json:
            click.echo(json.dumps(deployment.report(
                plan, dry_run=dry_run, refused=bool(dry_run and would_refuse)), indent=2))
        else:
            click.echo(plan.describe())
            if dry_run and not plan.empty:
                click.echo("\ndry run: nothing changed"
                           + ("; the deploy would be refused (--allow-destructive)"
                              if would_refuse else ""))
        if dry_run and would_refuse:
            sys.exit(EXIT_REFUSED)
        return
    if not as_json:
        click.echo(plan.describe())
    # the plan printed is the plan applied (not made again): apply checks, under the deploy
    # lock, that its base is still the version in force (DeployConflict: exit 3)
    applied = deployment.apply(db, plan, allow_destructive=allow_destructive,
                               deployed_by=_deployer(deployed_by), note=note)
    version = applied.version
    if as_json:
        click.echo(json.dumps(deployment.report(applied.plan, dry_run=False, applied=applied),
                              indent=2))
    elif version is not None:
        click.echo(f"\ndeployed: version {version.number} is in force")
    else:
        click.echo("\nno changes")


def _deploy_options(command):
    for option in reversed([
        click.option("--dry-run", is_flag=True, help="Print the plan; change nothing."),
        click.option("--allow-destructive", is_flag=True,
                     help="Go ahead although the plan is risky for data already stored."),
        click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON."),
        click.option("--note", metavar="TEXT", help="A note stored with the version."),
        click.option("--deployed-by", metavar="NAME",
                     help="Who deploys (stored with the version; default: $USER)."),
    ]):
        command = option(command)
    return command


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create metacrm's own tables where missing (safe to run again)."""
    def run() -> None:
        db = open_database(ctx)
        with db.read() as conn:
            before = versions.is_initialised(conn)
        init_database(db)
        with db.read() as conn:
            number = versions.latest_number(conn)
        state = "nothing deployed yet" if number is None else f"version {number} in force"
        click.echo(f"{'already initialised' if before else 'initialised'}: {_shown_url(db)} "
                   f"({state})")
    _guarded(False, run)


@main.command()
@click.argument("package_dir", type=click.Path(exists=True, file_okay=False))
@_deploy_options
@click.pass_context
def deploy(ctx: click.Context, package_dir: str, dry_run: bool, allow_destructive: bool,
           as_json: bool, note: str | None, deployed_by: str | None) -> None:
    """Plan deploying PACKAGE_DIR, print the plan, and apply it."""
    catalog = load_or_exit(ctx, package_dir, nothing="nothing deployed", as_json=as_json)
    _guarded(as_json, lambda: _run_deploy(ctx, catalog, dry_run=dry_run, as_json=as_json,
                                          allow_destructive=allow_destructive, note=note,
                                          deployed_by=deployed_by))


@main.command()
@click.argument("version", type=int)
@_deploy_options
@click.pass_context
def rollback(ctx: click.Context, version: int, dry_run: bool, allow_destructive: bool,
             as_json: bool, note: str | None, deployed_by: str | None) -> None:
    """Deploy the files of an earlier VERSION again (stored as a new version)."""
    def run() -> None:
        with open_database(ctx).read() as conn:
            stored = versions.load(conn, version, vocabulary(ctx))
        _run_deploy(ctx, stored.catalog, dry_run=dry_run, as_json=as_json,
                    allow_destructive=allow_destructive, deployed_by=deployed_by,
                    note=note or f"rollback to version {version}")
    _guarded(as_json, run)


@main.command("versions")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@click.pass_context
def versions_command(ctx: click.Context, as_json: bool) -> None:
    """List the deployed versions, oldest first; * marks the one in force."""
    def run() -> None:
        with open_database(ctx).read() as conn:
            found = versions.list_versions(conn)
        if as_json:
            click.echo(json.dumps([v.to_json() for v in found], indent=2))
            return
        if not found:
            click.echo("nothing deployed yet")
            return
        rows = [("", "#", "package", "content", "deployed at (UTC)", "by", "changes, note")]
        for v in found:
            rows.append(("*" if v is found[-1] else "", str(v.number),
                         f"{v.package} {v.package_version}", v.content_hash[:12],
                         v.deployed_at.isoformat(sep=" "), v.deployed_by or "",
                         f"{len(v.changes)}" + (f", {v.note}" if v.note else "")))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    _guarded(as_json, run)


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--version", "number", type=int, metavar="N",
              help="Export version N (default: the version in force).")
@click.option("--force", is_flag=True,
              help="Write over an earlier export (its stale documents are removed).")
@click.pass_context
def export(ctx: click.Context, out_dir: str, number: int | None, force: bool) -> None:
    """Write the deployed metadata as package folders under OUT_DIR."""
    def run() -> None:
        with open_database(ctx).read() as conn:
            version = versions.load(conn, number) if number is not None else versions.current(conn)
        if version is None:
            _fail("nothing is deployed: nothing to export")
        root = export_package(version, out_dir, overwrite=force)
        click.echo(f"exported version {version.number} ({version.package} "
                   f"{version.package_version}) to {root}")
    _guarded(False, run)
