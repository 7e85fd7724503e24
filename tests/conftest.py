"""Shared fixtures."""

import pytest
from tablerows import valid_table_rows


@pytest.fixture
def table_rows() -> dict[str, list[dict]]:
    """Every table valid: one report with a section, two facts, an indicator and a check (a fresh copy)."""
    return valid_table_rows()
