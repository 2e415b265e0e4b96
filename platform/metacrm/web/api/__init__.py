"""The REST API under /api/v1 and its OpenAPI document (``docs/api.md``).

One blueprint, one module per part; each part adds its routes in ``init_blueprint``:

    records.py      /api/v1/<object>[/<id>[/history]]   records of any object
    objects.py      /api/v1/objects[/<object>]          object types and their fields
    meta.py         /api/v1/meta/…                      the deployed package, plan, apply
    automation.py   /api/v1/<object>/<id>/automation, /api/v1/automation/…   workflow runs, outbox
    approvals.py    /api/v1/<object>/<id>/approvals, /api/v1/approvals/…     approvals
    users.py        /api/v1/users[/<username>[/deactivate]]   people, for admins
    access.py       /api/v1/<object>/<id>/access?user=NAME    admins: what a user may do, why
    openapi.py      /api/openapi.json, /api/docs        the OpenAPI document, Swagger UI
    problems.py     errors as RFC 9457 problems (this blueprint's error handlers only)

A new part (say, approvals) is a module with an ``init_blueprint(blueprint)`` added to
PARTS. Fixed paths (``/v1/objects``, ``/v1/meta/…``) win over ``/v1/<object>`` in Flask's
routing (object names starting with ``meta`` are refused by the loader; an object named
``objects`` would be hidden behind the object list).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from ..auth import csrf
from . import access, approvals, automation, meta, objects, openapi, problems, records, users
from .io import refuse_nul_in_url

blueprint = Blueprint("api", __name__, url_prefix="/api")

#: the modules that add routes to the blueprint, in order
PARTS = [objects, meta, openapi, automation, records, approvals, users, access]
#: the largest request body the API reads (bytes); API_MAX_CONTENT_LENGTH overrides it
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@blueprint.before_request
def _limit_body() -> None:
    # per request (Flask 3.1), so the pages keep the app's own limit
    request.max_content_length = current_app.config.get("API_MAX_CONTENT_LENGTH",
                                                         MAX_CONTENT_LENGTH)
    refuse_nul_in_url()


def _unmatched(path: str):
    """Any /api/… URL no route takes: a 404 (or 405 when the path exists for other methods)
    as a problem, through this blueprint's handlers."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in _METHODS:
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except (NotFound, MethodNotAllowed, RequestRedirect):
            continue
        if endpoint != "api.unmatched":
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed + (["HEAD"] if "GET" in allowed else []))
    raise NotFound()


# the blueprint is set up once, at import: every app made by create_app registers it as is
for _part in PARTS:
    _part.init_blueprint(blueprint)
blueprint.add_url_rule("/<path:path>", "unmatched", _unmatched, methods=_METHODS)
problems.init_blueprint(blueprint)


def init_app(app: Flask) -> None:
    # token requests carry no CSRF token; sessions are checked in api_actor() instead
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
