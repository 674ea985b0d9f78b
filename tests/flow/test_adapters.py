"""The adapters from the real parts to the flow's ports: mappings and error translation."""

from __future__ import annotations

import pytest

from kiosk.backend_client.errors import (
    BackendUnreachableError,
    CardRejectedError,
    ProtocolError,
    RefusedByPolicyError,
    ServerError,
)
from kiosk.card_reader import errors as card_errors
from kiosk.card_reader import events
from kiosk.face_match.actions import Action
from kiosk.flow import ports
from kiosk.flow.adapters.backend import translated_backend_errors
from kiosk.flow.adapters.card import translated_card_errors
from kiosk.flow.adapters.face import prompt_for
from kiosk.flow.adapters.presence import PresenceRelay, presence_for
from kiosk.flow.ports import CardPresence

R = "Virtual PCD 00 00"


@pytest.mark.parametrize(
    ("event", "presence"),
    [
        (events.CardInserted(R, b"\x3b"), CardPresence.PRESENT),
        (events.CardMute(R), CardPresence.PRESENT),
        (events.CardRemoved(R), CardPresence.ABSENT),
        (events.ReaderAdded(R), CardPresence.ABSENT),
        (events.ReaderRemoved(R), CardPresence.NO_READER),
        (events.ServiceUnavailable("down"), CardPresence.NO_READER),
        (events.ServiceBack(), None),
        (events.CardInserted("Virtual PCD 00 01", b"\x3b"), None),  # another reader
    ],
)
def test_reader_events_become_presence(
    event: events.ReaderEvent, presence: CardPresence | None
) -> None:
    assert presence_for(event, R) == presence


def test_presence_relay_posts_to_the_driving_thread() -> None:
    posted: list[object] = []
    seen: list[CardPresence] = []
    relay = PresenceRelay(R, seen.append, posted.append)
    relay(events.CardInserted(R, b"\x3b"))
    relay(events.CardInserted("other", b"\x3b"))
    assert seen == [] and len(posted) == 1
    posted[0]()  # type: ignore[operator]
    assert seen == [CardPresence.PRESENT]


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (card_errors.WrongPin(2), ports.WrongPinError),
        (card_errors.PinBlocked(), ports.PinBlockedError),
        (card_errors.CardLost(), ports.CardRemovedError),
        (card_errors.ReaderUnavailable("gone"), ports.ReaderUnavailableError),
        (card_errors.ReaderBusy(), ports.ReaderUnavailableError),
        (card_errors.NotAMyNumberCard("no JPKI AP"), ports.NotAMyNumberCardError),
        (card_errors.CardFaceInvalid("clone"), ports.CardFaceInvalidError),
        (card_errors.ChipMismatch("another chip"), ports.CardMismatchError),
        (card_errors.MalformedResponse("short"), ports.CardFaultError),
        (card_errors.CardUnresponsive(), ports.CardFaultError),
    ],
)
def test_card_errors_are_translated(raised: Exception, expected: type[Exception]) -> None:
    with pytest.raises(expected), translated_card_errors():
        raise raised


def test_wrong_pin_keeps_the_count() -> None:
    with pytest.raises(ports.WrongPinError) as caught, translated_card_errors():
        raise card_errors.WrongPin(1)
    assert caught.value.attempts_left == 1


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (BackendUnreachableError("down"), ports.BackendOfflineError),
        (RefusedByPolicyError("rate_limit"), ports.BackendRefusedError),
        (CardRejectedError("revoked"), ports.BackendCardRejectedError),
        (CardRejectedError("card_binding_mismatch"), ports.CardMismatchError),
        (ServerError("internal", 500), ports.BackendFailedError),
        (ProtocolError("malformed_reply"), ports.BackendFailedError),
    ],
)
def test_backend_errors_are_translated(raised: Exception, expected: type[Exception]) -> None:
    with pytest.raises(expected), translated_backend_errors():
        raise raised


def test_liveness_actions_become_prompts() -> None:
    assert prompt_for(Action.BLINK) == ports.LivenessPrompt.BLINK
    assert prompt_for(Action.TURN_LEFT) == ports.LivenessPrompt.TURN_LEFT
    assert prompt_for(None) is None
    for action in Action:  # every action the challenge can ask for has words on the screen
        prompt = prompt_for(action)
        assert prompt is not None and prompt.value == action.value


def test_every_face_hint_reaches_the_flow() -> None:
    from kiosk.face_match.quality import Hint
    from kiosk.flow.adapters.face import HINTS

    assert set(HINTS) == set(Hint)


def test_the_card_face_is_trusted_only_with_this_sessions_chip_proof(
    issue_test_card: object, anchors: object, tmp_path: object
) -> None:
    """The adapter keeps the chip's signature over the backend's chip nonce and checks the
    card face's DF24 key against it: another card's chip (a spliced card) is C11, no proof at
    all is C08, and the face binding names the face that passed."""
    from pathlib import Path
    from typing import Any

    from kiosk.flow.adapters.card import CardReaderAdapter
    from kiosk.flow.ports import CardFaceInvalidError, CardMismatchError
    from kiosk_protocol.signing import chip_proof_digest_info
    from kiosk_testbed.card.in_process import InProcessTransport
    from kiosk_testbed.card.shims import SplicedCard
    from kiosk_testbed.card.virtual_card import VirtualCard
    from tests.helpers.virtual_card import TEST_PINS

    issue: Any = issue_test_card
    folder = Path(str(tmp_path))
    victim_card, attacker_card = issue(), issue()
    victim = VirtualCard.from_path(victim_card.copy_to(folder / "v.json"))
    attacker = VirtualCard.from_path(attacker_card.copy_to(folder / "a.json"))
    digest_info = chip_proof_digest_info("tx_" + "0" * 32, bytes(32), "kiosk-1")

    def adapter(card: Any) -> CardReaderAdapter:
        return CardReaderAdapter(lambda: InProcessTransport(card), anchors)  # type: ignore[arg-type]

    honest = adapter(victim)
    honest.read_card()
    with pytest.raises(CardFaceInvalidError):  # no chip proof yet in this session
        honest.read_photo_with_text_pin(bytearray(TEST_PINS["text_pin"].encode()))
    with pytest.raises(CardFaceInvalidError):  # ... refused before the PIN goes to the card
        honest.read_photo_with_text_pin(bytearray(b"0000"))
    assert honest.read_counters()[1].text_pin == 3  # no try spent
    honest.sign_with_chip_key(digest_info)
    assert honest.read_photo_with_text_pin(bytearray(TEST_PINS["text_pin"].encode()))
    binding = honest.face_binding()
    assert binding.card_face_sha256 == victim_card.values["card_face_sha256"]
    assert binding.chip_key_sha256 == victim_card.values["chip_key_sha256"]
    honest.close()

    spliced = adapter(SplicedCard(victim, attacker, chip_signatures_from_jpki_card=True))
    spliced.read_card()
    spliced.sign_with_chip_key(digest_info)  # the victim's chip signs
    with pytest.raises(CardMismatchError):  # ... but the face shown is the attacker's
        spliced.read_photo_with_text_pin(bytearray(TEST_PINS["text_pin"].encode()))
    with pytest.raises(CardFaceInvalidError):
        spliced.face_binding()
