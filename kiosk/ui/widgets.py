"""Building blocks of the screens: labels, big buttons, PIN pads, keyboards, pictures."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from kiosk.card_ocr.card_image import GUIDE_BOX
from kiosk.flow.secrets import wipe
from kiosk.ui.qt import (
    QBoxLayout,
    QColor,
    QFont,
    QGridLayout,
    QImage,
    QLabel,
    QPainter,
    QPaintEvent,
    QPen,
    QPointF,
    QPushButton,
    QRectF,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from kiosk.ui.theme import FONT_FAMILY, INK, LINE, PRIMARY, QUIET

T = TypeVar("T")
KEY_MAX_HEIGHT = 120
ALPHANUMERIC_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


def prop(widget: QWidget, name: str) -> object:
    """A dynamic property's value, or None when it was never set.

    Asking Qt for a property that was never set hands back None with one reference too few
    (seen with PySide6 6.x), which crashes the interpreter after enough calls; so ask only
    for properties that exist.
    """
    if name.encode() not in [bytes(n.data()) for n in widget.dynamicPropertyNames()]:
        return None
    return widget.property(name)


def frame_image(frame: object, *, mirrored: bool) -> QImage | None:
    """A camera frame (RGB ``uint8``, H x W x 3) as a QImage of its own (the frame may be
    reused by the camera); anything else gives None. ``mirrored`` for a face preview (the
    resident sees themselves as in a mirror); a card's text must read, so not mirrored."""
    if not (isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3):
        return None
    rgb = np.ascontiguousarray(frame[:, ::-1, :] if mirrored else frame, dtype=np.uint8)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def label(role: str = "body", wrap: bool = True, centre: bool = False) -> QLabel:
    """A text label with a style role; wrapping is on so no text is ever cut off."""
    widget = QLabel()
    widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    if centre:
        widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return widget


def button(role: str = "", on_click: Callable[[], None] | None = None) -> QPushButton:
    widget = QPushButton()
    if role:
        widget.setProperty("role", role)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if on_click is not None:
        widget.clicked.connect(on_click)
    return widget


class SecretEntry(QWidget):
    """A keypad-fed secret in a ``bytearray`` (never a QString), shown as dots or digits."""

    changed = Signal()

    def __init__(self, max_length: int, masked: bool = True, groups: Sequence[int] = (),
                 show_count: bool = False) -> None:
        """``show_count``: the number of characters typed follows the entry ("5/16")."""
        super().__init__()
        self._buffer = bytearray()
        self._max = max_length
        self._masked = masked
        self._groups = tuple(groups)
        self._show_count = show_count
        self._display = label("dots" if max_length <= 4 or groups else "dots_long", wrap=False,
                              centre=True)
        self._display.setMinimumHeight(80)
        self._display.setProperty("data", True)  # what was typed: never translated or spoken
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._display)
        self._render()

    def __len__(self) -> int:
        return len(self._buffer)

    def type(self, char: str) -> None:
        if len(self._buffer) < self._max:
            self._buffer.extend(char.encode("ascii"))
            self._changed()

    def backspace(self) -> None:
        if self._buffer:
            self._buffer[-1] = 0
            del self._buffer[-1]
            self._changed()

    def clear(self) -> None:
        wipe(self._buffer)
        self._changed()

    def inspect(self, check: Callable[[bytearray], T]) -> T:
        """Run ``check`` on the secret in place (no copy is made; ``check`` must not keep it)."""
        return check(self._buffer)

    def take(self) -> bytearray:
        """Hand the secret over (the receiver wipes it); the entry is empty afterwards."""
        taken, self._buffer = self._buffer, bytearray()
        self._changed()
        return taken

    def _changed(self) -> None:
        self._render()
        self.changed.emit()

    @property
    def masked(self) -> bool:
        return self._masked

    def set_masked(self, masked: bool) -> None:
        """Dots (the default) or the characters themselves (the resident's "show" choice)."""
        self._masked = masked
        self._render()

    def _render(self) -> None:
        if self._masked and self._max > 4:
            # A long secret: one dot per character typed, nothing hinting at a fixed length.
            shown = "●" * len(self._buffer) if self._buffer else "—"
        elif self._masked:
            shown = "●" * len(self._buffer) + "○" * max(0, min(self._max, 4) - len(self._buffer))
        elif self._max > 4 and not self._groups:
            shown = self._buffer.decode("ascii") if self._buffer else "—"
        else:
            text = self._buffer.decode("ascii") + "_" * (self._max - len(self._buffer))
            parts, start = [], 0
            for size in self._groups or (len(text),):
                parts.append(text[start : start + size])
                start += size
            shown = " ".join(parts)
        if self._show_count:
            shown += f"   {self.count_text()}"
        self._display.setText(shown)

    def count_text(self) -> str:
        """How many characters are typed, of how many at most ("5/16")."""
        return f"{len(self._buffer)}/{self._max}"


class Keypad(QWidget):
    """Digits in a 3x4 grid with "clear" and "back"; optionally shuffled on every ``reset``."""

    pressed = Signal(str)

    def __init__(self, entry: SecretEntry, shuffle: bool = False) -> None:
        super().__init__()
        self._entry = entry
        self._shuffle = shuffle
        self._keys: list[QPushButton] = []
        self.clear_key = button("keyword", entry.clear)
        self.back_key = button("keyword", entry.backspace)
        grid = QGridLayout(self)
        grid.setSpacing(14)
        for _ in range(10):
            key = button("key")
            key.clicked.connect(lambda _=False, k=key: self._press(k.text()))
            self._keys.append(key)
        for position, key in enumerate(self._keys[:9]):
            grid.addWidget(key, position // 3, position % 3)
        grid.addWidget(self.clear_key, 3, 0)
        grid.addWidget(self._keys[9], 3, 1)
        grid.addWidget(self.back_key, 3, 2)
        for key in (*self._keys, self.clear_key, self.back_key):
            # Keys grow with the room they get (portrait), down to the thumb-size minimum.
            key.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            key.setMaximumHeight(KEY_MAX_HEIGHT)
        self.setMaximumHeight(4 * KEY_MAX_HEIGHT + 3 * grid.spacing())
        self.reset()

    def reset(self) -> None:
        order = list("1234567890")
        if self._shuffle:
            random.SystemRandom().shuffle(order)
        for key, digit in zip(self._keys, order, strict=True):
            key.setText(digit)
            key.setAccessibleName(digit)

    def digits_in_order(self) -> str:
        return "".join(key.text() for key in self._keys)

    def retranslate(self, clear: str, back: str) -> None:
        self.clear_key.setText(clear)
        self.back_key.setText(back)

    def _press(self, digit: str) -> None:
        self._entry.type(digit)
        self.pressed.emit(digit)


class AlphaKeyboard(QWidget):
    """Upper-case letters and digits for the new signature PIN."""

    def __init__(self) -> None:
        super().__init__()
        self.target: SecretEntry | None = None
        self.back_key = button("keyword", self._backspace)
        self.clear_key = button("keyword", self._clear)
        grid = QGridLayout(self)
        grid.setSpacing(6)
        self.keys: dict[str, QPushButton] = {}
        for row, chars in enumerate(ALPHANUMERIC_ROWS):
            offset = 0 if len(chars) == 10 else 1
            for column, char in enumerate(chars):
                key = button("key")
                key.setText(char)
                key.setMinimumSize(MIN_KEY, MIN_KEY)
                key.clicked.connect(lambda _=False, c=char: self._type(c))
                self.keys[char] = key
                grid.addWidget(key, row, column + (offset if row else 0))
        self.back_key.setMinimumHeight(MIN_KEY)
        self.clear_key.setMinimumHeight(MIN_KEY)
        grid.addWidget(self.clear_key, 4, 0, 1, 5)
        grid.addWidget(self.back_key, 4, 5, 1, 5)

    def _type(self, char: str) -> None:
        if self.target is not None:
            self.target.type(char)

    def _backspace(self) -> None:
        if self.target is not None:
            self.target.backspace()

    def _clear(self) -> None:
        if self.target is not None:
            self.target.clear()

    def retranslate(self, clear: str, back: str) -> None:
        self.clear_key.setText(clear)
        self.back_key.setText(back)


MIN_KEY = 90


class Picture(QWidget):
    """Base for painted pictures that scale with the space they get."""

    def __init__(self, min_height: int = 260) -> None:
        super().__init__()
        self.setMinimumHeight(min_height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def _font(self, pixel_size: int, bold: bool = False) -> QFont:
        font = QFont(FONT_FAMILY)
        font.setPixelSize(pixel_size)
        font.setBold(bold)
        return font


def _card_front(painter: QPainter, card: QRectF, texts: bool) -> dict[str, QRectF]:
    """The front of a My Number card in ``card``: name and address lines at the top left,
    birth date and expiry below them, the photo at the right with the security code under
    it. Returns where the three parts of 照合番号B are (for boxes around them)."""
    cw, ch = card.width(), card.height()
    painter.setPen(QPen(QColor(INK), 3))
    painter.setBrush(QColor("#fbf8f4"))
    painter.drawRoundedRect(card, cw * 0.04, cw * 0.04)
    painter.setBrush(QColor("#cfd8e6"))
    painter.setPen(QPen(QColor(QUIET), 2))
    photo = QRectF(card.left() + cw * 0.68, card.top() + ch * 0.07, cw * 0.27, ch * 0.57)
    painter.drawRect(photo)
    # head and shoulders in the photo
    painter.setBrush(QColor("#9fb0c8"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QRectF(photo.center().x() - photo.width() * 0.18,
                               photo.top() + photo.height() * 0.18,
                               photo.width() * 0.36, photo.height() * 0.36))
    painter.drawRoundedRect(QRectF(photo.left() + photo.width() * 0.15,
                                   photo.top() + photo.height() * 0.6,
                                   photo.width() * 0.7, photo.height() * 0.4), 20, 20)
    painter.setPen(QPen(QColor(LINE), max(3.0, ch * 0.035)))
    for y, right in ((0.1, 0.45), (0.22, 0.62), (0.3, 0.5)):  # name, address (two lines)
        painter.drawLine(QPointF(card.left() + cw * 0.1, card.top() + ch * y),
                         QPointF(card.left() + cw * right, card.top() + ch * y))
    parts = {
        "birth": QRectF(card.left() + cw * 0.03, card.top() + ch * 0.38, cw * 0.46, ch * 0.13),
        "expiry": QRectF(card.left() + cw * 0.03, card.top() + ch * 0.52, cw * 0.55, ch * 0.11),
        "code": QRectF(card.left() + cw * 0.72, card.top() + ch * 0.66, cw * 0.2, ch * 0.12),
    }
    if texts:
        examples = {"birth": "平成 6年 4月 1日生", "expiry": "2035年 4月 1日まで有効",
                    "code": "1234"}
        painter.setPen(QColor(INK))
        painter.setFont(_picture_font(max(10, int(ch * 0.075))))
        for key, box in parts.items():
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), examples[key])
    painter.setPen(QColor("#1e3c78"))
    painter.setFont(_picture_font(max(10, int(ch * 0.08)), bold=True))
    painter.drawText(QRectF(card.left() + cw * 0.04, card.top() + ch * 0.8, cw * 0.6, ch * 0.15),
                     int(Qt.AlignmentFlag.AlignVCenter), "個人番号カード")
    return parts


def _picture_font(pixel_size: int, bold: bool = False) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setPixelSize(pixel_size)
    font.setBold(bold)
    return font


class CardOnReader(Picture):
    """The card laid on the reader photo side up, with an arrow. The IC chip is on the back
    of the My Number card, so it faces the reader and is not seen from above."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        size = min(w / 1.6, h / 1.1)
        cx, cy = w / 2, h / 2
        reader = QRectF(cx - size * 0.7, cy + size * 0.05, size * 1.4, size * 0.4)
        painter.setPen(QPen(QColor(INK), 4))
        painter.setBrush(QColor("#d9dde4"))
        painter.drawRoundedRect(reader, 18, 18)
        card = QRectF(cx - size * 0.5, cy - size * 0.45, size, size * 0.63)
        _card_front(painter, card, texts=False)
        painter.setPen(QPen(QColor(PRIMARY), 5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(card, size * 0.04, size * 0.04)
        painter.setPen(QPen(QColor(PRIMARY), 8))
        top = card.top() - size * 0.02
        painter.drawLine(int(cx), int(top - size * 0.25), int(cx), int(top))
        painter.drawLine(int(cx - size * 0.06), int(top - size * 0.07), int(cx), int(top))
        painter.drawLine(int(cx + size * 0.06), int(top - size * 0.07), int(cx), int(top))
        painter.end()


class CardFaceGuide(Picture):
    """The front of the card with numbered boxes where 照合番号B's three parts are printed:
    ① the birth date (Japanese era), ② the expiry (its year), ③ the security code."""

    def __init__(self) -> None:
        super().__init__(min_height=110)
        self.captions: tuple[str, str, str] = ("", "", "")

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        cw = min(w * 0.9, h * 1.55)
        ch = cw / 1.585
        card = QRectF((w - cw) / 2, (h - ch) / 2, cw, ch)
        parts = _card_front(painter, card, texts=True)
        for number, key in enumerate(("birth", "expiry", "code"), start=1):
            box = parts[key]
            painter.setPen(QPen(QColor("#d62828"), 5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, 8, 8)
            radius = max(14.0, ch * 0.06)
            badge = QRectF(box.left() - radius * 0.8, box.top() - radius * 0.9,
                           2 * radius, 2 * radius)
            painter.setBrush(QColor("#d62828"))
            painter.drawEllipse(badge)
            painter.setPen(QColor("white"))
            painter.setFont(self._font(int(radius * 1.3), bold=True))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(number))
        painter.end()


class CardCameraView(Picture):
    """The camera picture with a card-shaped frame where the resident holds the card."""

    def __init__(self) -> None:
        super().__init__(min_height=360)
        self._image: QImage | None = None

    def show_frame(self, frame: object) -> None:
        self._image = frame_image(frame, mirrored=False)  # not mirrored: the text reads
        self.update()

    def clear(self) -> None:
        self._image = None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        full = QRectF(self.rect())
        w = min(full.width(), full.height() * 16 / 9)
        area = QRectF((full.width() - w) / 2, (full.height() - w * 9 / 16) / 2, w, w * 9 / 16)
        painter.fillRect(area, QColor("#20242c"))
        if self._image is not None:
            painter.drawImage(area, self._image)
        left, top, right, bottom = GUIDE_BOX
        guide = QRectF(area.left() + left * area.width(), area.top() + top * area.height(),
                       (right - left) * area.width(), (bottom - top) * area.height())
        pen = QPen(QColor("#ffffff"), 6)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(guide, 18, 18)
        painter.end()


class RuleList(QWidget):
    """A checklist whose lines turn green as their rule is met."""

    def __init__(self, count: int) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.lines = [label("rule_todo") for _ in range(count)]
        for line in self.lines:
            layout.addWidget(line)

    def show_rules(self, rules: Sequence[tuple[str, bool]]) -> None:
        for line, (text, met) in zip(self.lines, rules, strict=True):
            line.setText(("✓ " if met else "・ ") + text)
            role = "rule_ok" if met else "rule_todo"
            if line.property("role") != role:
                line.setProperty("role", role)
                line.style().unpolish(line)
                line.style().polish(line)


class AdaptiveRow(QWidget):
    """Two panes side by side on a landscape screen, stacked on a portrait one."""

    def __init__(self, first: QWidget, second: QWidget, *, portrait_grows: int = 1) -> None:
        """``portrait_grows``: which pane (0 or 1) takes the spare height when stacked."""
        super().__init__()
        self._portrait_grows = portrait_grows
        self._layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(28)
        self._layout.addWidget(first, 1)
        self._layout.addWidget(second, 1)

    def set_wide(self, wide: bool) -> None:
        """Side by side when ``wide`` (the window is in landscape), else stacked."""
        direction = (
            QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        )
        if self._layout.direction() != direction:
            self._layout.setDirection(direction)
        # Side by side both panes share the width; stacked, the first keeps its natural
        # height and the second takes the rest (so nothing floats in the middle).
        for pane in (0, 1):
            self._layout.setStretch(pane, 1 if wide or pane == self._portrait_grows else 0)


def column(*widgets: QWidget, stretch_end: bool = True) -> QWidget:
    """Widgets stacked in a plain container."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(14)
    for widget in widgets:
        layout.addWidget(widget)
    if stretch_end:
        layout.addStretch(1)
    return holder
