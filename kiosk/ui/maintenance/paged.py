"""Lines shown a page at a time with big previous/next buttons (no tiny scroll bars)."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.ui.i18n import tr
from kiosk.ui.maintenance.parts import action_button
from kiosk.ui.qt import QHBoxLayout, QVBoxLayout, QWidget
from kiosk.ui.widgets import label

MAX_LINE_CHARS = 160


class PagedLines(QWidget):
    def __init__(self, per_page: int = 7) -> None:
        super().__init__()
        self.per_page = per_page
        self.lines: list[str] = []
        self.page = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.rows = [label("quiet") for _ in range(per_page)]
        for row in self.rows:
            layout.addWidget(row)
        layout.addStretch(1)
        bar = QHBoxLayout()
        self.previous = action_button("small", lambda: self.turn(-1))
        self.position = label("quiet", wrap=False, centre=True)
        self.next = action_button("small", lambda: self.turn(1))
        bar.addWidget(self.previous)
        bar.addWidget(self.position, 1)
        bar.addWidget(self.next)
        layout.addLayout(bar)
        self.show_lines([])

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.lines) // self.per_page))

    def show_lines(self, lines: Sequence[str], *, last_page: bool = False) -> None:
        self.lines = [line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"
                      for line in lines]
        self.page = self.pages - 1 if last_page else 0
        self._render()

    def turn(self, step: int) -> None:
        self.page = min(self.pages - 1, max(0, self.page + step))
        self._render()

    def retranslate(self) -> None:
        self._render()

    def _render(self) -> None:
        start = self.page * self.per_page
        shown = self.lines[start : start + self.per_page]
        for index, row in enumerate(self.rows):
            row.setText(shown[index] if index < len(shown) else "")
            row.setVisible(index < len(shown))
        self.previous.setText(tr("Previous"))
        self.next.setText(tr("Next"))
        self.previous.setEnabled(self.page > 0)
        self.next.setEnabled(self.page < self.pages - 1)
        self.position.setText(f"{self.page + 1} / {self.pages}")
