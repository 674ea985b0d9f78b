"""The virtual card through the real stack: pyscard -> pcscd -> vpcd -> VpcdCardLink."""

from __future__ import annotations

import contextlib
import hashlib
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from smartcard import scard
from smartcard.CardConnection import CardConnection
from smartcard.Exceptions import CardConnectionException
from smartcard.System import readers

from kiosk_testbed.card.layout import ATR
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.helpers.virtual_card import READER_0, READER_1, InsertedCard, card_present

from .apdu_util import JPKI, SHA256_DIGEST_INFO_PREFIX

pytestmark = pytest.mark.pcsc


def _connect(reader_name: str) -> CardConnection:
    reader = next(r for r in readers() if str(r) == reader_name)
    connection = reader.createConnection()
    deadline = time.monotonic() + 5
    while True:
        try:
            connection.connect(mode=scard.SCARD_SHARE_EXCLUSIVE)
            return connection
        except CardConnectionException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def connection(card_in_reader: InsertedCard) -> Iterator[CardConnection]:
    connection = _connect(card_in_reader.reader)
    yield connection
    with contextlib.suppress(CardConnectionException):
        connection.disconnect()


def _tx(connection: CardConnection, apdu: str | bytes) -> tuple[bytes, int]:
    raw = bytes.fromhex(apdu) if isinstance(apdu, str) else apdu
    data, sw1, sw2 = connection.transmit(list(raw))
    return bytes(data), sw1 << 8 | sw2


def _read_ef(connection: CardConnection, fid: int) -> bytes:
    """As OpenSC's jpki driver: SELECT EF, 4 bytes of header, then short reads to the end."""
    assert _tx(connection, f"00A4020C02{fid:04X}")[1] == 0x9000
    head, status = _tx(connection, "00B0000004")
    assert status == 0x9000
    size = (head[2] << 8 | head[3]) + 4
    data = b""
    while len(data) < size:
        offset, wanted = len(data), min(256, size - len(data))
        chunk, status = _tx(connection, bytes([0, 0xB0, offset >> 8, offset & 0xFF, wanted % 256]))
        assert status == 0x9000
        data += chunk
    return data


def _auth_pin(connection: CardConnection, pin: bytes | None = None) -> int:
    """SELECT EF 0018 and VERIFY the current EF (the empty VERIFY when ``pin`` is None)."""
    assert _tx(connection, "00A4020C020018")[1] == 0x9000
    body = b"" if pin is None else bytes([len(pin)]) + pin
    return _tx(connection, b"\x00\x20\x00\x80" + body)[1]


def _sign_apdu(digest_info: bytes) -> bytes:
    return bytes([0x80, 0x2A, 0x00, 0x80, len(digest_info)]) + digest_info + b"\x00"


def test_card_works_through_pcscd(
    connection: CardConnection, card_in_reader: InsertedCard, test_card: Any
) -> None:
    assert bytes(connection.getATR()) == ATR
    assert _tx(connection, f"00A4040C0A{JPKI}")[1] == 0x9000
    cert = x509.load_der_x509_certificate(_read_ef(connection, 0x000A))
    assert cert.serial_number == int(test_card.values["auth_serial"], 16)
    pin = test_card.values["auth_pin"].encode()
    assert _auth_pin(connection) == 0x63C3
    assert _auth_pin(connection, pin) == 0x9000
    message = b"nonce from the backend"
    digest_info = SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(message).digest()
    assert _tx(connection, "00A4020C020017")[1] == 0x9000
    signature, status = _tx(connection, _sign_apdu(digest_info))
    assert status == 0x9000
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def test_apdu_latency_is_well_under_5_ms(connection: CardConnection) -> None:
    assert _tx(connection, f"00A4040C0A{JPKI}")[1] == 0x9000
    assert _tx(connection, "00A4020C02000A")[1] == 0x9000
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        _tx(connection, "00B0000004")
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(f"median APDU round trip through pcscd: {median * 1000:.3f} ms")
    assert median < 0.005


def test_signature_latency_is_under_5_ms(connection: CardConnection, test_card: Any) -> None:
    _tx(connection, f"00A4040C0A{JPKI}")
    pin = test_card.values["auth_pin"].encode()
    assert _auth_pin(connection, pin) == 0x9000
    assert _tx(connection, "00A4020C020017")[1] == 0x9000
    apdu = _sign_apdu(SHA256_DIGEST_INFO_PREFIX + bytes(32))
    timings = []
    for _ in range(30):
        start = time.perf_counter()
        assert _tx(connection, apdu)[1] == 0x9000
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(f"median COMPUTE SIGNATURE through pcscd: {median * 1000:.3f} ms")
    assert median < 0.005


def test_remove_and_insert(card_in_reader: InsertedCard, test_card: Any) -> None:
    connection = _connect(READER_0)
    _tx(connection, f"00A4040C0A{JPKI}")
    assert _auth_pin(connection, test_card.values["auth_pin"].encode()) == 0x9000
    card_in_reader.remove()
    assert not card_present(READER_0)
    with pytest.raises(CardConnectionException):
        _tx(connection, "00200080")
    with contextlib.suppress(CardConnectionException):
        connection.disconnect()
    card_in_reader.insert()
    assert card_present(READER_0)
    connection = _connect(READER_0)
    _tx(connection, f"00A4040C0A{JPKI}")
    assert _auth_pin(connection) == 0x63C3  # leaving the reader ended the session
    connection.disconnect()


def test_reset_by_the_host_clears_the_session(connection: CardConnection, test_card: Any) -> None:
    _tx(connection, f"00A4040C0A{JPKI}")
    assert _auth_pin(connection, test_card.values["auth_pin"].encode()) == 0x9000
    connection.reconnect(mode=scard.SCARD_SHARE_EXCLUSIVE, disposition=scard.SCARD_RESET_CARD)
    assert _tx(connection, "00200080")[1] == 0x6986  # nothing selected any more
    _tx(connection, f"00A4040C0A{JPKI}")
    assert _auth_pin(connection) == 0x63C3


def test_two_cards_in_two_readers(
    card_in_reader: InsertedCard,
    issue_test_card: Callable[..., Any],
    insert_test_card: Callable[..., InsertedCard],
) -> None:
    other = issue_test_card()
    insert_test_card(other, READER_1)
    serials = []
    for reader in (READER_0, READER_1):
        connection = _connect(reader)
        _tx(connection, f"00A4040C0A{JPKI}")
        serials.append(x509.load_der_x509_certificate(_read_ef(connection, 0x000A)).serial_number)
        connection.disconnect()
    assert serials == [
        int(card_in_reader.values["auth_serial"], 16),
        int(other.values["auth_serial"], 16),
    ]


def test_pin_tries_spent_through_pcscd_are_in_the_card_file(
    connection: CardConnection, card_in_reader: InsertedCard, test_card: Any
) -> None:
    _tx(connection, f"00A4040C0A{JPKI}")
    wrong = b"0000" if test_card.values["auth_pin"] != "0000" else b"1111"
    assert _auth_pin(connection, wrong) == 0x63C2
    restarted = VirtualCard.from_path(card_in_reader.path)
    assert restarted.process(bytes.fromhex(f"00A4040C0A{JPKI}")) == b"\x90\x00"
    assert restarted.process(bytes.fromhex("00A4020C020018")) == b"\x90\x00"
    assert restarted.process(bytes.fromhex("00200080")) == b"\x63\xc2"
