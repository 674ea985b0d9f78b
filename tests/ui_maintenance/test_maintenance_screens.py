"""Entering maintenance, signing in, lockout, permissions, out of service, auto sign-out."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from kiosk.flow.states import Step
from kiosk.maintenance import MaintenanceAction, PermissionDeniedError, Role
from kiosk.ui.qt import QPoint, Qt
from kiosk.ui.screens.ending import OutOfServiceScreen
from tests.ui_maintenance.conftest import ENGINEER_PASSPHRASE, STAFF_PIN, Kit


def test_a_long_press_in_the_corner_opens_the_sign_in(kit: Kit) -> None:
    kit.hold_corner(0.3)
    kit.qtbot.wait(1200)
    assert not kit.controller.is_open  # a short touch does nothing
    kit.hold_corner(0.5, at=QPoint(600, 900))
    kit.qtbot.wait(800)
    assert not kit.controller.is_open  # elsewhere on the screen does nothing
    kit.hold_corner(1.3)
    assert kit.controller.is_open
    assert kit.controller.overlay.pages.currentWidget() is kit.controller.login
    assert not kit.ui.window.centralWidget().isVisible()  # resident screens hidden


def test_a_sign_in_left_untouched_gives_the_screen_back_to_residents(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.ui.maintenance import controller

    monkeypatch.setattr(controller, "SIGN_IN_IDLE_TICKS", 2)  # seconds, for the test
    kit.hold_corner(1.3)
    assert kit.controller.is_open
    kit.qtbot.waitUntil(lambda: not kit.controller.is_open, timeout=6000)
    central = kit.ui.window.centralWidget()
    assert central is not None and central.isVisible()


def test_no_entry_while_a_resident_is_in_a_transaction(kit: Kit) -> None:
    kit.ui.flow.begin()
    assert kit.ui.flow.view.step == Step.CONSENT
    kit.hold_corner(1.3)
    assert not kit.controller.is_open


def test_staff_sign_in_and_close(kit: Kit) -> None:
    kit.controller.open()
    kit.sign_in(Role.STAFF, STAFF_PIN)
    controller = kit.controller
    assert controller.session is not None and controller.session.role is Role.STAFF
    assert controller.overlay.pages.currentWidget() is controller.staff
    assert not controller.staff.engineer_button.isVisibleTo(controller.overlay)
    kit.qtbot.mouseClick(controller.overlay.close_button, Qt.MouseButton.LeftButton)
    assert not controller.is_open and controller.session is None
    actions = [(e["who"], e["action"], e["outcome"]) for e in kit.audit()]
    assert ("staff", "sign_in", "ok") in actions
    assert ("staff", "view_health", "ok") in actions
    assert ("staff", "view_counters", "ok") in actions
    assert ("staff", "sign_out", "ok") in actions


def test_engineer_sign_in_by_keyboard_reaches_the_engineer_screens(kit: Kit) -> None:
    kit.controller.open()
    login = kit.controller.login
    login.choose(Role.ENGINEER)
    kit.qtbot.keyClicks(login, ENGINEER_PASSPHRASE)
    kit.qtbot.keyClick(login, Qt.Key.Key_Return)
    kit.qtbot.waitUntil(lambda: kit.controller.session is not None, timeout=10_000)
    staff = kit.controller.staff
    assert staff.engineer_button.isVisibleTo(kit.controller.overlay)
    kit.qtbot.mouseClick(staff.engineer_button, Qt.MouseButton.LeftButton)
    engineer = kit.controller.engineer
    assert kit.controller.overlay.pages.currentWidget() is engineer
    kit.qtbot.mouseClick(engineer.nav["configuration"], Qt.MouseButton.LeftButton)
    kit.qtbot.waitUntil(lambda: any("kiosk.id = store-0042" in line
                                    for line in engineer.lines.lines), timeout=10_000)
    # credentials only as set / not set
    assert any(line == "maintenance.staff_credential = set" for line in engineer.lines.lines)
    kit.qtbot.mouseClick(engineer.nav["logs"], Qt.MouseButton.LeftButton)
    kit.qtbot.waitUntil(lambda: not engineer.busy, timeout=10_000)
    actions = [(e["who"], e["action"]) for e in kit.audit()]
    assert ("engineer", "view_configuration") in actions
    assert ("engineer", "view_logs") in actions


def test_staff_can_never_open_engineer_screens(kit: Kit) -> None:
    kit.controller.open()
    kit.sign_in(Role.STAFF, STAFF_PIN)
    session = kit.controller.session
    assert session is not None
    kit.controller.open_engineer()  # as if the hidden button were pressed anyway
    assert kit.controller.overlay.pages.currentWidget() is kit.controller.staff
    assert kit.controller.overlay.notice.isVisible()
    with pytest.raises(PermissionDeniedError):
        kit.controller.engineer.open(session)
    for action in (MaintenanceAction.RUN_DIAGNOSTICS, MaintenanceAction.CARD_PROBE,
                   MaintenanceAction.EXPORT_REPORT, MaintenanceAction.VIEW_LOGS,
                   MaintenanceAction.CAMERA_PREVIEW):
        with pytest.raises(PermissionDeniedError):
            session.require(action)
    denied = [e for e in kit.audit() if e["outcome"] == "denied" and e["who"] == "staff"]
    assert {e["action"] for e in denied} >= {"run_diagnostics", "card_probe"}


def test_wrong_entries_lock_out_for_a_doubling_time(kit: Kit) -> None:
    kit.controller.open()
    login = kit.controller.login
    kit.sign_in(Role.STAFF, "000000")
    assert "Tries left before a lockout: 2" in login.message.text()
    kit.sign_in(Role.STAFF, "000000")
    kit.sign_in(Role.STAFF, "000000")
    assert "locked for 30 more seconds" in login.message.text()
    assert not login.sign_in_button.isEnabled()
    kit.sign_in(Role.STAFF, STAFF_PIN)  # the right PIN does not help while locked
    assert kit.controller.session is None
    kit.clock.advance(31)
    login._show_lockout()
    assert login.sign_in_button.isEnabled()
    for _ in range(3):
        kit.sign_in(Role.STAFF, "111111")
    assert "locked for 60 more seconds" in login.message.text()
    kit.clock.advance(61)
    login._show_lockout()
    kit.sign_in(Role.STAFF, STAFF_PIN)
    assert kit.controller.session is not None  # a correct entry resets it
    # the engineer is not locked out by attacks on the staff PIN
    assert kit.maintenance.lockout.seconds_left(Role.ENGINEER) == 0


def test_lockout_survives_a_restart_of_the_screens(qtbot: QtBot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.ui_maintenance.conftest import make_kit

    first = make_kit(qtbot, tmp_path / "state")
    first.controller.open()
    for _ in range(3):
        first.sign_in(Role.STAFF, "000000")
    first.controller.shut_down()
    first.ui.window.shut_down()
    second = make_kit(qtbot, tmp_path / "state")
    second.clock.now = first.clock.now
    second.controller.open()
    assert "locked for 30 more seconds" in second.controller.login.message.text()
    second.controller.shut_down()
    second.ui.window.shut_down()


def test_out_of_service_is_shown_to_residents_with_the_message(kit: Kit) -> None:
    kit.controller.open()
    kit.sign_in(Role.STAFF, STAFF_PIN)
    staff = kit.controller.staff
    kit.qtbot.mouseClick(staff.message_button, Qt.MouseButton.LeftButton)
    assert "entrance" in staff.message_button.text()
    kit.qtbot.mouseClick(staff.service_button, Qt.MouseButton.LeftButton)
    assert not kit.maintenance.service.current().in_service
    assert staff.service_state.text() == "Out of service"
    kit.qtbot.mouseClick(kit.controller.overlay.close_button, Qt.MouseButton.LeftButton)
    window = kit.ui.window
    assert kit.ui.flow.view.step == Step.OUT_OF_SERVICE
    screen = window.current_screen
    assert isinstance(screen, OutOfServiceScreen) and screen.isVisible()
    assert screen.elsewhere.text() == "Please use the kiosk at the entrance."
    window.set_language("ja")
    assert screen.elsewhere.text() == "入口の端末をご利用ください。"
    window.set_language("en")
    # back in service
    kit.hold_corner(1.3)
    kit.sign_in(Role.STAFF, STAFF_PIN)
    kit.qtbot.mouseClick(staff.service_button, Qt.MouseButton.LeftButton)
    kit.controller.close()
    assert kit.ui.flow.view.step == Step.START
    actions = [e["action"] for e in kit.audit()]
    assert "set_out_of_service" in actions and "set_in_service" in actions


def test_out_of_service_survives_a_restart(qtbot: QtBot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.ui_maintenance.conftest import make_kit

    first = make_kit(qtbot, tmp_path / "state")
    first.controller.open()
    first.sign_in(Role.STAFF, STAFF_PIN)
    first.controller.staff.toggle_service()
    first.controller.shut_down()
    first.ui.window.shut_down()
    second = make_kit(qtbot, tmp_path / "state")
    assert second.ui.flow.view.step == Step.OUT_OF_SERVICE
    second.controller.shut_down()
    second.ui.window.shut_down()


def test_inactivity_signs_out(kit: Kit) -> None:
    kit.controller.open()
    kit.sign_in(Role.STAFF, STAFF_PIN)
    kit.clock.advance(60)
    kit.qtbot.mouseClick(kit.controller.staff.message_button, Qt.MouseButton.LeftButton)
    kit.clock.advance(100)  # 100 s since the last touch: still signed in
    kit.qtbot.wait(1200)
    assert kit.controller.session is not None
    kit.clock.advance(30)
    kit.qtbot.waitUntil(lambda: not kit.controller.is_open, timeout=3000)
    assert kit.controller.session is None
    assert kit.ui.window.centralWidget().isVisible()
    reasons = [e["detail"].get("reason") for e in kit.audit() if e["action"] == "sign_out"]
    assert reasons == ["inactivity"]


def test_reset_reader_and_restart_are_audited_actions(kit: Kit) -> None:
    kit.controller.open()
    kit.sign_in(Role.STAFF, STAFF_PIN)
    staff = kit.controller.staff
    kit.qtbot.mouseClick(staff.reset_button, Qt.MouseButton.LeftButton)
    kit.qtbot.mouseClick(staff.restart_button, Qt.MouseButton.LeftButton)
    assert kit.resets == ["reader", "restart"]
    actions = [e["action"] for e in kit.audit() if e["outcome"] == "ok"]
    assert "reset_reader" in actions and "restart_application" in actions


def test_viewing_is_audited_once_per_opening_not_per_repaint(kit: Kit) -> None:
    from kiosk.diagnostics.model import fail

    kit.controller.open()
    kit.sign_in(Role.STAFF, STAFF_PIN)
    kit.ui.window.set_language("ja")
    kit.ui.window.set_language("en")
    kit.controller.parts.board.publish(fail("backend.tcp", "TCP", "connection refused"))
    kit.qtbot.waitUntil(lambda: kit.controller.staff.health_rows["backend"][1].text()
                        == "Fault", timeout=8000)  # the staff screen refreshes by itself
    views = [e["action"] for e in kit.audit() if e["action"] in ("view_health",
                                                                  "view_counters")]
    assert views == ["view_health", "view_counters"]


def test_sliding_out_of_the_corner_cancels_the_long_press(kit: Kit) -> None:
    window = kit.ui.window
    kit.qtbot.mousePress(window, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    kit.qtbot.mouseMove(window, QPoint(500, 700))
    kit.qtbot.wait(1300)
    assert not kit.controller.is_open
    kit.qtbot.mouseRelease(window, Qt.MouseButton.LeftButton, pos=QPoint(500, 700))


def test_engineer_passphrase_on_the_on_screen_keyboard(kit: Kit) -> None:
    kit.controller.open()
    login = kit.controller.login
    kit.qtbot.mouseClick(login.engineer_button, Qt.MouseButton.LeftButton)
    keyboard = login.keyboard
    for char in ENGINEER_PASSPHRASE:
        if char.isupper() != keyboard.upper and char.isalpha():
            kit.qtbot.mouseClick(keyboard.shift_key, Qt.MouseButton.LeftButton)
        kit.qtbot.mouseClick(keyboard.keys[char.lower()], Qt.MouseButton.LeftButton)
    assert len(login.passphrase) == len(ENGINEER_PASSPHRASE)
    assert login.passphrase.inspect(bytes) == ENGINEER_PASSPHRASE.encode()
    kit.qtbot.mouseClick(login.sign_in_button, Qt.MouseButton.LeftButton)
    kit.qtbot.waitUntil(lambda: kit.controller.session is not None, timeout=10_000)
    session = kit.controller.session
    assert session is not None and session.role is Role.ENGINEER
    assert len(login.passphrase) == 0  # handed over and wiped
