"""A resident's call for staff: rung from the help panel, shown on the staff screen and in the
metrics, answered by staff (audited), and holding nothing about the resident."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.diagnostics.metrics import HealthBoard, KioskMetrics
from kiosk.maintenance import Role, StaffCalls
from kiosk.ui.qt import Qt

from .conftest import STAFF_PIN, Kit


def test_staff_calls_are_counted_once_while_pending(tmp_path: Path) -> None:
    calls = StaffCalls(tmp_path / "staff_call.json", clock=lambda: 1_780_000_000.0)
    assert calls.pending() is None and calls.total() == 0
    first = calls.ring("auth_pin")
    assert calls.ring("face_check") == first  # already pending: not counted twice
    assert calls.total() == 1 and calls.pending() == first
    assert calls.answer() and calls.pending() is None and not calls.answer()
    calls.ring("new_pin")
    assert calls.total() == 2
    stored = json.loads((tmp_path / "staff_call.json").read_text())
    assert set(stored) == {"pending", "total"} and set(stored["pending"]) == {"since", "step"}
    with pytest.raises(ValueError, match="identifier"):
        calls.ring("Mr Tanaka, PIN 1234")


def test_damaged_staff_call_file_reads_as_no_call(tmp_path: Path) -> None:
    path = tmp_path / "staff_call.json"
    path.write_text('{"pending": {"since": 5, "step": "??"}, "total": -3}')
    calls = StaffCalls(path)
    assert calls.pending() is None and calls.total() == 0


def test_a_call_from_the_help_panel_reaches_staff_screen_and_metrics(kit: Kit) -> None:
    window = kit.ui.window
    window._call_staff = kit.maintenance.staff_calls.ring  # wired as kiosk run wires it
    window.help._call_staff = window._ring_staff
    window.help.call.setVisible(True)
    kit.qtbot.mouseClick(window.help_button, Qt.MouseButton.LeftButton)
    kit.qtbot.mouseClick(window.help.call, Qt.MouseButton.LeftButton)
    assert kit.maintenance.staff_calls.pending() is not None
    metrics = KioskMetrics(kit.config, HealthBoard())
    text = metrics.render()
    assert "kiosk_staff_call_pending 1" in text and "kiosk_staff_calls_total 1" in text
    assert metrics.health()["staff_call"] is True

    kit.controller.open()
    kit.sign_in(Role.STAFF, STAFF_PIN)
    staff = kit.controller.staff
    assert staff.call_banner.isVisibleTo(kit.controller.overlay)
    assert "Start" in staff.call_banner.text()  # the step's screen, nothing else
    kit.qtbot.mouseClick(staff.answer_button, Qt.MouseButton.LeftButton)
    assert kit.maintenance.staff_calls.pending() is None
    assert not staff.call_banner.isVisibleTo(kit.controller.overlay)
    assert "kiosk_staff_call_pending 0" in metrics.render()
    actions = [(e["who"], e["action"], e["outcome"]) for e in kit.audit()]
    assert ("staff", "answer_staff_call", "ok") in actions
