"""The flow on the real parts: pyscard -> pcscd -> vpcd -> virtual card, the reference backend
over mutual TLS, and the synthetic resident as camera (Qt-free; the UI has its own tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.assembly import KioskParts, assemble
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.errors import WrongPin
from kiosk.card_reader.jpki import JpkiPin
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import RenderedSource
from kiosk.flow.adapters.presence import PresenceRelay
from kiosk.flow.autoplay import Autoplay, AutoplayResult, drive
from kiosk.flow.config import FlowConfig
from kiosk.flow.machine import Flow
from kiosk.flow.states import Step
from kiosk.flow.work import QueuePump, ThreadRunner
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend, running_backend
from tests.backend_client.conftest import client_config
from tests.helpers.virtual_card import (
    DEFAULT_PHOTO,
    OTHER_PERSON_PHOTO,
    READER_0,
    TEST_PINS,
    InsertedCard,
    TestCard,
)

pytestmark = [
    pytest.mark.pcsc,
]
NEW_PIN = "RESET2026"



@pytest.fixture
def backend(tmp_path: Path, testbed_authority: TestAuthority) -> Iterator[RunningBackend]:
    with running_backend(tmp_path, testbed_authority.dir, None) as running:
        yield running


def resident_camera(photo: Path) -> Callable[[], RenderedSource]:
    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    assert image is not None
    rgb = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    return lambda: RenderedSource(SyntheticResident(rgb, seed=7), fps=15.0)


def run_flow(
    anchors: TrustAnchors, backend: RunningBackend, camera: Callable[[], RenderedSource],
    *, auth_pin: str = TEST_PINS["auth_pin"], text_pin: str = TEST_PINS["text_pin"],
    between: Callable[[Flow], None] | None = None,
) -> tuple[AutoplayResult, list[Step]]:
    pump = QueuePump()
    runner = ThreadRunner(pump.post)
    with ExitStack() as stack:
        flow = assemble(KioskParts(
            open_card=lambda: PcscTransport(READER_0),
            anchors=anchors,
            backend=client_config(backend),
            open_camera=camera,
            flow=FlowConfig(face_attempts=2),
        ), runner, stack)
        stack.callback(runner.shutdown)
        steps: list[Step] = []
        play = Autoplay(flow, auth_pin=auth_pin, new_pin=NEW_PIN, text_pin=text_pin,
                        on_step=lambda view: steps.append(view.step))
        watcher = ReaderWatcher(PresenceRelay(READER_0, flow.card_event, pump.post),
                                wait_seconds=0.2)
        watcher.start()
        stack.callback(watcher.stop)
        result = drive(flow, pump, play, timeout=90,
                       between=(lambda: between(flow)) if between else None)
    return result, steps


def sign_pin_accepted(pin: str) -> bool:
    with PcscTransport(READER_0) as transport:
        card = MyNumberCard.recognize(transport)
        try:
            card.jpki.verify_pin(JpkiPin.SIGN, bytearray(pin.encode()))
        except Exception:
            return False
        return True


@pytest.mark.slow
def test_success_on_the_real_stack_sets_the_new_sign_pin(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    result, steps = run_flow(anchors, backend, resident_camera(DEFAULT_PHOTO))
    assert result.success, result
    assert steps[:3] == [Step.START, Step.CONSENT, Step.PLACE_CARD]
    assert Step.FACE_CHECK in steps and steps[-1] == Step.DONE
    assert sign_pin_accepted(NEW_PIN)


@pytest.mark.slow
def test_a_text_pin_try_spent_on_another_day_does_not_look_like_a_swap(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    # The resident mistyped the text PIN some other day; today's correct one restores its
    # counter, which the reset's same-card check must expect.
    with PcscTransport(READER_0) as transport, pytest.raises(WrongPin):
        MyNumberCard.recognize(transport).text_ap.verify_pin(bytearray(b"0000"))
    result, steps = run_flow(anchors, backend, resident_camera(DEFAULT_PHOTO))
    assert result.success, result
    assert steps[-1] == Step.DONE
    assert sign_pin_accepted(NEW_PIN)


def test_wrong_auth_pin_on_the_real_card(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    result, _ = run_flow(anchors, backend, resident_camera(DEFAULT_PHOTO), auth_pin="9999")
    assert result.code == "K01" and "2 tries left" in result.detail


@pytest.mark.slow
def test_face_of_another_person_is_refused(
    issue_test_card: Callable[..., TestCard],
    insert_test_card: Callable[..., InsertedCard],
    anchors: TrustAnchors,
    backend: RunningBackend,
) -> None:
    card = issue_test_card(photo=OTHER_PERSON_PHOTO)
    insert_test_card(card)
    result, _ = run_flow(anchors, backend, resident_camera(DEFAULT_PHOTO))
    assert not result.success
    assert result.code in ("F01", "F02"), result


@pytest.mark.slow
def test_card_removed_mid_flow(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    removed = False

    def remove_during_face_check(flow: Flow) -> None:
        # While the camera runs no APDU is in flight: the watcher's event is what aborts.
        nonlocal removed
        if not removed and flow.view.step == Step.FACE_CHECK and flow.view.busy:
            removed = True
            card_in_reader.remove(wait=False)

    result, steps = run_flow(anchors, backend, resident_camera(DEFAULT_PHOTO),
                             between=remove_during_face_check)
    assert result.code == "C02", result
    assert Step.NEW_PIN not in steps


def test_backend_down_is_found_before_any_pin_try(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    backend.server.stop()
    result, _ = run_flow(anchors, backend, resident_camera(DEFAULT_PHOTO))
    assert result.code == "B01", result
    with PcscTransport(READER_0) as transport:
        counters = MyNumberCard.recognize(transport).read_retry_counters()
    assert counters.auth.tries_left == 3
