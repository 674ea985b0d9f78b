"""The vpcd link against a stand-in vpcd server (framing, control messages, reconnects)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from kiosk_testbed.card.layout import ATR
from kiosk_testbed.card.virtual_card import VirtualCard
from kiosk_testbed.vpcd import VpcdCardLink

from .apdu_util import JPKI, verify


class FakeVpcd:
    """Plays vpcd's side: listens, and talks to whichever card connects."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.conn, _ = self.server.accept()
        self.conn.settimeout(5)

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(len(payload).to_bytes(2, "big") + payload)

    def receive(self) -> bytes:
        assert self.conn is not None
        header = self._exact(2)
        return self._exact(int.from_bytes(header, "big"))

    def _exact(self, count: int) -> bytes:
        assert self.conn is not None
        data = b""
        while len(data) < count:
            chunk = self.conn.recv(count - len(data))
            assert chunk, "card closed the connection"
            data += chunk
        return data

    def exchange(self, apdu: bytes) -> bytes:
        self.send(apdu)
        return self.receive()

    def drop(self) -> None:
        assert self.conn is not None
        self.conn.close()
        self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


@pytest.fixture
def vpcd() -> Iterator[FakeVpcd]:
    server = FakeVpcd()
    yield server
    server.close()


SELECT_JPKI = bytes.fromhex(f"00A4040C0A{JPKI}")


def test_framing_control_messages_and_apdus(vpcd: FakeVpcd, virtual_card: VirtualCard) -> None:
    with VpcdCardLink(virtual_card, vpcd.port) as link:
        vpcd.accept()
        assert link.wait_connected()
        vpcd.send(b"\x04")
        assert vpcd.receive() == ATR
        vpcd.send(b"\x01")  # power on: no answer
        assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
        assert vpcd.exchange(bytes.fromhex("00A4020C020018")) == b"\x90\x00"
        assert vpcd.exchange(bytes.fromhex("00200080")) == b"\x63\xc3"
        # power off and reset clear the selection
        for control in (b"\x00", b"\x02"):
            assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
            assert vpcd.exchange(bytes.fromhex("00A4020C020018")) == b"\x90\x00"
            vpcd.send(control)
            assert vpcd.exchange(bytes.fromhex("00200080")) == b"\x69\x86"
        assert vpcd.exchange(b"\x00\xa4") == b"\x67\x00"  # 2-byte junk is an APDU too


def test_reconnects_when_vpcd_goes_away(vpcd: FakeVpcd, virtual_card: VirtualCard) -> None:
    with VpcdCardLink(virtual_card, vpcd.port, retry_delay=0.01) as link:
        vpcd.accept()
        assert link.wait_connected()
        assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
        vpcd.drop()  # pcscd restarted
        vpcd.accept()
        assert link.wait_connected()
        assert vpcd.exchange(bytes.fromhex("00A4020C020018")) == b"\x6a\x82"  # state cleared
        assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"


def test_waits_for_vpcd_to_appear(virtual_card: VirtualCard) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens now
    link = VpcdCardLink(virtual_card, port, retry_delay=0.01, max_retry_delay=0.05)
    link.insert()
    try:
        assert not link.wait_connected(0.2)
        server = socket.create_server(("127.0.0.1", port))
        server.settimeout(5)
        conn, _ = server.accept()
        assert link.wait_connected()
        conn.close()
        server.close()
    finally:
        link.remove()
    assert not link.inserted and not link.connected


def test_remove_disconnects_and_clears_state(
    vpcd: FakeVpcd, virtual_card: VirtualCard, test_card: object
) -> None:
    link = VpcdCardLink(virtual_card, vpcd.port)
    link.insert()
    link.insert()  # idempotent
    vpcd.accept()
    assert link.wait_connected()
    assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
    link.remove()
    assert vpcd.conn is not None
    assert vpcd.conn.recv(1) == b""  # the reader sees the card leave
    assert verify(virtual_card, 0x18, None) == 0x6A82  # powered off: nothing selected


def test_link_survives_many_threads_of_use(vpcd: FakeVpcd, virtual_card: VirtualCard) -> None:
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(200):
                virtual_card.process(SELECT_JPKI)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    with VpcdCardLink(virtual_card, vpcd.port):
        vpcd.accept()
        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for _ in range(200):
            assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
        for thread in threads:
            thread.join()
    assert not errors


def test_quick_remove_and_insert_leaves_one_connection(
    vpcd: FakeVpcd, virtual_card: VirtualCard
) -> None:
    link = VpcdCardLink(virtual_card, vpcd.port, retry_delay=0.01)
    try:
        for _ in range(5):
            link.insert()
            vpcd.accept()
            assert link.wait_connected()
            assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
            link.remove()
            assert vpcd.conn is not None and vpcd.conn.recv(1) == b""
            vpcd.drop()
        link.insert()
        vpcd.accept()
        assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
        vpcd.server.settimeout(0.3)
        with pytest.raises(TimeoutError):
            vpcd.server.accept()  # no second, stale connection
    finally:
        link.remove()
