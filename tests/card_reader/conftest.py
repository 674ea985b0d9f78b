"""Card-layer fixtures: an in-process transport over the testbed's virtual card, trust anchors.

The shared virtual-card fixtures (``test_card``, ``virtual_card``, ``card_in_reader`` ...) come
from the plugin ``tests/helpers/virtual_card.py``, registered here.
"""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.card_reader.card_info import TrustAnchors
from kiosk_testbed.card.in_process import InProcessTransport


def pytest_configure(config: pytest.Config) -> None:
    # no-op when tests/conftest.py or another area already registered the shared plugin
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")


@pytest.fixture
def in_process(virtual_card: Any) -> InProcessTransport:
    return InProcessTransport(virtual_card)


@pytest.fixture(scope="session")
def trust_anchors(anchors: TrustAnchors) -> TrustAnchors:
    return anchors
