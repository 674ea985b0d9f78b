"""What every screen has: a title, a body, actions at the bottom, and a refresh from the view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from kiosk.card_ocr.scanner import CardFaceScanner
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.ui.driver import FlowDriver
from kiosk.ui.qt import QAbstractButton, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from kiosk.ui.widgets import label, prop


@dataclass
class UiContext:
    """Options shared by all screens."""

    language: str = "ja"
    shuffle_pin_pad: bool = False
    choose_language: Callable[[str], None] = field(default=lambda language: None)
    # Reads 照合番号B from the card face with the camera (None: typing only).
    card_scanner: CardFaceScanner | None = None


class Screen(QWidget):
    """One step's screen. ``refresh`` sets every text from the view and the current language."""

    step: ClassVar[Step]

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__()
        self.flow = flow
        self.context = context
        self.setObjectName(type(self).__name__)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(40, 32, 40, 32)
        self.outer.setSpacing(24)
        self.title = label("title")
        self.outer.addWidget(self.title)
        self.body = QVBoxLayout()
        self.body.setSpacing(22)
        self.outer.addLayout(self.body, 1)
        self.action_row = QHBoxLayout()
        self.action_row.setSpacing(24)
        self.outer.addLayout(self.action_row)

    def add_text(self, role: str = "body", centre: bool = False) -> QLabel:
        widget = label(role, centre=centre)
        self.body.addWidget(widget)
        return widget

    def refresh(self, view: FlowView) -> None:
        """Set texts and state from ``view``; called on every change and language switch."""
        raise NotImplementedError

    def shown(self, view: FlowView) -> None:
        """The screen became current (a new visit of its step)."""

    def leave(self) -> None:
        """The screen stops being current: wipe anything typed."""

    def set_wide(self, wide: bool) -> None:
        """The window changed between portrait and landscape."""

    def flash(self, lit: bool) -> None:
        """The take-your-card alarm blinks (only screens with a card banner react)."""

    def spoken_text(self) -> str:
        """What the voice reads: the visible texts and the main buttons, one per line.

        Entry fields (role ``dots``), keys and anything marked ``speak=False`` (what was read
        from a card, a PIN's length) are never part of it.
        """
        lines: list[str] = []
        for widget in self.findChildren(QWidget):
            if not widget.isVisibleTo(self) or prop(widget, "speak") is False:
                continue
            role = prop(widget, "role")
            if isinstance(widget, QLabel) and role not in ("dots", "dots_long"):
                text = widget.text()
            elif isinstance(widget, QAbstractButton) and role in ("primary", "choice"):
                text = widget.text() if widget.isEnabled() else ""
            else:
                continue
            if text.strip() and text not in lines:
                lines.append(text)
        return "\n".join(lines)
