"""The testbed's tests use the shared virtual-card plugin (tests/helpers/virtual_card.py).

Registered here as well as (eventually) in tests/conftest.py; ``import_plugin`` is a no-op
when the plugin is already loaded.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")
