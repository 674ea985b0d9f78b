"""The new signature PIN on an on-screen keyboard, rules checked as typed, entered twice."""

from __future__ import annotations

from kiosk.flow.pin_rules import SIGN_PIN_MAX, SignPinRule, same_secret, sign_pin_broken_rules
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView, NewPinProblem
from kiosk.ui.driver import FlowDriver
from kiosk.ui.i18n import tr
from kiosk.ui.qt import QGridLayout, QSizePolicy, QWidget
from kiosk.ui.screens.base import Screen, UiContext
from kiosk.ui.widgets import (
    AdaptiveRow,
    AlphaKeyboard,
    RuleList,
    SecretEntry,
    button,
    column,
    label,
)


class NewPinScreen(Screen):
    step = Step.NEW_PIN

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.explain = label()
        # Dots (or the characters, when shown) and how many are typed: "●●●●●   5/16".
        self.first = SecretEntry(SIGN_PIN_MAX, show_count=True)
        self.second = SecretEntry(SIGN_PIN_MAX, show_count=True)
        self.first_label = label()
        self.second_label = label()
        self.first_pick = button("small", lambda: self._focus(self.first))
        self.second_pick = button("small", lambda: self._focus(self.second))
        self.show_hide = button("small", self._toggle_shown)
        self.show_hide.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)
        fields = QWidget()
        grid = QGridLayout(fields)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.first_label, 0, 0)
        grid.addWidget(self.first, 0, 1)
        grid.addWidget(self.first_pick, 0, 2)
        grid.addWidget(self.second_label, 1, 0)
        grid.addWidget(self.second, 1, 1)
        grid.addWidget(self.second_pick, 1, 2)
        grid.addWidget(self.show_hide, 0, 3, 2, 1)
        grid.setColumnStretch(1, 1)
        self.rules = RuleList(5)
        for line in self.rules.lines:
            line.setProperty("speak", False)  # which rules the typed PIN meets stays unsaid
        self.problem = label("warning")
        self.keyboard = AlphaKeyboard()
        self.body.addWidget(AdaptiveRow(column(fields, self.rules, self.problem),
                                        column(self.explain, self.keyboard)), 1)
        self.cancel = button("", flow.cancel)
        self.ok = button("primary", self._submit)
        self.action_row.addWidget(self.cancel)
        self.action_row.addWidget(self.ok, 2)
        self.first.changed.connect(self._check)
        self.second.changed.connect(self._check)
        self._focus(self.first)

    def _focus(self, entry: SecretEntry) -> None:
        self.keyboard.target = entry
        self.first_pick.setEnabled(entry is not self.first)
        self.second_pick.setEnabled(entry is not self.second)

    def _toggle_shown(self) -> None:
        shown = self.first.masked
        self.first.set_masked(not shown)
        self.second.set_masked(not shown)
        self._retranslate_show_hide()

    def _retranslate_show_hide(self) -> None:
        self.show_hide.setText(tr("Hide") if not self.first.masked else tr("Show"))

    def _hide(self) -> None:
        self.first.set_masked(True)
        self.second.set_masked(True)
        self._retranslate_show_hide()

    def _check(self) -> None:
        broken = set(self.first.inspect(sign_pin_broken_rules))
        matched = len(self.second) > 0 and self.first.inspect(
            lambda first: self.second.inspect(lambda second: same_secret(first, second))
        )
        self.rules.show_rules([
            (tr("6 to 16 characters"), SignPinRule.LENGTH not in broken),
            (tr("Only capital letters A-Z and digits 0-9"),
             len(self.first) > 0 and SignPinRule.CHARSET not in broken),
            (tr("At least one letter"), SignPinRule.HAS_LETTER not in broken),
            (tr("At least one digit"), SignPinRule.HAS_DIGIT not in broken),
            (tr("Both entries are the same"), matched),
        ])
        self.ok.setEnabled(not broken and matched)
        if self.keyboard.target is self.first and len(self.first) == SIGN_PIN_MAX:
            self._focus(self.second)

    def _submit(self) -> None:
        self.flow.submit_new_pin(self.first.take(), self.second.take())
        self._focus(self.first)

    def shown(self, view: FlowView) -> None:
        self.first.clear()
        self.second.clear()
        self._hide()
        self._focus(self.first)

    def leave(self) -> None:
        self.first.clear()
        self.second.clear()
        self._hide()

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Choose a new signature PIN"))
        self.explain.setText(tr("Use 6 to 16 capital letters and digits, mixed. Enter it twice. "
                                "Keep it secret and do not write it on the card."))
        self.first_label.setText(tr("New PIN"))
        self.second_label.setText(tr("Once more"))
        self.first_pick.setText(tr("Edit"))
        self.second_pick.setText(tr("Edit"))
        problem = {
            NewPinProblem.BROKEN_RULES: tr("The PIN does not follow the rules."),
            NewPinProblem.MISMATCH: tr("The two entries were different. Please enter it again."),
        }.get(view.new_pin_problem) if view.new_pin_problem else None
        self.problem.setText(problem or "")
        self.problem.setVisible(problem is not None)
        self.keyboard.retranslate(tr("Clear all"), tr("Delete"))
        self.ok.setText(tr("Set this PIN"))
        self._retranslate_show_hide()
        self.cancel.setText(tr("Cancel"))
        self._check()
