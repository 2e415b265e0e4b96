"""Tables from a Catalog: one real table per object, one column per stored field.

Columns come from each field type (``FieldType.column_type``), so this module knows no field
type by name. Lookups get a foreign key with their ``on_delete`` and an index; declared indexes
become indexes (unique where asked); a ``unique`` field gets a unique index, on ``lower(…)`` for
a type whose uniqueness ignores case (email). The RecordService checks uniqueness first to give
a friendly message; the index is what makes it hold under concurrent writers.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, MetaData, Table, func

from ..meta import Catalog, Field, ObjectType

#: object tables share the database with metacrm's own tables (versions, history, outbox…),
#: whose names start with ``meta``; objects may not be named ``meta…`` (METADATA.md)
TABLE_PREFIX = ""

_ON_DELETE = {"restrict": "RESTRICT", "set_null": "SET NULL", "cascade": "CASCADE"}


def table_name(object_name: str) -> str:
    return TABLE_PREFIX + object_name


def lookup_target(field: Field) -> str | None:
    """The object a stored field references (a lookup's ``to``), else None."""
    return field.type.references()


def _columns(obj: ObjectType) -> list[Column]:
    columns = []
    for field in obj.stored_fields:
        args = [field.type.column_type()]
        target = lookup_target(field)
        if target:
            args.append(ForeignKey(f"{table_name(target)}.id",
                                   ondelete=_ON_DELETE[field.type.on_delete]))
        columns.append(Column(field.name, *args, primary_key=field.name == "id",
                              nullable=field.name != "id"))
    return columns


def unique_index_name(object_name: str, field_name: str) -> str:
    """The name of a ``unique`` field's index (the RecordService maps violations back by it)."""
    return f"uq_{table_name(object_name)}_{field_name}"


def casefold_unique(field: Field) -> bool:
    """Does this field's uniqueness ignore case? (METADATA.md: email does.)"""
    return field.type.unique_ignores_case


def _unique_indexes(obj: ObjectType, table: Table) -> list[Index]:
    indexes = []
    for field in obj.stored_fields:
        if field.unique and not field.system:
            column = table.c[field.name]
            key = func.lower(column) if casefold_unique(field) else column
            indexes.append(Index(unique_index_name(obj.name, field.name), key, unique=True))
    return indexes


def _indexes(obj: ObjectType, name: str) -> list[Index]:
    indexes = []
    for field in obj.stored_fields:
        if lookup_target(field):
            indexes.append(Index(f"ix_{name}_{field.name}", field.name))
    for index in obj.indexes:
        index_name = index.name or f"ix_{name}_{'_'.join(index.fields)}"
        indexes.append(Index(index_name, *index.fields, unique=index.unique))
    return indexes


def build_tables(catalog: Catalog, metadata: MetaData | None = None) -> dict[str, Table]:
    """A Table for every object of the catalog (the ``user`` object included)."""
    metadata = metadata if metadata is not None else MetaData()
    tables = {}
    for obj in catalog.objects.values():
        name = table_name(obj.name)
        table = Table(name, metadata, *_columns(obj), *_indexes(obj, name))
        _unique_indexes(obj, table)  # an Index on a table's columns attaches itself to it
        tables[obj.name] = table
    return tables
