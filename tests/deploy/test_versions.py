"""Stored versions: their files, their catalogs, and a process noticing a new one."""

from __future__ import annotations

import pytest
from sqlalchemy import event, update

from deploy_helpers import catalog, deploy, files

from metacrm.meta import load_files
from metacrm.runtime import Runtimes
from metacrm.store import Database, versions
from metacrm.store import deploy as deployment

DEAL = """
# the deal object (this comment is part of the stored file)
kind: object
name: deal
title: name
fields:
  name: {type: text}   # shown first
"""


def deal(version="1.0.0", extra=""):
    return catalog({"deal": DEAL + extra}, version=version)


def test_nothing_deployed(db):
    with db.read() as conn:
        assert versions.current(conn) is None
        assert versions.list_versions(conn) == []
        assert versions.latest_number(conn) is None
        with pytest.raises(versions.UnknownVersion, match="no version 1 .nothing is deployed yet"):
            versions.load(conn, 1)


def test_each_deploy_is_a_numbered_version_with_its_files(db):
    first = deploy(db, deal(), deployed_by="ann", note="first").version
    second = deploy(db, deal("1.1.0", "  size: {type: integer}\n")).version
    assert (first.number, second.number) == (1, 2)
    with db.read() as conn:
        listed = versions.list_versions(conn)
        current = versions.current(conn)
        again = versions.load(conn, 1)
        with pytest.raises(versions.UnknownVersion, match=r"no version 7 \(versions are 1 to 2\)"):
            versions.load(conn, 7)
    assert [(v.number, v.package_version, v.deployed_by, v.note) for v in listed] == [
        (1, "1.0.0", "ann", "first"), (2, "1.1.0", None, None)]
    assert listed[1].changes == ("+ field deal.size (integer)",
                                 "~ package app: version: '1.0.0' -> '1.1.0'")
    assert current.number == 2 and current.content_hash == deal("1.1.0", "  size: {type: integer}\n").content_hash
    assert again.files["app"]["objects/deal.yaml"] == DEAL.lstrip("\n")  # comments and all
    assert again.catalog.content_hash == deal().content_hash
    assert set(again.files["app"]) == {"package.yaml", "objects/deal.yaml"}


def test_stored_files_rebuild_the_same_errors_at_the_same_lines(tmp_path):
    """Loading from stored texts is loading from disk: same catalog, same messages."""
    texts = files({"deal": DEAL + "  amount: {type: curency}\n"})
    folder = tmp_path / "app"
    for relative, text in texts.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    from metacrm.meta import PackageInvalid, load_package
    with pytest.raises(PackageInvalid) as on_disk:
        load_package(folder)
    with pytest.raises(PackageInvalid) as in_memory:
        load_files({"app": texts})
    assert [str(e) for e in in_memory.value.errors] == [str(e) for e in on_disk.value.errors]
    assert "objects/deal.yaml:7: fields.amount.type" in str(on_disk.value.errors[0])


def test_a_version_that_no_longer_loads_says_so(db):
    deploy(db, deal())
    with db.write() as conn:
        conn.execute(update(versions.meta_versions).values(
            files='{"app": {"package.yaml": "kind: package\\nname: app\\nversion: 1.0.0\\n", '
                  '"objects/deal.yaml": "kind: object\\nname: deal\\ntitle: nme\\nfields: {name: {type: text}}\\n"}}'))
    with db.read() as conn:
        stored = versions.current(conn)
        with pytest.raises(versions.StoredVersionInvalid, match="version 1 cannot be loaded any more"):
            stored.catalog
    with pytest.raises(versions.StoredVersionInvalid):
        deployment.plan(db, deal())


def _statements(db: Database) -> list[str]:
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


def test_runtimes_notice_a_new_version_with_one_integer_read(db, tmp_path):
    registry = Runtimes(db)
    assert registry.current() is None
    deploy(db, deal())
    first = registry.current()
    assert first.number == 1 and registry.current() is first
    seen = _statements(db)
    assert registry.current() is first
    queries = [s for s in seen if not s.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert len(queries) == 1 and "max(meta_versions.number)" in queries[0]

    # another process deploys (its own Database), this one swaps without a restart
    other = Database(db.engine)
    deploy(other, deal("1.1.0", "  size: {type: integer}\n"))
    second = registry.current()
    assert second.number == 2 and "size" in second.catalog.object("deal").fields
    assert registry.current() is second

    # a rollback is a newer number with older files: noticed the same way, catalog reused
    deployment.rollback(other, 1)
    third = registry.current()
    assert third.number == 3 and third.catalog is first.catalog


def test_runtimes_read_through_the_callers_connection(db):
    deploy(db, deal())
    registry = Runtimes(db)
    with db.read() as conn:
        assert registry.current(conn).number == 1
