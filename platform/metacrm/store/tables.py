"""Tables from a Catalog: one real table per object, one column per stored field.

Columns come from each field type (``FieldType.column_type``), so this module knows no field
type by name. Lookups get a foreign key with their ``on_delete`` and an index; declared indexes
become indexes (unique where asked).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, MetaData, Table

from ..meta import Catalog, Field, ObjectType

#: object tables share the database with metacrm's own tables (versions, history, outbox…),
#: whose names start with ``meta``; objects may not be named ``meta…`` (METADATA.md)
TABLE_PREFIX = ""

_ON_DELETE = {"restrict": "RESTRICT", "set_null": "SET NULL", "cascade": "CASCADE"}


def table_name(object_name: str) -> str:
    return TABLE_PREFIX + object_name


def lookup_target(field: Field) -> str | None:
    """The object a stored field references (a lookup's ``to``), else None."""
    return field.type.field_info(field.name).target


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
        tables[obj.name] = Table(name, metadata, *_columns(obj), *_indexes(obj, name))
    return tables
