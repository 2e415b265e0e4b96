"""metacrm.meta: the metadata model, pure (no database, no web).

    from metacrm.meta import load_package, PackageInvalid

    try:
        catalog = load_package("metadata/crm")
    except PackageInvalid as invalid:
        for error in invalid.errors:        # every problem, with file, line and path
            print(error)

The Catalog is immutable; field types (``catalog.field_types``) know how to coerce, validate
and store values; ``catalog.scope(obj)`` lets the formula language check expressions.
"""

from .catalog import Catalog, UnknownName, content_hash
from .errors import MetadataError, PackageInvalid, suggest
from .fieldtypes import (BUILTIN_FIELD_TYPES, CatalogView, FieldType, FieldTypeRegistry,
                         FieldValueError, TypeProblem, default_field_types)
from .loader import load_files, load_package
from .model import (Action, ApprovalProcess, ApprovalStep, Approvers, Extension, Field, Index,
                    Layout, ListView, ObjectType, Package, RawDocument, RelatedList, Role, Schedule,
                    Section, SortKey, Submitters, Tab, ValidationRule, Workflow)
from .scopes import ObjectScope
from .vocabulary import ActionChecker, Vocabulary
from .system import SYSTEM_FIELD_NAMES, SYSTEM_FIELDS, USER_OBJECT

__all__ = [
    # loading
    "load_package", "load_files", "Catalog", "UnknownName", "content_hash", "Vocabulary",
    "ActionChecker",
    # errors
    "MetadataError", "PackageInvalid", "suggest",
    # field types
    "FieldType", "FieldTypeRegistry", "FieldValueError", "TypeProblem", "CatalogView",
    "BUILTIN_FIELD_TYPES", "default_field_types",
    # the model
    "Package", "ObjectType", "Field", "ValidationRule", "Index", "Extension", "Layout", "Section",
    "Tab", "RelatedList", "ListView", "SortKey", "Workflow", "Action", "Schedule",
    "ApprovalProcess", "ApprovalStep", "Approvers", "Submitters", "Role", "RawDocument",
    # the formula scope and system names
    "ObjectScope", "SYSTEM_FIELDS", "SYSTEM_FIELD_NAMES", "USER_OBJECT",
]
