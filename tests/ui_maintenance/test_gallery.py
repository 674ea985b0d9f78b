"""The maintenance and diagnostic screens in the gallery: both languages, both
orientations, no layout problems (the resident screens' own checks)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.ui.app import create_application
from kiosk.ui.driver import StillFlow
from kiosk.ui.gallery import SIZES, render_maintenance, scenes, synthetic_frame
from kiosk.ui.maintenance.gallery import MAINTENANCE_SCENES, MaintenanceGallery
from kiosk.ui.window import KioskWindow, UiOptions


def test_scene_count_is_declared(qtbot: QtBot, tmp_path: Path) -> None:
    create_application()
    flow = StillFlow(scenes()[0].view)
    window = KioskWindow(flow, UiOptions(kiosk_mode=False, sound=False))
    qtbot.addWidget(window)
    gallery = MaintenanceGallery(window, flow, tmp_path, synthetic_frame())
    assert len(gallery.scenes()) == MAINTENANCE_SCENES
    gallery.close()
    window.shut_down()


def test_maintenance_screens_fit_in_both_languages(qtbot: QtBot, tmp_path: Path) -> None:
    create_application()
    ours = []
    for orientation, (width, height) in SIZES.items():
        for language in ("ja", "en"):
            flow = StillFlow(scenes()[0].view)
            window = KioskWindow(flow, UiOptions(language=language, kiosk_mode=False,
                                                 sound=False))
            window.resize(width, height)
            window.show()
            ours += render_maintenance(window, flow, tmp_path, f"{orientation}-{language}", 0)
            window.shut_down()
            window.deleteLater()
    assert len(ours) == 2 * 2 * MAINTENANCE_SCENES
    assert all(r.path.is_file() for r in ours)
    assert {r.path.name.split("-")[1] for r in ours} == {"ja", "en"}
    problems = [f"{r.path.name}: {p}" for r in ours for p in r.problems]
    assert problems == []
