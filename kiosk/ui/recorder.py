"""Saves a PNG of every screen the kiosk shows (``kiosk demo --screenshots DIR``).

Screens hold no personal data (PINs are dots; the live camera picture is left out by
default), so the pictures are safe to keep.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.flow.view import FlowView
from kiosk.ui.qt import QTimer
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.window import KioskWindow


class ScreenRecorder:
    """Grabs the window once per visited step (after it has been painted)."""

    def __init__(self, window: KioskWindow, out_dir: Path, *, include_camera: bool = False) -> None:
        self._window = window
        self._out_dir = out_dir
        self._include_camera = include_camera
        self._last_visit = -1
        self.saved: list[Path] = []
        out_dir.mkdir(parents=True, exist_ok=True)
        self._unsubscribe = window.flow.subscribe(self._on_view)

    def _on_view(self, view: FlowView) -> None:
        if view.visit == self._last_visit:
            return
        self._last_visit = view.visit
        name = f"{len(self.saved) + 1:02d}-{view.step.value}.png"
        QTimer.singleShot(0, lambda: self._grab(name))

    def _grab(self, name: str) -> None:
        screen = self._window.current_screen
        if isinstance(screen, FaceCheckScreen) and not self._include_camera:
            screen.camera.clear()
        path = self._out_dir / name
        self._window.grab().save(str(path))
        self.saved.append(path)

    def stop(self) -> None:
        self._unsubscribe()
