"""Engineer screens: live camera with face box and landmarks, checks by area, export, logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import FrameSourceError, RenderedSource
from kiosk.maintenance import Role
from kiosk.ui.maintenance import MaintenanceParts
from kiosk.ui.qt import Qt
from tests.helpers.virtual_card import InsertedCard
from tests.ui_maintenance.conftest import ENGINEER_PASSPHRASE, Kit, make_kit


def signed_in_engineer(kit: Kit) -> None:
    kit.controller.open()
    kit.sign_in(Role.ENGINEER, ENGINEER_PASSPHRASE)
    kit.controller.open_engineer()
    assert kit.controller.overlay.pages.currentWidget() is kit.controller.engineer


def astronaut_camera(parts: MaintenanceParts) -> None:
    import skimage.data

    portrait = np.asarray(skimage.data.astronaut(), dtype=np.uint8)
    parts.open_camera = lambda: RenderedSource(SyntheticResident(portrait), fps=15.0)


@pytest.mark.timeout(120)
def test_camera_preview_shows_face_box_landmarks_and_figures(
        qtbot: QtBot, tmp_path: Path) -> None:
    kit = make_kit(qtbot, tmp_path / "state", extra=astronaut_camera)
    try:
        signed_in_engineer(kit)
        engineer = kit.controller.engineer
        qtbot.mouseClick(engineer.nav["camera"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: engineer.preview.frame is not None
                        and engineer.preview.frame.box is not None, timeout=60_000)
        frame = engineer.preview.frame
        assert frame is not None and len(frame.points) == 68
        assert engineer.preview.isVisible()
        figures = engineer.camera_figures.text()
        assert "pixels" in figures and "brightness" in figures and "sharpness" in figures
        assert engineer.status.text() == "Face found"
        kit.qtbot.mouseClick(kit.controller.overlay.close_button, Qt.MouseButton.LeftButton)
        assert engineer.preview.frame is None  # stopped and cleared when leaving
        assert ("engineer", "camera_preview") in [(e["who"], e["action"]) for e in kit.audit()]
    finally:
        kit.controller.shut_down()
        kit.ui.window.shut_down()


def test_a_camera_that_cannot_open_is_reported(qtbot: QtBot, tmp_path: Path) -> None:
    def broken(parts: MaintenanceParts) -> None:
        def open_camera() -> RenderedSource:
            raise FrameSourceError("camera 3 cannot be opened")
        parts.open_camera = open_camera

    kit = make_kit(qtbot, tmp_path / "state", extra=broken)
    try:
        signed_in_engineer(kit)
        engineer = kit.controller.engineer
        qtbot.mouseClick(engineer.nav["camera"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "cannot be used" in engineer.status.text(), timeout=10_000)
        assert "camera 3 cannot be opened" in engineer.status.text()
    finally:
        kit.controller.shut_down()
        kit.ui.window.shut_down()


def test_backend_check_and_export_to_a_chosen_folder(
        qtbot: QtBot, tmp_path: Path) -> None:
    usb = tmp_path / "media" / "USB-STICK"
    usb.mkdir(parents=True)

    def with_usb(parts: MaintenanceParts) -> None:
        parts.export_folders = lambda: [usb]

    kit = make_kit(qtbot, tmp_path / "state", extra=with_usb)
    try:
        signed_in_engineer(kit)
        engineer = kit.controller.engineer
        qtbot.mouseClick(engineer.nav["backend"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not engineer.busy, timeout=60_000)
        assert engineer.status.text() == "Not healthy"  # nothing listens on port 9
        assert any(line.startswith("✗ backend.") for line in engineer.lines.lines)
        # details under each check, e.g. the kiosk certificate's fields
        assert any(line.startswith("    ") for line in engineer.lines.lines)
        qtbot.mouseClick(engineer.nav["export"], Qt.MouseButton.LeftButton)
        assert [b.text() for b in engineer.folder_buttons] == [
            str(usb), str(kit.config.kiosk.data_dir / "reports")]
        qtbot.mouseClick(engineer.folder_buttons[0], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Report written" in engineer.status.text(), timeout=120_000)
        written = sorted(p.suffix for p in usb.iterdir())
        assert written == [".json", ".txt"]
        report = json.loads(next(usb.glob("*.json")).read_text())
        assert report["kiosk_id"] == "store-0042"
        actions = [(e["action"], e["outcome"]) for e in kit.audit() if e["who"] == "engineer"]
        assert ("backend_check", "ok") in actions and ("export_report", "ok") in actions
    finally:
        kit.controller.shut_down()
        kit.ui.window.shut_down()


def test_logs_are_filtered_by_level(kit: Kit, qtbot: QtBot) -> None:
    folder = kit.config.log_dir
    folder.mkdir(parents=True)
    (folder / "kiosk.log").write_text(
        "2026-11-25 09:00:00,001 INFO kiosk.run.app: serving residents\n"
        "2026-11-25 09:00:01,001 WARNING kiosk.card_reader.pcsc: card mute\n"
        "2026-11-25 09:00:02,001 ERROR kiosk.backend_client: backend offline\n")
    signed_in_engineer(kit)
    engineer = kit.controller.engineer
    qtbot.mouseClick(engineer.nav["logs"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(engineer.lines.lines) == 3, timeout=10_000)
    qtbot.mouseClick(engineer.filter_buttons["ERROR"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(engineer.lines.lines) == 1, timeout=10_000)
    assert "backend offline" in engineer.lines.lines[0]
    logging.getLogger(__name__).debug("filtered")


@pytest.mark.pcsc
def test_card_probe_shows_atr_and_retry_counters_without_spending_tries(
        qtbot: QtBot, tmp_path: Path, card_in_reader: InsertedCard) -> None:
    kit = make_kit(qtbot, tmp_path / "state")
    try:
        signed_in_engineer(kit)
        engineer = kit.controller.engineer
        for _ in range(2):  # probing twice spends nothing either
            qtbot.mouseClick(engineer.nav["pcsc"], Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: not engineer.busy and bool(engineer.lines.lines),
                            timeout=60_000)
        text = "\n".join(engineer.lines.lines)
        assert "✓ pcsc.card: 1 My Number card(s) recognised" in text, text
        assert "atr" in text.lower()
        assert text.count("3 tries left") >= 2, text  # auth and text PINs still full
        assert ("engineer", "card_probe") in [(e["who"], e["action"]) for e in kit.audit()]
    finally:
        kit.controller.shut_down()
        kit.ui.window.shut_down()
