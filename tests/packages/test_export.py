"""Export: the deployed metadata as package folders, deterministic, comments kept, round trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from metacrm.meta import load_files, load_package
from metacrm.packages.export import ExportError, export
from metacrm.store import Database, versions
from metacrm.store import deploy as deployment

ROOT = Path(__file__).resolve().parents[2]
CRM = ROOT / "metadata" / "crm"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def db(tmp_path):
    database = Database.from_url(f"sqlite:///{tmp_path}/export.db")
    yield database
    database.dispose()


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def documents(folder: Path) -> dict[str, bytes]:
    return {path: data for path, data in tree(folder).items()
            if not path.startswith(("data/", "tests/"))}


def deployed(db, path):
    deployment.apply(db, load_package(path))
    with db.read() as conn:
        return versions.current(conn)


def test_export_writes_the_files_as_deployed(db, tmp_path):
    version = deployed(db, CRM)
    root = export(version, tmp_path / "out")
    assert root == tmp_path / "out" / "crm"
    assert tree(root) == documents(CRM)  # byte for byte: comments, quoting, layout
    assert b"#" in b"".join(tree(root).values())


def test_exporting_twice_gives_identical_files(db, tmp_path):
    version = deployed(db, CRM)
    assert tree(export(version, tmp_path / "a")) == tree(export(version, tmp_path / "b"))
    catalog = version.catalog
    assert tree(export(catalog, tmp_path / "c")) == tree(tmp_path / "a" / "crm")


def test_the_export_validates_and_deploys_back_with_an_empty_plan(db, tmp_path):
    version = deployed(db, CRM)
    root = export(version, tmp_path / "out")
    again = load_package(root)
    assert again.content_hash == version.content_hash
    plan = deployment.plan(db, again)
    assert plan.empty and plan.describe().endswith("no changes")


def test_required_packages_are_exported_beside_the_root(db, tmp_path):
    version = deployed(db, FIXTURES / "base_extra")
    root = export(version, tmp_path / "out")
    assert root.name == "base_extra" and (tmp_path / "out" / "base" / "package.yaml").is_file()
    assert tree(tmp_path / "out" / "base") == documents(FIXTURES / "base")
    assert deployment.plan(db, load_package(root)).empty


def test_documents_without_their_text_are_written_by_ruamel(db, tmp_path):
    catalog = load_package(CRM)
    bare = dataclasses.replace(catalog, documents=tuple(
        dataclasses.replace(d, text=None) for d in catalog.documents))
    first, second = export(bare, tmp_path / "a"), export(bare, tmp_path / "b")
    assert tree(first) == tree(second)
    assert load_package(first).content_hash == catalog.content_hash


def test_a_folder_holding_files_is_refused_unless_forced(db, tmp_path):
    version = deployed(db, CRM)
    out = tmp_path / "out"
    export(version, out)
    (out / "crm" / "objects" / "stale.yaml").write_text("kind: object\nname: stale\n")
    (out / "crm" / "data").mkdir()
    (out / "crm" / "data" / "account.csv").write_text("name\n")
    with pytest.raises(ExportError, match="is not empty"):
        export(version, out)
    export(version, out, overwrite=True)
    assert not (out / "crm" / "objects" / "stale.yaml").exists()
    assert (out / "crm" / "data" / "account.csv").exists()
    assert load_package(out / "crm").content_hash == version.content_hash


def test_stored_paths_cannot_leave_the_folder(tmp_path):
    version = versions.DeployedVersion(
        number=1, package="app", package_version="1.0.0", content_hash="x",
        deployed_at=None, files={"app": {"../../evil.yaml": "x"}})  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="not a path inside a package"):
        export(version, tmp_path / "out")
    assert not (tmp_path / "evil.yaml").exists()


def test_load_files_gives_the_catalog_load_package_gives():
    texts = {p: t.decode() for p, t in documents(CRM).items()}
    assert load_files({"crm": texts}).content_hash == load_package(CRM).content_hash
