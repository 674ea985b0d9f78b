"""A genuine virtual card whose answers are damaged on the way (bit flips, cuts, extra bytes,
other status words): deep parsing paths (card face, CV certificate, DF28, chip check,
certificates, basic info, My Number) see nearly valid data. Only ``CardError`` may escape,
and a damaged answer is never accepted as a trusted card face."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import TrustAnchors, TrustedCardFace
from kiosk.card_reader.errors import CardError
from kiosk.card_reader.jpki import JpkiPin
from kiosk.card_reader.transport import TransportBase
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.card_file import CardFile
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.helpers.virtual_card import TestCard
from tests.hostile.budget import bounded, hostile
from tests.hostile.hostile_card import MAX_APDUS, PLAUSIBLE_SW


class DamagingTransport(TransportBase):
    """Passes APDUs to a real virtual card and damages some of its answers."""

    def __init__(self, card: VirtualCard, data: st.DataObject) -> None:
        self.card = card
        self.data = data
        self.count = 0
        self.damaged = 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.count += 1
        if self.count > MAX_APDUS:
            raise AssertionError("the host never stops asking")
        answer = bytearray(self.card.process(bytes(apdu)))
        how = self.data.draw(st.integers(0, 9), label="damage")
        if how >= 4 or len(answer) < 2:
            return bytes(answer[:-2]), int.from_bytes(answer[-2:], "big")
        self.damaged += 1
        body, sw = answer[:-2], int.from_bytes(answer[-2:], "big")
        if how == 0 and body:  # flip bits in one byte
            at = self.data.draw(st.integers(0, len(body) - 1), label="at")
            body[at] ^= self.data.draw(st.integers(1, 255), label="xor")
        elif how == 1:  # cut
            body = body[: self.data.draw(st.integers(0, len(body)), label="cut")]
        elif how == 2:  # extra bytes
            body += self.data.draw(st.binary(min_size=1, max_size=40), label="extra")
        else:  # another status word
            sw = self.data.draw(st.sampled_from(PLAUSIBLE_SW), label="sw")
        return bytes(body), sw

    def close(self) -> None:
        pass


@dataclass
class Bench:
    """One in-memory genuine card for every case (loading its keys is the slow part), the
    original retry counters to restore, the card's values and the card-face trust anchors."""

    card: VirtualCard
    pristine: CardFile
    values: dict[str, Any]
    anchors: TrustAnchors

    def fresh(self) -> VirtualCard:
        self.card.reset()
        self.card.card_file.pins = copy.deepcopy(self.pristine.pins)
        return self.card


@pytest.fixture(scope="module")
def bench(test_card: TestCard, testbed_authority: TestAuthority) -> Bench:
    card = VirtualCard(VirtualCard.from_path(test_card.template).card_file)
    anchors = TrustAnchors.from_pem_file(
        testbed_authority.card_face_ca_pub_path,
        testbed_authority.card_face_ca_key_id().hex(),
    )
    return Bench(card, copy.deepcopy(card.card_file), test_card.values, anchors)


def _trusted_face(card: MyNumberCard, values: dict[str, Any], anchors: TrustAnchors) -> object:
    card.card_info.unlock_with_my_number(bytearray(str(values["my_number"]).encode()))
    return card.card_info.read_trusted_card_face(anchors)


def _text_ap(card: MyNumberCard, values: dict[str, Any]) -> object:
    card.text_ap.verify_pin(bytearray(str(values["text_pin"]).encode()))
    number = card.text_ap.read_my_number()
    return number, card.text_ap.read_basic_info()


def _sign(card: MyNumberCard, values: dict[str, Any]) -> object:
    card.jpki.verify_pin(JpkiPin.AUTH, bytearray(str(values["auth_pin"]).encode()))
    return card.jpki.sign_with_auth_key(
        bytes.fromhex("3031300d060960864801650304020105000420") + bytes(32)
    )


def _reset_exchange(card: MyNumberCard) -> object:
    card.jpki.select(force=True)
    card.jpki.get_challenge(16)
    return card.jpki.relay(
        bytes.fromhex("0C2C029B1A8711") + bytes(17) + bytes.fromhex("8E08") + bytes(8) + b"\x00"
    )


Scenario = Callable[[MyNumberCard, dict[str, Any], TrustAnchors], object]
SCENARIOS: dict[str, Scenario] = {
    "recognize+snapshot": lambda card, v, a: MyNumberCard.recognize(card.channel).snapshot(),
    "trusted card face": _trusted_face,
    "text AP": lambda card, v, a: _text_ap(card, v),
    "JPKI certificates": lambda card, v, a: (
        card.jpki.token_label(),
        card.jpki.certificate_presence(),
        card.jpki.read_auth_certificate(),
        card.jpki.read_sign_ca_certificate(),
    ),
    "auth signature": lambda card, v, a: _sign(card, v),
    "reset exchange relay": lambda card, v, a: _reset_exchange(card),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@hostile(150)
@given(data=st.data())
def test_damaged_answers_of_a_real_card(name: str, data: st.DataObject, bench: Bench) -> None:
    transport = DamagingTransport(bench.fresh(), data)
    card = MyNumberCard(CardChannel(transport))
    with bounded(f"damaged card answers: {name}", seconds=5.0):
        try:
            result = SCENARIOS[name](card, bench.values, bench.anchors)
        except CardError:
            return
    if name == "trusted card face" and transport.damaged:
        # Damage may hit answers that do not matter (a status word the host ignores, bytes
        # after the TLV), but a damaged photo must never pass as trusted.
        assert isinstance(result, TrustedCardFace)
        assert result.face.photo in bench.pristine.files[(Ap.INFO, 0x0002)]


class _Undamaged(DamagingTransport):
    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_succeeds_on_an_undamaged_card(name: str, bench: Bench) -> None:
    """So the damaged runs above really reach the deep parsing paths."""
    card = MyNumberCard(CardChannel(_Undamaged(bench.fresh(), None)))  # type: ignore[arg-type]
    assert SCENARIOS[name](card, bench.values, bench.anchors) is not None
