"""Card-layer fixtures: an in-process transport over the testbed's virtual card, trust anchors.

The shared virtual-card fixtures (``test_card``, ``virtual_card``, ``card_in_reader`` ...) come
from the plugin ``tests/helpers/virtual_card.py``, registered here.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import pytest

from kiosk.card_reader.card_info import TrustAnchors


def pytest_configure(config: pytest.Config) -> None:
    # no-op when tests/conftest.py or another area already registered the shared plugin
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")


class InProcessTransport:
    """A ``Transport`` straight into a ``VirtualCard`` (no PC/SC); counts APDUs."""

    def __init__(self, card: Any) -> None:
        self.card = card
        self.card.power_on()
        self.sent: list[bytes] = []
        self.closed = False

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        assert not self.closed
        self.sent.append(bytes(apdu))
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.card.power_off()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@pytest.fixture
def in_process(virtual_card: Any) -> InProcessTransport:
    return InProcessTransport(virtual_card)


@pytest.fixture(scope="session")
def trust_anchors(testbed_authority: Any) -> TrustAnchors:
    return TrustAnchors.from_pem_file(
        testbed_authority.card_face_ca_pub_path,
        testbed_authority.card_face_ca_keyid_path.read_text().strip(),
    )
