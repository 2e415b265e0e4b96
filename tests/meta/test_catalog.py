"""The Catalog is immutable and answers questions about a package."""

from __future__ import annotations

import dataclasses
import json

import pytest

from meta_helpers import FIXTURES

from metacrm.meta import Catalog, UnknownName, content_hash, load_package
from metacrm.meta.model import RawDocument, Section, deep_freeze, thaw


def test_immutable(crm: Catalog):
    with pytest.raises(dataclasses.FrozenInstanceError):
        crm.content_hash = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        crm.objects["x"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        crm.object("account").fields["x"] = None  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        crm.object("account").fields["name"].required = False  # type: ignore[misc]
    assert isinstance(crm.object("opportunity").validations, tuple)
    action = crm.workflows["won_followup"].actions[1]
    with pytest.raises(TypeError):
        action.values["subject"] = "x"  # type: ignore[index]
    document = next(d for d in crm.documents if d.name == "opportunity" and d.kind == "object")
    with pytest.raises(TypeError):
        document.data["fields"]["name"]["type"] = "x"  # type: ignore[index]


def test_unknown_object(crm):
    with pytest.raises(UnknownName, match="unknown object 'acount'; did you mean 'account'"):
        crm.object("acount")
    with pytest.raises(KeyError):
        crm.scope("nope")


def test_content_hash_is_canonical(crm):
    documents = list(crm.documents)
    assert content_hash(reversed(documents)) == crm.content_hash      # order of reading is irrelevant
    assert len(crm.content_hash) == 64
    changed = [dataclasses.replace(documents[0], data=deep_freeze({**thaw(documents[0].data), "label": "X"})),
               *documents[1:]]
    assert content_hash(changed) != crm.content_hash
    # the raw documents export as plain JSON
    json.dumps([thaw(d.data) for d in crm.documents])


def test_documents_are_kept_as_written(crm):
    kinds = {(d.kind, d.name) for d in crm.documents}
    assert ("package", "crm") in kinds and ("approval_process", "big_discount") in kinds
    package = next(d for d in crm.documents if d.kind == "package")
    assert package.file == "package.yaml" and package.data["version"] == "1.0.0"
    assert all(isinstance(d, RawDocument) for d in crm.documents)


def test_lookups_to(crm):
    pairs = [(obj, field.name) for obj, field in crm.lookups_to("account")]
    assert pairs == [("account", "parent"), ("case", "account"), ("contact", "account"),
                     ("opportunity", "account"),
                     ("task", "related_account")]
    assert ("task", "assigned_to") in [(o, f.name) for o, f in crm.lookups_to("user")]
    assert crm.lookups_to("nothing") == ()


def test_section_rows():
    by_rows = Section(fields=("a", "b", "c"), columns=2)
    assert by_rows.rows == (("a", "b"), ("c",))
    by_columns = Section(column_fields=(("a", "b"), ("c",)), columns=2)
    assert by_columns.rows == (("a", "c"), ("b", None))
    assert by_columns.all_fields == ("a", "b", "c")


def test_two_loads_are_equal_and_hash_alike():
    first, second = load_package(FIXTURES / "base"), load_package(FIXTURES / "base")
    assert first == second and hash(first) == hash(second)
    assert len({first, second}) == 1
