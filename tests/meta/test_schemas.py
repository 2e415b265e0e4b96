"""The JSON Schemas: valid, in step with the field types, and named by every YAML file."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator

from meta_helpers import CRM, REPO

from metacrm.meta import default_field_types
from metacrm.meta.fieldtypes import COMMON_KEYS
from metacrm.meta.schemacheck import KIND_SCHEMAS, SCHEMA_DIR, SHARED_SCHEMAS, schema_set
from metacrm.meta.sources import SourceDocument

SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)")


@pytest.mark.parametrize("name", [*KIND_SCHEMAS.values(), *SHARED_SCHEMAS])
def test_every_schema_is_valid_draft_2020_12(name):
    schema = json.loads((SCHEMA_DIR / name).read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_files_are_exactly_the_kinds_and_shared_parts():
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(
        [*KIND_SCHEMAS.values(), *SHARED_SCHEMAS])


def test_field_schema_lists_exactly_the_keys_of_the_field_types():
    field = json.loads((SCHEMA_DIR / "field.schema.json").read_text())
    assert field["additionalProperties"] is False
    assert set(field["properties"]) == default_field_types().all_keys()
    assert set(field["properties"]["type"]["examples"]) == set(default_field_types().names())
    assert COMMON_KEYS <= set(field["properties"])


@pytest.mark.parametrize("name", KIND_SCHEMAS.values())
def test_kind_schemas_are_strict(name):
    schema = json.loads((SCHEMA_DIR / name).read_text())
    assert schema["additionalProperties"] is False
    assert {"kind", "name"} <= set(schema["required"])
    assert {"label", "description"} <= set(schema["properties"])


def test_every_crm_file_names_its_schema_for_editors():
    files = sorted(CRM.rglob("*.yaml"))
    assert len(files) >= 15
    for path in files:
        first_line = path.read_text().splitlines()[0]
        match = SCHEMA_LINE.fullmatch(first_line)
        assert match, f"{path} does not start with the yaml-language-server line"
        schema_path = (path.parent / match.group(1)).resolve()
        assert schema_path.is_file(), schema_path
        kind = re.search(r"^kind: (\w+)$", path.read_text(), re.MULTILINE).group(1)
        assert schema_path.name == f"{kind}.schema.json"
        assert schema_path.parent == (REPO / "platform/metacrm/meta/schemas").resolve()


def issues(kind, data):
    from ruamel.yaml.comments import CommentedMap

    document = SourceDocument("f.yaml", "p", CommentedMap(), {"kind": kind, **data})
    return [(i.path, i.message, i.suggestion) for i in schema_set().issues(document)]


def test_translated_messages():
    assert issues("role", {"name": "r", "lable": "R"}) == [(("lable",), "unknown key 'lable'", "label")]
    assert issues("role", {}) == [(("name",), "missing required key 'name'", None)]
    assert issues("role", {"name": 3}) == [(("name",), "expected text, got 3; quote it to make it text",
                                            None)]
    assert issues("workflow", {"name": "w", "object": "o", "trigger": ["save"], "actions": [
        {"type": "set_feilds", "values": {}}]}) == [
        (("trigger", 0), "unknown value 'save' (expected create, update, delete, periodic)", None),
        (("actions", 0, "type"), "unknown type 'set_feilds' (expected set_fields, create_record, "
         "update_record, send_email, webhook, submit_for_approval)", "set_fields"),
    ]
    assert issues("approval_process", {"name": "a", "object": "o", "steps": [
        {"name": "s", "approvers": {"role": "x", "user": "y"}}]}) == [
        (("steps", 0, "approvers"), "approvers takes exactly one of role, user, users, field, "
             "manager_chain", None)]
    assert issues("layout", {"name": "l", "object": "o", "sections": [{"columns": "two"}]}) == [
        (("sections", 0, "columns"), "expected a whole number or a list, got 'two'", None)]
    assert issues("workflow", {"name": "w", "object": "o", "trigger": ["create"], "actions": [
        {"type": "send_email", "subject": "s", "to": "a@b.c", "cc": []}]}) == [
        (("actions", 0, "cc"), "must not be empty", None)]


def test_plugin_keys_extend_the_field_schema():
    plain = schema_set()
    extended = schema_set(frozenset({"palette"}))
    from ruamel.yaml.comments import CommentedMap

    data = {"kind": "object", "name": "o", "title": "c", "fields": {"c": {"type": "color", "palette": "web"}}}
    document = SourceDocument("f.yaml", "p", CommentedMap(), data)
    assert [i.message for i in plain.issues(document)] == ["unknown key 'palette'"]
    assert extended.issues(document) == []
    assert schema_set(frozenset({"palette"})) is extended  # compiled once
