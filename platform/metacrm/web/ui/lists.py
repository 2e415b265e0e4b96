"""List pages: an object's list views (columns, filter, sort from metadata), the ad-hoc filter
bar, sortable headers and keyset pagination.

    GET /app/<object>?view=NAME&sort=-amount&f=stage&o=eq&v=Proposal&cursor=…&prev=…
    GET /app/<object>/_count?…      the number of matches, fetched lazily by the page

"previous" needs no reverse query: each page's link carries the cursors of the pages before
it (``prev``, newest first, at most ``MAX_BACK``), so going back is going forward from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote as urlquote

from flask import request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from ...meta import ListView, SortKey
from ...runtime import Access, QueryInvalid, reads
from ..visibility import keyed
from .common import actor, blueprint, is_htmx, object_type, page, request_scope, runtime
from .filters import compile_filters, operators
from .specs import cached, column_of, default_view, form_spec

PAGE_SIZE = 50
#: how many earlier pages "previous" can walk back through
MAX_BACK = 30


@dataclass
class ListQuery:
    """What one list request asks for, read from its URL."""

    view: ListView
    views: tuple[ListView, ...]
    sort: str
    filter: str | None
    rows: list
    cursor: str | None
    back: list[str]


def views_of(rt, object_name: str, access: Access | None = None) -> tuple[ListView, ...]:
    """The object's list views, plus "all" (no filter) when none of them is unfiltered; for
    the user of ``access``, without the views that filter or sort by a field they may not see
    (the view would be refused, and its name could say what it hides)."""
    def build():
        catalog = rt.catalog
        hidden = access.hidden(object_name) if access is not None else frozenset()
        views = [v for v in catalog.views_for(object_name)
                 if not (reads(v.filter) & hidden)
                 and not any(key.field.split(".")[0] in hidden for key in v.sort)]
        if not any(v.filter is None for v in views) and not any(v.name == "all" for v in views):
            base = default_view(catalog, object_name)
            obj = catalog.object(object_name)
            columns = views[0].columns if views else base.columns
            views.append(ListView(name="all", object=object_name, columns=columns,
                                  sort=(SortKey(obj.title),), label=f"All {obj.plural.lower()}"))
        return tuple(views)
    return cached(rt, keyed(f"views:{object_name}", access), build)


def read_query(rt, object_name: str, args, access: Access | None = None) -> ListQuery:
    views = views_of(rt, object_name, access)
    wanted = args.get("view")
    view = next((v for v in views if v.name == wanted), None)
    if view is None and wanted == "all":  # links meaning "no view filter" (related lists)
        view = next((v for v in views if v.filter is None), None)
    view = view or views[0]
    spec = form_spec(rt, object_name, access)
    rows = list(zip(args.getlist("f"), args.getlist("o"), args.getlist("v")))
    conditions, shown = compile_filters(spec, rows, rt.service.env.today())
    if view.filter:
        conditions.insert(0, view.filter)
    combined = " and ".join(f"({c})" for c in conditions) if conditions else None
    sort = args.get("sort") or ",".join(str(key) for key in view.sort)
    back = [c for c in (args.get("prev") or "").split(".")][:MAX_BACK] if args.get("prev") \
        else []
    return ListQuery(view, views, sort, combined, shown, args.get("cursor") or None, back)


def _paths(rt, object_name: str, columns, spec) -> list[str]:
    obj = rt.catalog.object(object_name)
    paths = ["id", "version"] + ([obj.title] if obj.title in spec.all_fields else [])
    for col in columns:
        paths.extend(col.paths)
    return list(dict.fromkeys(paths))


def list_url(object_name: str, args: MultiDict, **changes) -> str:
    """This list's URL with some parameters changed (None removes one)."""
    params = MultiDict(args)
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = value
    return url_for("ui.list_records", object_name=object_name) + (
        "?" + "&".join(f"{k}={_q(v)}" for k, v in params.items(multi=True)) if params else "")


def _q(value) -> str:
    return urlquote(str(value), safe="")


@blueprint.route("/app/<object_name>")
@login_required
def list_records(object_name):
    rt, obj, spec, who = request_scope(object_name)
    access = rt.access(who)
    query = read_query(rt, object_name, request.args, access)
    columns = []
    unknown = []
    for name in query.view.columns:
        if name in spec.all_fields:
            columns.append(column_of(rt, object_name, name, access))
        elif name not in obj.fields:  # (a field they may not see is no column, and no news)
            unknown.append(name)
    problem = None
    try:
        result = rt.service.query(object_name, who, filter=query.filter, sort=query.sort,
                                  fields=_paths(rt, object_name, columns, spec), limit=PAGE_SIZE,
                                  cursor=query.cursor)
    except QueryInvalid as invalid:
        problem = "; ".join(m for ms in invalid.messages.values() for m in ms)
        result = None
        if query.cursor or request.args.get("sort"):  # a stale link: start again plainly
            try:
                result = rt.service.query(object_name, who, filter=query.filter,
                                          sort=",".join(str(k) for k in query.view.sort),
                                          fields=_paths(rt, object_name, columns, spec),
                                          limit=PAGE_SIZE)
            except QueryInvalid:
                result = None
    args = MultiDict(request.args)
    here = query.cursor or ""
    next_url = prev_url = None
    if result is not None and result.next_cursor:
        next_url = list_url(object_name, args, cursor=result.next_cursor,
                            prev=".".join([here] + query.back[:MAX_BACK - 1]))
    if query.cursor:
        earlier = query.back[0] if query.back else ""
        prev_url = list_url(object_name, args, cursor=earlier or None,
                            prev=".".join(query.back[1:]) or None)
    filter_fields = [f for f in spec.all_fields.values() if operators(f)
                     and f.name not in ("id", "version")]
    context = dict(
        obj=obj, spec=spec, query=query, columns=columns, unknown=unknown,
        records=result.records if result else [], problem=problem, next_url=next_url,
        prev_url=prev_url, args=args, list_url=lambda **c: list_url(object_name, args, **c),
        filter_fields=filter_fields, operators=operators,
        count_url=url_for("ui.count_records", object_name=object_name, **_plain(args)),
        # a board of any picklist input may set (a user who may only read it sees the board)
        boards=[f for f in spec.all_fields.values() if f.groups_records
                and form_spec(rt, object_name).all_fields[f.name].editable],
    )
    if is_htmx() and request.headers.get("HX-Target") == "list-results":
        return page("_list_results", object_name, **context)
    return page("list", object_name, **context)


def _plain(args: MultiDict) -> dict:
    return {k: args.getlist(k) for k in args if k not in ("cursor", "prev")}


@blueprint.route("/app/<object_name>/_count")
@login_required
def count_records(object_name):
    rt = runtime()
    who = actor()
    access = rt.access(who)
    obj = object_type(rt, object_name, access)
    query = read_query(rt, object_name, request.args, access)
    try:
        n = rt.service.query(object_name, who, filter=query.filter, fields=["id"], limit=1,
                             count=True).count
    except QueryInvalid:
        return ""
    label = obj.label.lower() if n == 1 else obj.plural.lower()
    return f"{n:,} {label}"
