"""Maintenance over the resident screens: the hidden entry, the sign-in, the staff and
engineer screens, automatic sign-out, and the out-of-service state shown to residents.

Hidden entry: press and hold the top-left corner (``CORNER`` px square) of the resident
screens for ``maintenance.hold_to_enter`` seconds, while no resident is in a transaction
(start or out-of-service screen). The maintenance screens then cover the window; closing or
signing out (also after ``maintenance.auto_sign_out`` seconds without a touch) returns to the
resident screens.
"""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import Step
from kiosk.maintenance import MaintenanceSession, PermissionDeniedError
from kiosk.ui.driver import FlowDriver
from kiosk.ui.i18n import tr
from kiosk.ui.maintenance.engineer import EngineerPage
from kiosk.ui.maintenance.login import LoginPage
from kiosk.ui.maintenance.parts import MaintenanceParts, action_button
from kiosk.ui.maintenance.staff import StaffPage
from kiosk.ui.qt import (
    QApplication,
    QEvent,
    QHBoxLayout,
    QObject,
    QPoint,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.widgets import AdaptiveRow, label
from kiosk.ui.window import KioskWindow

CORNER = 160  # px
STAFF_REFRESH_TICKS = 5  # seconds between refreshes of the staff screen
# Seconds the sign-in page stays up untouched without anyone signing in: a long press on the
# corner by a passer-by must not hide the resident screens until someone taps Close.
SIGN_IN_IDLE_TICKS = 60
ENTRY_STEPS = (Step.START, Step.OUT_OF_SERVICE)
PRESSES = (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin)
RELEASES = (QEvent.Type.MouseButtonRelease, QEvent.Type.TouchEnd, QEvent.Type.TouchCancel)
MOVES = (QEvent.Type.MouseMove, QEvent.Type.TouchUpdate)
ACTIVITY = (*PRESSES, QEvent.Type.KeyPress, QEvent.Type.MouseMove, QEvent.Type.TouchUpdate)


class MaintenanceOverlay(QWidget):
    """The maintenance screens: a header (title, sign-out time, close) and one page."""

    def __init__(self, parent: QWidget, parts: MaintenanceParts) -> None:
        super().__init__(parent)
        self.setObjectName("KioskRoot")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 24, 40, 24)
        outer.setSpacing(18)
        header = QHBoxLayout()
        self.title = label("title")
        self.time_left = label("quiet", wrap=False)
        self.close_button = action_button("small")
        self.close_button.setSizePolicy(self.close_button.sizePolicy().horizontalPolicy().Minimum,
                                        self.close_button.sizePolicy().verticalPolicy())
        header.addWidget(self.title, 1)
        header.addWidget(self.time_left)
        header.addWidget(self.close_button)
        outer.addLayout(header)
        self.notice = label("warning")
        self.notice.setVisible(False)
        outer.addWidget(self.notice)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)


class MaintenanceController(QObject):
    def __init__(self, window: KioskWindow, flow: FlowDriver, parts: MaintenanceParts) -> None:
        super().__init__(window)
        self.window = window
        self.flow = flow
        self.parts = parts
        self.session: MaintenanceSession | None = None
        self.overlay = MaintenanceOverlay(window, parts)
        self.login = LoginPage(parts, self._signed_in)
        self.staff = StaffPage(parts, self.apply_service_state, self.open_engineer)
        self.engineer = EngineerPage(parts)
        for page in (self.login, self.staff, self.engineer):
            self.overlay.pages.addWidget(page)
        self.overlay.close_button.clicked.connect(self.close_button_pressed)
        self.overlay.hide()
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.setInterval(int(parts.config.maintenance.hold_to_enter * 1000))
        self._hold.timeout.connect(self.open)
        self._ticks = 0
        self._idle_ticks = 0
        self._watch = QTimer(self)
        self._watch.setInterval(1000)
        self._watch.timeout.connect(self._check_session)
        self._watch.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.apply_service_state()

    # --- public -------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.overlay.isVisible()

    def open(self) -> None:
        """Show the sign-in (the hidden entry calls this after the long press)."""
        if self.is_open or self.flow.view.step not in ENTRY_STEPS:
            return
        self._fit()
        self._idle_ticks = 0
        self.login.choose(self.login.role)
        self.overlay.pages.setCurrentWidget(self.login)
        self.overlay.notice.setVisible(False)
        self.retranslate()
        central = self.window.centralWidget()
        if central is not None:
            central.hide()
        self.overlay.show()
        self.overlay.raise_()
        self.login.setFocus()

    def close(self) -> None:
        """Sign out and return to the resident screens."""
        self._hold.stop()
        self.engineer.leave()
        self.login.clear()
        if self.session is not None:
            self.session.sign_out()
            self.session = None
        self.overlay.hide()
        central = self.window.centralWidget()
        if central is not None:
            central.show()
        self.apply_service_state()

    def close_button_pressed(self) -> None:
        if self.overlay.pages.currentWidget() is self.engineer and self.session is not None:
            self.engineer.leave()
            self.engineer.session = None
            self._show_staff()
        else:
            self.close()

    def open_engineer(self) -> None:
        session = self.session
        if session is None:
            return
        try:
            self.engineer.open(session)
        except PermissionDeniedError:
            self._notice(tr("Engineer tools need the engineer sign-in."))
            return
        self.overlay.pages.setCurrentWidget(self.engineer)
        self.retranslate()

    def apply_service_state(self) -> None:
        """Residents see the out-of-service screen (with staff's message) when staff set it."""
        status = self.parts.maintenance.service.current()
        self.window.set_service_message(status.message)
        self.flow_set_out_of_service(not status.in_service)

    def flow_set_out_of_service(self, out: bool) -> None:
        setter = getattr(self.flow, "set_out_of_service", None)
        if setter is not None:
            setter(out)

    def retranslate(self) -> None:
        page = self.overlay.pages.currentWidget()
        self.overlay.title.setText(
            tr("Maintenance sign-in") if page is self.login
            else tr("Engineer diagnostics") if page is self.engineer else tr("Maintenance"))
        back = page is self.engineer and self.session is not None
        self.overlay.close_button.setText(
            tr("Back") if back else tr("Sign out") if self.session else tr("Close"))
        self.login.retranslate()
        self.staff.refresh()
        self.engineer.retranslate()
        self._show_time_left()

    def shut_down(self) -> None:
        self._watch.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self.is_open:
            self.close()

    # --- Qt -----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QEvent.Type.Resize and watched is self.window:
            self._fit()
        elif kind == QEvent.Type.LanguageChange and watched is self.window:
            self.retranslate()
        if self.is_open:
            if kind in ACTIVITY:
                self._idle_ticks = 0
            if kind in ACTIVITY and self.session is not None and self.session.signed_in:
                try:
                    self.session.touch()
                except Exception:
                    self._check_session()
        elif kind in PRESSES and self._in_corner(event):
            self._hold.start()
        elif kind in RELEASES or (kind in MOVES and self._hold.isActive()
                                  and not self._in_corner(event)):
            self._hold.stop()  # let go, or slid out of the corner
        return False

    # --- internals ----------------------------------------------------------------------------

    def _fit(self) -> None:
        """Cover the window; side by side in landscape, stacked in portrait."""
        self.overlay.setGeometry(self.window.rect())
        wide = self.window.width() > self.window.height()
        for row in self.overlay.findChildren(AdaptiveRow):
            row.set_wide(wide)

    def _in_corner(self, event: QEvent) -> bool:
        if not self.window.isVisible() or self.flow.view.step not in ENTRY_STEPS:
            return False
        where = getattr(event, "globalPosition", None)
        if where is None:
            points: list[Any] = getattr(event, "points", list)()
            if not points:
                return False
            where = points[0].globalPosition
        local: QPoint = self.window.mapFromGlobal(where().toPoint())
        return 0 <= local.x() < CORNER and 0 <= local.y() < CORNER

    def _signed_in(self, session: MaintenanceSession) -> None:
        self.session = session
        self._show_staff()

    def _show_staff(self) -> None:
        if self.session is None:
            raise RuntimeError("the staff page needs a signed-in session")
        self.staff.open(self.session)
        self.overlay.pages.setCurrentWidget(self.staff)
        self.overlay.notice.setVisible(False)
        self.retranslate()

    def _notice(self, text: str) -> None:
        self.overlay.notice.setText(text)
        self.overlay.notice.setVisible(True)

    def _check_session(self) -> None:
        if self.session is None:
            if self.is_open:
                self._show_time_left()
                self._idle_ticks += 1
                if self._idle_ticks >= SIGN_IN_IDLE_TICKS and not self.login.busy:
                    self.close()
            return
        if self.parts.maintenance.active() is not self.session or not self.session.signed_in:
            self.session = None
            self.close()
            return
        self._show_time_left()
        self._ticks += 1
        if self._ticks % STAFF_REFRESH_TICKS == 0 and \
                self.overlay.pages.currentWidget() is self.staff:
            self.staff.refresh()  # new health results and counts, not audited again

    def _show_time_left(self) -> None:
        session = self.session
        if session is None or not session.signed_in:
            self.overlay.time_left.setText("")
            return
        self.overlay.time_left.setText(tr("Sign-out in %1 s").replace(
            "%1", str(int(session.seconds_until_sign_out()))))


__all__ = ["MaintenanceController", "MaintenanceOverlay"]
