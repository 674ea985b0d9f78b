"""Residents at ease: "more time?" countdown, help and staff call, step indicator, new-PIN
feedback, one liveness instruction with its picture, the accessible mode, voice guidance."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from kiosk.flow.machine import Flow
from kiosk.flow.ports import FaceHint, LivenessPrompt
from kiosk.flow.progress import TOTAL, position
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.flow.work import InlineRunner
from kiosk.ui.actions import action_text, has_pose, pose_for
from kiosk.ui.app import create_application
from kiosk.ui.driver import StillFlow
from kiosk.ui.i18n import Translations
from kiosk.ui.overlays import help_text
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.new_pin import NewPinScreen
from kiosk.ui.screens.pins import UnlockPhotoScreen
from kiosk.ui.window import KioskWindow, UiOptions
from kiosk.voice import Audio, Speaker
from tests.flow.fakes import FakeBackend, FakeCard, FakeClock, FakeFace

from .conftest import UiKit
from .test_window import click, enter_pin, go_to_auth_pin, screen, type_digits


class RecordingVoice:
    """Records every text it is asked to speak; makes a short tone."""

    def __init__(self, language: str, delay: float = 0.0) -> None:
        self.language = language
        self.texts: list[str] = []
        self._delay = delay
        self.started = threading.Event()

    def synthesize(self, text: str) -> Audio:
        self.started.set()
        self.texts.append(text)
        if self._delay:
            time.sleep(self._delay)
        return Audio(np.full(800, 1000, dtype=np.int16), 8000)


@pytest.fixture
def voiced(qtbot: QtBot):  # type: ignore[no-untyped-def]
    create_application()
    card = FakeCard()
    clock = FakeClock()
    flow = Flow(card=card, face=FakeFace(), backend=FakeBackend(), clock=clock,
                runner=InlineRunner(), today=lambda: dt.date(2026, 11, 25))
    voices = {"ja": RecordingVoice("ja"), "en": RecordingVoice("en")}
    played: list[Audio] = []
    speaker = Speaker(voices, play=lambda audio, device: played.append(audio))  # type: ignore[arg-type]
    calls: list[str] = []
    window = KioskWindow(flow, UiOptions(language="en", kiosk_mode=False, sound=False),
                         speaker=speaker, call_staff=calls.append)
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    kit = UiKit(window, flow, card, FakeFace(), FakeBackend(), clock)
    yield kit, voices, calls, speaker
    window.shut_down()
    speaker.close()


def heard(voices: dict[str, RecordingVoice]) -> str:
    return "\n".join(t for v in voices.values() for t in v.texts)


# --- "Do you need more time?" -------------------------------------------------------------------


def test_more_time_dialog_counts_down_and_any_touch_continues(ui: UiKit, qtbot: QtBot) -> None:
    auth = go_to_auth_pin(ui, qtbot)
    limit = ui.flow.config.timeout(Step.AUTH_PIN)
    assert limit is not None
    assert not ui.window.more_time.isVisible()
    ui.clock.advance(limit - 12)
    ui.window._tick()
    assert ui.window.more_time.isVisible()
    assert ui.window.more_time.title.text() == "Do you need more time?"
    assert ui.window.more_time.seconds.text() == "12 s"
    ui.clock.advance(5)
    ui.window._tick()
    assert ui.window.more_time.seconds.text() == "7 s"
    # the panel covers the screen: a touch lands on it, not on the keypad below
    qtbot.mouseClick(ui.window.more_time, pytest.importorskip("PySide6.QtCore").Qt.MouseButton
                     .LeftButton)
    assert not ui.window.more_time.isVisible()
    assert ui.flow.seconds_left() == limit
    assert len(auth.pad.entry) == 0  # the touch typed nothing
    ui.clock.advance(limit - 3)
    ui.window._tick()
    assert ui.window.more_time.isVisible()
    ui.clock.advance(3)
    ui.window._tick()  # no touch: the step ends and the entry is wiped
    assert ui.flow.view.step == Step.ERROR
    assert not ui.window.more_time.isVisible()


def test_timeouts_per_step_and_longer_in_the_accessible_mode(ui: UiKit, qtbot: QtBot) -> None:
    go_to_auth_pin(ui, qtbot)
    limit = ui.flow.config.timeout(Step.AUTH_PIN)
    assert limit is not None
    click(qtbot, ui.window.accessible_toggle)
    assert ui.window.accessible and ui.window.scale.large
    assert ui.flow.view.accessible
    assert ui.flow.seconds_left() == limit * ui.flow.config.accessible_factor
    ui.clock.advance(limit + 1)
    ui.window._tick()
    assert ui.flow.view.step == Step.AUTH_PIN  # still there: the limit is longer
    click(qtbot, ui.window.accessible_toggle)
    assert ui.flow.seconds_left() == limit


# --- help and the staff call ---------------------------------------------------------------


def test_every_resident_screen_has_help_for_its_step(qtbot: QtBot) -> None:
    create_application()
    flow = StillFlow(FlowView())
    calls: list[str] = []
    window = KioskWindow(flow, UiOptions(language="en", kiosk_mode=False, sound=False),
                         call_staff=calls.append)
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    texts = set()
    for visit, step in enumerate(Step, start=1):
        flow.show(FlowView(step=step, visit=visit))
        assert window.help_button.isVisible()
        click(qtbot, window.help_button)
        assert window.help.isVisible()
        assert window.help.text.text() == help_text(step) != ""
        texts.add(window.help.text.text())
        click(qtbot, window.help.close_button)
        assert not window.help.isVisible()
    assert len(texts) == len(Step)  # each step explains itself
    window.shut_down()


def test_staff_call_rings_with_the_step_only(qtbot: QtBot) -> None:
    create_application()
    flow = StillFlow(FlowView(step=Step.AUTH_PIN, visit=1, auth_tries_left=3))
    calls: list[str] = []
    window = KioskWindow(flow, UiOptions(language="ja", kiosk_mode=False, sound=False),
                         call_staff=calls.append)
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    click(qtbot, window.help_button)
    assert "暗証番号" in window.help.staff_note.text()  # staff never see the PIN: said first
    click(qtbot, window.help.call)
    assert calls == ["auth_pin"]
    assert window.help.called.isVisible()
    assert not window.help.call.isEnabled()  # one call at a time
    window.shut_down()


def test_no_staff_call_button_without_a_store_terminal(ui: UiKit, qtbot: QtBot) -> None:
    click(qtbot, ui.window.help_button)
    assert not ui.window.help.call.isVisible()


# --- step indicator ------------------------------------------------------------------------


def test_step_indicator_on_every_step_of_the_transaction(qtbot: QtBot) -> None:
    create_application()
    flow = StillFlow(FlowView())
    window = KioskWindow(flow, UiOptions(language="en", kiosk_mode=False, sound=False))
    qtbot.addWidget(window)
    window.show()
    for visit, step in enumerate(Step, start=1):
        flow.show(FlowView(step=step, visit=visit))
        where = position(step)
        if step in (Step.START, Step.ERROR, Step.OUT_OF_SERVICE):
            assert where is None and not window.step_indicator.isVisible()
            continue
        assert where is not None
        assert window.step_indicator.isVisible()
        assert window.step_indicator.text() == f"Step {where[0]} / {TOTAL}"
    assert position(Step.CONSENT) == (1, TOTAL) and position(Step.NEW_PIN) == (TOTAL, TOTAL)
    window.shut_down()


# --- new PIN feedback ----------------------------------------------------------------------


def test_new_pin_shows_count_rules_show_hide_and_confirmation(qtbot: QtBot) -> None:
    create_application()
    flow = StillFlow(FlowView(step=Step.NEW_PIN, visit=1))
    window = KioskWindow(flow, UiOptions(language="en", kiosk_mode=False, sound=False))
    qtbot.addWidget(window)
    window.show()
    new_pin = window.current_screen
    assert isinstance(new_pin, NewPinScreen)

    def rules() -> list[bool]:
        return [line.property("role") == "rule_ok" for line in new_pin.rules.lines]

    assert new_pin.first.count_text() == "0/16"
    for char in "AB1":
        click(qtbot, new_pin.keyboard.keys[char])
    assert new_pin.first.count_text() == "3/16"
    assert new_pin.first._display.text() == "●●●   3/16"  # no fixed four dots
    # length, charset, letter, digit, both the same
    assert rules() == [False, True, True, True, False]
    for char in "C23":
        click(qtbot, new_pin.keyboard.keys[char])
    assert rules() == [True, True, True, True, False]
    assert not new_pin.ok.isEnabled()
    click(qtbot, new_pin.show_hide)
    assert new_pin.first._display.text() == "AB1C23   6/16"
    assert new_pin.show_hide.text() == "Hide"
    click(qtbot, new_pin.second_pick)
    for char in "AB1C24":
        click(qtbot, new_pin.keyboard.keys[char])
    assert rules()[-1] is False and not new_pin.ok.isEnabled()  # the confirmation differs
    click(qtbot, new_pin.keyboard.back_key)
    click(qtbot, new_pin.keyboard.keys["3"])
    assert rules() == [True] * 5 and new_pin.ok.isEnabled()
    click(qtbot, new_pin.ok)
    assert flow.inputs == ["new_pin:6:6"]
    new_pin.leave()
    assert new_pin.first.masked  # shown characters never outlive the screen
    window.shut_down()


# --- liveness: one instruction with its picture --------------------------------------------


def test_every_liveness_prompt_has_a_picture_and_words() -> None:
    Translations("en")
    for prompt in LivenessPrompt:
        assert has_pose(prompt), f"no picture for {prompt.value}"
        assert action_text(prompt) not in ("", "Follow the instruction on the screen.")
    assert pose_for(LivenessPrompt.BLINK).eyes_shut
    assert pose_for(LivenessPrompt.TURN_LEFT).arrow == "left"


def test_face_screen_shows_one_instruction_over_the_camera(qtbot: QtBot) -> None:
    create_application()
    base = FlowView(step=Step.FACE_CHECK, visit=1, busy=True, face_attempts_used=1,
                    face_attempts_max=3)
    flow = StillFlow(replace(base, face_hint=FaceHint.GOOD, face_prompt=LivenessPrompt.BLINK))
    window = KioskWindow(flow, UiOptions(language="en", kiosk_mode=False, sound=False))
    qtbot.addWidget(window)
    window.show()
    face = window.current_screen
    assert isinstance(face, FaceCheckScreen)
    instruction = face.camera.instruction
    assert instruction.isVisible() and instruction.text() == "Please blink."
    assert instruction.parent() is face.camera  # over the picture, not a screen of its own
    assert face.camera.pose is not None and face.camera.pose.eyes_shut
    # a position problem comes first, alone, without an action picture
    flow.show(replace(base, visit=1, face_hint=FaceHint.MOVE_CLOSER,
                      face_prompt=LivenessPrompt.TURN_LEFT))
    assert instruction.text() == "Please come a little closer."
    assert face.camera.pose is None
    visible = [w.text() for w in face.findChildren(type(instruction))
               if w.isVisibleTo(face) and w.text() and w is not face.title]
    assert visible == ["Please come a little closer."]  # one instruction at a time
    window.shut_down()


# --- voice ---------------------------------------------------------------------------------


def test_screens_are_spoken_and_pins_never_are(voiced, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    ui, voices, _calls, speaker = voiced
    qtbot.waitUntil(lambda: "Reset the PIN" in heard(voices), timeout=3000)
    auth = go_to_auth_pin(ui, qtbot)
    qtbot.waitUntil(lambda: "Enter your 4-digit PIN" in heard(voices), timeout=3000)
    enter_pin(qtbot, auth.pad, "1234")
    unlock = screen(ui)
    assert isinstance(unlock, UnlockPhotoScreen)
    unlock._show_page(2)
    type_digits(qtbot, unlock.b_pad.keypad, "06010120304321")
    click(qtbot, unlock.b_pad.ok)
    qtbot.waitUntil(lambda: ui.flow.view.step == Step.FACE_CHECK, timeout=3000)
    click(qtbot, screen(ui).go)  # type: ignore[attr-defined]
    new_pin = screen(ui)
    assert isinstance(new_pin, NewPinScreen)
    click(qtbot, new_pin.show_hide)
    for entry in ("first", "second"):
        if entry == "second":
            click(qtbot, new_pin.second_pick)
        for char in "QWERTZ7":
            click(qtbot, new_pin.keyboard.keys[char])
    # the whole screen is read again (language switched twice) while the PIN is shown
    click(qtbot, ui.window.language_button)
    qtbot.waitUntil(lambda: any("新しい署名用暗証番号" in t for t in voices["ja"].texts),
                    timeout=5000)
    click(qtbot, ui.window.language_button)
    click(qtbot, new_pin.ok)
    qtbot.waitUntil(lambda: ui.flow.view.step == Step.DONE, timeout=3000)
    qtbot.waitUntil(lambda: "Your new signature PIN is set." in heard(voices), timeout=5000)
    said = heard(voices)
    for secret in ("1234", "0601", "2030", "4321", "QWERTZ", "7/16"):
        assert secret not in said, secret
    assert speaker.spoken > 3


def test_switching_language_speaks_in_that_language(voiced, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    ui, voices, _calls, _speaker = voiced
    click(qtbot, ui.window.language_button)
    qtbot.waitUntil(lambda: any("署名" in t for t in voices["ja"].texts), timeout=3000)
    click(qtbot, ui.window.voice_button)  # off
    assert ui.window.voice_button.text() == "音声：オフ"
    before = sum(len(v.texts) for v in voices.values())
    click(qtbot, ui.window.language_button)
    time.sleep(0.2)
    assert sum(len(v.texts) for v in voices.values()) == before  # silent when off


def test_speech_never_blocks_the_ui_thread(qtbot: QtBot) -> None:
    create_application()
    slow = RecordingVoice("en", delay=1.5)
    speaker = Speaker({"en": slow}, play=lambda audio, device: time.sleep(1.0))
    flow = StillFlow(FlowView())
    window = KioskWindow(flow, UiOptions(language="en", kiosk_mode=False, sound=False),
                         speaker=speaker)
    qtbot.addWidget(window)
    window.show()
    started = time.monotonic()
    for visit, step in enumerate((Step.CONSENT, Step.PLACE_CARD, Step.AUTH_PIN), start=1):
        flow.show(FlowView(step=step, visit=visit))
    assert time.monotonic() - started < 0.5  # three screens spoken, none waited for
    assert slow.started.wait(2)
    ticks: list[int] = []

    def turned() -> bool:
        ticks.append(1)
        return len(ticks) > 5

    qtbot.waitUntil(turned, timeout=1000)  # loop turns
    window.shut_down()
    speaker.close()


# --- 照合番号B read by the camera ------------------------------------------------------------


class FakeScanner:
    """Stands in for the camera and Tesseract: gives a reading (or none) after a moment."""

    def __init__(self, reading: object, advice: tuple[object, ...] = (),
                 hold: threading.Event | None = None) -> None:
        self.reading = reading
        self.advice = advice  # what it tells the screen about the card's distance first
        self.hold = hold  # when given, the reading waits for it
        self.stops: list[bool] = []

    def scan(self, should_stop, preview=None, guidance=None):  # type: ignore[no-untyped-def]
        if preview is not None:
            preview(np.zeros((720, 1280, 3), np.uint8))
        for advice in self.advice:
            if guidance is not None:
                guidance(advice)
        if self.hold is not None:
            self.hold.wait(3)
        time.sleep(0.05)
        self.stops.append(should_stop())
        return self.reading


def _card_camera_page(
    qtbot: QtBot, scanner: FakeScanner, language: str = "en", size: tuple[int, int] | None = None
) -> tuple[StillFlow, KioskWindow, UnlockPhotoScreen]:
    """The unlock screen on the page that offers the camera reading of the card's face."""
    create_application()
    flow = StillFlow(FlowView(step=Step.UNLOCK_PHOTO, visit=1, text_tries_left=0))
    window = KioskWindow(flow, UiOptions(language=language, kiosk_mode=False, sound=False),
                         card_scanner=scanner)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    unlock = window.current_screen
    assert isinstance(unlock, UnlockPhotoScreen)
    unlock._show_page(unlock.PAGE_NUMBER_B)
    return flow, window, unlock


def test_card_face_read_by_camera_is_confirmed_then_used(qtbot: QtBot) -> None:
    from kiosk.card_ocr import CardFaceReading

    reading = CardFaceReading(dt.date(1980, 2, 17), 2035, "2285")
    flow, window, unlock = _card_camera_page(qtbot, FakeScanner(reading), "ja", (1080, 1920))
    click(qtbot, unlock.b_camera)
    assert unlock.pages.currentIndex() == unlock.PAGE_SCAN
    qtbot.waitUntil(lambda: unlock.pages.currentIndex() == unlock.PAGE_CONFIRM, timeout=3000)
    assert unlock.read_birth.text() == "昭和 55年 2月 17日"
    assert unlock.read_expiry.text() == "2035" and unlock.read_code.text() == "2285"
    spoken = unlock.spoken_text()
    assert "2285" not in spoken and "55年" not in spoken  # shown, never spoken
    click(qtbot, unlock.confirm_ok)
    assert flow.inputs == ["number_b:14"]
    assert unlock.read_code.text() == ""  # forgotten once used
    window.shut_down()


def test_unreadable_card_face_keeps_typing_open(qtbot: QtBot) -> None:
    flow, window, unlock = _card_camera_page(qtbot, FakeScanner(None))
    click(qtbot, unlock.b_camera)
    qtbot.waitUntil(lambda: "could not be read" in unlock.scan_status.text(), timeout=3000)
    click(qtbot, unlock.scan_type)
    assert unlock.pages.currentIndex() == unlock.PAGE_NUMBER_B
    assert flow.inputs == []
    window.shut_down()


def test_a_card_held_too_far_asks_to_come_closer(qtbot: QtBot) -> None:
    from kiosk.card_ocr import ScanGuidance

    release = threading.Event()
    scanner = FakeScanner(None, advice=(ScanGuidance.CLOSER,), hold=release)
    _, window, unlock = _card_camera_page(qtbot, scanner)
    click(qtbot, unlock.b_camera)
    qtbot.waitUntil(lambda: "closer" in unlock.scan_status.text(), timeout=3000)
    assert "closer" in unlock.spoken_text()  # guidance is read aloud too
    release.set()
    qtbot.waitUntil(lambda: "could not be read" in unlock.scan_status.text(), timeout=3000)
    window.shut_down()


def test_no_camera_reading_without_a_scanner(ui: UiKit, qtbot: QtBot) -> None:
    unlock = ui.window.screens[Step.UNLOCK_PHOTO]
    assert isinstance(unlock, UnlockPhotoScreen)
    assert not unlock.b_camera.isVisibleTo(unlock)
