"""Card, face and backend work runs on the worker thread, never on the GUI thread."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from pytestqt.qtbot import QtBot

from kiosk.flow.autoplay import Autoplay
from kiosk.flow.machine import Flow
from kiosk.flow.ports import CardPresence, MonotonicClock
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.ui.app import create_application, run_autoplay
from kiosk.ui.bridge import QtPoster, make_qt_runner
from kiosk.ui.window import KioskWindow, UiOptions
from tests.flow.fakes import FakeBackend, FakeCard, FakeFace


def test_autoplay_through_the_real_window_with_work_on_a_worker_thread(qtbot: QtBot) -> None:
    create_application()
    poster = QtPoster()
    runner = make_qt_runner(poster)
    card, face, backend = FakeCard(), FakeFace(), FakeBackend()
    threads: set[str] = set()
    card.before = lambda name: threads.add(threading.current_thread().name)
    gui_thread = threading.current_thread().name
    flow = Flow(card=card, face=face, backend=backend, clock=MonotonicClock(), runner=runner,
                today=lambda: dt.date(2026, 1, 1))
    window = KioskWindow(flow, UiOptions(language="ja", kiosk_mode=False, sound=False))
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    screens_seen: list[Step] = []

    def on_step(view: FlowView) -> None:
        screens_seen.append(window.current_screen.step)
        if view.step == Step.PLACE_CARD:
            poster.post(lambda: flow.card_event(CardPresence.PRESENT))

    play = Autoplay(flow, auth_pin="1234", new_pin="KIOSK7", on_step=on_step)
    try:
        result = run_autoplay(play, timeout=10)
        assert result.success, result
        assert result.line() == "RESULT: success"
        assert card.new_sign_pin == b"KIOSK7"
        assert gui_thread not in threads
        assert threads and all(t.startswith("kiosk-flow-work") for t in threads)
        assert Step.FACE_CHECK in screens_seen and Step.PROCESSING in screens_seen
    finally:
        window.shut_down()
        runner.shutdown()


def test_run_autoplay_gives_up_after_the_timeout(qtbot: QtBot) -> None:
    create_application()
    poster = QtPoster()
    runner = make_qt_runner(poster)
    flow = Flow(card=FakeCard(), face=FakeFace(), backend=FakeBackend(), clock=MonotonicClock(),
                runner=runner)
    window = KioskWindow(flow, UiOptions(kiosk_mode=False, sound=False))
    qtbot.addWidget(window)
    play = Autoplay(flow, auth_pin="1234", new_pin="KIOSK7")  # the card is never placed
    try:
        result = run_autoplay(play, timeout=0.3)
        assert result.line() == "RESULT: failure K03"
        assert flow.view.step == Step.PLACE_CARD
    finally:
        window.shut_down()
        runner.shutdown()


def test_display_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.ui.app import display_available

    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert not display_available()
    monkeypatch.setenv("DISPLAY", ":5")
    assert display_available()
