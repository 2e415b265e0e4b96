"""Form and page specs: what a layout and list view mean for the pages, compiled once per
deployed version (``runtime.part("ui.specs")``), so a request never reads metadata again.

    spec = form_spec(runtime, "opportunity")     # FormSpec: tabs > sections > rows of FieldSpec
    spec = form_spec(runtime, "opportunity", access)   # as one user sees it (docs/access.md)
    spec.fields["stage"].widget                  # "select": the field type's widget
    column = column_of(runtime, "opportunity", "account", access)

A spec for a user (``access``: ``runtime.access(actor)``; None sees everything) is the full
spec without the fields they may not see, with the fields they may only read not editable, and
with lookups to objects they may not read shown as plain ids; it is cached per version and set
of roles, like the rest.

Conditions (``visible_when``, ``required_when``, ``read_only_when``) are compiled by the formula
package's ``compile_condition``: ``required_when`` and ``read_only_when`` are taken from the
RecordService's own compiled rules, so the form judges them exactly as the save does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from ...formula import FType, compile_condition
from ...meta import Field, Layout, ListView, Section, SortKey
from ...runtime import Access, Condition, reads
from ..visibility import keyed

#: the system object: pages show its records' names but do not edit users
USER = "user"


def condition(source: str | None, scope) -> Condition | None:
    return None if not source else Condition(compile_condition(source, scope), reads(source))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    field: Field
    label: str
    widget: str
    display: str
    attrs: Mapping[str, Any]
    #: input may set it (not computed, not a system field, not read_only)
    editable: bool
    required: bool
    visible_when: Condition | None = None
    required_when: Condition | None = None
    read_only_when: Condition | None = None
    #: a lookup's target object and the paths that name its records
    target: str | None = None
    #: the query paths that name the record a lookup points at (``account.name``)
    titles: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    @property
    def help(self) -> str | None:
        return self.field.help

    @property
    def type(self):
        return self.field.type

    @property
    def groups_records(self) -> bool:
        """One value of a fixed list (a picklist): a board can have a column per option."""
        return bool(self.options) and self.type.ftype is FType.TEXT

    @property
    def dynamic(self) -> bool:
        return bool(self.visible_when or self.required_when or self.read_only_when)


@dataclass(frozen=True)
class SectionSpec:
    key: str
    label: str | None
    columns: int
    rows: tuple[tuple[FieldSpec | None, ...], ...]
    visible_when: Condition | None = None
    #: a section that gives its columns' fields: each column top to bottom (pages then show
    #: columns, so a phone reads one column after the other, as the layout meant)
    stacks: tuple[tuple[FieldSpec, ...], ...] | None = None

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for row in self.rows for spec in row if spec is not None)


@dataclass(frozen=True)
class TabSpec:
    key: str
    label: str | None
    sections: tuple[SectionSpec, ...]


@dataclass(frozen=True)
class RelatedSpec:
    object: str
    field: str
    label: str
    columns: tuple["Column", ...]


@dataclass(frozen=True)
class FormSpec:
    object: str
    label: str
    plural: str
    title: str
    tabs: tuple[TabSpec, ...]
    #: every field of the object (the layout's and the others), by name
    all_fields: Mapping[str, FieldSpec]
    #: the layout's related lists (RelatedList: object, field); see ``related_specs``
    related: tuple = ()
    #: the conditions any form field or section has: a change of one of these fields asks
    #: the server for the form's new state
    watched: frozenset[str] = frozenset()
    formulas: tuple[str, ...] = ()

    @property
    def sections(self) -> tuple[SectionSpec, ...]:
        return tuple(section for tab in self.tabs for section in tab.sections)

    @property
    def fields(self) -> dict[str, FieldSpec]:
        """The fields on the layout, in layout order."""
        return {spec.name: spec for section in self.sections for spec in section.fields}


def title_paths(catalog, target: str) -> tuple[str, ...]:
    """The fields that name a record of ``target`` (a user by full name, else username)."""
    if target == USER:
        return ("full_name", "username")
    return (catalog.object(target).title,)


def _field_spec(runtime, object_name: str, field: Field, scope) -> FieldSpec:
    rules = runtime.service.rules(object_name)
    spec = rules.inputs.get(field.name)
    ftype = field.type
    # what expressions see of the field says whether it points at records (no type names)
    target = ftype.field_info(field.name).target
    return FieldSpec(
        name=field.name, field=field, label=field.label, widget=ftype.widget,
        display=ftype.display_widget, attrs=ftype.form_attrs(),
        editable=spec is not None and not field.read_only,
        required=bool(spec and spec.required),
        visible_when=condition(field.visible_when, scope),
        required_when=spec.required_when if spec else None,
        read_only_when=spec.read_only_when if spec else None,
        target=target, options=tuple(getattr(ftype, "options", ()) or ()),
        titles=tuple(f"{field.name}.{t}" for t in title_paths(runtime.catalog, target))
        if target else (),
    )


def default_layout(catalog, object_name: str) -> Layout:
    """The layout of an object that has none: its declared fields in two columns."""
    obj = catalog.object(object_name)
    names = tuple(f.name for f in obj.declared_fields)
    return Layout(name=f"{object_name}_generated", object=object_name,
                  sections=(Section(label=obj.label, fields=names, columns=2),),
                  related=())


def _build_form(runtime, object_name: str) -> FormSpec:
    catalog = runtime.catalog
    obj = catalog.object(object_name)
    scope = catalog.scope(object_name)
    layout = catalog.default_layout(object_name) or default_layout(catalog, object_name)
    all_fields = {f.name: _field_spec(runtime, object_name, f, scope) for f in obj.fields.values()}

    def section_spec(key: str, section: Section) -> SectionSpec:
        rows = tuple(tuple(all_fields[name] if name else None for name in row)
                     for row in section.rows)
        columns = len(section.column_fields) if section.column_fields else max(1, section.columns)
        stacks = tuple(tuple(all_fields[name] for name in column)
                       for column in section.column_fields) if section.column_fields else None
        return SectionSpec(key, section.label, columns, rows,
                           condition(section.visible_when, scope), stacks)

    if layout.tabs:
        tabs, n = [], 0
        for t, tab in enumerate(layout.tabs):
            sections = []
            for section in tab.sections:
                sections.append(section_spec(f"s{n}", section))
                n += 1
            tabs.append(TabSpec(f"t{t}", tab.label, tuple(sections)))
    else:
        tabs = [TabSpec("t0", None, tuple(section_spec(f"s{i}", s)
                                          for i, s in enumerate(layout.sections)))]
    watched: set[str] = set()
    for spec in all_fields.values():
        for cond in (spec.visible_when, spec.required_when, spec.read_only_when):
            watched |= cond.reads if cond else set()
    for tab in tabs:
        for section in tab.sections:
            watched |= section.visible_when.reads if section.visible_when else set()
    formulas = tuple(name for name in runtime.service.rules(object_name).formulas)
    if formulas:  # formulas shown on the form follow the fields they read
        watched |= {name for name in obj.fields if obj.fields[name].type.accepts_input}
    return FormSpec(object_name, obj.label, obj.plural, obj.title, tuple(tabs), all_fields,
                    tuple(layout.related), frozenset(watched), formulas)


def cached(runtime, key: str, build):
    """``build()`` once per deployed version (``key`` names what it is for: a user's parts
    carry their access key, see ``visibility.keyed``). Unlike ``runtime.part`` no lock is held
    while building, so specs may be built from other specs (a race builds one twice, harmlessly)."""
    cache = runtime.part("ui.specs", dict)
    try:
        return cache[key]
    except KeyError:
        return cache.setdefault(key, build())


def form_spec(runtime, object_name: str, access: Access | None = None) -> FormSpec:
    """The object's form and record page spec (cached for the deployed version), as the user
    of ``access`` sees it. Raises the catalog's UnknownName for an unknown object."""
    if access is None:
        return cached(runtime, f"form:{object_name}", lambda: _build_form(runtime, object_name))
    return cached(runtime, keyed(f"form:{object_name}", access),
                  lambda: _restricted(form_spec(runtime, object_name), access))


def _restricted(spec: FormSpec, access: Access) -> FormSpec:
    """``spec`` as one user sees it: fields they may not see left out (sections, tabs and
    rows left empty too), those they may only read not editable, lookups to objects they may
    not read shown as the id they hold (no name to fetch, no record page to link to)."""
    hidden = access.hidden(spec.object)

    def field(item: FieldSpec) -> FieldSpec | None:
        if item.name in hidden:
            return None
        changes: dict[str, Any] = {}
        if item.editable and access.field_access(spec.object, item.name) != "edit":
            changes["editable"] = False
        if item.target and not access.may(item.target, "read"):
            changes.update(target=None, titles=(), display="text", editable=False)
        return dataclasses.replace(item, **changes) if changes else item

    all_fields = {name: shown for name, item in spec.all_fields.items()
                  if (shown := field(item)) is not None}

    def section(item: SectionSpec) -> SectionSpec | None:
        rows = tuple(row for row in (tuple(all_fields.get(f.name) if f else None for f in row)
                                     for row in item.rows) if any(row))
        stacks = None if item.stacks is None else tuple(
            tuple(all_fields[f.name] for f in column if f.name in all_fields)
            for column in item.stacks)
        if not rows and not any(stacks or ()):
            return None
        return dataclasses.replace(item, rows=rows, stacks=stacks)

    tabs = []
    for tab in spec.tabs:
        sections = tuple(s for s in map(section, tab.sections) if s is not None)
        if sections:
            tabs.append(dataclasses.replace(tab, sections=sections))
    related = tuple(rel for rel in spec.related if access.may(rel.object, "read")
                    and rel.field not in access.hidden(rel.object))
    return dataclasses.replace(
        spec, tabs=tuple(tabs), all_fields=all_fields, related=related,
        watched=frozenset(spec.watched) & frozenset(all_fields),
        formulas=tuple(name for name in spec.formulas if name in all_fields))


# -- list columns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A list column: a field of the object (``paths`` are what the query selects for it)."""

    name: str
    label: str
    spec: FieldSpec
    paths: tuple[str, ...]
    #: what sorting by this column sorts by (None: a column that cannot be sorted)
    sort_path: str | None
    numeric: bool = False


def column(runtime, object_name: str, name: str, access: Access | None = None) -> Column:
    spec = form_spec(runtime, object_name, access).all_fields[name]
    paths: tuple[str, ...] = (name,) + spec.titles
    sort_path: str | None = spec.titles[-1] if spec.titles else name
    if spec.type.ftype in (FType.TEXT_LIST, FType.LIST):
        sort_path = None
    return Column(name, spec.label, spec, paths, sort_path, spec.type.ftype.is_numeric)


def related_specs(runtime, object_name: str, access: Access | None = None
                  ) -> tuple[RelatedSpec, ...]:
    """The record page's related lists (only of objects the user may read, by lookups they
    may see; columns they may not see left out)."""
    return cached(runtime, keyed(f"related:{object_name}", access), lambda: tuple(
        _related(runtime, rel.object, rel.field, access)
        for rel in form_spec(runtime, object_name, access).related))


def column_of(runtime, object_name: str, name: str, access: Access | None = None) -> Column:
    """A list column of a field the user may see (``name`` in their spec's ``all_fields``)."""
    return cached(runtime, keyed(f"column:{object_name}.{name}", access),
                  lambda: column(runtime, object_name, name, access))


def _related(runtime, object_name: str, lookup: str, access: Access | None) -> RelatedSpec:
    obj = runtime.catalog.object(object_name)
    view = default_view(runtime.catalog, object_name)
    visible = form_spec(runtime, object_name, access).all_fields
    names = [n for n in view.columns if n != lookup and n in visible][:4]
    return RelatedSpec(object_name, lookup, f"{obj.plural} ({obj.fields[lookup].label})",
                       tuple(column(runtime, object_name, n, access) for n in names))


def default_view(catalog, object_name: str) -> ListView:
    """The object's first list view, else one made from its title and first fields."""
    views = catalog.views_for(object_name)
    if views:
        return views[0]
    obj = catalog.object(object_name)
    names = [obj.title] + [f.name for f in obj.declared_fields
                           if f.name != obj.title and f.type.ftype is not FType.TEXT_LIST][:4]
    return ListView(name="all", object=object_name, columns=tuple(names),
                    sort=(SortKey(obj.title),), label=f"All {obj.plural.lower()}")
