"""A ``StepContext`` that runs work at once and records every move a step makes.

A step's test drives the step module alone (no ``Flow``): what it sets on the view, which
exit it takes, which failure it ends with, which secrets it keeps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from kiosk.flow.config import FlowConfig
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.failures import failure_for
from kiosk.flow.ports import CardReading
from kiosk.flow.secrets import SecretStore
from kiosk.flow.states import Exit, Step
from kiosk.flow.steps.context import StepContext
from kiosk.flow.steps.face_check import PreviewSlot
from kiosk.flow.transaction import Transaction
from kiosk.flow.view import FlowView

from ..fakes import FakeBackend, FakeCard, FakeFace

T = TypeVar("T")


@dataclass
class Recording:
    """Also the step's ``StepContext`` (checked by the annotation in ``recording_in``)."""

    step: Step
    card: FakeCard = field(default_factory=FakeCard)
    face: FakeFace = field(default_factory=FakeFace)
    backend: FakeBackend = field(default_factory=FakeBackend)
    config: FlowConfig = field(default_factory=FlowConfig)
    secrets: SecretStore = field(default_factory=SecretStore)
    tx: Transaction = field(default_factory=Transaction)
    view: FlowView = field(default_factory=FlowView)
    generation: int = 0
    preview: PreviewSlot = field(default_factory=PreviewSlot)
    exits: list[tuple[Exit, dict[str, Any]]] = field(default_factory=list)
    failures: list[FailureCode] = field(default_factory=list)
    lent_during_work: list[tuple[str, ...]] = field(default_factory=list)

    def today(self) -> dt.date:
        return dt.date(2026, 12, 3)

    def only(self, *steps: Step) -> bool:
        return self.step in steps

    def set(self, **changes: Any) -> None:
        self.view = replace(self.view, **changes)

    def set_quietly(self, **changes: Any) -> None:
        self.view = replace(self.view, **changes)

    def go(self, exit_: Exit, **changes: Any) -> bool:
        self.exits.append((exit_, changes))
        self.generation += 1
        self.view = replace(self.view, **changes)
        return True

    def fail(self, code: FailureCode, exit_: Exit = Exit.FAILED) -> None:
        self.failures.append(code)
        self.generation += 1

    def fail_with(self, error: BaseException) -> None:
        self.fail(failure_for(error))

    def work(
        self,
        job: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
        lend: tuple[str, ...] = (),
    ) -> None:
        self.lent_during_work.append(lend)
        try:
            value = job()
        except Exception as error:
            (failed or self.fail_with)(error)
            return
        done(value)

    def post_update(self, generation: int, **changes: Any) -> None:
        if generation == self.generation:
            self.set(**changes)

    @property
    def exit_taken(self) -> Exit | None:
        return self.exits[-1][0] if self.exits else None


def recording_in(step: Step, **view: Any) -> Recording:
    recording = Recording(step, view=FlowView(step=step, face_attempts_max=3, **view))
    context: StepContext = recording  # the fake must stay a StepContext (mypy checks this)
    del context
    return recording


def read(recording: Recording) -> None:
    """The transaction as READ_CARD leaves it (card read, backend ticket taken)."""
    reading: CardReading = recording.card.read_card()
    recording.tx.snapshot = reading
    recording.tx.expected = reading.counters
    recording.tx.ticket = recording.backend.begin()
    recording.card.calls.clear()
    recording.backend.calls.clear()
