"""The autoplay resident, inline and on a real worker thread."""

from __future__ import annotations

import datetime as dt
import threading

from kiosk.flow.autoplay import Autoplay, drive
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.machine import Flow
from kiosk.flow.ports import CardPresence, MonotonicClock
from kiosk.flow.states import Step
from kiosk.flow.work import QueuePump, ThreadRunner

from .fakes import NO_MATCH, FakeBackend, FakeCard, FakeFace
from .kit import Kit, make_kit


def _autoplay(kit: Kit, **kwargs: str) -> Autoplay:
    options = {"auth_pin": "1234", "new_pin": "ZX81AB"} | kwargs
    return Autoplay(kit.flow, **options)  # type: ignore[arg-type]  # all str options


def test_autoplay_success_inline(kit: Kit) -> None:
    steps: list[Step] = []
    play = Autoplay(
        kit.flow, auth_pin="1234", new_pin="ZX81AB", on_step=lambda v: steps.append(v.step)
    )
    play.start()
    assert kit.step == Step.PLACE_CARD
    kit.flow.card_event(CardPresence.PRESENT)
    assert play.result is not None and play.result.success
    assert play.result.line() == "RESULT: success"
    assert kit.card.new_sign_pin == b"ZX81AB"
    assert steps[-1] == Step.DONE


def test_autoplay_cancels_on_a_wrong_pin_instead_of_spending_more_tries(kit: Kit) -> None:
    play = _autoplay(kit, auth_pin="9999")
    play.start()
    kit.flow.card_event(CardPresence.PRESENT)
    assert play.result is not None
    assert play.result.line() == f"RESULT: failure {FailureCode.CANCELLED.value}"
    assert "2 tries left" in play.result.detail
    assert kit.card.pins_seen == [b"9999"]


def test_autoplay_never_spends_the_last_try() -> None:
    kit = make_kit(card=FakeCard(auth_tries=1))
    play = _autoplay(kit)
    play.start()
    kit.flow.card_event(CardPresence.PRESENT)
    assert play.result is not None and not play.result.success
    assert kit.card.pins_seen == []


def test_autoplay_with_number_b(kit: Kit) -> None:
    play = _autoplay(kit, number_b="06010120304321")
    play.start()
    kit.flow.card_event(CardPresence.PRESENT)
    assert play.result is not None and play.result.success
    assert "read_photo_with_number_b" in kit.card.calls


def test_autoplay_reports_the_failure_code(kit: Kit) -> None:
    kit.face.results = [NO_MATCH]
    play = _autoplay(kit)
    play.start()
    kit.flow.card_event(CardPresence.PRESENT)
    assert play.result is not None and play.result.code == "F01"


def test_threaded_runner_keeps_work_off_the_driving_thread() -> None:
    pump = QueuePump()
    runner = ThreadRunner(pump.post)
    card, face, backend = FakeCard(), FakeFace(), FakeBackend()
    work_threads: set[str] = set()
    card.before = lambda name: work_threads.add(threading.current_thread().name)
    flow = Flow(
        card=card, face=face, backend=backend, clock=MonotonicClock(), runner=runner,
        today=lambda: dt.date(2026, 1, 1),
    )
    seen: list[Step] = []
    play = Autoplay(flow, auth_pin="1234", new_pin="ZX81AB", on_step=lambda v: seen.append(v.step))
    placed = False

    def place_card() -> None:
        nonlocal placed
        if not placed and flow.view.step == Step.PLACE_CARD:
            placed = True
            flow.card_event(CardPresence.PRESENT)

    try:
        result = drive(flow, pump, play, timeout=10, between=place_card)
    finally:
        runner.shutdown()
    assert result.success, result
    assert threading.main_thread().name not in work_threads
    assert all(name.startswith("kiosk-flow-work") for name in work_threads)
    assert card.new_sign_pin == b"ZX81AB"


def test_cancel_stops_a_running_face_check_and_wipes_the_photo() -> None:
    pump = QueuePump()
    runner = ThreadRunner(pump.post)
    card, face, backend = FakeCard(), FakeFace(), FakeBackend()
    face.block_until = lambda: False  # runs until told to stop
    flow = Flow(
        card=card, face=face, backend=backend, clock=MonotonicClock(), runner=runner,
    )
    try:
        flow.begin()
        flow.agree()
        flow.card_event(CardPresence.PRESENT)
        flow.approve()
        while flow.view.step == Step.READ_CARD:
            pump.pump(0.05)
        flow.submit_auth_pin(bytearray(b"1234"))
        while flow.view.step == Step.AUTH_PIN:
            pump.pump(0.05)
        flow.submit_same_pin_as_before(understood_it_costs_a_try=True)
        while flow.view.step == Step.UNLOCK_PHOTO:
            pump.pump(0.05)
        photo = flow._secrets.get("card_photo")
        assert photo is not None and len(photo) > 0
        flow.approve()
        while face.runs == 0:
            pump.pump(0.01)
        flow.cancel()
        assert flow.view.failure == FailureCode.CANCELLED
        assert len(photo) > 0  # the worker still holds it: wiping waits for it to return
        for _ in range(100):
            pump.pump(0.02)
            if len(photo) == 0:
                break
        assert photo == bytearray()
    finally:
        runner.shutdown()
