"""The engineer's on-screen keyboard: letters in both cases, digits and a few symbols, typed
straight into a :class:`SecretEntry` (a ``bytearray``). A USB keyboard works as well."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.ui.qt import QGridLayout, QPushButton, QWidget
from kiosk.ui.widgets import MIN_KEY, SecretEntry, button

ROWS = ("1234567890", "qwertyuiop", "asdfghjkl-", "zxcvbnm_.@")


class PassphraseKeyboard(QWidget):
    def __init__(self, entry: SecretEntry) -> None:
        super().__init__()
        self.entry = entry
        self.upper = False
        grid = QGridLayout(self)
        grid.setSpacing(6)
        self.keys: dict[str, QPushButton] = {}
        for row, chars in enumerate(ROWS):
            for column, char in enumerate(chars):
                key = button("key")
                key.setMinimumSize(MIN_KEY, MIN_KEY)
                key.clicked.connect(self._typer(char))
                self.keys[char] = key
                grid.addWidget(key, row, column)
        self.shift_key = button("keyword", self.shift)
        self.clear_key = button("keyword", entry.clear)
        self.back_key = button("keyword", entry.backspace)
        for key, column, span in ((self.shift_key, 0, 3), (self.clear_key, 3, 4),
                                  (self.back_key, 7, 3)):
            key.setMinimumHeight(MIN_KEY)
            grid.addWidget(key, len(ROWS), column, 1, span)
        self._label_keys()

    def shift(self) -> None:
        self.upper = not self.upper
        self._label_keys()

    def retranslate(self, clear: str, back: str) -> None:
        self.clear_key.setText(clear)
        self.back_key.setText(back)

    def _label_keys(self) -> None:
        for char, key in self.keys.items():
            key.setText(char.upper() if self.upper else char)
        self.shift_key.setText("abc" if self.upper else "ABC")

    def _typer(self, char: str) -> Callable[[], None]:
        def type_char() -> None:
            self.entry.type(char.upper() if self.upper else char)

        return type_char
