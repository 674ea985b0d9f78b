"""Every card-session operation against a card answering arbitrary bytes: a result or a
``CardError`` (the card layer's documented errors), never another exception, never a hang."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import CardInfoPin, TrustAnchors
from kiosk.card_reader.errors import CardError
from kiosk.card_reader.jpki import JpkiPin
from tests.hostile.budget import bounded, hostile
from tests.hostile.hostile_card import HostileTransport

_CHIP_KEY = rsa.generate_private_key(65537, 2048).public_key()
_ANCHORS = TrustAnchors()
_ANCHORS.add(bytes(16), _CHIP_KEY)

Operation = Callable[[MyNumberCard], object]

OPERATIONS: dict[str, Operation] = {
    "recognize+snapshot": lambda card: MyNumberCard.recognize(card.channel).snapshot(),
    "retry_counters": lambda card: card.read_retry_counters(),
    "jpki.token_label": lambda card: card.jpki.token_label(),
    "jpki.certificate_presence": lambda card: card.jpki.certificate_presence(),
    "jpki.read_auth_certificate": lambda card: card.jpki.read_auth_certificate(),
    "jpki.read_auth_ca_certificate": lambda card: card.jpki.read_auth_ca_certificate(),
    "jpki.read_sign_certificate": lambda card: card.jpki.read_sign_certificate(),
    "jpki.pin_status": lambda card: card.jpki.pin_status(JpkiPin.SIGN),
    "jpki.verify_pin": lambda card: card.jpki.verify_pin(JpkiPin.AUTH, bytearray(b"1234")),
    "jpki.sign_with_auth_key": lambda card: card.jpki.sign_with_auth_key(bytes(51)),
    "jpki.get_challenge": lambda card: card.jpki.get_challenge(16),
    "jpki.relay": lambda card: card.jpki.relay(bytes.fromhex("0C2C029B04870100") + bytes(4)),
    "text.pin_status": lambda card: card.text_ap.pin_status(),
    "text.verify_pin": lambda card: card.text_ap.verify_pin(bytearray(b"5678")),
    "text.read_my_number": lambda card: card.text_ap.read_my_number(),
    "text.read_basic_info": lambda card: card.text_ap.read_basic_info(),
    "info.check_code_status": lambda card: card.card_info.check_code_status(
        CardInfoPin.CHECK_CODE_B
    ),
    "info.unlock": lambda card: card.card_info.unlock_with_my_number(bytearray(b"123456789018")),
    "info.read_card_face": lambda card: card.card_info.read_card_face(),
    "info.read_cv_certificate": lambda card: card.card_info.read_cv_certificate(),
    "info.authenticate_chip": lambda card: card.card_info.authenticate_chip(_CHIP_KEY),
    "info.read_trusted_card_face": lambda card: card.card_info.read_trusted_card_face(_ANCHORS),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@hostile(60)
@given(data=st.data())
def test_operation_over_a_hostile_card(name: str, data: st.DataObject) -> None:
    transport = HostileTransport(data)
    card = MyNumberCard(CardChannel(transport))
    with bounded(f"card answers: {name}"), contextlib.suppress(CardError):
        OPERATIONS[name](card)


@hostile(150)
@given(data=st.data())
def test_a_whole_session_over_a_hostile_card(data: st.DataObject) -> None:
    """Several operations on one channel, so remembered state (extended lengths, SFI support,
    the selected application) is attacked too."""
    transport = HostileTransport(data)
    names = data.draw(st.lists(st.sampled_from(sorted(OPERATIONS)), min_size=2, max_size=8))
    card = MyNumberCard(CardChannel(transport))
    with bounded("card answers: session of several operations", seconds=5.0):
        for name in names:
            try:
                OPERATIONS[name](card)
            except CardError:
                continue
