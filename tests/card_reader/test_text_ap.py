"""Text AP session: PIN, 照合番号A/B, My Number, basic 4 info."""

from __future__ import annotations

import pytest

from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.errors import MalformedResponse, PinBlocked, WrongPin
from kiosk.card_reader.scripted import ScriptedTransport
from kiosk.card_reader.text_ap import TEXT_AP_AID, TextApSession
from kiosk.card_reader.tlv import encode

from .builders import (
    FAKE_ADDRESS,
    FAKE_NAME,
    MY_NUMBER,
    basic_info_file,
    my_number_file,
    read_sfi,
)

SELECT_TEXT = "00A4040C0A" + TEXT_AP_AID.hex()


def session(
    steps: list[tuple[str | None, str | BaseException]], *, fast_forms: bool = True
) -> tuple[TextApSession, ScriptedTransport]:
    transport = ScriptedTransport([(SELECT_TEXT, "9000"), *steps])
    return TextApSession(CardChannel(transport, fast_forms=fast_forms)), transport


def test_pin_then_my_number() -> None:
    """The reference forms: SELECT EF 0011, VERIFY the current EF, SELECT EF 0001 and read
    the 17 bytes the file holds in one command (as myna does)."""
    text, transport = session(
        [
            ("00A4020C020011", "9000"),
            ("00200080", "63C3"),
            ("002000800431323334", "9000"),
            ("00A4020C020001", "9000"),
            ("00B0000011", my_number_file().hex() + "9000"),
        ],
        fast_forms=False,
    )
    assert text.pin_status().tries_left == 3
    text.verify_pin(bytearray(b"1234"))
    number = text.read_my_number()
    assert isinstance(number, bytearray)
    assert number == bytearray(MY_NUMBER)
    transport.assert_done()


def test_wrong_text_pin_to_blocked() -> None:
    text, _ = session(
        [
            ("00A4020C020011", "9000"),
            ("002000800430303030", "63C1"),
            ("002000800430303030", "63C0"),
        ]
    )
    with pytest.raises(WrongPin) as info:
        text.verify_pin(bytearray(b"0000"))
    assert info.value.attempts_left == 1
    with pytest.raises(PinBlocked):
        text.verify_pin(bytearray(b"0000"))


def test_unlock_with_check_codes() -> None:
    text, transport = session(
        [
            ("00A4020C020014", "9000"),
            ("002000800C" + MY_NUMBER.hex(), "9000"),
            ("00A4020C020015", "9000"),
            ("002000800E" + b"55021720352285".hex(), "63C9"),
        ]
    )
    text.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(WrongPin) as info:
        text.unlock_with_check_code_b(bytearray(b"55021720352285"))
    assert info.value.attempts_left == 9
    transport.assert_done()


def test_basic_info_parsed_and_hidden_in_repr() -> None:
    text, _ = session([(read_sfi(0x0002), basic_info_file().hex() + "6282")])
    info = text.read_basic_info()
    assert info.name == FAKE_NAME
    assert info.address == FAKE_ADDRESS
    assert info.birth_date == "19800217"
    assert info.sex == "2"
    for secret in (FAKE_NAME, FAKE_ADDRESS, "19800217", "山田"):
        assert secret not in repr(info)
        assert secret not in str(info)


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\x10\x0b" + MY_NUMBER[:11] + b"\xff\xff",
        b"\xff\x10\x0c" + MY_NUMBER[:11] + b"A\xff\xff",
        b"\xff\x20\x0c" + MY_NUMBER + b"\xff\xff",
    ],
)
def test_malformed_my_number(content: bytes) -> None:
    text, _ = session([(read_sfi(0x0001), content.hex() + "6282")])
    with pytest.raises(MalformedResponse) as info:
        text.read_my_number()
    assert MY_NUMBER.decode()[:11] not in str(info.value)


def test_basic_info_missing_field_is_malformed() -> None:
    body = encode(0xDF22, FAKE_NAME.encode()) + encode(0xDF23, FAKE_ADDRESS.encode())
    text, _ = session(
        [
            (read_sfi(0x0002), encode(0xFF20, body).hex() + "6282"),
        ]
    )
    with pytest.raises(MalformedResponse, match="missing tag"):
        text.read_basic_info()
