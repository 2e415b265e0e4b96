"""Fixtures of the metadata tests."""

from __future__ import annotations

import pytest

from meta_helpers import CRM

from metacrm.meta import load_package


@pytest.fixture(scope="session")
def crm():
    """The standard CRM package, loaded once."""
    return load_package(CRM)
