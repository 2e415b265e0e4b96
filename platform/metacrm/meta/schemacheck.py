"""Validating documents against the JSON Schemas in ``schemas/``, with messages a person can act on.

jsonschema's own messages ("Additional properties are not allowed ('lable' was unexpected)")
are translated here into ``unknown key 'lable'; did you mean 'label'?`` at the key's line.
Validators are compiled once per set of field type keys (plugins may add keys).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import suggest
from .sources import DocPath, SourceDocument
from .values import describe

SCHEMA_DIR = Path(__file__).parent / "schemas"

#: kind -> schema file; field and action are shared parts, not kinds
KIND_SCHEMAS = {
    kind: f"{kind}.schema.json"
    for kind in ("package", "object", "layout", "list_view", "workflow", "approval_process",
                 "role", "extension", "sharing_rule")
}
SHARED_SCHEMAS = ("field.schema.json", "action.schema.json")

#: keys people write that mean something else here
KNOWN_MISTAKES = {"on": "trigger", "fieldtype": "type", "field_type": "type", "choices": "options",
                  "values_list": "options", "formula": "expression"}

#: validators whose failure leaves a document that can still be built (the rest cannot)
BENIGN = frozenset({"additionalProperties", "pattern", "maxLength", "minLength", "enum", "const",
                    "minimum", "maximum", "exclusiveMinimum", "minItems", "uniqueItems",
                    "minProperties", "maxProperties"})

_JSON_TYPES = {"string": "text", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "array": "a list", "object": "a mapping of keys",
               "null": "nothing"}


@dataclass(frozen=True)
class SchemaIssue:
    path: DocPath
    message: str
    suggestion: str | None = None
    #: point at the value's line rather than the key's
    at_value: bool = False
    #: the document can still be built despite this issue
    benign: bool = True


def _load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


class SchemaSet:
    """Compiled validators for every kind."""

    def __init__(self, extra_field_keys: Iterable[str] = ()):
        schemas = {name: _load(name) for name in (*KIND_SCHEMAS.values(), *SHARED_SCHEMAS)}
        field = schemas["field.schema.json"]
        for key in sorted(set(extra_field_keys) - set(field["properties"])):
            field["properties"][key] = {"description": "added by a plugin field type"}
        registry = Registry().with_resources(
            (name, Resource.from_contents(schema, default_specification=DRAFT202012))
            for name, schema in schemas.items())
        self._validators = {
            kind: Draft202012Validator(schemas[file], registry=registry)
            for kind, file in KIND_SCHEMAS.items()
        }

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._validators)

    def issues(self, document: SourceDocument) -> list[SchemaIssue]:
        """Every schema problem of a document whose ``kind`` is known."""
        validator = self._validators[document.kind]
        found: dict[tuple, SchemaIssue] = {}
        for error in validator.iter_errors(document.data):
            for issue in _translate(error):
                found.setdefault((issue.path, issue.message), issue)
        return list(found.values())


@functools.lru_cache(maxsize=8)
def schema_set(extra_field_keys: frozenset[str] = frozenset()) -> SchemaSet:
    return SchemaSet(extra_field_keys)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {str: "string", float: "number", list: "array", dict: "object"}.get(type(value), "null")


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_JSON_TYPES.get(name, name) for name in names)


def _translate(error: ValidationError) -> Iterator[SchemaIssue]:
    path: DocPath = tuple(error.absolute_path)
    kind, schema, instance = error.validator, error.schema, error.instance
    custom = schema.get("errorMessage") if isinstance(schema, dict) else None
    if "propertyNames" in error.schema_path:
        # the instance is the offending key; its path is the mapping that holds it
        yield SchemaIssue(path + (instance,), f"{describe(instance)} {custom or 'is not a valid name'}")
    elif kind == "additionalProperties":
        allowed = schema.get("properties", {})
        for key in instance:
            if key not in allowed:
                hint = KNOWN_MISTAKES.get(key) if KNOWN_MISTAKES.get(key) in allowed else None
                yield SchemaIssue(path + (key,), f"unknown key '{key}'", hint or suggest(key, allowed))
    elif kind == "required":
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                # the path names the missing key; its line is that of the mapping lacking it
                yield SchemaIssue(path + (key,), f"missing required key '{key}'", benign=False)
    elif kind == "type":
        got = _json_type(instance)
        hint = "; quote it to make it text" if error.validator_value == "string" and got in (
            "integer", "number", "boolean") else ""
        yield SchemaIssue(path, f"expected {_expected(error.validator_value)}, got {describe(instance)}"
                          + hint, at_value=True, benign=False)
    elif kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        listed = ", ".join(str(option) for option in options)
        yield SchemaIssue(path, f"unknown value {describe(instance)} (expected {listed})",
                          suggest(str(instance), [str(o) for o in options]), at_value=True)
    elif kind in ("oneOf", "anyOf"):
        yield from _translate_alternatives(error)
    elif custom:
        # errorMessage completes a sentence about the value ("is not a valid name (…)")
        yield SchemaIssue(path, f"{describe(instance)} {custom}" if kind in ("pattern", "maxLength")
                          else custom, at_value=True, benign=kind in BENIGN)
    else:
        yield SchemaIssue(path, _plain_message(error), at_value=True, benign=kind in BENIGN)


def _plain_message(error: ValidationError) -> str:
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind in ("minItems", "minProperties", "minLength") and value == 1:
        return "must not be empty"
    if kind == "minItems":
        return f"needs at least {value} items"
    if kind == "uniqueItems":
        seen: list = []
        for item in instance:
            if item in seen:
                return f"lists {describe(item)} twice"
            seen.append(item)
    if kind in ("minimum", "exclusiveMinimum"):
        return f"must be {'at least' if kind == 'minimum' else 'more than'} {value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"must be {'at most' if kind == 'maximum' else 'less than'} {value}"
    if kind == "maxLength":
        return f"must be at most {value} characters"
    if kind == "pattern":
        return f"{describe(instance)} does not have the expected form ({value})"
    return re.sub(r"\s+", " ", error.message)


def _translate_alternatives(error: ValidationError) -> Iterator[SchemaIssue]:
    """oneOf/anyOf: find the alternative the author meant and report what is wrong with it.

    An alternative is ruled out when the value has the wrong JSON type for it, or when a
    discriminating key (``type: set_fields``) has another constant value.
    """
    path: DocPath = tuple(error.absolute_path)
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    if not by_branch:
        yield SchemaIssue(path, "matches more than one form; make it unambiguous", benign=False)
        return
    wrong_type, wrong_tag, tags = set(), set(), {}
    for branch, subs in by_branch.items():
        for sub in subs:
            if sub.validator == "type" and not sub.relative_path:
                wrong_type.add(branch)
            # a plugin action's type is told apart by its form (a dotted name), not a constant
            tagged = sub.validator == "const" or (sub.validator == "pattern"
                                                  and tuple(sub.relative_path) == ("type",))
            if tagged and len(sub.relative_path) == 1:
                wrong_tag.add(branch)
                if sub.validator == "const":
                    tags[sub.relative_path[0]] = tags.get(sub.relative_path[0], []) + [sub.validator_value]
    candidates = [b for b in sorted(by_branch) if b not in wrong_type and b not in wrong_tag]
    if not candidates and wrong_tag and isinstance(error.instance, dict):
        key, options = next(iter(tags.items()))
        if key not in error.instance:
            yield SchemaIssue(path + (key,), f"missing required key '{key}'", benign=False)
        else:
            yield SchemaIssue(path + (key,), f"unknown {key} {describe(error.instance[key])} "
                              f"(expected {', '.join(options)})",
                              suggest(str(error.instance[key]), options), at_value=True, benign=False)
        return
    if not candidates:
        expected = [sub.validator_value for subs in by_branch.values() for sub in subs
                    if sub.validator == "type" and not sub.relative_path]
        flat = list(dict.fromkeys(t for e in expected for t in ([e] if isinstance(e, str) else e)))
        yield SchemaIssue(path, f"expected {_expected(flat)}, got {describe(error.instance)}",
                          at_value=True, benign=False)
        return
    best = min(candidates, key=lambda b: len(by_branch[b]))
    for sub in by_branch[best]:
        yield from _translate(sub)
