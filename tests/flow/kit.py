"""A flow wired to in-memory fakes, run inline (every job completes at once unless held)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kiosk.flow.config import FlowConfig
from kiosk.flow.machine import Flow
from kiosk.flow.ports import CardPresence
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.flow.work import InlineRunner, JobResult

from .fakes import FakeBackend, FakeCard, FakeClock, FakeFace

T = TypeVar("T")


class HoldableRunner:
    """Runs each job at once (``InlineRunner``), unless ``hold`` is set: then jobs wait for
    ``run_held`` (called from outside the flow), so a test can let the flow move on while a
    job is under way, as the kiosk's worker thread allows."""

    def __init__(self) -> None:
        self.hold = False
        self._inline = InlineRunner()
        self._held: list[tuple[Callable[[], Any], Callable[[JobResult[Any]], None]]] = []

    def submit(self, job: Callable[[], T], done: Callable[[JobResult[T]], None]) -> None:
        if self.hold:
            self._held.append((job, done))
        else:
            self._inline.submit(job, done)

    def run_held(self) -> None:
        while self._held:
            self._inline.submit(*self._held.pop(0))

    def post(self, callback: Callable[[], None]) -> None:
        self._inline.post(callback)

    def shutdown(self) -> None:
        self._held.clear()


@dataclass
class Kit:
    flow: Flow
    card: FakeCard
    face: FakeFace
    backend: FakeBackend
    clock: FakeClock
    runner: HoldableRunner
    views: list[FlowView] = field(default_factory=list)

    @property
    def step(self) -> Step:
        return self.flow.view.step

    def steps(self) -> list[Step]:
        """Steps entered, in order, without repeats of the same visit."""
        seen: list[Step] = []
        last_visit = -1
        for view in self.views:
            if view.visit != last_visit:
                seen.append(view.step)
                last_visit = view.visit
        return seen

    def to_auth_pin(self) -> None:
        self.flow.begin()
        self.flow.agree()
        self.flow.card_event(CardPresence.PRESENT)
        assert self.step == Step.READ_CARD
        self.flow.approve()
        assert self.step == Step.AUTH_PIN, self.flow.view

    def to_unlock_photo(self) -> None:
        self.to_auth_pin()
        self.flow.submit_auth_pin(bytearray(b"1234"))
        assert self.step == Step.UNLOCK_PHOTO, self.flow.view

    def to_face_check(self) -> None:
        self.to_unlock_photo()
        self.flow.submit_same_pin_as_before(understood_it_costs_a_try=True)
        assert self.step == Step.FACE_CHECK, self.flow.view

    def to_new_pin(self) -> None:
        self.to_face_check()
        self.flow.approve()
        assert self.step == Step.NEW_PIN, self.flow.view

    def to_processing(self) -> None:
        self.to_new_pin()
        self.flow.submit_new_pin(bytearray(b"ABC123"), bytearray(b"ABC123"))
        assert self.step == Step.PROCESSING, self.flow.view


def make_kit(config: FlowConfig | None = None, card: FakeCard | None = None) -> Kit:
    card = card or FakeCard()
    face, backend, clock, runner = FakeFace(), FakeBackend(), FakeClock(), HoldableRunner()
    flow = Flow(
        card=card,
        face=face,
        backend=backend,
        clock=clock,
        runner=runner,
        config=config,
        today=lambda: dt.date(2026, 11, 25),
    )
    kit = Kit(flow, card, face, backend, clock, runner)
    flow.subscribe(kit.views.append)
    return kit
