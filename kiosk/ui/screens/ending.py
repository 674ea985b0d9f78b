"""The way out: processing with progress, done, error from the catalogue, out of service."""

from __future__ import annotations

from kiosk.flow.failure_codes import NEXT_STEP_LABELS, failure
from kiosk.flow.states import Step
from kiosk.flow.view import PROCESSING_STAGES, FlowView, ProcessingStage
from kiosk.ui.driver import FlowDriver
from kiosk.ui.i18n import tr
from kiosk.ui.qt import QLabel, QProgressBar
from kiosk.ui.screens.base import Screen, UiContext
from kiosk.ui.widgets import RuleList, button


class ProcessingScreen(Screen):
    step = Step.PROCESSING

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.body.addStretch(1)
        self.status = self.add_text("big", centre=True)
        self.bar = QProgressBar()
        self.bar.setRange(0, len(PROCESSING_STAGES))
        self.bar.setTextVisible(False)
        self.body.addWidget(self.bar)
        self.stages = RuleList(len(PROCESSING_STAGES))
        self.body.addWidget(self.stages)
        self.keep = self.add_text("warning")
        self.body.addStretch(1)

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Setting your new PIN"))
        self.status.setText(tr("Please wait…"))
        done = PROCESSING_STAGES.index(view.stage) if view.stage else 0
        self.bar.setValue(done)
        names = {
            ProcessingStage.CHECK_CARD: tr("Checking the card"),
            ProcessingStage.AUTHORISE: tr("Asking the service centre"),
            ProcessingStage.WRITE_CARD: tr("Writing the new PIN to the card"),
            ProcessingStage.CONFIRM: tr("Confirming"),
        }
        self.stages.show_rules(
            [(names[stage], i < done) for i, stage in enumerate(PROCESSING_STAGES)])
        self.keep.setText(tr("Do not remove your card."))


class DoneScreen(Screen):
    step = Step.DONE

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.body.addStretch(1)
        self.done = self.add_text("big", centre=True)
        self.use = self.add_text(centre=True)
        self.take = self.add_text("alarm", centre=True)
        self.body.addStretch(1)

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Done"))
        self.done.setText(tr("Your new signature PIN is set."))
        self.use.setText(tr("You can use it right away. Thank you."))
        if view.card_present:
            self.take.setText(tr("Take your card!") if view.alarm else tr("Take your card."))
        self.take.setVisible(view.card_present)

    def flash(self, lit: bool) -> None:
        _blink(self.take, lit)


def _blink(banner: QLabel, lit: bool) -> None:
    role = "alarm" if lit else "alarm_dim"
    if banner.property("role") != role:
        banner.setProperty("role", role)
        banner.style().unpolish(banner)
        banner.style().polish(banner)


class ErrorScreen(Screen):
    step = Step.ERROR

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.next_step = self.add_text("big")
        self.cause = self.add_text()
        self.todo = self.add_text("subtitle")
        self.code = self.add_text("code")
        self.body.addStretch(1)
        self.take = self.add_text("alarm", centre=True)
        self.ok = button("primary", flow.acknowledge)
        self.action_row.addWidget(self.ok)

    def refresh(self, view: FlowView) -> None:
        language = self.context.language
        if view.failure is None:
            return
        entry = failure(view.failure)
        self.title.setText(tr("The procedure has ended") if entry.resident_choice
                           else tr("The procedure could not be completed"))
        ja, en = NEXT_STEP_LABELS[entry.next_step]
        self.next_step.setText(ja if language == "ja" else en)
        self.cause.setText(entry.cause(language))
        self.todo.setText(entry.todo(language))
        self.code.setText(tr("Code: %1").replace("%1", entry.code))
        self.take.setText(tr("Take your card!") if view.alarm else tr("Take your card."))
        self.take.setVisible(view.card_present)
        self.ok.setText(tr("OK"))
        self.ok.setVisible(not view.alarm)

    def flash(self, lit: bool) -> None:
        _blink(self.take, lit)


class OutOfServiceScreen(Screen):
    step = Step.OUT_OF_SERVICE

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.body.addStretch(1)
        self.sorry = self.add_text("big", centre=True)
        self.elsewhere = self.add_text(centre=True)
        self.body.addStretch(2)

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Out of service"))
        self.sorry.setText(tr("Sorry, this machine cannot be used at the moment."))
        self.elsewhere.setText(tr("Please try again later or use another store."))
