"""Role sign-in: the staff PIN on a digit pad, the engineer passphrase on a keyboard.

The secret goes from the keys into a ``bytearray`` (never a QString) and is handed to
``Maintenance.sign_in`` off the UI thread (scrypt takes ~75 ms); it is wiped either way.
A wrong entry shows the tries left; a lockout shows the time left, counting down.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from kiosk.maintenance import (
    LockedOutError,
    MaintenanceSession,
    NotConfiguredError,
    Role,
    WrongCredentialError,
)
from kiosk.maintenance.credentials import (
    ENGINEER_PASSPHRASE_CHARACTERS,
    ENGINEER_PASSPHRASE_MAX,
    STAFF_PIN_MAX_DIGITS,
)
from kiosk.ui.i18n import tr
from kiosk.ui.maintenance.keyboard import PassphraseKeyboard
from kiosk.ui.maintenance.parts import MaintenanceParts, action_button
from kiosk.ui.qt import QHBoxLayout, QKeyEvent, Qt, QTimer, QVBoxLayout, QWidget
from kiosk.ui.widgets import AdaptiveRow, Keypad, SecretEntry, column, label

MAX_PIN = STAFF_PIN_MAX_DIGITS
MAX_PASSPHRASE = ENGINEER_PASSPHRASE_MAX


class LoginPage(QWidget):
    """Choose a role, enter its credential, sign in. ``signed_in(session)`` on success."""

    def __init__(self, parts: MaintenanceParts,
                 signed_in: Callable[[MaintenanceSession], None]) -> None:
        super().__init__()
        self._parts = parts
        self._signed_in = signed_in
        self.role = Role.STAFF
        self.busy = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(18)
        roles = QHBoxLayout()
        self.staff_button = action_button("choice", lambda: self.choose(Role.STAFF))
        self.engineer_button = action_button("choice", lambda: self.choose(Role.ENGINEER))
        roles.addWidget(self.staff_button)
        roles.addWidget(self.engineer_button)
        layout.addLayout(roles)
        self.prompt = label("subtitle")
        self.pin = SecretEntry(MAX_PIN)
        self.passphrase = SecretEntry(MAX_PASSPHRASE)
        self.message = label("warning")
        self.sign_in_button = action_button("primary", self.submit)
        self.keypad = Keypad(self.pin)
        self.keyboard = PassphraseKeyboard(self.passphrase)
        keys = QWidget()
        key_layout = QVBoxLayout(keys)
        key_layout.setContentsMargins(0, 0, 0, 0)
        key_layout.addWidget(self.keypad)
        key_layout.addWidget(self.keyboard)
        entry = column(self.prompt, self.pin, self.passphrase, self.message,
                       self.sign_in_button)
        layout.addWidget(AdaptiveRow(entry, keys), 1)
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._show_lockout)
        self.choose(Role.STAFF)

    # --- public -------------------------------------------------------------------------------

    @property
    def entry(self) -> SecretEntry:
        return self.pin if self.role is Role.STAFF else self.passphrase

    def choose(self, role: Role) -> None:
        self.clear()
        self.role = role
        staff = role is Role.STAFF
        self.pin.setVisible(staff)
        self.keypad.setVisible(staff)
        self.passphrase.setVisible(not staff)
        self.keyboard.setVisible(not staff)
        self.message.setVisible(False)
        self._show_lockout()
        self.retranslate()

    def clear(self) -> None:
        self.pin.clear()
        self.passphrase.clear()

    def submit(self) -> None:
        if self.busy or not len(self.entry):
            return
        secret = self.entry.take()
        role = self.role
        self.busy = True
        self.sign_in_button.setEnabled(False)
        self._parts.run_in_background(
            lambda: self._parts.maintenance.sign_in(role, secret), self._finished)

    def retranslate(self) -> None:
        self.staff_button.setText(("▶ " if self.role is Role.STAFF else "") + tr("Store staff"))
        self.engineer_button.setText(("▶ " if self.role is Role.ENGINEER else "")
                                     + tr("Field engineer"))
        self.prompt.setText(tr("Enter the staff PIN") if self.role is Role.STAFF
                            else tr("Enter the engineer passphrase (a keyboard works too)"))
        self.keypad.retranslate(tr("Clear"), tr("Back"))
        self.keyboard.retranslate(tr("Clear"), tr("Back"))
        self.sign_in_button.setText(tr("Sign in"))

    # --- Qt -----------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
        elif key == Qt.Key.Key_Backspace:
            self.entry.backspace()
        else:
            text = event.text()
            if len(text) == 1 and text in ENGINEER_PASSPHRASE_CHARACTERS and (
                    self.role is Role.ENGINEER or text.isdigit()):
                self.entry.type(text)
            else:
                super().keyPressEvent(event)

    # --- internals ----------------------------------------------------------------------------

    def _finished(self, session: object, error: BaseException | None) -> None:
        self.busy = False
        self.sign_in_button.setEnabled(True)
        if isinstance(session, MaintenanceSession):
            self.message.setVisible(False)
            self._signed_in(session)
            return
        if isinstance(error, WrongCredentialError):
            if error.locked_for:
                self._show_lockout()
            else:
                self._say(tr("Wrong entry. Tries left before a lockout: %1")
                          .replace("%1", str(error.attempts_left)))
        elif isinstance(error, LockedOutError):
            self._show_lockout()
        elif isinstance(error, NotConfiguredError):
            self._say(tr("No credential is set for this role (kiosk set-credential)."))
        else:
            self._say(tr("Sign-in failed. Please try again."))

    def _show_lockout(self) -> None:
        left = self._parts.maintenance.lockout.seconds_left(self.role)
        locked = left > 0
        self.sign_in_button.setEnabled(not locked and not self.busy)
        if locked and math.isinf(left):
            self._say(tr("Sign-in is locked until an engineer resets it on the machine "
                         "(kiosk reset-lockout)."))
        elif locked:
            self._say(tr("Too many wrong entries. Sign-in is locked for %1 more seconds.")
                      .replace("%1", str(math.ceil(left))))
            if not self._countdown.isActive() and not math.isinf(left):
                self._countdown.start()
        else:
            self._countdown.stop()
            if self.message.isVisible() and self.message.property("locked"):
                self.message.setVisible(False)
        self.message.setProperty("locked", locked)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)
