"""Fixtures for the flow's tests."""

from __future__ import annotations

import pytest

from .kit import Kit, make_kit


@pytest.fixture
def kit() -> Kit:
    return make_kit()
