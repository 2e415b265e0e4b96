"""``metacrm worker``, ``metacrm beat``, ``metacrm outbox …``, ``metacrm runs``: automation.

    metacrm worker --concurrency 4        # Celery worker: delivers the outbox
    metacrm beat                          # Celery beat: the sweeper and periodic workflows
    metacrm outbox list --status dead
    metacrm outbox retry ROW_ID
    metacrm outbox sweep                  # what beat does, once, without a broker
    metacrm runs --failures-first

The broker is METACRM_REDIS_URL, else kombu's SQLAlchemy transport on instance/broker.db.
"""

from __future__ import annotations

import json

import click

from ..automation import (Settings, Worker, delivery_attempts, make_celery, outbox_rows,
                          recent_runs, retry_dead_letter, runs_for_record)
from ..store import to_json_value
from .app import main, open_database


def _settings(ctx: click.Context, queue: str | None = None) -> Settings:
    overrides = {"database_url": ctx.find_root().obj["database_url"]}
    if queue:
        overrides["queue"] = queue
    return Settings.from_env(**overrides)


def _echo(value) -> None:
    click.echo(json.dumps(to_json_value(value), indent=2, ensure_ascii=False, default=str))


@main.command("worker")
@click.option("--concurrency", type=int, default=2, show_default=True,
              help="Worker processes (or threads with --pool threads).")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]), default="prefork",
              show_default=True, help="Celery's execution pool (delivery is CPU-bound: "
                                      "processes scale it, threads do not).")
@click.option("--queue", help="The Celery queue and Redis key prefix (default METACRM_QUEUE, "
                              "else metacrm).")
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def worker_command(ctx, concurrency, pool, queue, loglevel):
    """Run a Celery worker that delivers the outbox."""
    app = make_celery(_settings(ctx, queue))
    app.worker_main(["worker", f"--concurrency={concurrency}", f"--pool={pool}",
                     f"--loglevel={loglevel}", "--without-mingle", "--without-gossip"])


@main.command("beat")
@click.option("--queue", help="As for metacrm worker.")
@click.option("--schedule-file", default="instance/celerybeat-schedule", show_default=True,
              help="Where beat keeps its last run times.")
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def beat_command(ctx, queue, schedule_file, loglevel):
    """Run Celery beat: every sweep_seconds it runs the sweeper (periodic workflows, then
    outbox rows due and not delivered)."""
    app = make_celery(_settings(ctx, queue))
    app.start(["beat", f"--schedule={schedule_file}", f"--loglevel={loglevel}"])


@main.group("outbox")
def outbox_group():
    """The automation outbox: what workflows owe the outside world."""


@outbox_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "delivered", "dead",
                                             "cancelled"]), help="Only rows in this state.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_context
def outbox_list(ctx, status, limit):
    """Outbox rows, newest first (JSON)."""
    _echo(outbox_rows(open_database(ctx), status=status, limit=limit))


@outbox_group.command("attempts")
@click.argument("row_id")
@click.pass_context
def outbox_attempts(ctx, row_id):
    """Every delivery attempt of one row (JSON)."""
    _echo(delivery_attempts(open_database(ctx), row_id))


@outbox_group.command("retry")
@click.argument("row_ids", nargs=-1, required=True)
@click.pass_context
def outbox_retry(ctx, row_ids):
    """Make dead rows pending again (delivered at the next sweep)."""
    db = open_database(ctx)
    missing = [key for key in row_ids if not retry_dead_letter(db, key)]
    for key in row_ids:
        if key not in missing:
            click.echo(f"{key}: pending again")
    if missing:
        raise click.ClickException("not dead (or unknown): " + ", ".join(missing))


@outbox_group.command("sweep")
@click.pass_context
def outbox_sweep(ctx):
    """Run the periodic workflows and deliver every due row once, in this process."""
    worker = Worker(_settings(ctx), open_database(ctx))
    for key, _kind in worker.sweep():
        click.echo(f"{key}: {worker.deliver(key)}")


@main.command("runs")
@click.option("--object", "object_name", help="Only runs on this object.")
@click.option("--record", "record_id", help="Only runs on this record (with --object).")
@click.option("--failures-first", is_flag=True, help="Failed runs before the others.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_context
def runs_command(ctx, object_name, record_id, failures_first, limit):
    """Workflow runs, newest first (JSON)."""
    db = open_database(ctx)
    if record_id:
        if not object_name:
            raise click.UsageError("--record needs --object")
        _echo(runs_for_record(db, object_name, record_id, limit=limit))
    else:
        _echo(recent_runs(db, failures_first=failures_first, object_name=object_name,
                          limit=limit))
