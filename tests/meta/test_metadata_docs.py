"""docs/metadata.md documents every kind, key and field type (a test fails when one is not)."""

from __future__ import annotations

import json

import pytest

from meta_helpers import REPO

from metacrm.meta import default_field_types
from metacrm.meta.schemacheck import KIND_SCHEMAS, SCHEMA_DIR

DOCS = (REPO / "docs" / "metadata.md").read_text()


@pytest.mark.parametrize("kind", KIND_SCHEMAS)
def test_every_kind_and_its_keys_are_documented(kind):
    assert f"## Kind: {kind}" in DOCS
    schema = json.loads((SCHEMA_DIR / KIND_SCHEMAS[kind]).read_text())
    for key in schema["properties"]:
        assert f"`{key}" in DOCS or f"{key}:" in DOCS, f"{kind}.{key} is not documented"


@pytest.mark.parametrize("field_type", list(default_field_types()), ids=lambda cls: cls.name)
def test_every_field_type_and_its_keys_are_documented(field_type):
    assert f"| `{field_type.name}` |" in DOCS
    for key in field_type.keys():
        assert f"`{key}`" in DOCS, f"{field_type.name}.{key} is not documented"
    assert f"| {field_type.widget} |" in DOCS or f"| {field_type.widget}" in DOCS


def test_actions_are_documented():
    action = json.loads((SCHEMA_DIR / "action.schema.json").read_text())
    for branch in action["oneOf"]:
        if "const" not in branch["properties"]["type"]:  # plugin action types (a dotted name)
            assert "| plugin action (`chat.notify`) |" in DOCS
            continue
        name = branch["properties"]["type"]["const"]
        assert f"| `{name}` |" in DOCS
        for key in branch["properties"]:
            assert f"`{key}`" in DOCS, f"action {name}.{key} is not documented"
