"""Attacks on "only the present card holder can reset", met where the kiosk would meet them:
the unmodified kiosk (its flow, card layer and backend client) talks through pyscard, pcscd
and vpcd to a shim in the reader slot, and to the real reference backend over mutual TLS.

- A spliced card: one slot, two genuine cards (the JPKI AP from a victim's stolen card with
  its shoulder-surfed auth PIN, every other application from the attacker's own card).
- A replayed chip answer: the chip's answer recorded in an earlier transaction.
- A fake holding only a victim's (public) auth certificate, tried three times, then the owner.
- A plain error status word handed back in place of the card's answer after a real reset.

The face check is a stub that always passes: in these attacks the attacker's face does match
the photo the kiosk is shown (the attacker's own), so the card binding must stop them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.backend_client import BackendClient
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.pcsc import PcscTransport
from kiosk.flow.adapters.backend import BackendAdapter
from kiosk.flow.adapters.card import CardReaderAdapter
from kiosk.flow.autoplay import Autoplay, AutoplayResult, drive
from kiosk.flow.config import FlowConfig
from kiosk.flow.machine import Flow
from kiosk.flow.ports import CardPresence, FaceListener, FaceResult, MonotonicClock
from kiosk.flow.work import QueuePump, ThreadRunner
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card import layout
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.shims import (
    ChipAnswerRecorder,
    ForgedResetAnswer,
    SplicedCard,
    certificate_only_card,
)
from kiosk_testbed.card.virtual_card import CardProfile, VirtualCard
from kiosk_testbed.vpcd import CardInSlot
from tests.backend.harness import RunningBackend, running_backend
from tests.backend_client.conftest import client_config
from tests.helpers.virtual_card import READER_0, TEST_PINS, TestCard, inserted_card

pytestmark = pytest.mark.pcsc

NEW_PIN = "ATTACK2026"


class PassingFace:
    """The attacker's face matches the photo shown (their own card's): the check passes."""

    def check(
        self, card_photo: bytearray, listener: FaceListener, should_stop: Callable[[], bool]
    ) -> FaceResult:
        del card_photo, listener, should_stop
        return FaceResult(True, True, 0.30, 0.55, 12, "stub/1", ("blink",))


@pytest.fixture
def backend(tmp_path: Path, testbed_authority: TestAuthority) -> Iterator[RunningBackend]:
    with running_backend(tmp_path / "backend", testbed_authority.dir, None) as running:
        yield running


def run_kiosk(
    backend: RunningBackend, anchors: TrustAnchors, *, auth_pin: str = TEST_PINS["auth_pin"]
) -> AutoplayResult:
    """One resident transaction on the unmodified kiosk, the card in reader 0."""
    pump = QueuePump()
    runner = ThreadRunner(pump.post)
    client = BackendClient(client_config(backend))
    flow = Flow(
        card=CardReaderAdapter(lambda: PcscTransport(READER_0), anchors),
        face=PassingFace(),
        backend=BackendAdapter(client),
        clock=MonotonicClock(),
        runner=runner,
        config=FlowConfig(face_attempts=1),
    )
    play = Autoplay(flow, auth_pin=auth_pin, new_pin=NEW_PIN, text_pin=TEST_PINS["text_pin"])
    flow.card_event(CardPresence.PRESENT)
    try:
        return drive(flow, pump, play, timeout=60)
    finally:
        settle(backend, pump)
        runner.shutdown()
        flow.close()
        client.close()


def settle(backend: RunningBackend, pump: QueuePump, seconds: float = 10.0) -> None:
    """Let the kiosk finish telling the backend how its transaction ended (it does so on its
    worker after the error screen is up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not backend.rows("SELECT 1 FROM transactions WHERE state <> 'closed'"):
            return
        pump.pump(0.05)


def sign_pin(card: VirtualCard) -> tuple[str, int]:
    state = card.card_file.pins[(Ap.JPKI, layout.JPKI_SIGN_PIN)]
    return state.value, state.tries_left


def outcomes(backend: RunningBackend) -> list[str]:
    return [row[0] for row in backend.rows("SELECT outcome FROM transactions ORDER BY created_at")]


def card_of(test_card: TestCard, path: Path) -> VirtualCard:
    return VirtualCard.from_path(test_card.copy_to(path))


@pytest.fixture
def victim(issue_test_card: Callable[..., TestCard], tmp_path: Path) -> VirtualCard:
    return card_of(issue_test_card(), tmp_path / "victim.card.json")


@pytest.fixture
def victim_and_attacker(
    victim: VirtualCard, issue_test_card: Callable[..., TestCard], tmp_path: Path
) -> tuple[VirtualCard, VirtualCard]:
    return victim, card_of(issue_test_card(), tmp_path / "attacker.card.json")


def in_reader(card: CardInSlot, path: Path) -> Any:
    return inserted_card(card, path, {}, READER_0)


@pytest.mark.parametrize(
    "chip_from_victim",
    [
        pytest.param(False, id="chip-of-the-attackers-card"),
        pytest.param(True, id="chip-of-the-victims-card"),
    ],
)
def test_spliced_card_cannot_reset_the_victims_pin(
    backend: RunningBackend,
    anchors: TrustAnchors,
    victim_and_attacker: tuple[VirtualCard, VirtualCard],
    tmp_path: Path,
    chip_from_victim: bool,
) -> None:
    """JPKI AP from the victim's card (and PIN), card face from the attacker's, the chip's
    signature from either: the card face, the chip and the certificate are not of one card.
    With the chip of the attacker's card the backend refuses the chip proof; with the chip of
    the victim's card the kiosk finds the chip does not sign for the face it shows (and the
    backend would refuse the face evidence naming the attacker's card face)."""
    victim, attacker = victim_and_attacker
    before = sign_pin(victim)
    spliced = SplicedCard(victim, attacker, chip_signatures_from_jpki_card=chip_from_victim)
    with in_reader(spliced, tmp_path / "slot"):
        result = run_kiosk(backend, anchors)
    assert not result.success
    assert result.code == "C11", result
    assert sign_pin(victim) == before
    assert outcomes(backend) == (["aborted"] if chip_from_victim else ["card_binding_mismatch"])


def test_replayed_chip_answer_is_worth_nothing(
    backend: RunningBackend, anchors: TrustAnchors, victim: VirtualCard, tmp_path: Path
) -> None:
    """A shim records the chip's answer in one transaction and plays it back in the next:
    the chip proof signs the backend's fresh chip nonce, so the old answer does not verify."""
    recorder = ChipAnswerRecorder(victim)
    before = sign_pin(victim)
    with in_reader(recorder, tmp_path / "slot"):
        genuine = _record_one_chip_answer(backend, anchors)
        assert genuine.code == "K01" and len(recorder.recorded) == 1, genuine
        recorder.replay = True
        replayed = run_kiosk(backend, anchors)
    assert replayed.code == "C11", replayed
    assert sign_pin(victim) == before
    assert outcomes(backend)[-1] == "card_binding_mismatch"


def _record_one_chip_answer(backend: RunningBackend, anchors: TrustAnchors) -> AutoplayResult:
    """A transaction that gets as far as the chip proof and is then cancelled by the resident
    (the autoplay refuses to type a new PIN that breaks the rules)."""
    pump = QueuePump()
    runner = ThreadRunner(pump.post)
    client = BackendClient(client_config(backend))
    flow = Flow(
        card=CardReaderAdapter(lambda: PcscTransport(READER_0), anchors),
        face=PassingFace(),
        backend=BackendAdapter(client),
        clock=MonotonicClock(),
        runner=runner,
        config=FlowConfig(face_attempts=1),
    )
    play = Autoplay(flow, auth_pin=TEST_PINS["auth_pin"], new_pin="lowercase",
                    text_pin=TEST_PINS["text_pin"])
    flow.card_event(CardPresence.PRESENT)
    try:
        return drive(flow, pump, play, timeout=60)
    finally:
        settle(backend, pump)
        runner.shutdown()
        flow.close()
        client.close()


def test_certificate_only_fake_three_times_then_the_owner_gets_through(
    backend: RunningBackend,
    anchors: TrustAnchors,
    victim_and_attacker: tuple[VirtualCard, VirtualCard],
    tmp_path: Path,
) -> None:
    """A fake holding only the victim's auth certificate (readable by anyone, no key; it says
    yes to any PIN) put into the kiosk three times: each proof fails and counts against the
    kiosk. Then the owner, with the real card and PIN, resets at once, at the same kiosk."""
    victim, attacker = victim_and_attacker
    fake = certificate_only_card(
        victim.card_file.files[(Ap.JPKI, layout.JPKI_AUTH_CERT)], attacker.card_file
    )
    for _ in range(3):
        with in_reader(fake, tmp_path / "fake"):
            result = run_kiosk(backend, anchors, auth_pin="0000")
        assert result.code == "B03", result
    with in_reader(victim, tmp_path / "owner"):
        owner = run_kiosk(backend, anchors)
    assert owner.success, owner
    assert sign_pin(victim) == (NEW_PIN, 5)
    assert outcomes(backend) == ["card_proof_invalid"] * 3 + ["pin_reset"]
    charged = backend.rows("SELECT card_ref FROM transactions ORDER BY created_at")
    assert charged[:3] == [(None,)] * 3


def test_forged_plain_error_after_a_real_reset_is_recorded_unconfirmed(
    backend: RunningBackend, anchors: TrustAnchors, victim: VirtualCard, tmp_path: Path
) -> None:
    """The card did set the new PIN, but the kiosk is handed a plain 6985 (no MAC) in place of
    the card's authenticated answer: the audit says unconfirmed, never "nothing changed",
    and the resident is told to try the new PIN (R02)."""
    shim = ForgedResetAnswer(victim)
    with in_reader(shim, tmp_path / "slot"):
        result = run_kiosk(backend, anchors)
    assert shim.genuine_answers, "the command reached the card"
    assert sign_pin(victim) == (NEW_PIN, 5)  # the card acted on it
    assert result.code == "R02", result
    assert outcomes(backend) == ["unconfirmed"]


# --- the same on a card that takes the fast forms (a smaller set) -------------------------------


def test_owner_resets_on_a_card_taking_the_fast_forms(
    backend: RunningBackend, anchors: TrustAnchors, test_card: TestCard, tmp_path: Path
) -> None:
    card = VirtualCard.from_path(test_card.copy_to(tmp_path / "fast.card.json"), CardProfile.FAST)
    with in_reader(card, tmp_path / "slot"):
        result = run_kiosk(backend, anchors)
    assert result.success, result
    assert sign_pin(card) == (NEW_PIN, 5)


def test_spliced_fast_card_cannot_reset_the_victims_pin(
    backend: RunningBackend,
    anchors: TrustAnchors,
    issue_test_card: Callable[..., TestCard],
    tmp_path: Path,
) -> None:
    victim = VirtualCard.from_path(
        issue_test_card().copy_to(tmp_path / "victim.json"), CardProfile.FAST
    )
    attacker = VirtualCard.from_path(
        issue_test_card().copy_to(tmp_path / "attacker.json"), CardProfile.FAST
    )
    before = sign_pin(victim)
    with in_reader(SplicedCard(victim, attacker), tmp_path / "slot"):
        result = run_kiosk(backend, anchors)
    assert result.code == "C11", result
    assert sign_pin(victim) == before
