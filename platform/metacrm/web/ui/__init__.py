"""The end-user pages (being built: see the forms and pages issue)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import login_required

blueprint = Blueprint("ui", __name__)


@blueprint.route("/")
@login_required
def home():
    return render_template("home.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
