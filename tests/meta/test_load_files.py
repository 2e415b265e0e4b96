"""load_files: a package from texts in memory loads exactly as from disk (same errors, lines)."""

from __future__ import annotations

import pytest

from meta_helpers import CRM, FIXTURES

from metacrm.meta import PackageInvalid, load_files, load_package

PACKAGES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def _all_fixture_files() -> dict[str, dict[str, str]]:
    """Every fixture folder as texts (so requires finds siblings as on disk)."""
    result = {}
    for folder in FIXTURES.iterdir():
        if folder.is_dir():
            result[folder.name] = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
                                   for p in folder.rglob("*") if p.is_file()}
    return result


def _outcome(load):
    try:
        return "valid", load().content_hash
    except PackageInvalid as invalid:
        return "invalid", [str(error) for error in invalid.errors]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_fixture_loads_the_same_from_memory(name):
    on_disk = _outcome(lambda: load_package(FIXTURES / name))
    in_memory = _outcome(lambda: load_files(_all_fixture_files(), name))
    assert in_memory == on_disk


def test_the_crm_package_from_memory():
    texts = {p.relative_to(CRM).as_posix(): p.read_text() for p in CRM.rglob("*") if p.is_file()}
    catalog = load_files({"crm": texts})
    assert catalog.content_hash == load_package(CRM).content_hash
    document = next(d for d in catalog.documents if d.kind == "object" and d.name == "account")
    assert document.text == (CRM / "objects" / "account.yaml").read_text()


def test_several_packages_need_a_root():
    with pytest.raises(ValueError, match="name the root package"):
        load_files({"a": {}, "b": {}})


def test_a_missing_root_package():
    with pytest.raises(PackageInvalid, match="no package folder at package 'nope'"):
        load_files({"app": {"package.yaml": "kind: package\nname: app\nversion: 1.0.0\n"}}, "nope")
