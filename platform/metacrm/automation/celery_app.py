"""The Celery app: tasks deliver outbox rows (one, or a batch of up to BATCH), one (run by
beat) sweeps.

    app = make_celery(Settings.from_env())
    app.worker_main(["worker", "--loglevel=INFO"])        # what `metacrm worker` does
    pm, engine = plugin_manager(publisher=app.metacrm_publish)   # web processes: publish
                                                                 # rows right after commit
    make_celery(settings, make_worker=lambda publish: Worker(settings, db, publisher=publish))

A task carries only the row's id; the row in the database is the truth. A task for a row
that is delivered (a duplicate publish) or held by another worker does nothing, so the
sweeper may re-publish freely. A failed attempt re-publishes itself for when its backoff
ends; if that is lost too, the sweeper finds the row.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Callable

from celery import Celery

from ..store import outbox
from .delivery import Settings
from .worker import Worker

DELIVER = "metacrm.automation.deliver"
DELIVER_MANY = "metacrm.automation.deliver_many"
#: rows per deliver_many task: fewer tasks and transactions, still spread over the workers
BATCH = 50
SWEEP = "metacrm.automation.sweep"


def make_celery(settings: Settings,
                make_worker: Callable[[Callable], Worker] | None = None) -> Celery:
    """A Celery app for ``settings`` (its own instance: nothing global, several may coexist).
    ``make_worker(publish)`` builds the Worker its tasks use, in the process that runs them,
    on first use (by default ``Worker(settings, publisher=publish)``): its workflow engine
    hands what a run queues to this app's ``publish``."""
    broker = settings.broker_url
    if broker.startswith("sqla+sqlite:///") and not broker.startswith("sqla+sqlite:////"):
        Path(broker[len("sqla+sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    # set_as_current=False and shared=False tasks: several apps in one process (tests, a web
    # process beside a worker) each keep their own tasks and broker
    app = Celery("metacrm", broker=broker, set_as_current=False)
    # (kombu's SQLAlchemy transport hands its options to create_engine: give it none)
    options = {} if broker.startswith("sqla+") else {
        # several installations (and test runs) may share one Redis: keep our keys apart
        "global_keyprefix": f"{settings.queue}:"}
    app.conf.update(
        task_default_queue=settings.queue, task_ignore_result=True, task_serializer="json",
        accept_content=["json"], task_acks_late=True, task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=8, broker_transport_options=options,
        broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
        beat_schedule={"metacrm-sweep": {"task": SWEEP, "schedule": settings.sweep_seconds}},
    )
    lock = threading.Lock()
    holder: dict = {"worker": None}

    def context() -> Worker:
        with lock:  # built in the worker process on first use, not where the app is made
            if holder["worker"] is None:
                holder["worker"] = (make_worker or _default_worker(settings))(publish)
            return holder["worker"]

    def again_when_due(ours: Worker, statuses: dict[str, str]) -> None:
        """A failed attempt's row is pending again after its backoff: send it for then."""
        retry = [key for key, status in statuses.items() if status in ("pending", "failed")]
        if not retry:
            return
        with ours.db.read() as conn:
            for key in retry:
                rows = outbox.read_rows(conn, key=key, limit=1)
                if rows and rows[0]["status"] == outbox.PENDING:
                    wait = (rows[0]["due_at"] - settings.clock()).total_seconds()
                    deliver.apply_async((key,), countdown=max(0.0, wait))

    @app.task(name=DELIVER, shared=False)
    def deliver(key: str) -> str:
        ours = context()
        status = ours.deliver(key)
        again_when_due(ours, {key: status})
        return status

    @app.task(name=DELIVER_MANY, shared=False)
    def deliver_many(keys: list[str]) -> dict:
        ours = context()
        statuses = ours.deliver_many(keys)
        again_when_due(ours, statuses)
        return statuses

    @app.task(name=SWEEP, shared=False)
    def sweep() -> int:
        rows = context().sweep()
        publish(rows)
        return len(rows)

    def publish(rows) -> None:
        # no retrying here: a broker that is down must not hold up the write that just
        # committed; the sweeper publishes what this could not
        rows = list(rows)
        runs = [key for key, kind in rows if kind in outbox.RUN_KINDS]
        sends = [key for key, kind in rows if kind not in outbox.RUN_KINDS]
        for key in runs:
            deliver.apply_async((key,), retry=False)
        for start in range(0, len(sends), BATCH):
            chunk = sends[start:start + BATCH]
            if len(chunk) == 1:
                deliver.apply_async((chunk[0],), retry=False)
            else:
                deliver_many.apply_async((chunk,), retry=False)

    app.metacrm_publish = publish
    app.metacrm_context = context
    return app


def _default_worker(settings: Settings) -> Callable[[Callable], Worker]:
    return lambda publish: Worker(settings, publisher=publish)


def utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
