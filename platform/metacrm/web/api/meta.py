"""Metadata over HTTP, for admins: the deployed package, and plan/apply of a new one.

    GET  /api/v1/meta/packages/current     the version in force: its files and documents
    POST /api/v1/meta/plan                 {"files": {...}} -> the plan (nothing changes)
    POST /api/v1/meta/apply                {"files": {...}, "allow_destructive": false,
                                            "note": "…", "base": 3} -> the plan, applied

A package travels as ``files``: package name -> relative path -> the document, either its
YAML text (exactly what ``metacrm export`` writes) or the document as a JSON object.
``package`` names the root package when several are given. The plan and its JSON are the
CLI's (``metacrm deploy --json``): the same ``deploy.plan``/``deploy.apply`` and
``deploy.report``; apply plans once and applies that plan. Invalid metadata is a 422 with
the loader's errors; a risky plan is refused with 409 (and the plan) unless
``allow_destructive``; a plan made against a version no longer in force is a 409
``deploy-conflict`` (with ``base`` and ``current_version``): given ``base`` (the ``base`` of
a plan fetched before), when another deploy came after that plan; always, when one came in
between this request's plan and its apply.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, current_app
from ruamel.yaml.error import YAMLError

from ...meta import Catalog, PackageInvalid, dump_yaml, load_files, thaw
from ...store import deploy as deployment
from ...store import versions
from .current import admin_actor, api_runtime
from .io import json_object, json_response
from .values import api_value
from .problems import ApiProblem


def _db():
    return current_app.extensions["metacrm"].db


def current_package():
    admin_actor()
    runtime = api_runtime()
    with _db().read() as conn:
        version = versions.load(conn, runtime.number)
    documents = [{"package": d.package, "file": d.file, "kind": d.kind, "name": d.name,
                  "data": d.data} for d in version.catalog.documents]
    return json_response({**version.to_json(), "files": version.files,
                          "documents": api_value(thaw(documents))})


def _invalid(field: str, message: str) -> ApiProblem:
    return ApiProblem(422, f"{field}: {message}", slug="request-invalid",
                      errors={field: [message]})


def _files(body: dict) -> dict[str, dict[str, str]]:
    files = body.get("files")
    if not isinstance(files, dict) or not files:
        raise _invalid("files", "must be an object: package name -> {relative path: document}")
    out: dict[str, dict[str, str]] = {}
    for package, documents in files.items():
        if not isinstance(documents, dict):
            raise _invalid(f"files.{package}", "must be an object: relative path -> document")
        texts = {}
        for path, document in documents.items():
            if isinstance(document, dict):
                document = _yaml(document, f"files.{package}.{path}")
            if not isinstance(document, str):
                raise _invalid(f"files.{package}.{path}",
                               "must be a document: its YAML text or a JSON object")
            texts[path] = document
        out[package] = texts
    return out


def _yaml_value(value):
    """JSON as YAML can write it: the body's exact decimals become plain numbers again."""
    if isinstance(value, Decimal):
        # (a huge exponent stays a float: int() of 1E+999999999 would never finish)
        whole = value.is_finite() and value.adjusted() < 20 and value == value.to_integral_value()
        return int(value) if whole else float(value)
    if isinstance(value, dict):
        return {key: _yaml_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_yaml_value(item) for item in value]
    return value


def _yaml(document: dict, where: str) -> str:
    try:
        return dump_yaml(_yaml_value(document))
    except (ValueError, OverflowError, RecursionError, YAMLError) as error:
        raise _invalid(where, f"cannot be written as a YAML document: {error}") from None


def _catalog(body: dict) -> Catalog:
    files = _files(body)
    root = body.get("package")
    if root is None and len(files) != 1:
        raise _invalid("package", "name the root package: several packages were given")
    if root is not None and root not in files:
        raise _invalid("package", f"'{root}' is not one of the packages in files")
    try:
        return load_files(files, root, current_app.extensions["metacrm"].runtimes.vocabulary)
    except PackageInvalid as invalid:
        count = len(invalid.errors)
        raise ApiProblem(
            422, f"{count} error{'s' * (count != 1)} in the metadata; nothing deployed",
            slug="metadata-invalid", errors=_by_place(invalid.errors),
            metadata_errors=[{"file": e.file, "line": e.line, "path": e.path,
                              "message": e.message, "suggestion": e.suggestion}
                             for e in invalid.errors]) from None


def _by_place(errors) -> dict[str, list[str]]:
    """The loader's errors as ``errors``: ``file:line: path`` -> messages (as the CLI prints
    them, split at the place)."""
    out: dict[str, list[str]] = {}
    for error in errors:
        place = error.file if error.line is None else f"{error.file}:{error.line}"
        place += f": {error.path}" if error.path else ""
        message = error.message + (f"; did you mean '{error.suggestion}'?"
                                   if error.suggestion else "")
        out.setdefault(place, []).append(message)
    return out


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise _invalid(name, "must be true or false")
    return value


def plan_package():
    admin_actor()
    body = json_object()
    allow = _flag(body, "allow_destructive")
    plan = deployment.plan(_db(), _catalog(body))
    return json_response(deployment.report(plan, dry_run=True,
                                           refused=plan.risky and not allow))


def _base(body: dict) -> int | None:
    base = body.get("base")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool)):
        raise _invalid("base", "must be a version number (or null: nothing deployed)")
    return base


def apply_package():
    actor = admin_actor()
    body = json_object()
    allow = _flag(body, "allow_destructive")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise _invalid("note", "must be text")
    expected = _base(body)
    catalog = _catalog(body)
    db = _db()
    try:
        plan = deployment.plan(db, catalog)
        planned = plan.base.number if plan.base else None
        if "base" in body and expected != planned:
            raise deployment.DeployConflict(expected, planned)
        # applied as planned: apply checks, under the deploy lock, that plan.base is in force
        applied = deployment.apply(db, plan, allow_destructive=allow,
                                   deployed_by=actor.username, note=note)
        if applied.version is not None:  # the next request need not load it again
            current_app.extensions["metacrm"].runtimes.adopt(applied.version.number, catalog)
    except deployment.DeployRefused as refused:
        raise ApiProblem(409, str(refused), slug="deploy-refused", refused=True,
                         plan=refused.plan.to_json()) from None
    except deployment.DeployConflict as conflict:
        raise ApiProblem(409, str(conflict), slug="deploy-conflict", base=conflict.base,
                         current_version=conflict.current) from None
    except deployment.DeployFailed as failed:
        # e.g. a unique index the data does not allow: nothing changed
        raise ApiProblem(409, str(failed), slug="deploy-failed", step=failed.step) from None
    return json_response(deployment.report(applied.plan, dry_run=False, applied=applied))


def init_blueprint(blueprint: Blueprint) -> None:
    route = blueprint.add_url_rule
    route("/v1/meta/packages/current", "current_package", current_package, methods=["GET"])
    route("/v1/meta/plan", "plan", plan_package, methods=["POST"])
    route("/v1/meta/apply", "apply", apply_package, methods=["POST"])
