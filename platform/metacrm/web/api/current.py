"""The deployed version a request works on, and who may do what with it.

    runtime = api_runtime()        # 503 when nothing is deployed
    actor = admin_actor()          # 401 without an actor, 403 unless an admin
"""

from __future__ import annotations

from flask import current_app

from ...runtime import Actor
from ..auth import api_actor
from ..state import Runtime
from .problems import ApiProblem


def api_runtime() -> Runtime:
    runtime = current_app.extensions["metacrm"].runtime()
    if runtime is None:
        raise ApiProblem(503, "nothing is deployed yet: deploy a metadata package first",
                         slug="nothing-deployed")
    return runtime


def admin_actor() -> Actor:
    actor = api_actor()
    if not actor.is_admin:
        raise ApiProblem(403, "only admins may do this", slug="forbidden")
    return actor
