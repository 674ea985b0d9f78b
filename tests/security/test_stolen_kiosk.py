"""A stolen kiosk without backend access cannot reset anything: the card accepts the admin
command only when it is built with the card's own keys (held by the authority) for the
challenge the card just gave. Through pcscd with the product's card layer (what a thief who
owns the kiosk software would use), and as a property over the virtual card itself.

Complements tests/testbed/test_admin_command.py (the card's checks one by one, in process)
and tests/backend/test_refusals.py (altered and replayed commands from the real server).

A thief who copies the kiosk's key files as well gets nothing the backend accepts: the keys
live in the kiosk's TPM (swtpm in tests); see tests/tpm/test_tpm_kiosk.py
(`test_copied_key_files_and_a_stolen_card_reset_nothing`, evidence signed outside the TPM or
after a PCR change) and tests/tpm/test_tls_with_tpm_key.py (copied TLS key files)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.errors import PinBlocked, WrongPin
from kiosk.card_reader.jpki import JpkiPin
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card import layout
from kiosk_testbed.card.card_file import CardFile
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.secure_messaging import build_reset_command, derive_admin_keys
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.helpers.virtual_card import TEST_PINS, InsertedCard, TestCard
from tests.hostile.budget import bounded, hostile

SIGN = (Ap.JPKI, layout.JPKI_SIGN_PIN)
REFUSED = {
    b"\x69\x88",
    b"\x69\x85",
    b"\x69\x82",
    b"\x6a\x86",
    b"\x67\x00",
    b"\x6e\x00",
    b"\x6d\x00",
    b"\x69\x84",
}


def sign_pin(card: VirtualCard) -> tuple[str, int]:
    state = card.card_file.pins[SIGN]
    return state.value, state.tries_left


Forgery = Callable[[bytes, bytes, TestAuthority], bytes]  # (card id, challenge) -> APDU


def _genuine_keys(card_id: bytes, authority: TestAuthority) -> tuple[bytes, bytes]:
    return authority.admin_keys_for(card_id)


FORGERIES: dict[str, Forgery] = {
    "random MAC": lambda card_id, rnd, a: _with_mac(
        build_reset_command(*_genuine_keys(card_id, a), rnd, b"THIEF123"), os.urandom(8)
    ),
    "zero MAC": lambda card_id, rnd, a: _with_mac(
        build_reset_command(*_genuine_keys(card_id, a), rnd, b"THIEF123"), bytes(8)
    ),
    "keys from another master secret": lambda card_id, rnd, a: build_reset_command(
        *derive_admin_keys(os.urandom(32), card_id), rnd, b"THIEF123"
    ),
    "keys of another card": lambda card_id, rnd, a: build_reset_command(
        *_genuine_keys(card_id + b"\x01", a), rnd, b"THIEF123"
    ),
    "genuine keys, other challenge": lambda card_id, rnd, a: build_reset_command(
        *_genuine_keys(card_id, a), bytes(16), b"THIEF123"
    ),
    "all-zero keys": lambda card_id, rnd, a: build_reset_command(
        bytes(16), bytes(16), rnd, b"THIEF123"
    ),
}


def _with_mac(apdu: bytes, mac: bytes) -> bytes:
    # ... 8E 08 <mac> 00
    return apdu[:-9] + mac + apdu[-1:]


def _block_sign_pin(card: MyNumberCard) -> None:
    for _ in range(5):
        try:
            card.jpki.verify_pin(JpkiPin.SIGN, bytearray(b"WRONG9"))
        except (WrongPin, PinBlocked):
            continue


@pytest.mark.pcsc
def test_no_forged_reset_command_works_through_the_reader(
    card_in_reader: InsertedCard, testbed_authority: TestAuthority
) -> None:
    from kiosk.card_reader.pcsc import PcscTransport

    virtual = card_in_reader.card
    card_id = virtual.card_id
    with PcscTransport(card_in_reader.reader) as transport:
        card = MyNumberCard.recognize(transport)
        _block_sign_pin(card)  # what a thief wants: to unblock a blocked PIN
        assert sign_pin(virtual) == (TEST_PINS["sign_pin"], 0)
        captured: bytes | None = None
        for name, forge in FORGERIES.items():
            card.jpki.select(force=True)
            challenge = card.jpki.get_challenge(16)
            answer = card.jpki.relay(forge(card_id, challenge, testbed_authority))
            assert answer in REFUSED, (name, answer.hex())
            assert sign_pin(virtual) == (TEST_PINS["sign_pin"], 0), name
        # A command the authority really built, captured on its way (as the server would
        # send it): it works once for its own challenge ...
        card.jpki.select(force=True)
        challenge = card.jpki.get_challenge(16)
        captured = build_reset_command(
            *testbed_authority.admin_keys_for(card_id), challenge, b"OWNER123"
        )
        assert card.jpki.relay(captured)[-2:] == b"\x90\x00"
        assert sign_pin(virtual) == ("OWNER123", 5)
        # ... and never again: replayed without a challenge, and after a fresh one.
        card.jpki.select(force=True)
        assert card.jpki.relay(captured) == b"\x69\x85"
        card.jpki.get_challenge(16)
        assert card.jpki.relay(captured) == b"\x69\x88"
        # Without secure messaging or by other commands: refused as well.
        _block_sign_pin(card)
        for plain in ("002C029B00", "002C039B", "0024019B06414243313233", "002C0280"):
            card.jpki.select(force=True)
            card.jpki.get_challenge(16)
            assert card.jpki.relay(bytes.fromhex(plain)) in REFUSED, plain
        with pytest.raises(PinBlocked):
            card.jpki.verify_pin(JpkiPin.SIGN, bytearray(b"OWNER123"))
    assert sign_pin(virtual) == ("OWNER123", 0)


# --- the same as a property over the card itself ---------------------------------------------


@pytest.fixture(scope="module")
def blocked_card(test_card: TestCard) -> tuple[VirtualCard, CardFile]:
    card = VirtualCard(VirtualCard.from_path(test_card.template).card_file)
    card.card_file.pins[SIGN].tries_left = 0
    return card, copy.deepcopy(card.card_file)


sm_bodies = st.one_of(
    st.binary(max_size=60),
    st.builds(  # the right shape: DO87 (indicator 01, 16 or 32 cryptogram bytes) ‖ DO8E 8
        lambda crypto, mac: (
            b"\x87" + bytes([len(crypto) + 1]) + b"\x01" + crypto + b"\x8e\x08" + mac
        ),
        st.one_of(st.binary(min_size=16, max_size=16), st.binary(min_size=32, max_size=32)),
        st.binary(min_size=8, max_size=8),
    ),
)


@hostile(300)
@given(
    body=sm_bodies,
    header=st.sampled_from(
        ["0C2C029B", "0C2C039B", "0C2C0200", "002C029B", "8C2C029B", "0C24019B"]
    ),
    with_le=st.booleans(),
)
def test_no_command_without_the_cards_keys_changes_the_sign_pin(
    blocked_card: tuple[VirtualCard, CardFile], body: bytes, header: str, with_le: bool
) -> None:
    card, pristine = blocked_card
    card.reset()
    card.card_file.pins = copy.deepcopy(pristine.pins)
    apdu = bytes.fromhex(header) + bytes([len(body)]) + body + (b"\x00" if with_le else b"")
    with bounded("stolen kiosk: forged admin commands"):
        assert card.process(bytes.fromhex("00A4040C0A") + layout_jpki_aid()) == b"\x90\x00"
        assert len(card.process(bytes.fromhex("0084000010"))) == 18
        answer = card.process(apdu)
    assert answer in REFUSED, answer.hex()
    assert card.card_file.pins[SIGN].tries_left == 0
    assert card.card_file.pins[SIGN].value == pristine.pins[SIGN].value


def test_every_single_byte_change_of_a_genuine_command_is_refused(
    blocked_card: tuple[VirtualCard, CardFile], testbed_authority: TestAuthority
) -> None:
    """Exhaustive over positions: each byte of a genuine command XOR 01, 80 and FF."""
    card, pristine = blocked_card
    keys = testbed_authority.admin_keys_for(card.card_id)
    checked = 0
    for xor in (0x01, 0x80, 0xFF):
        for position in range(4, 35):  # after CLA INS P1 P2 (tested above); 35-byte command
            card.reset()
            card.card_file.pins = copy.deepcopy(pristine.pins)
            card.process(bytes.fromhex("00A4040C0A") + layout_jpki_aid())
            challenge = card.process(bytes.fromhex("0084000010"))[:-2]
            apdu = bytearray(build_reset_command(*keys, challenge, b"THIEF123"))
            if position >= len(apdu):
                continue
            apdu[position] ^= xor
            answer = card.process(bytes(apdu))
            checked += 1
            if answer[-2:] == b"\x90\x00":  # only a change of the trailing Le may pass ...
                assert position == len(apdu) - 1, (position, xor)
                assert card.card_file.pins[SIGN].value == "THIEF123"  # ... the same command
                continue
            assert card.card_file.pins[SIGN].tries_left == 0, (position, xor, answer.hex())
    assert checked == 3 * 31


def layout_jpki_aid() -> bytes:
    return next(aid for aid, ap in layout.AIDS.items() if ap == Ap.JPKI)
