"""metacrm.meta: the metadata model, pure (no database, no web).

    from metacrm.meta import load_package, PackageInvalid

    try:
        catalog = load_package("metadata/crm")
    except PackageInvalid as invalid:
        for error in invalid.errors:        # every problem, with file, line and path
            print(error)

The Catalog is immutable; field types (``catalog.field_types``) know how to coerce, validate
and store values; ``catalog.scope(obj)`` lets the formula language check expressions.

Other layers import from this package only, never from its modules (``__all__`` is what they
may use; docs/development.md, "Public API of each layer").
"""

from .access import NOTHING, access_notes, granted, record_predicate, roles_below
from .assembly import KIND_FOLDERS
from .catalog import Catalog, UnknownName, content_hash
from .diff import CatalogDiff, FieldPair, ObjectPair, field_differences
from .diff import diff as diff_catalogs  # named apart from the module meta.diff
from .errors import MetadataError, PackageInvalid, suggest
from .fieldtypes import (BUILTIN_FIELD_TYPES, CatalogView, FieldType, FieldTypeRegistry,
                         FieldValueError, TypeProblem, default_field_types)
from .loader import YAML_SUFFIXES, load_files, load_package
from .model import (ACTIONS, FIELD_ACCESS, SHARING, Action, ApprovalProcess, ApprovalStep,
                    Approvers, Extension, Field, Index, Layout, ListView, ObjectPermission,
                    ObjectType, Package, RawDocument, RelatedList, Role, Schedule, Section,
                    SharingRule, SortKey, Submitters, Tab, ValidationRule, Workflow, deep_freeze,
                    thaw)
from .scopes import ObjectScope
from .sources import dump_yaml
from .vocabulary import ActionChecker, Vocabulary
from .system import SYSTEM_FIELD_NAMES, SYSTEM_FIELDS, USER_OBJECT
from .values import is_blank

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
    "deep_freeze", "thaw",
    # access: roles' permissions, objects' sharing, sharing rules
    "ACTIONS", "FIELD_ACCESS", "SHARING", "ObjectPermission", "SharingRule",
    # package files: where each kind lives, what is YAML, how it is written
    "KIND_FOLDERS", "YAML_SUFFIXES", "dump_yaml",
    # what changed between two catalogs (deploy plans it)
    "diff_catalogs", "CatalogDiff", "ObjectPair", "FieldPair", "field_differences",
    # the deploy plan's lines about access (open package, access enforced from now on)
    "access_notes", "record_predicate", "roles_below", "granted", "NOTHING",
    # values
    "is_blank",
    # the formula scope and system names
    "ObjectScope", "SYSTEM_FIELDS", "SYSTEM_FIELD_NAMES", "USER_OBJECT",
]
