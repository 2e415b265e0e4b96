"""One compiled runtime per version (issue 11): ``Runtimes`` is the one bounded cache; a
version rebuilt from the database knows the plugins of the process that rebuilds it."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from meta_helpers import REPO, ColorPlugin

from metacrm.automation import plugin_manager
from metacrm.meta import Vocabulary, load_files
from metacrm.runtime import Actor, Runtimes
from metacrm.store import Database
from metacrm.store import deploy as deployment
from metacrm.store.versions import StoredVersionInvalid


def package(version: str, extra: str = "") -> dict:
    return {"paint": {
        "package.yaml": f"kind: package\nname: paint\nversion: {version}\n",
        "objects/can.yaml": textwrap.dedent("""\
            kind: object
            name: can
            title: name
            fields:
              name: {type: text}
            """) + extra}}


@pytest.fixture
def db(tmp_path):
    database = Database.from_url(f"sqlite:///{tmp_path}/house.db")
    yield database
    database.dispose()


def test_one_runtime_per_version_and_at_most_keep_of_them(db):
    runtimes = Runtimes(db, keep=2)
    assert runtimes.current() is None
    built = []
    for minor in range(4):
        deployment.apply(db, load_files(package(f"1.{minor}.0", f"  n{minor}: {{type: integer}}\n")))
        runtime = runtimes.current()
        assert runtime.number == minor + 1 and runtimes.current() is runtime
        assert f"n{minor}" in runtime.catalog.object("can").fields
        built.append(runtime)
    assert list(runtimes._built) == [3, 4]           # bounded: the two most recent
    assert runtimes.get(4) is built[3]                # kept
    again = runtimes.get(1)                           # dropped: built again, on request
    assert again is not built[0] and again.number == 1 and list(runtimes._built) == [4, 1]


def test_a_runtime_compiles_each_part_once_for_every_thread(db):
    deployment.apply(db, load_files(package("1.0.0")))
    runtime = Runtimes(db).current()
    calls = []
    first = runtime.part("test.thing", lambda: calls.append(1) or object())
    assert runtime.part("test.thing", lambda: calls.append(1) or object()) is first
    assert calls == [1]
    assert runtime.rules("can") is runtime.rules("can")
    assert runtime.plan("can", filter="name == 'x'") is runtime.plan("can", filter="name == 'x'")


def test_a_deployed_catalog_is_adopted_without_loading_it_again(db, monkeypatch):
    runtimes = Runtimes(db)
    catalog = load_files(package("1.0.0"))
    applied = deployment.apply(db, catalog)
    runtimes.adopt(applied.version.number, catalog)
    monkeypatch.setattr("metacrm.store.versions.catalog_from_files",
                        lambda *a, **k: pytest.fail("loaded the stored files again"))
    assert runtimes.current().catalog is catalog


def test_catalogs_rebuilt_from_the_database_use_the_given_plugins(db):
    pm, _engine = plugin_manager(load_entry_points=False)
    pm.register(ColorPlugin())
    vocabulary = Vocabulary.from_plugins(pm)
    deployment.apply(db, load_files(package("1.0.0", "  shade: {type: color, palette: web}\n"),
                                    vocabulary=vocabulary))
    runtime = Runtimes(db, plugins=pm).current()
    assert runtime.catalog.object("can").fields["shade"].type.palette == "web"
    can = runtime.service.create("can", {"name": "A", "shade": "#00ff00"}, Actor.system())
    assert can["shade"] == "#00ff00"
    with pytest.raises(StoredVersionInvalid, match="unknown field type 'color'"):
        Runtimes(db).current()  # a process without the plugin cannot read that version


def test_a_web_app_rebuilds_with_the_plugins_it_was_given(db):
    from metacrm.web import create_app
    pm, _engine = plugin_manager(load_entry_points=False)
    pm.register(ColorPlugin())
    deployment.apply(db, load_files(package("1.0.0", "  shade: {type: color}\n"),
                                    vocabulary=Vocabulary.from_plugins(pm)))
    app = create_app({"SECRET_KEY": "x", "TESTING": True}, db=db, plugins=pm)
    with app.app_context():
        runtime = app.extensions["metacrm"].runtime()
        assert runtime.plugins is pm and "shade" in runtime.catalog.object("can").fields


def test_loading_a_package_imports_no_automation_store_celery_or_flask():
    script = textwrap.dedent(f"""
        import sys
        from metacrm.meta import Vocabulary, load_package
        from metacrm.plugins import make_plugin_manager
        catalog = load_package({str(REPO / 'metadata' / 'crm')!r},
                               Vocabulary.from_plugins(make_plugin_manager()))
        assert catalog.objects
        heavy = ("metacrm.automation", "metacrm.store", "metacrm.runtime", "metacrm.web",
                 "metacrm.cli", "celery", "kombu", "flask", "werkzeug")
        print(sorted(m for m in sys.modules if m.startswith(heavy)))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_queries_take_their_environment_at_execution(db):
    deployment.apply(db, load_files(package("1.0.0", "  keeper: {type: lookup, to: user}\n")))
    service = Runtimes(db).current().service
    ann = service.runtime.accounts.create_user("ann")
    bob = service.runtime.accounts.create_user("bob")
    for owner, name in ((ann, "A1"), (bob, "B1"), (ann, "A2")):
        service.create("can", {"name": name, "keeper": owner["id"]}, Actor.system())
    mine = lambda who: [r["name"] for r in service.query(  # noqa: E731
        "can", Actor(who["id"], who["username"]), filter="keeper == current_user()",
        sort="name").records]
    assert mine(ann) == ["A1", "A2"] and mine(bob) == ["B1"]  # one compiled plan, two users
    assert [r["name"] for r in service.query("can", filter="keeper == current_user()").records] == []


SOURCE = REPO / "platform" / "metacrm"


def _lines(pattern: str, allowed=()) -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if str(path.relative_to(SOURCE)) in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{path.relative_to(SOURCE)}:{number}: {line.strip()}")
    return found


def test_no_side_channels_on_connections_and_no_ambient_context():
    assert _lines(r"\.info\b\s*(\[|\.get|\.setdefault|\.pop)", allowed=("store/database.py",)) == []
    assert _lines(r"\bContextVar\b|contextvars|threading\.local", allowed=(
        "automation/delivery.py",  # an HTTP session per delivering thread: kept-alive sockets
    )) == []


def test_no_module_global_caches_keyed_by_catalog():
    assert _lines(r"WeakKeyDictionary|lru_cache\(|cached_property", allowed=(
        "formula/parser.py",            # parsed expressions by source text (pure, bounded)
        "meta/schemacheck.py",          # JSON Schemas by the set of field keys (pure, bounded)
        "meta/fieldtypes/registry.py",  # metacrm's own field types: a constant
        "meta/vocabulary.py",           # metacrm's own vocabulary: a constant
        "automation/render.py",         # compiled e-mail templates by source text (bounded)
        "store/versions.py",            # a DeployedVersion's catalog, on the object itself
        "meta/catalog.py",              # an index of a Catalog, on the object itself
    )) == []
