"""The end-user pages: every object type gets a list, a board, a record page and forms from
its metadata the moment it is deployed (see docs/ui.md).

    /                          home                /app/<object>            list (?view=NAME)
    /app/<object>/new          create form         /app/<object>/<id>       record page
    /app/<object>/<id>/edit    edit form           /app/<object>/board/<f>  board by picklist f
    /search?q=                 record names

Pages are Jinja2 templates (``templates/``; a template per object overrides the generic one
by file name) over the same Catalog and RecordService as the API: nothing here writes a table.
What a user may not see does not exist for them here either: objects they may not read are
not in the menu and their pages are 404s, records they may not see are 404s, fields they may
not see are on no page (``common.py``).
"""

from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from flask_login import login_required
from werkzeug.exceptions import HTTPException

from . import approvals, automation, board, display, forms, lists, records, search  # noqa: F401
from ..auth import current_actor
from ..visibility import may
from .common import actor, blueprint, navigation, page, runtime


@blueprint.route("/")
@login_required
def home():
    rt = runtime()
    return page("home", None, groups=navigation(rt, rt.access(actor())))


@blueprint.app_context_processor
def _shell():
    """What the app shell (templates/app.html) shows on every page: the menu (the objects the
    signed-in user may read), and ``crm_may(object, action)`` for buttons (New, Edit,
    Delete) their roles allow."""
    def nav():
        rt = current_app.extensions["metacrm"].runtime()
        who = current_actor()
        return navigation(rt, rt.access(who)) if rt is not None and who is not None else ()

    def may_do(object_name: str, action: str) -> bool:
        rt = current_app.extensions["metacrm"].runtime()
        who = current_actor()
        return rt is not None and who is not None and may(rt.access(who), object_name, action)
    return {"crm_navigation": nav, "crm_may": may_do}


@blueprint.errorhandler(403)
@blueprint.errorhandler(404)
@blueprint.errorhandler(503)
def _error_page(error: HTTPException):
    # only errors of these pages: the API answers its own way
    return render_template("error.html", error=error), error.code


@blueprint.errorhandler(CSRFError)
def _stale_form(error: CSRFError):
    """A form sent with an expired or missing CSRF token (a page left open for hours, a
    signed-out session): say what to do instead of a bare 400."""
    error.description = ("This page was open too long or you were signed out, so it was not "
                         "sent. Go back, reload the page and send it again.")
    return render_template("error.html", error=error), 400


def init_app(app: Flask) -> None:
    display.init_app(app)
    app.register_blueprint(blueprint)
