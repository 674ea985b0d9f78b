"""Panels over the resident screens: help with a staff call, and "Do you need more time?".

Each covers the whole screen area (so a touch meant for it cannot press a button of the
screen below) and shows a centred card with large text.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.flow.states import Step
from kiosk.ui.i18n import tr
from kiosk.ui.qt import QFrame, QLabel, Qt, QVBoxLayout, QWidget
from kiosk.ui.widgets import button, label, prop


def help_text(step: Step) -> str:
    """A short explanation of what the resident does on ``step``."""
    texts = {
        Step.START: tr("This machine resets the PIN of the signature certificate on your My "
                       "Number card. Choose your language and press Start. You need your card "
                       "and its 4-digit PIN for user authentication."),
        Step.CONSENT: tr("Read what you need and what happens. Press \"I agree, continue\" to go "
                         "on, or \"Back\" to stop. Nothing is stored about you."),
        Step.PLACE_CARD: tr("Put your My Number card on the reader in front of you, photo side "
                            "up. Leave it there until the machine tells you to take it."),
        Step.READ_CARD: tr("The machine is reading your card. This takes a few seconds. Do not "
                           "move the card."),
        Step.AUTH_PIN: tr("Enter the 4-digit PIN you chose for user authentication when the "
                          "card was issued (the one you use to log in to Mynaportal). If it is "
                          "wrong 3 times it is locked."),
        Step.UNLOCK_PHOTO: tr("The machine needs the photo stored in your card. Open it with "
                              "the 4-digit PIN for text input, or with the numbers printed on "
                              "the front of the card: hold the card to the camera or type them."),
        Step.FACE_CHECK: tr("Look at the camera and follow the one instruction shown over the "
                            "picture, for example blink or turn your head. Take off a mask, "
                            "sunglasses or hat."),
        Step.NEW_PIN: tr("Choose a new PIN for the signature certificate: 6 to 16 characters, "
                         "capital letters A-Z and digits 0-9, with at least one of each. Enter "
                         "it twice."),
        Step.PROCESSING: tr("The new PIN is being written to your card. Do not remove the card. "
                            "This takes up to a minute."),
        Step.DONE: tr("Your new PIN is set. Take your card with you."),
        Step.ERROR: tr("The procedure stopped. The screen says why and what to do next. Take "
                       "your card with you."),
        Step.OUT_OF_SERVICE: tr("This machine cannot be used now. Please try again later or "
                                "use another store."),
    }
    return texts.get(step, tr("Follow the instructions on the screen."))


class Overlay(QWidget):
    """A dimmed cover with a centred panel."""

    def __init__(self, parent: QWidget, name: str) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 48, 48, 48)
        outer.addStretch(1)
        self.panel = QFrame()
        self.panel.setObjectName("OverlayPanel")
        self.content = QVBoxLayout(self.panel)
        self.content.setContentsMargins(40, 36, 40, 36)
        self.content.setSpacing(24)
        outer.addWidget(self.panel)
        outer.addStretch(1)
        self.hide()

    def cover(self, area: QWidget) -> None:
        """Cover ``area`` (the parent) and come to the top."""
        self.setGeometry(area.rect())
        self.raise_()

    def spoken_text(self) -> str:
        parts = [w.text() for w in self.findChildren(QLabel)
                 if w.isVisibleTo(self) and prop(w, "speak") is not False and w.text()]
        return "\n".join(parts)


class HelpOverlay(Overlay):
    """The step's explanation, a staff call, and a way back."""

    def __init__(self, parent: QWidget, call_staff: Callable[[], None] | None) -> None:
        super().__init__(parent, "HelpOverlay")
        self.title = label("title")
        self.text = label("body")
        self.staff_note = label("quiet")
        self.called = label("warning")
        self.called.setVisible(False)
        self.call = button("", self._call)
        self.call.setVisible(call_staff is not None)
        self.close_button = button("primary", self.hide)
        for widget in (self.title, self.text, self.staff_note, self.called, self.call,
                       self.close_button):
            self.content.addWidget(widget)
        self._call_staff = call_staff
        self.step = Step.START

    def open_for(self, step: Step) -> None:
        if step != self.step:
            self.called.setVisible(False)
        self.step = step
        self.retranslate()
        self.show()

    def _call(self) -> None:
        if self._call_staff is not None:
            self._call_staff()
        self.called.setVisible(True)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("Help"))
        self.text.setText(help_text(self.step))
        self.staff_note.setText(tr("Store staff can come to the machine, but they cannot see "
                                   "or enter your PIN and they do not see your personal "
                                   "data."))
        self.staff_note.setVisible(self._call_staff is not None)
        self.called.setText(tr("Staff have been called. Please wait here."))
        self.call.setText(tr("Call staff"))
        self.call.setEnabled(not self.called.isVisible())
        self.close_button.setText(tr("Back to the procedure"))


class MoreTimeOverlay(Overlay):
    """Shown while the inactivity countdown runs; any touch anywhere continues."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, "MoreTimeOverlay")
        self.title = label("title")
        self.seconds = label("countdown_big", centre=True)
        self.text = label("body")
        self.more = button("primary")  # the touch itself counts; the button says so plainly
        for widget in (self.title, self.seconds, self.text, self.more):
            self.content.addWidget(widget)
        self.left: int | None = None

    def show_seconds(self, left: int) -> None:
        self.left = left
        self.title.setText(tr("Do you need more time?"))
        self.seconds.setText(tr("%n s").replace("%n", str(left)))
        self.text.setText(tr("Touch the screen anywhere to continue. Otherwise the procedure "
                             "ends and everything you entered is erased."))
        self.more.setText(tr("Yes, I need more time"))
