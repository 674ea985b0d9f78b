"""Application setup for the kiosk UI, and the window factory the CLI uses."""

from __future__ import annotations

import sys

from kiosk.ui.qt import QApplication, QFont, QFontDatabase
from kiosk.ui.theme import FONT_FAMILY
from kiosk.ui.window import KioskWindow, UiOptions, build_main_window

__all__ = ["KioskWindow", "UiOptions", "build_main_window", "create_application"]


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
