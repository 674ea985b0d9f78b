"""Application setup for the kiosk UI, and the helpers the composition root (``kiosk.cli``) uses."""

from __future__ import annotations

import os
import sys
import time

from kiosk.flow.autoplay import Autoplay, AutoplayResult
from kiosk.flow.failure_codes import FailureCode
from kiosk.ui.qt import QApplication, QEventLoop, QFont, QFontDatabase, QTimer
from kiosk.ui.theme import FONT_FAMILY
from kiosk.ui.window import KioskWindow, UiOptions, build_main_window

__all__ = [
    "KioskWindow",
    "UiOptions",
    "build_main_window",
    "create_application",
    "display_available",
    "has_japanese_font",
    "run_autoplay",
]


def display_available() -> bool:
    """Whether a window can be shown: a display, or a Qt platform chosen explicitly
    (e.g. ``QT_QPA_PLATFORM=offscreen`` for ``--autoplay`` without a screen)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists) with the kiosk's font."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    font = QFont(FONT_FAMILY)
    font.setPixelSize(30)
    app.setFont(font)
    return app


def has_japanese_font() -> bool:
    return FONT_FAMILY in QFontDatabase.families()


def run_autoplay(autoplay: Autoplay, *, timeout: float) -> AutoplayResult:
    """Run the Qt event loop until ``autoplay`` has a result (or ``timeout`` seconds pass).

    The window must be built (and its flow driven by a Qt runner) before; the autoplay
    presses "start" once the loop runs.
    """
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    checker = QTimer()
    checker.setInterval(50)
    checker.timeout.connect(
        lambda: loop.quit() if autoplay.result is not None or time.monotonic() > deadline else None
    )
    checker.start()
    QTimer.singleShot(0, autoplay.start)
    loop.exec()
    checker.stop()
    if autoplay.result is None:
        return AutoplayResult(False, FailureCode.STEP_TOO_SLOW.value, "autoplay ran out of time")
    return autoplay.result
