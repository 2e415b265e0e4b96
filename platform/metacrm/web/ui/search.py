"""Searching record names: the global search box, and the type-ahead of lookup inputs.

    GET /search?q=acme                       every object's records whose title contains q
    GET /app/<object>/_options?q=ac&for=ID   a listbox of <object> records for a lookup input

Both compile the text into a formula-language filter (quoted, never spliced), so a formula
title (a contact's full name) is searched like a stored one. Both search as the signed-in user:
only the objects they may read, only the records they may see (the query adds the predicate).
"""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from ...formula import quote
from ...runtime import QueryInvalid
from .common import actor, blueprint, is_htmx, navigation, object_type, page, runtime
from .formstate import LOOKUP_TEXT
from .specs import USER, title_paths

PER_OBJECT = 5
OPTIONS = 8


def _matches(rt, object_name: str, text: str, who, limit: int):
    paths = title_paths(rt.catalog, object_name)
    condition = " or ".join(f"contains(lower({p}), {quote(text.lower())})" for p in paths)
    try:
        result = rt.service.query(object_name, who, filter=condition, fields=["id", *paths],
                                  sort=paths[0], limit=limit)
    except QueryInvalid:
        return []
    return [(r["id"], next((str(r[p]) for p in paths if r.get(p)), r["id"]))
            for r in result.records]


@blueprint.route("/search")
@login_required
def search():
    rt = runtime()
    who = actor()
    text = (request.args.get("q") or "").strip()
    groups = []
    if text:
        for group in navigation(rt, rt.access(who)):
            for obj in group.objects:
                found = _matches(rt, obj.name, text, who, PER_OBJECT)
                if found:
                    groups.append((obj, found))
    template = "_search_results" if is_htmx() else "search"
    return page(template, None, q=text, groups=groups)


@blueprint.route("/app/<object_name>/_options")
@login_required
def lookup_options(object_name):
    """The records a lookup input may point at, for its type-ahead (``user`` included: a
    lookup may point at users even though users have no pages here)."""
    rt = runtime()
    who = actor()
    if object_name != USER:
        object_type(rt, object_name, rt.access(who))
    # the lookup input sends its text under its own name (<field>__text), kept on the form
    text = next((v for k, v in request.args.items() if k.endswith(LOOKUP_TEXT)),
                request.args.get("q") or "").strip()
    found = _matches(rt, object_name, text, who, OPTIONS) if text else []
    return render_template("_lookup_options.html", found=found, q=text,
                           input_id=request.args.get("for", ""))
