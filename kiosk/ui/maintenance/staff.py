"""The staff screen: in or out of service, health at a glance, today's counts, reader reset,
restart. Everything goes through the signed-in ``MaintenanceSession`` (permission + audit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk.diagnostics import GlanceItem, Status, at_a_glance
from kiosk.maintenance import Action, MaintenanceSession
from kiosk.ui.i18n import tr
from kiosk.ui.maintenance.parts import MaintenanceParts, action_button
from kiosk.ui.maintenance.texts import summary_text
from kiosk.ui.qt import QGridLayout, QLabel, QVBoxLayout, QWidget
from kiosk.ui.widgets import AdaptiveRow, column, label

# Messages staff can choose for residents (shown translated on the out-of-service screen).
PRESET_MESSAGES = ("", "Please use the kiosk at the entrance.",
                   "Under maintenance. Back soon.")


def preset_text(message: str) -> str:
    """A preset message in the current language (other text as it is)."""
    return {"Please use the kiosk at the entrance.": tr("Please use the kiosk at the entrance."),
            "Under maintenance. Back soon.": tr("Under maintenance. Back soon.")
            }.get(message, message)


def glance_title(key: str) -> str:
    return {"reader": tr("Card reader"), "card": tr("Card"), "camera": tr("Camera"),
            "backend": tr("Backend"), "certificate": tr("Kiosk certificate")}.get(key, key)


def status_text(status: Status | None) -> str:
    if status is None:
        return tr("Not checked yet")
    return {Status.OK: tr("OK"), Status.WARN: tr("Check"), Status.FAIL: tr("Fault")}[status]


def outcome_text(outcome: str) -> str:
    return {"completed": tr("Completed"), "cancelled": tr("Cancelled"),
            "timed_out": tr("Timed out"), "abandoned": tr("Left before starting"),
            "face_no_match": tr("Face did not match")}.get(outcome, outcome)


def step_name(step: str) -> str:
    """A resident step's name for staff (the screen, not what was on it)."""
    return {"start": tr("Start"), "consent": tr("Before you start"),
            "place_card": tr("Place your card"), "read_card": tr("Reading your card"),
            "auth_pin": tr("Enter your 4-digit PIN"),
            "unlock_photo": tr("Unlock the photo on your card"), "face_check": tr("Face check"),
            "new_pin": tr("Choose a new signature PIN"), "processing": tr("Setting your new PIN"),
            "done": tr("Done"), "error": tr("The procedure could not be completed"),
            "out_of_service": tr("Out of service")}.get(step, step)


def _local_time(since: str) -> str:
    try:
        return dt.datetime.fromisoformat(since).astimezone().strftime("%H:%M")
    except ValueError:
        return since


class StaffPage(QWidget):
    def __init__(self, parts: MaintenanceParts, service_changed: Callable[[], None],
                 open_engineer: Callable[[], None]) -> None:
        super().__init__()
        self._parts = parts
        self._service_changed = service_changed
        self.session: MaintenanceSession | None = None
        self._message_index = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)

        # A resident's call for staff: the time and the step only, never who or what they typed.
        self.call_banner = label("alarm")
        self.answer_button = action_button("primary", self.answer_call)
        self.call_banner.setVisible(False)
        self.answer_button.setVisible(False)
        layout.addWidget(self.call_banner)
        layout.addWidget(self.answer_button)

        self.service_state = label("big")
        self.message_button = action_button("choice", self.next_message)
        self.service_button = action_button("primary", self.toggle_service)
        self.counts_title = label("subtitle")
        self.counts = label("body")
        self.result = label("warning")
        self.result.setVisible(False)
        service = column(self.service_state, self.message_button, self.service_button,
                         self.counts_title, self.counts, self.result)

        self.health_title = label("subtitle")
        health = QWidget()
        health_layout = QVBoxLayout(health)
        health_layout.setContentsMargins(0, 0, 0, 0)
        health_layout.addWidget(self.health_title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(20)
        self.health_rows: dict[str, tuple[QLabel, QLabel, QLabel]] = {}
        for row, key in enumerate(("reader", "card", "camera", "backend", "certificate")):
            name, state, summary = label("body"), label("body"), label("quiet")
            grid.addWidget(name, row, 0)
            grid.addWidget(state, row, 1)
            grid.addWidget(summary, row, 2)
            self.health_rows[key] = (name, state, summary)
        grid.setColumnStretch(2, 1)
        health_layout.addLayout(grid)
        health_layout.addStretch(1)
        layout.addWidget(AdaptiveRow(service, health, portrait_grows=1), 1)

        actions = QGridLayout()
        actions.setSpacing(16)
        self.reset_button = action_button("", self.reset_reader)
        self.restart_button = action_button("", self.restart)
        self.engineer_button = action_button("", open_engineer)
        for index, widget in enumerate((self.reset_button, self.restart_button,
                                        self.engineer_button)):
            actions.addWidget(widget, index // 2, index % 2)
        layout.addLayout(actions)

    def open(self, session: MaintenanceSession) -> None:
        self.session = session
        self.engineer_button.setVisible(session.may(Action.RUN_DIAGNOSTICS))
        self.result.setVisible(False)
        status = self._parts.maintenance.service.current()
        self._message_index = (PRESET_MESSAGES.index(status.message)
                               if status.message in PRESET_MESSAGES else 0)
        self.refresh(audit=True)

    def refresh(self, audit: bool = False) -> None:
        """Show the current state; ``audit`` records the viewing (once per opening, not for
        every repaint or language switch)."""
        session = self.session
        if session is None or not session.signed_in:
            return
        status = self._parts.maintenance.service.current()
        self.service_state.setText(tr("In service") if status.in_service
                                   else tr("Out of service"))
        self.service_button.setText(tr("Put out of service") if status.in_service
                                    else tr("Put back in service"))
        self.message_button.setVisible(status.in_service)
        self.message_button.setText(tr("Message for residents: %1").replace(
            "%1", preset_text(PRESET_MESSAGES[self._message_index]) if self._message_index
            else tr("standard text")))
        self._show_call()
        self.health_title.setText(tr("Health at a glance"))
        if audit:
            items = session.perform(Action.VIEW_HEALTH, self._glance)
            counts = session.counts_today()
        else:
            session.require(Action.VIEW_HEALTH)
            session.require(Action.VIEW_COUNTERS)
            items, counts = self._glance(), self._parts.maintenance.counters.today()
        for item in items:
            self._show_item(item)
        self.counts_title.setText(tr("Today's transactions"))
        self.counts.setText("   ".join(f"{outcome_text(k)}: {v}" for k, v in counts.items())
                            or tr("None yet today"))
        self.reset_button.setText(tr("Reset the reader"))
        self.restart_button.setText(tr("Restart the application"))
        self.engineer_button.setText(tr("Engineer tools"))

    def _show_call(self) -> None:
        call = self._parts.maintenance.staff_calls.pending()
        self.call_banner.setVisible(call is not None)
        self.answer_button.setVisible(call is not None)
        if call is not None:
            self.call_banner.setText(
                tr("A resident asks for help (since %1, on the screen: %2). Go to the kiosk; "
                   "do not look at or enter their PIN.")
                .replace("%1", _local_time(call.since)).replace("%2", step_name(call.step)))
            self.answer_button.setText(tr("I am with the resident (answer the call)"))

    def answer_call(self) -> None:
        session = self.session
        if session is None:
            return
        session.perform(Action.ANSWER_STAFF_CALL, self._parts.maintenance.staff_calls.answer)
        self.refresh()

    def _glance(self) -> list[GlanceItem]:
        return at_a_glance(self._parts.board.results())

    def next_message(self) -> None:
        self._message_index = (self._message_index + 1) % len(PRESET_MESSAGES)
        self.refresh()

    def toggle_service(self) -> None:
        session = self.session
        if session is None:
            return
        if self._parts.maintenance.service.current().in_service:
            session.set_out_of_service(PRESET_MESSAGES[self._message_index])
        else:
            session.set_in_service()
        self._service_changed()
        self.refresh()

    def reset_reader(self) -> None:
        if self.session is not None:
            self._report(lambda s: s.perform(Action.RESET_READER, self._parts.reset_reader),
                         tr("The reader was reset."))

    def restart(self) -> None:
        if self.session is not None:
            self._report(lambda s: s.perform(Action.RESTART_APPLICATION,
                                             self._parts.restart_application),
                         tr("Restarting the application..."))

    def _report(self, act: Callable[[MaintenanceSession], None], done: str) -> None:
        if self.session is None:
            raise RuntimeError("staff actions need a signed-in session")
        try:
            act(self.session)
        except Exception as error:
            self.result.setText(tr("That did not work: %1").replace("%1", type(error).__name__))
        else:
            self.result.setText(done)
        self.result.setVisible(True)

    def _show_item(self, item: GlanceItem) -> None:
        name, state, summary = self.health_rows[item.key]
        name.setText(glance_title(item.key))
        text = status_text(item.status)
        if item.days_left is not None:
            text += " " + tr("(%1 days left)").replace("%1", str(item.days_left))
        state.setText(text)
        summary.setText(summary_text(item.summary))
