"""The web app's settings: the ``config`` given to ``create_app``, else the environment.

| key | environment | default |
|---|---|---|
| ``DATABASE_URL`` | ``METACRM_DATABASE_URL`` | ``sqlite:///instance/metacrm.db`` |
| ``SECRET_KEY`` | ``METACRM_SECRET_KEY`` | made once and kept in ``instance/secret_key`` |
| ``REDIS_URL`` | ``METACRM_REDIS_URL`` | none: rate limits counted in memory |
| ``RATELIMIT_DEFAULT`` | ``METACRM_RATELIMIT`` | ``1200 per minute`` (per token, else per address) |
| ``RATELIMIT_LOGIN`` | ``METACRM_RATELIMIT_LOGIN`` | ``10 per minute`` (sign-in attempts per address) |
| ``RATELIMIT_ENABLED`` | ``METACRM_RATELIMIT_ENABLED`` | ``true`` |
| ``ASSETS_DIR`` | ``METACRM_ASSETS_DIR`` | ``node_modules`` of the working directory when it has one, else of the checkout (when running from one) |
| ``TEMPLATES_DIR`` | ``METACRM_TEMPLATES_DIR`` | none: only the templates shipped in the package (``web/templating.py``) |

The templates and our own static files are package data (``web/templates``, ``web/static``);
only the npm packages (``npm ci``) live outside the package, in ``ASSETS_DIR``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from ..store import database_url

#: the checkout, when running from one: platform/metacrm/web/settings.py -> four folders up
ROOT = Path(__file__).resolve().parents[3]

ENVIRONMENT = {
    "DATABASE_URL": "METACRM_DATABASE_URL",
    "SECRET_KEY": "METACRM_SECRET_KEY",
    "REDIS_URL": "METACRM_REDIS_URL",
    "RATELIMIT_DEFAULT": "METACRM_RATELIMIT",
    "RATELIMIT_LOGIN": "METACRM_RATELIMIT_LOGIN",
    "RATELIMIT_ENABLED": "METACRM_RATELIMIT_ENABLED",
    "ASSETS_DIR": "METACRM_ASSETS_DIR",
    "TEMPLATES_DIR": "METACRM_TEMPLATES_DIR",
}

DEFAULTS: dict[str, Any] = {
    "RATELIMIT_DEFAULT": "1200 per minute",
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_ENABLED": True,
    "TEMPLATES_DIR": None,
}


def settings(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings in force: ``config``, else the environment, else the defaults."""
    result = dict(DEFAULTS)
    for key, variable in ENVIRONMENT.items():
        if os.environ.get(variable):
            result[key] = os.environ[variable]
    result.update(config or {})
    if not result.get("ASSETS_DIR"):
        result["ASSETS_DIR"] = str(default_assets_dir())
    if isinstance(result["RATELIMIT_ENABLED"], str):
        result["RATELIMIT_ENABLED"] = result["RATELIMIT_ENABLED"].lower() not in ("0", "false", "no")
    result["DATABASE_URL"] = database_url(result.get("DATABASE_URL"))
    if not result.get("SECRET_KEY"):
        result["SECRET_KEY"] = _kept_secret(result["DATABASE_URL"])
    return result


def default_assets_dir() -> Path:
    """``node_modules`` of the working directory when it exists, else the checkout's when
    metacrm runs from one (``scripts/run``, an editable install), else the working
    directory's anyway: the app warns at start that it is missing (``assets.py``)."""
    here = Path.cwd() / "node_modules"
    if here.is_dir():
        return here
    if (ROOT / "pyproject.toml").is_file() and (ROOT / "platform" / "metacrm").is_dir():
        return ROOT / "node_modules"
    return here


def _kept_secret(url: str) -> str:
    """A secret made once and kept beside the embedded database, so sessions survive restarts
    and every worker process signs cookies alike. Set METACRM_SECRET_KEY in production."""
    folder = Path("instance")
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        folder = Path(url[len("sqlite:///"):]).parent
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
