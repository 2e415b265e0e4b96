"""metacrm: a metadata-driven, low-code CRM.

Layers import one way: ``formula`` <- ``meta`` <- ``store`` <- ``runtime`` <- ``automation``
<- ``web``/``cli``.
"""

__version__ = "0.1.0"
