"""Building model objects from documents that passed their JSON Schema.

Each ``build_*`` takes a :class:`SourceDocument` whose shape is already known to be right
(except for parts listed in ``dropped``: the loader leaves out items whose shape is wrong),
reports what only code can see (unknown field types, reserved names, duplicates inside the
document) and returns model objects. Nothing here looks at other documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .errors import suggest
from .fieldtypes import FieldTypeRegistry, FieldValueError
from .model import (ACTIONS, Action, ApprovalProcess, ApprovalStep, Approvers, Field, Index,
                    Layout, ListView, ObjectPermission, Package, RelatedList, Role, Schedule,
                    Section, SharingRule, SortKey, Submitters, Tab, ValidationRule, Workflow,
                    deep_freeze, frozen_mapping)
from .names import field_name_problem, humanize, object_name_problem, pluralize
from .problems import Problems
from .sources import DocPath, SourceDocument

Where = tuple[SourceDocument, DocPath]


@dataclass
class Parts:
    """Fields, validations and indexes from one document (an object or an extension),
    with where each was written, so later checks can point at the right line."""

    document: SourceDocument
    fields: dict[str, Field] = field(default_factory=dict)
    validations: list[ValidationRule] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    #: ("field", name) | ("validation", name) | ("index", n) -> its document and path
    where: dict[tuple, Where] = field(default_factory=dict)
    #: fields left out because their definition is wrong
    broken_fields: set[str] = field(default_factory=set)


def _dropped(path: DocPath, dropped: set[DocPath]) -> bool:
    return any(path[:len(prefix)] == prefix for prefix in dropped)


def build_package(document: SourceDocument) -> Package:
    """The package (tolerant: a wrong version or label is reported elsewhere and must not
    stop the rest of the package from being checked)."""
    data = document.data
    requires = data.get("requires")
    return Package(name=data["name"], version=str(data.get("version", "")),
                   label=str(data.get("label") or humanize(data["name"])),
                   description=data.get("description"),
                   requires=tuple(r for r in requires if isinstance(r, str))
                   if isinstance(requires, list) else ())


def build_field(document: SourceDocument, path: DocPath, name: str, definition: dict,
                registry: FieldTypeRegistry, problems: Problems) -> Field | None:
    """One field, or None (after reporting why) when its definition cannot be used."""
    type_name = definition.get("type")
    cls = registry.get(type_name)
    if cls is None:
        problems.at(document, path + ("type",), f"unknown field type '{type_name}'",
                    suggest(str(type_name), registry.names()), value=True)
        return None
    ftype, type_problems = cls.from_definition(definition)
    for problem in type_problems:
        problems.at(document, path + _key_path(problem.key), problem.message, problem.suggestion)
    if ftype is None:
        return None
    default, default_formula = None, None
    raw = definition.get("default")
    if isinstance(raw, str) and raw.startswith("="):
        default_formula = raw[1:]
    elif raw is not None and cls.accepts_input:
        try:
            default = ftype.coerce(raw)
            ftype.validate(default)
        except FieldValueError as error:
            problems.at(document, path + ("default",), error.message, value=True)
            default = None
        if isinstance(default, list):
            default = tuple(default)
    return Field(
        name=name, type=ftype, label=definition.get("label") or humanize(name),
        help=definition.get("help"), description=definition.get("description"),
        required=bool(definition.get("required", False)), unique=bool(definition.get("unique", False)),
        read_only=bool(definition.get("read_only", False)), default=default,
        default_formula=default_formula, required_when=definition.get("required_when"),
        read_only_when=definition.get("read_only_when"), visible_when=definition.get("visible_when"),
        package=document.package, renamed_from=definition.get("renamed_from"),
    )


def _key_path(key: str) -> DocPath:
    """A field type's problem key as a path: ``options[2]`` -> ("options", 2)."""
    if not key:
        return ()
    if key.endswith("]") and "[" in key:
        head, index = key[:-1].split("[", 1)
        return (head, int(index))
    return (key,)


def build_parts(document: SourceDocument, registry: FieldTypeRegistry, problems: Problems,
                dropped: set[DocPath]) -> Parts:
    """The fields, validations and indexes of an object or extension document."""
    parts = Parts(document)
    for name, definition in (document.data.get("fields") or {}).items():
        path = ("fields", name)
        problem = field_name_problem(name)
        if problem:
            problems.at(document, path, problem)
        if problem or _dropped(path, dropped):
            parts.broken_fields.add(name)
            continue
        built = build_field(document, path, name, definition, registry, problems)
        if built is None:
            parts.broken_fields.add(name)
        else:
            parts.fields[name] = built
            parts.where[("field", name)] = (document, path)
    for i, rule in enumerate(document.data.get("validations") or ()):
        path = ("validations", i)
        if _dropped(path, dropped):
            continue
        if ("validation", rule["name"]) in parts.where:
            problems.at(document, path + ("name",), f"duplicate validation '{rule['name']}'", value=True)
            continue
        parts.validations.append(ValidationRule(
            name=rule["name"], when=rule["when"], message=rule["message"], field=rule.get("field"),
            description=rule.get("description"), package=document.package))
        parts.where[("validation", rule["name"])] = (document, path)
    for i, index in enumerate(document.data.get("indexes") or ()):
        path = ("indexes", i)
        if _dropped(path, dropped):
            continue
        if isinstance(index, dict):
            built_index = Index(tuple(index["fields"]), bool(index.get("unique", False)), index.get("name"))
        else:
            built_index = Index(tuple(index))
        parts.where[("index", len(parts.indexes))] = (document, path)
        parts.indexes.append(built_index)
    return parts


def check_object_name(document: SourceDocument, problems: Problems) -> None:
    problem = object_name_problem(document.name)
    if problem:
        problems.at(document, ("name",), problem, value=True)


def object_labels(data: dict) -> tuple[str, str]:
    label = data.get("label") or humanize(data["name"])
    return label, data.get("plural") or pluralize(label)


def build_layout(document: SourceDocument, problems: Problems) -> Layout | None:
    data = document.data
    if "sections" in data and "tabs" in data:
        problems.at(document, ("tabs",), "a layout has sections or tabs, not both")
    elif "sections" not in data and "tabs" not in data:
        problems.at(document, (), "a layout needs sections (or tabs)")
        return None
    tabs = tuple(Tab(tab["label"], tuple(_section(document, ("tabs", t, "sections", s), section, problems)
                                         for s, section in enumerate(tab["sections"])))
                 for t, tab in enumerate(data.get("tabs") or ()))
    if tabs:
        sections = tuple(section for tab in tabs for section in tab.sections)
    else:
        sections = tuple(_section(document, ("sections", s), section, problems)
                         for s, section in enumerate(data["sections"]))
    # entries that are not object.lookup_field were reported by the schema: leave them out
    related = tuple(RelatedList(*entry.split(".", 1)) for entry in data.get("related") or ()
                    if isinstance(entry, str) and "." in entry)
    return Layout(name=data["name"], object=data["object"], sections=sections, tabs=tabs,
                  related=related, default=bool(data.get("default", False)), label=data.get("label"),
                  description=data.get("description"), package=document.package)


def _section(document: SourceDocument, path: DocPath, data: dict, problems: Problems) -> Section:
    columns = data.get("columns", 1)
    if isinstance(columns, list):
        if data.get("fields"):
            problems.at(document, path + ("fields",),
                        "a section gives fields or lists of columns, not both")
        return Section(label=data.get("label"), columns=len(columns),
                       column_fields=tuple(tuple(column) for column in columns),
                       visible_when=data.get("visible_when"))
    return Section(label=data.get("label"), fields=tuple(data.get("fields") or ()), columns=columns,
                   visible_when=data.get("visible_when"))


def layout_field_refs(data: dict) -> Iterable[tuple[DocPath, str]]:
    """Every field a layout document names, with its path."""
    groups = [(("tabs", t, "sections", s), section) for t, tab in enumerate(data.get("tabs") or ())
              for s, section in enumerate(tab["sections"])]
    groups += [(("sections", s), section) for s, section in enumerate(data.get("sections") or ())]
    for path, section in groups:
        for i, name in enumerate(section.get("fields") or ()):
            yield path + ("fields", i), name
        if isinstance(section.get("columns"), list):
            for c, column in enumerate(section["columns"]):
                for i, name in enumerate(column):
                    yield path + ("columns", c, i), name


def layout_sections(data: dict) -> Iterable[tuple[DocPath, dict]]:
    for t, tab in enumerate(data.get("tabs") or ()):
        for s, section in enumerate(tab["sections"]):
            yield ("tabs", t, "sections", s), section
    for s, section in enumerate(data.get("sections") or ()):
        yield ("sections", s), section


def build_list_view(document: SourceDocument, problems: Problems) -> ListView:
    data = document.data
    sort = tuple(SortKey(key.lstrip("-"), key.startswith("-")) for key in data.get("sort") or ())
    return ListView(name=data["name"], object=data["object"], columns=tuple(data["columns"]),
                    filter=data.get("filter"), sort=sort, label=data.get("label"),
                    description=data.get("description"), package=document.package)


def build_actions(items: Iterable[dict] | None) -> tuple[Action, ...]:
    return tuple(Action(item["type"], deep_freeze({k: v for k, v in item.items() if k != "type"}))
                 for item in items or ())


def build_workflow(document: SourceDocument, problems: Problems) -> Workflow:
    data = document.data
    schedule = data.get("schedule")
    return Workflow(
        name=data["name"], object=data["object"], trigger=tuple(data["trigger"]),
        actions=build_actions(data["actions"]), when=data.get("when"),
        schedule=Schedule(schedule["field"], schedule.get("offset_days", 0),
                          schedule.get("offset_hours", 0)) if schedule else None,
        order=data.get("order", 0), every=data.get("every"), label=data.get("label"),
        description=data.get("description"), package=document.package)


def build_approval_process(document: SourceDocument, problems: Problems) -> ApprovalProcess:
    data = document.data
    steps, seen = [], set()
    for i, step in enumerate(data["steps"]):
        path = ("steps", i)
        if step["name"] in seen:
            problems.at(document, path + ("name",), f"duplicate step '{step['name']}'", value=True)
        seen.add(step["name"])
        mode, quorum = step.get("mode", "first"), step.get("quorum")
        if mode == "quorum" and quorum is None:
            problems.at(document, path + ("mode",), "mode: quorum needs quorum: N (how many approvals)")
        elif quorum is not None and mode != "quorum":
            problems.at(document, path + ("quorum",), "quorum applies only to mode: quorum")
        if step.get("escalate_to") is not None and step.get("escalate_after_hours") is None:
            problems.at(document, path + ("escalate_to",),
                        "escalate_to needs escalate_after_hours (when to escalate)")
        steps.append(ApprovalStep(
            name=step["name"], label=step.get("label"), mode=mode, quorum=quorum,
            approvers=_approvers(step["approvers"]),
            escalate_after_hours=step.get("escalate_after_hours"), when=step.get("when"),
            escalate_to=_approvers(step["escalate_to"]) if step.get("escalate_to") else None,
            on_approve=build_actions(step.get("on_approve")),
            on_reject=build_actions(step.get("on_reject"))))
    return ApprovalProcess(
        name=data["name"], object=data["object"], steps=tuple(steps), when=data.get("when"),
        lock=bool(data.get("lock", True)),
        editable_while_locked=tuple(data.get("editable_while_locked") or ()),
        reject_requires_comment=bool(data.get("reject_requires_comment", False)),
        on_submit=build_actions(data.get("on_submit")), on_approve=build_actions(data.get("on_approve")),
        on_reject=build_actions(data.get("on_reject")), on_recall=build_actions(data.get("on_recall")),
        label=data.get("label"), description=data.get("description"), package=document.package,
        submitters=_submitters(data["submitters"]) if "submitters" in data else None,
        allow_self_approval=bool(data.get("allow_self_approval", False)),
        notify_approvers=bool(data.get("notify_approvers", False)))


def _approvers(data: dict) -> Approvers:
    return Approvers(role=data.get("role"), user=data.get("user"),
                     users=tuple(data.get("users") or ()), field=data.get("field"),
                     manager_chain=data.get("manager_chain"))


def _submitters(items) -> Submitters:
    """A list of ``anyone``, ``owner``, ``{role: R}``, ``{user: U}``."""
    words = {item for item in items if isinstance(item, str)}
    return Submitters(anyone="anyone" in words, owner="owner" in words,
                      roles=tuple(i["role"] for i in items if isinstance(i, dict) and "role" in i),
                      users=tuple(i["user"] for i in items if isinstance(i, dict) and "user" in i))


def build_role(document: SourceDocument, problems: Problems) -> Role:
    data = document.data
    permissions = data.get("permissions")
    return Role(name=data["name"], label=data.get("label") or humanize(data["name"]),
                reports_to=data.get("reports_to"), description=data.get("description"),
                package=document.package,
                permissions=None if permissions is None else frozen_mapping(
                    (name, build_permission(name, value)) for name, value in permissions.items()))


#: what an action needs besides itself (as in Salesforce: editing needs reading, …)
IMPLIED_ACTIONS = {"create": ("read",), "edit": ("read",), "delete": ("read", "edit"),
                   "view_all": ("read",), "modify_all": ("read", "edit", "delete", "view_all")}


def allowed_actions(value) -> frozenset[str]:
    """``all`` or a list of actions, with the actions each one needs."""
    if value == "all":
        return frozenset(ACTIONS)
    named = {action for action in value or () if action in ACTIONS}
    return frozenset(named.union(*(IMPLIED_ACTIONS.get(action, ()) for action in named)))


def build_permission(object_name: str, value) -> ObjectPermission:
    """One entry of a role's ``permissions``: ``all``, a list of actions or {allow, fields}."""
    if isinstance(value, dict):
        return ObjectPermission(object_name, allowed_actions(value.get("allow")),
                                frozen_mapping(value.get("fields") or {}))
    return ObjectPermission(object_name, allowed_actions(value), frozen_mapping())


def build_sharing_rule(document: SourceDocument, problems: Problems) -> SharingRule:
    data = document.data
    roles = data.get("roles")
    return SharingRule(name=data["name"], object=data["object"], when=data["when"],
                       roles=None if roles is None else tuple(roles),
                       access=data.get("access", "read"), label=data.get("label"),
                       description=data.get("description"), package=document.package)
