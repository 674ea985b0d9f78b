"""JPKI AP session over scripted transports."""

from __future__ import annotations

import pytest

from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.errors import (
    CardError,
    CardLost,
    InvalidPinFormat,
    MalformedResponse,
    PinBlocked,
    SecurityStatusNotSatisfied,
    WrongPin,
)
from kiosk.card_reader.jpki import JPKI_AID, JpkiPin, JpkiSession, PinStatus
from kiosk.card_reader.scripted import ScriptedTransport

from .builders import fake_certificate, read_sfi

SELECT_JPKI = "00A4040C0A" + JPKI_AID.hex()


SELECT = "00A4020C02"  # SELECT EF by file id, no FCI: + the 2-byte id


def session(
    steps: list[tuple[str | None, str | BaseException]], *, fast_forms: bool = False
) -> tuple[JpkiSession, ScriptedTransport]:
    """A session in the reference forms (OpenSC / myna) unless ``fast_forms``."""
    transport = ScriptedTransport([(SELECT_JPKI, "9000"), *steps])
    return JpkiSession(CardChannel(transport, fast_forms=fast_forms)), transport


def test_token_label_and_certificate_presence() -> None:
    label = b"JPKIAPICCTOKEN2".ljust(32, b" ")
    jpki, transport = session(
        [
            (SELECT + "0006", "9000"),
            ("00B0000020", label.hex() + "9000"),
            (SELECT + "0008", "9000"),
            ("00B0000003", "8F8F00" + "9000"),
        ]
    )
    assert jpki.token_label() == "JPKIAPICCTOKEN2"
    assert jpki.certificate_presence().sign is True
    transport.assert_done()


def test_token_label_and_presence_in_fast_forms_once_accepted() -> None:
    label = b"JPKIAPICCTOKEN2".ljust(32, b" ")
    jpki, transport = session(
        [
            (read_sfi(0x0006, "000020"), label.hex() + "9000"),
            (read_sfi(0x0008, "000003"), "8F8F00" + "9000"),
        ],
        fast_forms=True,
    )
    assert jpki.token_label() == "JPKIAPICCTOKEN2"
    assert jpki.certificate_presence().sign is True
    transport.assert_done()


def test_no_signature_certificate_for_minors() -> None:
    jpki, _ = session([(SELECT + "0008", "9000"), ("00B0000003", "008F00" + "9000")])
    presence = jpki.certificate_presence()
    assert (presence.sign, presence.auth) == (False, True)


@pytest.mark.parametrize(
    ("method", "fid"),
    [
        ("read_auth_certificate", "000A"),
        ("read_auth_ca_certificate", "000B"),
        ("read_sign_ca_certificate", "0002"),
        ("read_sign_certificate", "0001"),
    ],
)
def test_certificates(method: str, fid: str) -> None:
    cert = fake_certificate(1200)
    chunks = [
        (f"00B0{offset >> 8:02X}{offset & 0xFF:02X}{min(256, 1200 - offset) % 256:02X}",
         cert[offset : offset + 256].hex() + "9000")
        for offset in range(0, 1200, 256)
    ]
    jpki, transport = session([(SELECT + fid, "9000"), *chunks])
    assert getattr(jpki, method)() == cert
    transport.assert_done()
    jpki, transport = session([(read_sfi(int(fid, 16)), cert.hex() + "6282")], fast_forms=True)
    assert getattr(jpki, method)() == cert
    transport.assert_done()


def test_sign_certificate_needs_the_sign_pin() -> None:
    jpki, _ = session([(SELECT + "0001", "9000"), ("00B0000000", "6982")])
    with pytest.raises(SecurityStatusNotSatisfied):
        jpki.read_sign_certificate()


def test_non_certificate_content_is_malformed() -> None:
    jpki, _ = session([(SELECT + "000A", "9000"), ("00B0000000", "0403010203" + "6282")])
    with pytest.raises(MalformedResponse, match="DER certificate"):
        jpki.read_auth_certificate()


@pytest.mark.parametrize(
    ("sw", "expected"),
    [
        ("63C3", PinStatus(3, False, False)),
        ("63C1", PinStatus(1, False, False)),
        ("63C0", PinStatus(0, True, False)),
        ("6984", PinStatus(0, True, False)),
        ("9000", PinStatus(3, False, True)),
        ("6300", PinStatus(None, False, False)),
    ],
)
def test_pin_status_by_empty_verify(sw: str, expected: PinStatus) -> None:
    jpki, transport = session([(SELECT + "0018", "9000"), ("00200080", sw)])
    assert jpki.pin_status(JpkiPin.AUTH) == expected
    transport.assert_done()


def test_sign_pin_status_addresses_ef_001b() -> None:
    jpki, _ = session([(SELECT + "001B", "9000"), ("00200080", "63C5")])
    assert jpki.pin_status(JpkiPin.SIGN).tries_left == 5


@pytest.mark.parametrize("fast_forms", [False, True])
def test_no_pin_command_ever_names_a_pin_by_short_file_id(fast_forms: bool) -> None:
    """VERIFY with P2 80|SFI is a form no reference client sends: a card might misread it,
    so PINs are always SELECTed and verified as the current EF, fast forms or not."""
    jpki, transport = session(
        [
            (SELECT + "0018", "9000"),
            ("00200080", "63C3"),
            ("002000800431323334", "9000"),
            (SELECT + "001B", "9000"),
            ("00200080", "63C5"),
        ],
        fast_forms=fast_forms,
    )
    jpki.pin_status(JpkiPin.AUTH)
    jpki.verify_pin(JpkiPin.AUTH, bytearray(b"1234"))  # the EF is current: no second SELECT
    jpki.pin_status(JpkiPin.SIGN)
    transport.assert_done()
    assert all(apdu[1] != 0x20 or apdu[3] == 0x80 for apdu in transport.sent)


def test_pin_status_unexpected_sw_is_a_card_error() -> None:
    jpki, _ = session([(SELECT + "0018", "9000"), ("00200080", "6A88")])
    with pytest.raises(CardError) as info:
        jpki.pin_status(JpkiPin.AUTH)
    assert info.value.sw == 0x6A88


def test_wrong_auth_pin_down_to_blocking() -> None:
    jpki, transport = session(
        [
            (SELECT + "0018", "9000"),
            ("002000800431313131", "63C2"),
            ("002000800431313131", "63C1"),
            ("002000800431313131", "63C0"),
            ("002000800431313131", "6984"),
            ("00200080", "6984"),
        ]
    )
    pin = bytearray(b"1111")
    with pytest.raises(WrongPin) as first:
        jpki.verify_pin(JpkiPin.AUTH, pin)
    assert first.value.attempts_left == 2
    with pytest.raises(WrongPin) as second:
        jpki.verify_pin(JpkiPin.AUTH, pin)
    assert second.value.attempts_left == 1
    with pytest.raises(PinBlocked):
        jpki.verify_pin(JpkiPin.AUTH, pin)
    with pytest.raises(PinBlocked):
        jpki.verify_pin(JpkiPin.AUTH, pin)
    assert jpki.pin_status(JpkiPin.AUTH).blocked
    assert pin == bytearray(b"1111")  # the caller's buffer is the caller's to wipe
    transport.assert_done()
    for error in (first.value, second.value):
        assert "1111" not in str(error) and "31313131" not in str(error)


def test_correct_pin() -> None:
    jpki, transport = session([(SELECT + "0018", "9000"), ("002000800431323334", "9000")])
    jpki.verify_pin(JpkiPin.AUTH, bytearray(b"1234"))
    transport.assert_done()


@pytest.mark.parametrize(
    ("which", "pin"),
    [
        (JpkiPin.AUTH, b"123"),
        (JpkiPin.AUTH, b"12345"),
        (JpkiPin.AUTH, b"12a4"),
        (JpkiPin.SIGN, b"ABC12"),
        (JpkiPin.SIGN, b"abc123"),
        (JpkiPin.SIGN, b"A" * 17),
        (JpkiPin.SIGN, "ＡＢＣ１２３".encode()),
        (JpkiPin.AUTH, "１２３４".encode()),  # full-width digits
        (JpkiPin.AUTH, b"123\n"),
        (JpkiPin.AUTH, b"12\xff4"),
    ],
)
def test_badly_formed_pins_never_reach_the_card(which: JpkiPin, pin: bytes) -> None:
    jpki, transport = session([])
    with pytest.raises(InvalidPinFormat):
        jpki.verify_pin(which, bytearray(pin))
    assert transport.sent == [bytes.fromhex(SELECT_JPKI)]


def test_card_rejecting_the_format_costs_no_try() -> None:
    jpki, _ = session([(SELECT + "001B", "9000"), ("0020008006414243313233", "6A80")])
    with pytest.raises(InvalidPinFormat) as info:
        jpki.verify_pin(JpkiPin.SIGN, bytearray(b"ABC123"))
    assert info.value.sw == 0x6A80


def test_sign_with_auth_key() -> None:
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + bytes(32)
    signature = bytes(range(256))
    jpki, transport = session(
        [
            (SELECT + "0017", "9000"),
            ("802A008033" + digest_info.hex() + "00", signature.hex() + "9000"),
        ]
    )
    assert jpki.sign_with_auth_key(digest_info) == signature
    transport.assert_done()


def test_sign_with_auth_key_in_61xx_parts() -> None:
    jpki, _ = session(
        [
            (SELECT + "0017", "9000"),
            ("802A00800101" + "00", "AA" * 200 + "6138"),
            ("00C0000038", "BB" * 56 + "9000"),
        ]
    )
    assert jpki.sign_with_auth_key(b"\x01") == b"\xaa" * 200 + b"\xbb" * 56


def test_sign_without_pin_is_refused() -> None:
    jpki, _ = session([(SELECT + "0017", "9000"), ("802A00800101" + "00", "6982")])
    with pytest.raises(SecurityStatusNotSatisfied):
        jpki.sign_with_auth_key(b"\x01")


def test_get_challenge() -> None:
    jpki, _ = session([("0084000010", "00112233445566778899AABBCCDDEEFF" + "9000")])
    assert jpki.get_challenge().hex() == "00112233445566778899aabbccddeeff"


def test_short_challenge_is_malformed() -> None:
    jpki, _ = session([("0084000010", "0011" + "9000")])
    with pytest.raises(MalformedResponse, match="2 of 16"):
        jpki.get_challenge()


def test_relay_sends_the_apdu_untouched_and_returns_data_and_sw() -> None:
    admin = bytes.fromhex("0C2C029B1A87110100112233445566778899AABBCCDDEEFF8E08010203040506070800")
    answer = "990290008E080102030405060708" + "9000"
    jpki, transport = session([("0084000010", "AB" * 16 + "9000"), (admin.hex(), answer)])
    jpki.get_challenge()
    assert jpki.relay(admin).hex().upper() == answer
    assert transport.sent[-1] == admin  # no SELECT in between: the challenge stays valid


def test_relay_returns_error_status_words_as_bytes() -> None:
    jpki, _ = session([("0084000010", "AB" * 16 + "9000"), (None, "6988")])
    jpki.get_challenge()
    assert jpki.relay(bytes.fromhex("0C2C029B00")) == bytes.fromhex("6988")


def test_card_removed_mid_command_propagates_typed() -> None:
    jpki, _ = session([(SELECT + "0018", "9000"), ("00200080", CardLost())])
    with pytest.raises(CardLost):
        jpki.pin_status(JpkiPin.AUTH)
