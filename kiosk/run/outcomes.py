"""Counting every finished transaction by outcome, from the flow's views.

``OutcomeRecorder(counters.record)`` subscribed to the flow records exactly one outcome per
transaction: ``completed`` (the done screen), the failure's name on the error screen
(``cancelled``, ``timed_out``, ``face_no_match`` ...), or ``abandoned`` when a transaction
went back to the start screen without either (the resident declined the consent). Only these
identifiers are stored; nothing about the resident.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.flow.states import Step
from kiosk.flow.view import FlowView

log = logging.getLogger(__name__)


def outcome_for(view: FlowView) -> str | None:
    """The outcome a view ends its transaction with (None: the transaction goes on)."""
    if view.step == Step.DONE:
        return "completed"
    if view.step == Step.ERROR:
        return view.failure.name.lower() if view.failure is not None else "failed"
    return None


class OutcomeRecorder:
    """A flow listener: ``record(outcome)`` once per transaction (errors are logged only)."""

    def __init__(self, record: Callable[[str], None]) -> None:
        self._record = record
        self._recorded: set[int] = set()
        self._open: int | None = None

    def __call__(self, view: FlowView) -> None:
        if view.transaction and view.step not in (Step.START, Step.OUT_OF_SERVICE):
            self._open = view.transaction
        outcome = outcome_for(view)
        if outcome is None and view.step in (Step.START, Step.OUT_OF_SERVICE) \
                and self._open is not None:
            outcome = "abandoned"
        if outcome is None or self._open is None or self._open in self._recorded:
            if view.step in (Step.START, Step.OUT_OF_SERVICE):
                self._open = None
            return
        self._recorded = {self._open}
        if view.step in (Step.START, Step.OUT_OF_SERVICE):
            self._open = None
        try:
            self._record(outcome)
        except Exception as error:  # counting must never stop the kiosk
            log.warning("counting a transaction failed: %s", type(error).__name__)
