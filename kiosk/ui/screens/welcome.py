"""The way in: start (language), what happens and consent, place the card, reading it."""

from __future__ import annotations

from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.ui.driver import FlowDriver
from kiosk.ui.i18n import tr
from kiosk.ui.qt import QHBoxLayout, QProgressBar
from kiosk.ui.screens.base import Screen, UiContext
from kiosk.ui.widgets import CardOnReader, button, label


class StartScreen(Screen):
    step = Step.START

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.lead = self.add_text("subtitle")
        self.what = self.add_text()
        self.picture = CardOnReader()
        self.body.addWidget(self.picture, 1)
        self.pick = self.add_text("subtitle", centre=True)
        languages = QHBoxLayout()
        languages.setSpacing(24)
        self.japanese = button("", lambda: context.choose_language("ja"))
        self.english = button("", lambda: context.choose_language("en"))
        self.japanese.setText("日本語")
        self.english.setText("English")
        for choice in (self.japanese, self.english):
            choice.setMinimumHeight(120)
            languages.addWidget(choice)
        self.body.addLayout(languages)
        self.start = button("primary", flow.begin)
        self.start.setMinimumHeight(140)
        self.body.addWidget(self.start)

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Reset the PIN of your signature certificate"))
        self.lead.setText(tr("For My Number card holders who forgot or locked the 6 to 16 "
                             "character PIN of the signature certificate."))
        self.what.setText(tr("You need your My Number card and its 4-digit PIN for user "
                             "authentication. It takes about 5 minutes."))
        self.pick.setText(tr("Language / 言語"))
        current = self.context.language
        self.japanese.setProperty("role", "primary" if current == "ja" else "")
        self.english.setProperty("role", "primary" if current == "en" else "")
        for choice in (self.japanese, self.english):
            choice.style().unpolish(choice)
            choice.style().polish(choice)
        self.start.setText(tr("Start"))


class ConsentScreen(Screen):
    step = Step.CONSENT

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.need_title = self.add_text("subtitle")
        self.need = self.add_text()
        self.how_title = self.add_text("subtitle")
        self.how = self.add_text()
        self.privacy = self.add_text("warning")
        self.body.addStretch(1)
        self.back = button("", flow.decline)
        self.agree = button("primary", flow.agree)
        self.action_row.addWidget(self.back)
        self.action_row.addWidget(self.agree, 2)

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Before you start"))
        self.need_title.setText(tr("What you need"))
        self.need.setText(tr("• Your My Number card\n"
                             "• The 4-digit PIN for user authentication\n"
                             "• The 4-digit PIN for text input, or the card itself to read "
                             "its numbers"))
        self.how_title.setText(tr("What happens"))
        self.how.setText(tr("1. You enter your 4-digit PIN.\n"
                            "2. The camera checks that your face matches the photo on the card.\n"
                            "3. You choose a new signature PIN and the card is updated."))
        self.privacy.setText(tr("Your face is compared with the card photo on this machine "
                                "only. No image is stored or sent. The record keeps only the "
                                "kind of check that was made."))
        self.back.setText(tr("Back"))
        self.agree.setText(tr("I agree, continue"))


class PlaceCardScreen(Screen):
    step = Step.PLACE_CARD

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.picture = CardOnReader()
        self.body.addWidget(self.picture, 1)
        self.instruction = self.add_text("big", centre=True)
        self.detail = self.add_text(centre=True)
        self.cancel = button("", flow.cancel)
        self.action_row.addWidget(self.cancel)

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Place your card"))
        self.instruction.setText(tr("Place your My Number card on the reader, face up."))
        self.detail.setText(tr("Leave it there until the end. We will tell you when to take it."))
        self.cancel.setText(tr("Cancel"))


class ReadCardScreen(Screen):
    step = Step.READ_CARD

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.body.addStretch(1)
        self.status = self.add_text("big", centre=True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.body.addWidget(self.bar)
        self.keep = label("body", centre=True)
        self.body.addWidget(self.keep)
        self.body.addStretch(1)

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Reading your card"))
        self.status.setText(tr("Reading the card…"))
        self.keep.setText(tr("Please do not remove the card."))
