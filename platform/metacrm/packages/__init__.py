"""metacrm.packages: metadata packages in and out of the database (export).

    from metacrm.packages import export_package
    export_package(deployed_version, "out/crm")      # the package's YAML files, deterministic

Other layers import from this package only. ``export_package`` is ``packages.export.export``,
named apart from its module.
"""

from .export import ExportError
from .export import export as export_package

__all__ = ["export_package", "ExportError"]
