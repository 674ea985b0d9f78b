"""The kiosk window driven by touch on the real flow (fakes behind the ports)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import CardPresence
from kiosk.flow.states import Step
from kiosk.ui.qt import QApplication, QEvent, QKeyEvent, QLabel, QPushButton, Qt
from kiosk.ui.screens.ending import DoneScreen, ErrorScreen
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.new_pin import NewPinScreen
from kiosk.ui.screens.pins import AuthPinScreen, PinPanel, UnlockPhotoScreen
from kiosk.ui.screens.welcome import ConsentScreen, StartScreen
from kiosk.ui.widgets import Keypad
from tests.flow.fakes import NO_MATCH, FakeCard

from .conftest import UiKit, make_ui


def click(qtbot: QtBot, widget: QPushButton) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget.text()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_digits(qtbot: QtBot, keypad: Keypad, digits: str) -> None:
    keys = {key.text(): key for key in keypad._keys}
    for digit in digits:
        click(qtbot, keys[digit])


def enter_pin(qtbot: QtBot, panel: PinPanel, digits: str) -> None:
    type_digits(qtbot, panel.keypad, digits)
    click(qtbot, panel.ok)


def screen(ui: UiKit) -> object:
    return ui.window.current_screen


def go_to_auth_pin(ui: UiKit, qtbot: QtBot) -> AuthPinScreen:
    start = screen(ui)
    assert isinstance(start, StartScreen)
    click(qtbot, start.start)
    consent = screen(ui)
    assert isinstance(consent, ConsentScreen)
    click(qtbot, consent.agree)
    assert ui.flow.view.step == Step.PLACE_CARD
    ui.flow.card_event(CardPresence.PRESENT)
    # The read-card screen approves its work once shown (on the next turn of the event loop).
    qtbot.waitUntil(lambda: ui.flow.view.step == Step.AUTH_PIN, timeout=2000)
    auth = screen(ui)
    assert isinstance(auth, AuthPinScreen)
    return auth


def test_the_whole_way_through_by_touch(ui: UiKit, qtbot: QtBot) -> None:
    auth = go_to_auth_pin(ui, qtbot)
    assert auth.tries.text() == "3 tries left"  # shown before any entry
    assert not auth.pad.ok.isEnabled()
    enter_pin(qtbot, auth.pad, "1234")
    unlock = screen(ui)
    assert isinstance(unlock, UnlockPhotoScreen)
    assert unlock.same.isVisible()
    assert "uses one of its tries" in unlock.same_warning.text()  # said before offering it
    click(qtbot, unlock.same)
    face = screen(ui)
    assert isinstance(face, FaceCheckScreen)
    click(qtbot, face.go)
    new_pin = screen(ui)
    assert isinstance(new_pin, NewPinScreen)
    for char in "PIN2026":
        click(qtbot, new_pin.keyboard.keys[char])
    assert not new_pin.ok.isEnabled()  # the second entry is still missing
    click(qtbot, new_pin.second_pick)
    for char in "PIN2026":
        click(qtbot, new_pin.keyboard.keys[char])
    assert all(line.property("role") == "rule_ok" for line in new_pin.rules.lines)
    click(qtbot, new_pin.ok)
    qtbot.waitUntil(lambda: ui.flow.view.step == Step.DONE, timeout=2000)
    assert ui.card.new_sign_pin == b"PIN2026"
    done = screen(ui)
    assert isinstance(done, DoneScreen)
    assert done.take.isVisible() and done.take.text() == "Take your card."
    ui.flow.card_event(CardPresence.ABSENT)
    assert isinstance(screen(ui), StartScreen)


def test_wrong_pin_counts_down_and_the_last_try_needs_i_understand(
    ui: UiKit, qtbot: QtBot
) -> None:
    auth = go_to_auth_pin(ui, qtbot)
    enter_pin(qtbot, auth.pad, "0000")
    assert auth.problem.isVisible() and auth.problem.text() == "The PIN was not correct."
    assert auth.tries.text() == "2 tries left"
    assert len(auth.pad.entry) == 0  # cleared for the next try
    enter_pin(qtbot, auth.pad, "0001")
    assert auth.tries.text() == "1 try left"
    assert auth.last_try.isVisible() and not auth.pad.isVisible()
    click(qtbot, auth.understand)
    assert auth.pad.isVisible() and not auth.last_try.isVisible()
    assert ui.card.pins_seen == [b"0000", b"0001"]


def test_blocked_pin_error_screen_in_both_languages(qtbot: QtBot) -> None:
    ui = make_ui(qtbot, language="ja", card=FakeCard(auth_tries=0))
    try:
        start = screen(ui)
        assert isinstance(start, StartScreen)
        click(qtbot, start.start)
        ui.flow.agree()
        ui.flow.card_event(CardPresence.PRESENT)
        qtbot.waitUntil(lambda: ui.flow.view.step == Step.ERROR, timeout=2000)
        error = screen(ui)
        assert isinstance(error, ErrorScreen)
        assert error.code.text() == "コード: C05"
        assert "ロック" in error.cause.text()
        assert error.next_step.text() == "市区町村の窓口へ"
        click(qtbot, ui.window.language_button)
        assert error.code.text() == "Code: C05"
        assert error.next_step.text() == "Go to your municipal office"
        assert error.cause.text() == "The 4-digit user-authentication PIN is locked."
    finally:
        ui.window.shut_down()


def test_language_switch_at_any_time(ui: UiKit, qtbot: QtBot) -> None:
    auth = go_to_auth_pin(ui, qtbot)
    type_digits(qtbot, auth.pad.keypad, "12")
    assert auth.title.text() == "Enter your 4-digit PIN"
    click(qtbot, ui.window.language_button)
    assert auth.title.text() == "4桁の暗証番号を入力してください"
    assert auth.tries.text() == "残り3回"
    assert ui.window.language_button.text() == "English"
    assert len(auth.pad.entry) == 2  # switching language keeps what was typed
    click(qtbot, ui.window.language_button)
    assert auth.title.text() == "Enter your 4-digit PIN"


def test_start_screen_language_buttons(ui: UiKit, qtbot: QtBot) -> None:
    start = screen(ui)
    assert isinstance(start, StartScreen)
    click(qtbot, start.japanese)
    assert start.start.text() == "始める"
    click(qtbot, start.english)
    assert start.start.text() == "Start"


def test_large_text_mode_makes_text_bigger(ui: UiKit, qtbot: QtBot) -> None:
    start = screen(ui)
    assert isinstance(start, StartScreen)
    before = start.title.font().pixelSize()
    click(qtbot, ui.window.large_toggle)
    assert start.title.font().pixelSize() > before * 1.2
    assert ui.window.large_toggle.text() == "Normal text"


def test_shuffled_pin_pad_changes_order_but_keeps_every_digit(qtbot: QtBot) -> None:
    ui = make_ui(qtbot, shuffle=True)
    try:
        auth = ui.window.screens[Step.AUTH_PIN]
        assert isinstance(auth, AuthPinScreen)
        orders = set()
        for _ in range(6):
            auth.pad.keypad.reset()
            order = auth.pad.keypad.digits_in_order()
            assert sorted(order) == sorted("0123456789")
            orders.add(order)
        assert len(orders) > 1
    finally:
        ui.window.shut_down()


def test_the_resident_cannot_close_the_window(ui: UiKit, qtbot: QtBot) -> None:
    ui.window.close()
    assert ui.window.isVisible()
    QApplication.sendEvent(
        ui.window,
        QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
    )
    assert ui.window.isVisible()
    ui.window.shut_down()
    assert not ui.window.isVisible()


def test_kiosk_mode_is_frameless_and_full_screen(qtbot: QtBot) -> None:
    from kiosk.ui.app import build_main_window
    from kiosk.ui.driver import StillFlow
    from kiosk.ui.window import UiOptions

    window = build_main_window(StillFlow(ui_view()), UiOptions(sound=False))
    qtbot.addWidget(window)
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    window.show_kiosk()
    assert window.isFullScreen()
    window.shut_down()


def ui_view():  # type: ignore[no-untyped-def]
    from kiosk.flow.view import FlowView

    return FlowView()


def test_touch_mouse_and_keys_count_as_activity(ui: UiKit, qtbot: QtBot) -> None:
    auth = go_to_auth_pin(ui, qtbot)
    limit = ui.flow.config.timeout(Step.AUTH_PIN)
    assert limit is not None
    ui.clock.advance(limit - 5)
    ui.window._tick()
    assert ui.window.countdown.isVisible() and ui.window.countdown.text() == "5 s left"
    qtbot.mouseClick(auth.title, Qt.MouseButton.LeftButton)
    ui.window._tick()
    assert not ui.window.countdown.isVisible()
    ui.clock.advance(limit - 5)
    qtbot.keyClick(ui.window, Qt.Key.Key_A)
    assert ui.flow.seconds_left() == limit
    ui.clock.advance(limit - 5)
    device = QTestTouch.device()
    QTestTouch.tap(ui.window, device)
    assert ui.flow.seconds_left() == limit
    assert ui.window.activity.seen >= 3


class QTestTouch:
    """Touch events through QTest's touch device."""

    _device = None

    @classmethod
    def device(cls):  # type: ignore[no-untyped-def]
        from PySide6.QtTest import QTest

        if cls._device is None:
            cls._device = QTest.createTouchDevice()
        return cls._device

    @staticmethod
    def tap(widget, device) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtCore import QPoint
        from PySide6.QtTest import QTest

        QTest.touchEvent(widget, device).press(0, QPoint(10, 10), widget).commit()
        QTest.touchEvent(widget, device).release(0, QPoint(10, 10), widget).commit()


def test_inactivity_times_out_to_an_error_screen_that_wipes_the_entry(
    ui: UiKit, qtbot: QtBot
) -> None:
    auth = go_to_auth_pin(ui, qtbot)
    type_digits(qtbot, auth.pad.keypad, "123")
    ui.clock.advance(1000)
    ui.window._tick()
    assert ui.flow.view.failure == FailureCode.TIMED_OUT
    assert len(auth.pad.entry) == 0
    error = screen(ui)
    assert isinstance(error, ErrorScreen)
    assert error.code.text() == "Code: K02"


def test_take_your_card_alarm_flashes_and_stops_when_the_card_is_taken(
    ui: UiKit, qtbot: QtBot
) -> None:
    auth = go_to_auth_pin(ui, qtbot)
    click(qtbot, auth.cancel)
    assert ui.flow.view.failure == FailureCode.CANCELLED
    error = screen(ui)
    assert isinstance(error, ErrorScreen)
    assert error.take.isVisible()
    click(qtbot, error.ok)
    assert ui.flow.view.alarm and ui.window.alarm.active
    assert error.take.text() == "Take your card!"
    roles = set()
    for _ in range(4):
        qtbot.wait(300)
        roles.add(error.take.property("role"))
    assert roles == {"alarm", "alarm_dim"}  # it blinks
    ui.flow.card_event(CardPresence.ABSENT)
    assert not ui.window.alarm.active
    assert isinstance(screen(ui), StartScreen)


def test_face_screen_shows_preview_hints_and_retry(qtbot: QtBot) -> None:
    import numpy as np

    ui = make_ui(qtbot)
    try:
        ui.face.results = [NO_MATCH]
        auth = go_to_auth_pin(ui, qtbot)
        enter_pin(qtbot, auth.pad, "1234")
        unlock = screen(ui)
        assert isinstance(unlock, UnlockPhotoScreen)
        click(qtbot, unlock.same)
        face = screen(ui)
        assert isinstance(face, FaceCheckScreen)
        assert face.intro.isVisible()
        click(qtbot, face.go)
        assert face.failure.isVisible()
        assert face.failure.text() == "Your face could not be matched with the card photo."
        assert face.attempts.text() == "Attempts left: 2"
        assert face.go.text() == "Try again"
        ui.flow.preview.put(np.zeros((480, 640, 3), dtype=np.uint8))
        face.poll_preview()
        assert face.camera._image is not None
    finally:
        ui.window.shut_down()


def test_face_screen_lights_up_in_the_illumination_colour(qtbot: QtBot) -> None:
    from dataclasses import replace

    from kiosk.ui.qt import QColor

    ui = make_ui(qtbot)
    try:
        auth = go_to_auth_pin(ui, qtbot)
        enter_pin(qtbot, auth.pad, "1234")
        unlock = screen(ui)
        assert isinstance(unlock, UnlockPhotoScreen)
        click(qtbot, unlock.same)
        face = screen(ui)
        assert isinstance(face, FaceCheckScreen)
        assert face._light is None
        running = replace(ui.flow.view, awaiting_approval=False, busy=True,
                          face_illumination=(1.0, 0.45, 0.45))
        face.refresh(running)
        expected = QColor.fromRgbF(1.0, 0.45, 0.45)
        assert face._light == expected and face.camera.light == expected
        face.grab()  # paints with the colour without trouble
        face.refresh(replace(running, face_illumination=None))
        assert face._light is None and face.camera.light is None
        face.refresh(replace(running, awaiting_approval=True))  # never lit while waiting
        assert face._light is None
    finally:
        ui.window.shut_down()


def test_number_b_page_has_the_card_picture_and_groups_digits(ui: UiKit, qtbot: QtBot) -> None:
    auth = go_to_auth_pin(ui, qtbot)
    enter_pin(qtbot, auth.pad, "1234")
    unlock = screen(ui)
    assert isinstance(unlock, UnlockPhotoScreen)
    click(qtbot, unlock.b_way)
    assert unlock.guide.isVisible()
    type_digits(qtbot, unlock.b_pad.keypad, "06010120304321")
    shown = unlock.b_pad.entry.findChild(QLabel)
    assert shown is not None and shown.text() == "060101 2030 4321"
    click(qtbot, unlock.b_pad.ok)
    assert ui.flow.view.step == Step.FACE_CHECK
    assert "read_photo_with_number_b" in ui.card.calls
