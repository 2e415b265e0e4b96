"""The naming rules of metadata: identifiers, reserved names."""

from __future__ import annotations

import re

from .system import EXPRESSION_KEYWORDS, SYSTEM_FIELD_NAMES, USER_OBJECT

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
MAX_NAME_LENGTH = 40


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a document or a field, or None when it can."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        return (f"{name!r} is not a valid name (lowercase letters, digits and _, starting with a "
                f"letter)")
    if len(name) > MAX_NAME_LENGTH:
        return f"'{name}' is longer than {MAX_NAME_LENGTH} characters"
    if name in EXPRESSION_KEYWORDS:
        return f"'{name}' is a keyword of the expression language and cannot be a name"
    return None


def field_name_problem(name: str) -> str | None:
    if name in SYSTEM_FIELD_NAMES:
        return f"'{name}' is a system field: every object has it already"
    return name_problem(name)


def object_name_problem(name: str) -> str | None:
    if name == USER_OBJECT:
        return "'user' is the system user object: extend it with kind: extension instead"
    if name.startswith("meta"):
        return f"'{name}': object names starting with 'meta' are reserved for the platform"
    return name_problem(name)


def humanize(name: str) -> str:
    """A default label: ``close_date`` -> ``Close date``."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def pluralize(label: str) -> str:
    """A default plural label (English; write ``plural:`` when this guesses wrong)."""
    if re.search(r"[^aeiou]y$", label):
        return label[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", label):
        return label + "es"
    return label + "s"
