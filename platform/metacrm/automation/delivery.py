"""Delivering outbox rows: settings, email over SMTP, signed webhooks, and one row's attempt.

    settings = Settings.from_env()            # METACRM_* variables, or pass them explicitly
    deliver_row(db, settings, row_id)         # what the Celery task does: claim, send, record

An attempt that fails is recorded and the row made due again after an exponential backoff
(``retry_base_seconds * 2 ** (attempts - 1)``, at most ``retry_max_seconds``); after
``max_attempts`` the row is dead (``metacrm outbox list --status dead``, then ``retry``).
Every attempt sends the row's id as the ``Idempotency-Key`` (webhooks) or ``Message-ID``
(email), so a receiver that honours it never acts twice on a retry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import smtplib
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Callable, Mapping, Sequence
from urllib.parse import unquote, urlparse

import requests

from ..store import DEFAULT_URL, Database, outbox

EMBEDDED_BROKER = "sqla+sqlite:///instance/broker.db"
SIGNATURE_HEADER = "X-Metacrm-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    #: the Celery broker: Redis in production, kombu's SQLAlchemy transport on its own file
    #: by default (never the data file: the worker's polling must not lock record writes)
    broker_url: str = EMBEDDED_BROKER
    #: smtp://user:password@host:port (smtps:// for TLS on connect, ?starttls=1 to upgrade)
    smtp_url: str = "smtp://127.0.0.1:25"
    mail_from: str = "metacrm@localhost"
    #: the HMAC-SHA256 key webhooks are signed with (empty: unsigned)
    webhook_secret: str = ""
    webhook_timeout: float = 10.0
    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    #: how long a worker holds a row it is delivering before another may take it over
    lease_seconds: float = 300.0
    #: the Celery queue (and the prefix of its keys in Redis)
    queue: str = "metacrm"
    #: how often beat runs the sweeper and the periodic workflows
    sweep_seconds: float = 30.0
    #: the sweeper re-publishes rows due for at least this long (younger ones are on their way)
    sweep_grace_seconds: float = 10.0
    clock: Callable[[], dt.datetime] = field(default=_utcnow, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ
        names = {"database_url": "METACRM_DATABASE_URL", "broker_url": "METACRM_REDIS_URL",
                 "smtp_url": "METACRM_SMTP_URL", "mail_from": "METACRM_MAIL_FROM",
                 "webhook_secret": "METACRM_WEBHOOK_SECRET", "queue": "METACRM_QUEUE"}
        values = {key: env[var] for key, var in names.items() if env.get(var)}
        for key, var, kind in (("max_attempts", "METACRM_OUTBOX_MAX_ATTEMPTS", int),
                               ("retry_base_seconds", "METACRM_OUTBOX_RETRY_SECONDS", float),
                               ("sweep_seconds", "METACRM_SWEEP_SECONDS", float),
                               ("sweep_grace_seconds", "METACRM_SWEEP_GRACE_SECONDS", float),
                               ("lease_seconds", "METACRM_OUTBOX_LEASE_SECONDS", float),
                               ("webhook_timeout", "METACRM_WEBHOOK_TIMEOUT", float)):
            if env.get(var):
                values[key] = kind(env[var])
        return cls(**{**values, **overrides})

    def backoff(self, attempts: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.retry_max_seconds,
                                        self.retry_base_seconds * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Delivery:
    """What an action's ``deliver`` gets besides its payload."""

    settings: Settings
    #: the outbox row's id: the same on every attempt
    key: str
    attempt: int


def deliver_row(db: Database, settings: Settings, key: str, types: Mapping) -> str:
    """One attempt at one outbox row (not scheduled or periodic ones: see worker.py).
    Returns its status afterwards, or ``skipped`` when it is not ours to deliver now."""
    now = settings.clock()
    with db.write() as conn:
        row = outbox.claim(conn, key, now, dt.timedelta(seconds=settings.lease_seconds))
    if row is None:
        return "skipped"
    started = time.perf_counter()
    kind = types.get(row["kind"])
    try:
        if kind is None:
            raise LookupError(f"no installed action type '{row['kind']}' delivers this row")
        kind.deliver(row["payload"], Delivery(settings, key, row["attempts"]))
    except Exception as err:  # noqa: BLE001 - every failure is recorded and retried
        error = f"{type(err).__name__}: {err}"
        retry_at = None if row["attempts"] >= settings.max_attempts else (
            settings.clock() + settings.backoff(row["attempts"]))
        with db.write() as conn:
            return outbox.fail(conn, row, settings.clock(), error, _ms(started), retry_at=retry_at)
    with db.write() as conn:
        outbox.succeed(conn, row, settings.clock(), _ms(started))
    return outbox.DELIVERED


def deliver_rows(db: Database, settings: Settings, keys: Sequence[str], types: Mapping
                 ) -> dict[str, str]:
    """One attempt at each of many rows: claimed in one statement, delivered one after the
    other, the successes recorded in one transaction (failures each as ``deliver_row`` does).
    Returns each claimed key's status; keys not claimed (delivered, held elsewhere, not due,
    or workflows to run: scheduled, periodic) are left out."""
    now = settings.clock()
    with db.write() as conn:
        rows = outbox.claim_many(conn, keys, now, dt.timedelta(seconds=settings.lease_seconds))
    statuses, done = {}, []
    for row in rows:
        started = time.perf_counter()
        kind = types.get(row["kind"])
        try:
            if kind is None:
                raise LookupError(f"no installed action type '{row['kind']}' delivers this row")
            kind.deliver(row["payload"], Delivery(settings, row["id"], row["attempts"]))
        except Exception as err:  # noqa: BLE001 - every failure is recorded and retried
            retry_at = None if row["attempts"] >= settings.max_attempts else (
                settings.clock() + settings.backoff(row["attempts"]))
            with db.write() as conn:
                statuses[row["id"]] = outbox.fail(conn, row, settings.clock(),
                                                  f"{type(err).__name__}: {err}", _ms(started),
                                                  retry_at=retry_at)
            continue
        done.append((row, _ms(started)))
    with db.write() as conn:
        outbox.succeed_many(conn, done, settings.clock())
    statuses.update((row["id"], outbox.DELIVERED) for row, _ in done)
    return statuses


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


# -- email --------------------------------------------------------------------------------------


def send_email(payload: Mapping, delivery: Delivery) -> None:
    settings = delivery.settings
    message = EmailMessage()
    message["From"] = settings.mail_from
    for key in ("to", "cc"):
        if payload.get(key):
            message[key.title()] = ", ".join(payload[key])
    message["Subject"] = payload["subject"]
    # the delivery key as the Message-ID: a retry is recognisably the same message
    message["Message-ID"] = make_msgid(idstring=delivery.key, domain="metacrm")
    message[IDEMPOTENCY_HEADER] = delivery.key
    message.set_content(payload.get("body") or "")
    recipients = [*payload.get("to", ()), *payload.get("cc", ()), *payload.get("bcc", ())]
    url = urlparse(settings.smtp_url)
    secure = url.scheme == "smtps"
    client = (smtplib.SMTP_SSL if secure else smtplib.SMTP)(
        url.hostname or "127.0.0.1", url.port or (465 if secure else 25),
        timeout=settings.webhook_timeout)
    try:
        if "starttls=1" in (url.query or ""):
            client.starttls()
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message, to_addrs=recipients)
    finally:
        client.quit()


# -- webhooks -----------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """For receivers (and tests): does ``header`` sign ``body`` with ``secret``?"""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


_local = threading.local()


def _session() -> requests.Session:
    """A session per delivering thread: connections to a receiver are kept alive between
    deliveries (a new connection per webhook costs more than the delivery's own work)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def post_webhook(payload: Mapping, delivery: Delivery) -> None:
    settings = delivery.settings
    body = json.dumps({**payload["body"], "delivery_id": delivery.key}, sort_keys=True).encode()
    headers = {**payload.get("headers", {}), "Content-Type": "application/json",
               IDEMPOTENCY_HEADER: delivery.key, "X-Metacrm-Attempt": str(delivery.attempt)}
    if settings.webhook_secret:
        headers[SIGNATURE_HEADER] = sign(settings.webhook_secret, body)
    response = _session().request(payload.get("method", "POST"), payload["url"], data=body,
                                  headers=headers, timeout=settings.webhook_timeout)
    if response.status_code >= 300:
        raise RuntimeError(f"{payload['url']} answered {response.status_code}: "
                           f"{response.text[:200]}")
