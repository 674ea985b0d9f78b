"""Fixtures for the flow's tests."""

from __future__ import annotations

import pytest

from .kit import Kit, make_kit


@pytest.fixture
def kit() -> Kit:
    return make_kit()


def pytest_configure(config: pytest.Config) -> None:
    # the shared virtual-card fixtures (no-op when another area registered them already)
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")
