"""metacrm.web: the only layer that speaks Flask.

    from metacrm.web import create_app
    app = create_app()
"""

from .app import create_app

__all__ = ["create_app"]
