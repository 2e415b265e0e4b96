"""Every route, tried as a user who must not see: a walk over ``app.url_map`` (issue 12).

A route with an object or a record in its URL is requested as rita (a sales rep of the
tests/access package, ``web_access.py``) for an object she may not read (``note``) and for a
record she may not see (the boss's deal d3): the answer must be a 404 (or a 403) that holds
none of the forbidden values (d3's name and id unless she sent it, the note, the margin she
may not see — as
number, formatted, or through the ``net`` formula and the accounts' ``margin_total``
roll-up). With an object she may read (``deal``) the answer may be anything but a 500, and
still holds none of them; with a record she may see (d1), a GET holds none of them either.

Every other route is listed in REVIEWED with what it shows and why that is safe (admins-only
routes are requested too, and must answer 403). A NEW route fails this test until someone
classifies it: give it an object or record parameter, or a line in REVIEWED.
"""

from __future__ import annotations

import pytest

#: the URL parameters that name an object or a record
SUBJECT = {"object_name", "record_id"}
#: values for the other parameters of a route that names an object or record
OTHER = {"field_name": "region"}
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")

ADMIN = "admin"       # requested as rita: must be a 403
TESTED = "tested"     # what it shows depends on the user: the named test checks it
SAFE = "safe"         # shows no record data at all, or only the user's own

#: (rule, method) -> (kind, what it shows and why it is safe)
REVIEWED = {
    ("/", "GET"): (TESTED, "home: cards of the objects the user may read "
                           "(test_pages_access::test_navigation_and_home_show_readable_objects)"),
    ("/search", "GET"): (TESTED, "searches the objects the user may read, as them "
                                 "(test_pages_access::test_search_finds_only_what_one_may_see)"),
    ("/inbox", "GET"): (TESTED, "approval parts waiting for the user: a pending approval "
                                "gives its approvers read access (the title and the request) "
                                "(test_api_access::test_an_approver_sees_the_request_not_more)"),
    ("/approvals/<request_id>/decide", "POST"): (SAFE, "the approvals engine lets only the "
                                                       "step's approvers (or delegates) decide"),
    ("/approvals/<request_id>/recall", "POST"): (SAFE, "only the submitter or an admin"),
    ("/api/openapi.json", "GET"): (TESTED, "per set of roles: readable objects and visible "
                                           "fields (test_api_access::test_openapi_*)"),
    ("/api/docs", "GET"): (SAFE, "a static page that loads /api/openapi.json"),
    ("/api/v1/objects", "GET"): (TESTED, "the objects the user may read "
                                         "(test_api_access::test_object_list_*)"),
    ("/api/v1/approvals/inbox", "GET"): (TESTED, "as /inbox"),
    ("/api/v1/approvals/<request_id>", "GET"): (
        TESTED, "shown to the record's readers, the submitter, the approvers and their "
                "delegates, else a 404 (test_api_access::test_an_approver_sees_the_request_"
                "not_more)"),
    ("/api/v1/approvals/<request_id>/approve", "POST"): (SAFE, "approvers only (the engine)"),
    ("/api/v1/approvals/<request_id>/reject", "POST"): (SAFE, "approvers only (the engine)"),
    ("/api/v1/approvals/<request_id>/recall", "POST"): (SAFE, "the submitter or an admin"),
    ("/api/v1/approvals/<request_id>/reassign", "POST"): (SAFE, "admins only (the engine)"),
    ("/api/v1/approvals/delegations", "GET"): (SAFE, "delegations given by or to the user"),
    ("/api/v1/approvals/delegations", "POST"): (SAFE, "the user's own delegation"),
    ("/api/v1/approvals/delegations/<delegation_id>", "DELETE"): (SAFE, "the user's own"),
    ("/api/v1/automation/runs", "GET"): (ADMIN, "workflow runs of every record"),
    ("/api/v1/automation/outbox", "GET"): (ADMIN, "outbox rows of every record"),
    ("/api/v1/automation/outbox/<row_id>/retry", "POST"): (ADMIN, "re-sends a dead letter"),
    ("/api/v1/meta/packages/current", "GET"): (ADMIN, "the deployed metadata"),
    ("/api/v1/meta/plan", "POST"): (ADMIN, "plans a deploy"),
    ("/api/v1/meta/apply", "POST"): (ADMIN, "deploys"),
    ("/api/v1/users", "GET"): (ADMIN, "every user's roles, manager, flags"),
    ("/api/v1/users/<username>", "GET"): (ADMIN, "one user's account"),
    ("/api/v1/users/<username>", "PATCH"): (ADMIN, "changes a user's roles and flags"),
    ("/api/v1/users/<username>/deactivate", "POST"): (ADMIN, "stops a user"),
    ("/profile", "GET"): (SAFE, "the signed-in user's own name, email and tokens"),
    ("/profile", "POST"): (SAFE, "changes their own name and email"),
    ("/profile/password", "POST"): (SAFE, "their own password"),
    ("/profile/tokens", "POST"): (SAFE, "makes a token of their own"),
    ("/profile/tokens/<token_id>/revoke", "POST"): (SAFE, "revokes only their own tokens"),
    ("/login", "GET"): (SAFE, "the sign-in form"),
    ("/login", "POST"): (SAFE, "signs in"),
    ("/logout", "POST"): (SAFE, "signs out"),
    ("/static/<path:filename>", "GET"): (SAFE, "the app's CSS and JavaScript"),
    ("/static/vendor/<package>/<path:path>", "GET"): (SAFE, "npm packages' files"),
    **{("/api/<path:path>", m): (SAFE, "any /api URL no route takes: a 404 or 405 problem")
       for m in METHODS},
}


def routes(app):
    """(rule, method) of every route of the app (HEAD and OPTIONS are Flask's own)."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_covered_or_reviewed(access_site):
    app = access_site.app
    new = [f"{method} {rule.rule}" for rule, method in routes(app)
           if not (rule.arguments & SUBJECT) and (rule.rule, method) not in REVIEWED]
    assert not new, ("routes without an object or record parameter that nobody reviewed for "
                     "access (classify each in REVIEWED, with what it shows and why that is "
                     f"safe): {new}")
    gone = [key for key in REVIEWED
            if key not in {(rule.rule, method) for rule, method in routes(app)}]
    assert not gone, f"REVIEWED lists routes that no longer exist: {gone}"
    missing = sorted({arg for rule, _ in routes(app) if rule.arguments & SUBJECT
                      for arg in rule.arguments - SUBJECT - set(OTHER)})
    assert not missing, f"give the walk a value for these URL parameters: {missing}"


def _url(rule, **values) -> str:
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
    assert "<" not in path, path
    return path


def _request(access_site, clients, rule, method, url):
    """``method url`` as rita: her API token for /api, her session for the pages."""
    api = rule.rule.startswith("/api/")
    client = clients["api" if api else "pages"]
    if api:
        kwargs = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
    else:
        url += "?q=e"
        kwargs = {"data": {"_id": access_site.deals["d3"], "field": "region",
                           "value": "APAC", "version": "1", "process": "finance_review",
                           "name": ""}} if method == "POST" else {}
    return client.open(url, method=method, **kwargs), f"{url} {kwargs}"


@pytest.fixture
def clients(access_site):
    return {"api": access_site.api("rita"), "pages": access_site.browser("rita")}


def test_no_route_shows_rita_what_she_may_not_see(access_site, clients):
    site = access_site
    walked, problems = 0, []
    for rule, method in routes(site.app):
        if not rule.arguments & SUBJECT:
            continue
        other = {name: OTHER[name] for name in rule.arguments - SUBJECT}
        cases = [("an object she may not read",
                  {"object_name": "note", "record_id": site.note}, (403, 404))]
        if "record_id" in rule.arguments:
            cases.append(("a record she may not see",
                          {"object_name": "deal", "record_id": site.deals["d3"]}, (403, 404)))
            if method == "GET":
                cases.append(("a record she may see", {"object_name": "deal",
                                                       "record_id": site.deals["d1"]}, None))
        else:
            cases.append(("an object she may read", {"object_name": "deal"}, None))
        for what, values, statuses in cases:
            values = {k: v for k, v in values.items() if k in rule.arguments}
            url = _url(rule, **values, **other)
            response, sent = _request(site, clients, rule, method, url)
            body = response.get_data(as_text=True)
            walked += 1
            if statuses is not None and response.status_code not in statuses:
                problems.append(f"{method} {url} ({what}): {response.status_code}, not "
                                f"{' or '.join(map(str, statuses))}")
            if response.status_code >= 500:
                problems.append(f"{method} {url} ({what}): {response.status_code}")
            # (an id she sent may come back in the 404's message: she knew it already)
            leaks = [value for value in site.leaks(body) if value not in sent]
            if leaks:
                problems.append(f"{method} {url} ({what}) shows {leaks}")
    assert walked >= 40, "the walk did not find the routes"
    assert not problems, "\n".join(problems)


def test_admin_routes_refuse_rita(access_site, clients):
    site = access_site
    for (path, method), (kind, _) in REVIEWED.items():
        if kind != ADMIN:
            continue
        url = path.replace("<row_id>", "nope").replace("<username>", "ron")
        response = clients["api"].open(url, method=method,
                                       json={} if method in ("POST", "PATCH") else None)
        assert response.status_code == 403, (method, url, response.status_code)
        assert not site.leaks(response.get_data(as_text=True))
