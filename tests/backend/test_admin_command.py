"""The server's admin command against the testbed's independent implementation of §4."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk_backend.admin_command import (
    CardVerdict,
    build_reset_command,
    card_id_from_serial,
    session_keys,
    verify_answer,
)
from kiosk_testbed.card import secure_messaging as card_side

MASTER = bytes(range(32))
CARD_ID = card_id_from_serial(0x1234_5678_9ABC)


def test_card_id_is_the_minimal_big_endian_serial() -> None:
    assert card_id_from_serial(0x01FF) == b"\x01\xff"
    assert card_id_from_serial(1) == b"\x01"
    assert card_id_from_serial(0x1234_5678_9ABC) == card_side.card_id_from_serial(0x1234_5678_9ABC)


@settings(max_examples=30, deadline=None)
@given(
    challenge=st.binary(min_size=16, max_size=16),
    pin=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=16),
)
def test_the_card_opens_what_the_server_builds(challenge: bytes, pin: str) -> None:
    k_enc, k_mac = card_side.derive_admin_keys(MASTER, CARD_ID)
    apdu = build_reset_command(session_keys(MASTER, CARD_ID, challenge), bytearray(pin.encode()))
    assert apdu[:4] == bytes.fromhex("0C2C029B") and apdu[-1] == 0 and apdu[4] == len(apdu) - 6
    opened = card_side.open_reset_command(k_enc, k_mac, challenge, apdu[5:-1])
    assert opened.new_pin == pin.encode()
    # And the same bytes as the testbed's own host-side builder.
    assert apdu == card_side.build_reset_command(k_enc, k_mac, challenge, pin.encode())


def test_the_server_believes_only_authentic_answers() -> None:
    challenge = os.urandom(16)
    k_enc, k_mac = card_side.derive_admin_keys(MASTER, CARD_ID)
    card_keys = card_side.SessionKeys.derive(k_enc, k_mac, challenge)
    keys = session_keys(MASTER, CARD_ID, challenge)
    ok = card_side.reset_response(card_keys, 0x9000) + b"\x90\x00"
    bad_format = card_side.reset_response(card_keys, 0x6A80) + b"\x90\x00"
    assert verify_answer(keys, ok) is CardVerdict.PIN_SET
    assert verify_answer(keys, bad_format) is CardVerdict.PIN_FORMAT_REJECTED
    # Another challenge's keys (a replayed answer) or a flipped bit: not authentic.
    assert (
        verify_answer(session_keys(MASTER, CARD_ID, os.urandom(16)), ok)
        is CardVerdict.NOT_AUTHENTIC
    )
    flipped = bytearray(ok)
    flipped[3] ^= 0x01
    assert verify_answer(keys, bytes(flipped)) is CardVerdict.NOT_AUTHENTIC


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (b"\x69\x88", CardVerdict.COMMAND_REFUSED),
        (b"\x69\x85", CardVerdict.COMMAND_REFUSED),
        (b"\x90\x00", CardVerdict.NOT_AUTHENTIC),
        (b"\x01", CardVerdict.NOT_AUTHENTIC),
        (b"", CardVerdict.NOT_AUTHENTIC),
        (bytes(14) + b"\x90\x00", CardVerdict.NOT_AUTHENTIC),
        (b"\x99\x02\x90\x00\x8e\x08" + bytes(8) + b"\x6a\x80", CardVerdict.NOT_AUTHENTIC),
    ],
)
def test_malformed_or_plain_answers(answer: bytes, verdict: CardVerdict) -> None:
    assert verify_answer(session_keys(MASTER, CARD_ID, bytes(16)), answer) is verdict


def test_the_padded_pin_copy_is_wiped() -> None:
    pin = bytearray(b"WIPEME12")
    build_reset_command(session_keys(MASTER, CARD_ID, bytes(16)), pin)
    assert pin == bytearray(b"WIPEME12")  # the caller's buffer is the caller's to wipe
