"""What one user sees of the deployed version, for the API and the pages (issue 12,
``docs/access.md``). The rules live in the runtime (``runtime.access(actor)``: an
``Access``, or None for admins, the system and open packages); this module only names the
questions views ask of it, and the key under which a part built for one user is cached.

    access = runtime.access(actor)
    readable_objects(runtime.catalog, access)      # the object names that exist for them
    field_level(access, "deal", "margin")          # "edit" | "read" | "none"
    keyed("api.openapi", access)                   # "api.openapi" or "api.openapi[rep]"

Nothing here decides who may see a record: reads pass the actor to the RecordService, whose
query layer adds the access predicate.
"""

from __future__ import annotations

from ..meta import Catalog
from ..runtime import Access


def keyed(name: str, access: Access | None) -> str:
    """A cache key of a part built for what ``access`` sees (built once per version and set
    of roles: two users with the same roles see the same objects and fields)."""
    return name if access is None else f"{name}[{','.join(access.key)}]"


def can_read(catalog: Catalog, access: Access | None, object_name: str) -> bool:
    """Does the object exist for this user?"""
    return object_name in catalog.objects and (access is None
                                               or access.may(object_name, "read"))


def readable_objects(catalog: Catalog, access: Access | None) -> list[str]:
    if access is None:
        return list(catalog.objects)
    return [name for name in catalog.objects if access.may(name, "read")]


def may(access: Access | None, object_name: str, action: str) -> bool:
    return access is None or access.may(object_name, action)


def hidden_fields(access: Access | None, object_name: str) -> frozenset[str]:
    """The fields of ``object_name`` this user may not see (``none``, and formulas and
    roll-ups reading them)."""
    return frozenset() if access is None else access.hidden(object_name)


def field_level(access: Access | None, object_name: str, field_name: str) -> str:
    """``edit``, ``read`` or ``none``."""
    return "edit" if access is None else access.field_access(object_name, field_name)
