"""The baseline of the HTTP benchmark: what a developer would write by hand for ONE object with
Flask and the SQLAlchemy ORM — a static model, hand-written validation, a token check — with
none of metacrm's generality. Served by gunicorn exactly like metacrm:

    gunicorn 'bench.http_baseline:create_app("sqlite:////tmp/base.db", "TOKEN")'
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation

from flask import Flask, abort, jsonify, request
from sqlalchemy import Date, Index, Numeric, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed")


class Base(DeclarativeBase):
    pass


class Deal(Base):
    __tablename__ = "deal"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    stage: Mapped[str] = mapped_column(String(40))
    close_date: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (Index("deal_stage_amount", "stage", "amount"),)

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name,
                "amount": None if self.amount is None else str(self.amount),
                "stage": self.stage,
                "close_date": self.close_date.isoformat() if self.close_date else None}


def engine_for(url: str):
    engine = create_engine(url)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn, _):
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")
            dbapi_conn.execute("PRAGMA busy_timeout=30000")
    return engine


def _deal(data) -> tuple[Deal | None, dict]:
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        return None, {"_record": ["expected an object"]}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["is required"]
    elif len(name) > 120:
        errors["name"] = ["at most 120 characters"]
    amount = None
    if data.get("amount") is not None:
        try:
            amount = Decimal(str(data["amount"])).quantize(Decimal("0.01"))
            if amount < 0:
                errors["amount"] = ["must be at least 0"]
        except InvalidOperation:
            errors["amount"] = ["expected a number"]
    stage = data.get("stage") or "Prospecting"
    if stage not in STAGES:
        errors["stage"] = ["not an option"]
    close_date = None
    if data.get("close_date"):
        try:
            close_date = dt.date.fromisoformat(data["close_date"])
        except (TypeError, ValueError):
            errors["close_date"] = ["expected a date"]
    if errors:
        return None, errors
    return Deal(id=uuid.uuid4().hex, name=name, amount=amount, stage=stage,
                close_date=close_date), {}


def create_app(url: str, token: str) -> Flask:
    app = Flask(__name__)
    engine = engine_for(url)
    Base.metadata.create_all(engine)

    @app.before_request
    def _auth():
        if request.headers.get("Authorization") != f"Bearer {token}":
            abort(401)

    @app.post("/deals")
    def create():
        data = request.get_json()
        if isinstance(data, list):  # a batch: a per-object ORM loop, one transaction
            deals = []
            for item in data:
                deal, errors = _deal(item)
                if errors:
                    return jsonify({"errors": errors}), 422
                deals.append(deal)
            with Session(engine) as session:
                session.add_all(deals)
                session.commit()
                return jsonify({"ids": [d.id for d in deals]}), 201
        deal, errors = _deal(data)
        if errors:
            return jsonify({"errors": errors}), 422
        with Session(engine) as session:
            session.add(deal)
            session.commit()
            return jsonify(deal.to_json()), 201

    @app.get("/deals/<deal_id>")
    def get(deal_id):
        with Session(engine) as session:
            deal = session.get(Deal, deal_id)
            if deal is None:
                abort(404)
            return jsonify(deal.to_json())

    @app.get("/deals")
    def list_deals():
        query = select(Deal)
        if request.args.get("stage"):
            query = query.where(Deal.stage == request.args["stage"])
        limit = min(int(request.args.get("limit", 50)), 1000)
        query = query.order_by(Deal.amount.desc(), Deal.id).limit(limit)
        with Session(engine) as session:
            return jsonify({"records": [d.to_json() for d in session.scalars(query)]})

    return app
