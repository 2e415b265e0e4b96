"""Publishing outbox rows off the request's thread.

A write's outbox rows are handed to the broker after its transaction commits. Done inline,
a broker that is slow or down would hold every such write for the connection timeout (about
five seconds a write during a Redis outage). So a process publishes from one background
thread instead: the write returns at once; rows the thread could not publish (the broker is
down, the process dies) stay pending in the outbox, and beat's sweeper publishes them.

    publish = BackgroundPublisher(celery.metacrm_publish)
    pm, engine = plugin_manager(publisher=publish)
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from typing import Callable, Sequence

log = logging.getLogger(__name__)


class BackgroundPublisher:
    """A publisher (``rows -> None``) that queues the rows for a daemon thread."""

    #: rows waiting beyond this are dropped (the sweeper has them): memory stays bounded
    MAX_WAITING = 10_000

    def __init__(self, publish: Callable[[Sequence], None]):
        self._publish = publish
        self._queue: queue.Queue = queue.Queue(maxsize=self.MAX_WAITING)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def __call__(self, rows: Sequence) -> None:
        if not rows:
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait(list(rows))
        except queue.Full:
            log.warning("outbox publisher is behind: %d rows left to the sweeper", len(rows))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued row was handed over (tests, shutdown); False on timeout."""
        done = threading.Event()
        self._ensure_thread()
        self._queue.put(done)
        return done.wait(timeout)

    def _ensure_thread(self) -> None:
        # a forked child (gunicorn, Celery prefork) has no copy of the parent's thread
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._queue = queue.Queue(maxsize=self.MAX_WAITING)
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="metacrm-publisher",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self._publish(item)
            except Exception:  # noqa: BLE001 - the sweeper publishes what this could not
                log.warning("could not publish %d outbox rows; the sweeper will", len(item),
                            exc_info=True)
