"""Saves a PNG of every screen the kiosk shows (``kiosk demo --screenshots DIR``).

Screens hold no personal data (PINs are dots; the live camera picture is left out by
default), so the pictures are safe to keep.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.flow.view import FlowView
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
        self._on_view(window.flow.view)  # the screen already showing (the start screen)

    def _on_view(self, view: FlowView) -> None:
        if view.visit == self._last_visit:
            return
        self._last_visit = view.visit
        # Grab now, not later: an autoplaying resident may have moved on by the next event
        # loop turn. The window observed this view before the recorder did.
        self._grab(f"{len(self.saved) + 1:02d}-{view.step.value}.png")

    def _grab(self, name: str) -> None:
        screen = self._window.current_screen
        if isinstance(screen, FaceCheckScreen) and not self._include_camera:
            screen.camera.clear()
        path = self._out_dir / name
        self._window.grab().save(str(path))
        self.saved.append(path)

    def stop(self) -> None:
        self._unsubscribe()
