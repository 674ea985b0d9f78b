"""Enter/exit of every transport is written once (``TransportBase``): leaving ``with`` closes,
also when the block raised; a wrapped transport closes the one inside."""

from __future__ import annotations

import pytest

from kiosk.card_reader.transport import CountingTransport, TransportBase, WrappedTransport


class _Recorded(TransportBase):
    def __init__(self) -> None:
        self.closed = 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        return b"", 0x9000

    def close(self) -> None:
        self.closed += 1


def test_leaving_with_closes_the_session() -> None:
    with _Recorded() as transport:
        assert transport.transmit(b"\x00\xa4\x04\x00") == (b"", 0x9000)
    assert transport.closed == 1


def test_leaving_with_on_an_error_still_closes_and_lets_the_error_through() -> None:
    transport = _Recorded()
    with pytest.raises(RuntimeError, match="mid-command"), transport:
        raise RuntimeError("mid-command")
    assert transport.closed == 1


def test_a_wrapper_closes_the_transport_inside() -> None:
    inner = _Recorded()
    with CountingTransport(inner) as counting:
        counting.transmit(b"\x00\xb0\x00\x00\x00")
    assert isinstance(counting, WrappedTransport)
    assert inner.closed == 1 and counting.apdus == 1


def test_a_transport_must_say_how_it_closes() -> None:
    class _NoClose(TransportBase):
        def transmit(self, apdu: bytes) -> tuple[bytes, int]:
            return b"", 0x9000

    with pytest.raises(TypeError):
        _NoClose()  # type: ignore[abstract]
