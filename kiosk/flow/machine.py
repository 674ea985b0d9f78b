"""The resident's transaction as a state machine: the sequencing (see ``states.py`` for the table).

``Flow`` is driven from one thread (the UI's, or a headless loop): the UI and the card watcher
call its methods; card, face and backend work goes to a ``Runner`` and comes back as a
completion on that same thread. Re-entrant calls (a listener reacting to a change) are queued
and run in order, so every transition finishes before the next begins.

Each step has an entry action and named exits (``states.SPECS``); the flow takes only exits
that are in the table. What a step does with the resident's input and its work lives in its
own module under ``steps/``; ``Flow`` keeps the inputs, exits, timeouts, card events, service
state and the end of a transaction. Work results that arrive after the step was left are
dropped (a generation number tells), and any secret they carried is wiped. Secrets are wiped
on every transition unless the step entered keeps them (``StepSpec.keeps``), and all of them
when a transaction ends.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from kiosk.flow.config import FlowConfig
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.failures import failure_for
from kiosk.flow.ports import (
    BackendPort,
    BackendRefusedError,
    CardFaultError,
    CardPort,
    CardPresence,
    Clock,
    FaceBinding,
    FacePort,
    FaceResult,
    PortError,
    Ticket,
)
from kiosk.flow.secrets import SecretStore, wipe
from kiosk.flow.states import SPECS, Exit, Step
from kiosk.flow.steps import (
    auth_pin,
    face_check,
    new_pin,
    processing,
    read_card,
    unlock_photo,
)
from kiosk.flow.steps.context import StepContext
from kiosk.flow.steps.face_check import PreviewSlot
from kiosk.flow.steps.same_card import same_card_check
from kiosk.flow.transaction import Transaction
from kiosk.flow.view import FlowView
from kiosk.flow.work import JobResult, Runner

log = logging.getLogger("kiosk.flow")

T = TypeVar("T")
Listener = Callable[[FlowView], None]


class FlowError(Exception):
    """A transition that is not in the table was asked for (a programming error)."""


class Flow:
    """One kiosk's resident transactions, one after another."""

    def __init__(
        self,
        *,
        card: CardPort,
        face: FacePort,
        backend: BackendPort,
        clock: Clock,
        runner: Runner,
        config: FlowConfig | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._card = card
        self._face = face
        self._backend = backend
        self._clock = clock
        self._runner = runner
        self._config = config or FlowConfig()
        self._today = today
        self._listeners: list[Listener] = []
        self._secrets = SecretStore()
        self._tx = Transaction()
        self._view = FlowView(face_attempts_max=self._config.face_attempts)
        self._step = Step.START
        self._generation = 0
        self._entered_at = clock.now()
        self._pending: deque[Callable[[], object]] = deque()
        self._dispatching = False
        self._staff_out_of_service = False
        self._reader_missing = False
        self.preview = PreviewSlot()
        self._steps: StepContext = _FlowForSteps(self)

    # --- observing ----------------------------------------------------------------------------

    @property
    def view(self) -> FlowView:
        return self._view

    @property
    def config(self) -> FlowConfig:
        return self._config

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with the new view after every change; returns an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def seconds_left(self) -> float | None:
        """Seconds until the current step times out (None: no limit)."""
        limit = self._config.timeout(self._step)
        if limit is None:
            return None
        if self._view.accessible and _paced_by_resident(self._step):
            limit *= self._config.accessible_factor
        return max(0.0, self._entered_at + limit - self._clock.now())

    def countdown(self) -> int | None:
        """Whole seconds to show on the countdown, when it should be visible."""
        left = self.seconds_left()
        spec = SPECS[self._step]
        if left is None or not (spec.waits_for_resident or self._view.awaiting_approval):
            return None
        if left > self._config.countdown_from:
            return None
        return int(left + 0.999)

    # --- what the UI (or autoplay) says -------------------------------------------------------

    def begin(self) -> None:
        self._dispatch(lambda: self._only(Step.START) and self._go(Exit.BEGIN))

    def agree(self) -> None:
        self._dispatch(lambda: self._only(Step.CONSENT) and self._go(Exit.AGREE))

    def decline(self) -> None:
        self._dispatch(lambda: self._only(Step.CONSENT) and self._go(Exit.DECLINE))

    def cancel(self) -> None:
        self._dispatch(self._on_cancel)

    def approve(self) -> None:
        """The screen for a working step is shown: start its work."""
        self._dispatch(self._on_approve)

    def set_accessible(self, on: bool) -> None:
        """The accessible mode (voice through headphones, large text): the resident's steps
        get ``FlowConfig.accessible_factor`` times their time limits."""
        self._dispatch(lambda: self._set(accessible=on) if on != self._view.accessible else None)

    def user_activity(self) -> None:
        """A touch, click or key press: restarts the inactivity timeout of a resident's step."""
        self._dispatch(self._on_activity)

    def confirm_last_try(self) -> None:
        """The resident said "I understand" before the last PIN try."""
        self._dispatch(self._on_confirm_last_try)

    def submit_auth_pin(self, pin: bytearray) -> None:
        """The 4-digit auth PIN; the flow owns ``pin`` from now on and wipes it."""
        self._dispatch(lambda: auth_pin.submit(self._steps, pin))

    def submit_text_pin(self, pin: bytearray) -> None:
        """The 4-digit text-AP PIN; owned and wiped by the flow."""
        self._dispatch(lambda: unlock_photo.submit_text_pin(self._steps, pin, from_auth=False))

    def submit_same_pin_as_before(self, understood_it_costs_a_try: bool) -> None:
        """Use the auth PIN as the text-AP PIN, after the resident was told it may cost a try."""
        if not understood_it_costs_a_try:
            raise ValueError("the resident must first be told that a wrong PIN costs a try")
        self._dispatch(lambda: unlock_photo.same_as_before(self._steps))

    def submit_number_b(self, number_b: bytearray) -> None:
        """照合番号B (14 digits from the card face); owned and wiped by the flow."""
        self._dispatch(lambda: unlock_photo.submit_number_b(self._steps, number_b))

    def submit_new_pin(self, first: bytearray, second: bytearray) -> None:
        """The new signature PIN, entered twice; both owned and wiped by the flow."""
        self._dispatch(lambda: new_pin.submit(self._steps, first, second))

    def acknowledge(self) -> None:
        """The resident pressed OK on the error screen."""
        self._dispatch(self._on_acknowledge)

    def card_event(self, presence: CardPresence) -> None:
        """What the reader watcher saw (call on the driving thread)."""
        self._dispatch(lambda: self._on_card_event(presence))

    def set_out_of_service(self, out: bool) -> None:
        """Staff take the kiosk out of service (takes effect once no resident is using it)."""
        self._dispatch(lambda: self._on_staff_service(out))

    def tick(self) -> None:
        """Check the current step's timeout; the host calls this a few times a second."""
        self._dispatch(self._on_tick)

    def close(self) -> None:
        """Shut down: wipe everything and release the card."""
        self._generation += 1
        self._tx.reset_command.shut()
        self._secrets.wipe_all()
        self.preview.clear()
        try:
            self._card.close()
        except Exception as error:
            log.warning("closing the card failed: %s", type(error).__name__)

    # --- machinery ----------------------------------------------------------------------------

    def _dispatch(self, action: Callable[[], object]) -> None:
        self._pending.append(action)
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while self._pending:
                self._pending.popleft()()
        finally:
            self._dispatching = False

    def _only(self, *steps: Step) -> bool:
        if self._step in steps:
            return True
        log.debug("input ignored in step %s", self._step.value)
        return False

    def _set(self, **changes: Any) -> None:
        self._view = replace(self._view, **changes)
        for listener in list(self._listeners):
            listener(self._view)

    def _go(self, exit_: Exit, **changes: Any) -> bool:
        spec = SPECS[self._step]
        target = spec.exits.get(exit_)
        if target is None:
            raise FlowError(f"step {self._step.value} has no exit {exit_.value}")
        log.info("flow: %s --%s--> %s", self._step.value, exit_.value, target.value)
        self._generation += 1
        leaving = self._step
        self._step = target
        self._entered_at = self._clock.now()
        target_spec = SPECS[target]
        self._secrets.keep_only(target_spec.keeps)
        if leaving == Step.FACE_CHECK:
            self.preview.clear()
        fresh: dict[str, Any] = {
            "step": target,
            "visit": self._view.visit + 1,
            "awaiting_approval": target_spec.needs_approval,
            "busy": False,
            "entry_problem": None,
            "last_try_confirmed": False,
            "face_hint": None,
            "face_prompt": None,
            "face_illumination": None,
            "new_pin_problem": None,
            "new_pin_broken_rules": (),
            "stage": None,
            "alarm": False,
        }
        if target not in (Step.ERROR,):
            fresh["failure"] = None
        fresh.update(changes)
        self._view = replace(self._view, **fresh)
        self._enter(target, leaving)
        for listener in list(self._listeners):
            listener(self._view)
        return True

    def _fail(self, code: FailureCode, exit_: Exit = Exit.FAILED) -> None:
        if self._tx.reset_command.shut() and not self._tx.finished_at_backend:
            # Whatever ends the transaction once the reset command went to the card (removal,
            # timeout, reader gone, a fault), only the card's authenticated answer could have
            # said what happened: tell the resident it is unconfirmed, never "nothing changed".
            code = FailureCode.RESET_UNCONFIRMED
        log.info("flow: failure %s in step %s", code.value, self._step.value)
        self._go(exit_, failure=code)

    def _fail_with(self, error: BaseException) -> None:
        code = failure_for(error)
        if code == FailureCode.CARD_UNREADABLE:
            # A card pulled or swapped mid-command often looks like a plain I/O fault;
            # look at the reader once more to tell removed, swapped and unreadable apart.
            if self._tx.snapshot is not None:
                self._probe_after_fault(same_card_check(self._card, self._tx, auth_known=False))
            else:  # the first read: there is no card to compare with, only presence
                self._probe_after_fault(self._card.read_counters)
            return
        if code == FailureCode.INTERNAL:
            log.error("flow: unexpected %s in step %s", type(error).__name__, self._step.value)
        elif isinstance(error, PortError):
            # Port errors' messages name commands and status words, never personal data.
            log.info("flow: %s in step %s: %s", type(error).__name__, self._step.value, error)
        if code == FailureCode.CARD_REMOVED:
            self._fail(code, Exit.CARD_REMOVED)
        elif code == FailureCode.CARD_SWAPPED:
            self._fail(code, Exit.CARD_SWAPPED)
        else:
            self._fail(code)

    def _work(
        self,
        job: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
        lend: tuple[str, ...] = (),
    ) -> None:
        """Run ``job`` on the runner; ``done``/``failed`` only if still in the same step."""
        generation = self._generation
        for name in lend:
            self._secrets.lend(name)
        self._set(busy=True)

        def finish(result: JobResult[T]) -> None:
            def handle() -> None:
                for name in lend:
                    self._secrets.give_back(name)
                if generation != self._generation:
                    values = result.value if isinstance(result.value, tuple) else (result.value,)
                    for value in values:
                        if isinstance(value, bytearray):
                            wipe(value)
                    return
                self._set(busy=False)
                if result.error is not None:
                    (failed or self._fail_with)(result.error)
                else:
                    done(result.value)  # type: ignore[arg-type]

            self._dispatch(handle)

        self._runner.submit(job, finish)

    # --- entry actions ------------------------------------------------------------------------

    def _enter(self, step: Step, leaving: Step) -> None:
        if step == Step.START:
            self._end_transaction(leaving)
            if self._staff_out_of_service or self._reader_missing:
                self._dispatch(lambda: self._go(Exit.OUT_OF_SERVICE, out_of_service=True))
        elif step == Step.CONSENT:
            self._tx = Transaction()
            self._view = replace(
                self._view,
                transaction=self._view.transaction + 1,
                auth_tries_left=None,
                text_tries_left=None,
                number_b_tries_left=None,
                same_as_before_available=False,
                face_attempts_used=0,
                face_last_failure=None,
            )
        elif step == Step.PLACE_CARD:
            if self._view.card_present:
                self._dispatch(lambda: self._step == Step.PLACE_CARD and self._go(Exit.CARD_PLACED))
        elif step == Step.UNLOCK_PHOTO:
            unlock_photo.enter(self._steps)
        elif step in (Step.DONE, Step.ERROR):
            self._release_card()
        elif step == Step.OUT_OF_SERVICE:
            self._view = replace(self._view, out_of_service=True)

    def _end_transaction(self, leaving: Step) -> None:
        self._secrets.wipe_all()
        if leaving not in (Step.DONE, Step.ERROR, Step.START, Step.OUT_OF_SERVICE):
            self._release_card()
        self._tx = Transaction()
        self._view = replace(
            self._view,
            auth_tries_left=None,
            text_tries_left=None,
            number_b_tries_left=None,
            same_as_before_available=False,
            face_attempts_used=0,
            face_last_failure=None,
            out_of_service=False,
        )

    def _release_card(self) -> None:
        """Power the card off, then tell the backend about an unfinished transaction."""
        tx = self._tx
        tx.reset_command.shut()
        ticket = None if tx.finished_at_backend else tx.ticket
        tx.finished_at_backend = True
        reason = self._view.failure.value if self._view.failure else "ended"
        face_failure, binding = tx.unreported_face_failure, tx.binding
        tx.unreported_face_failure = None

        def job() -> None:
            # The card first: an unreachable backend retries for a while, and the card, with
            # its PINs verified, must not stay powered and held for that.
            try:
                self._card.close()
            finally:
                if ticket is not None:
                    if face_failure is not None and binding is not None:
                        self._report_face_failure(ticket, face_failure, binding)
                    self._backend.abandon(ticket, reason)

        def ignore(error: BaseException) -> None:
            log.warning("flow: releasing the card failed: %s", type(error).__name__)

        def finish(result: JobResult[None]) -> None:
            if result.error is not None:
                ignore(result.error)

        self._runner.submit(job, finish)

    def _report_face_failure(self, ticket: Ticket, result: FaceResult, binding: FaceBinding
                             ) -> None:
        """A failed face attempt left unreported (the resident cancelled before another one)
        still counts against the card: the backend refuses it, closing the transaction. Any
        other trouble is logged by type and left to the abandon that follows."""
        try:
            self._backend.report_face(ticket, result, binding)
        except BackendRefusedError:
            pass  # the expected answer to a failure
        except Exception as error:  # the abandon after it must still run
            log.warning("flow: reporting the earlier face failure failed: %s",
                        type(error).__name__)

    # --- handlers -----------------------------------------------------------------------------

    def _on_cancel(self) -> None:
        spec = SPECS[self._step]
        if Exit.CANCEL not in spec.exits:
            return  # nothing to cancel, or too late to (the reset is under way)
        if spec.in_transaction:
            self._fail(FailureCode.CANCELLED, Exit.CANCEL)
        else:
            self._go(Exit.CANCEL)

    def _on_activity(self) -> None:
        spec = SPECS[self._step]
        if (spec.waits_for_resident and not self._view.busy) or self._view.awaiting_approval:
            self._entered_at = self._clock.now()

    def _on_tick(self) -> None:
        left = self.seconds_left()
        if left is None or left > 0:
            return
        spec = SPECS[self._step]
        if self._step in (Step.DONE, Step.ERROR):
            if self._view.card_present:
                self._go(Exit.CARD_LEFT, alarm=True, failure=self._view.failure)
            else:
                self._go(Exit.TIMEOUT)
        elif spec.in_transaction:
            slow = self._view.busy
            self._fail(FailureCode.STEP_TOO_SLOW if slow else FailureCode.TIMED_OUT, Exit.TIMEOUT)
        else:
            self._go(Exit.TIMEOUT)

    def _on_confirm_last_try(self) -> None:
        if self._only(Step.AUTH_PIN, Step.UNLOCK_PHOTO):
            self._set(last_try_confirmed=True, entry_problem=None)

    def _on_acknowledge(self) -> None:
        if not self._only(Step.ERROR):
            return
        if self._view.card_present:
            self._go(Exit.CARD_LEFT, alarm=True, failure=self._view.failure)
        else:
            self._go(Exit.ACKNOWLEDGED)

    def _on_staff_service(self, out: bool) -> None:
        self._staff_out_of_service = out
        self._apply_service_state()

    def _apply_service_state(self) -> None:
        out = self._staff_out_of_service or self._reader_missing
        if out and self._step in (Step.START, Step.PLACE_CARD):
            self._go(Exit.OUT_OF_SERVICE, out_of_service=True)
        elif not out and self._step == Step.OUT_OF_SERVICE:
            self._go(Exit.BACK_IN_SERVICE)

    def _on_card_event(self, presence: CardPresence) -> None:
        was_present = self._view.card_present
        present = presence == CardPresence.PRESENT
        reader_missing = presence == CardPresence.NO_READER
        self._set(card_present=present)
        if reader_missing != self._reader_missing:
            self._reader_missing = reader_missing
            if reader_missing and SPECS[self._step].in_transaction:
                self._fail(FailureCode.READER_UNAVAILABLE)
                return
            self._apply_service_state()
        spec = SPECS[self._step]
        if present and not was_present and self._step == Step.PLACE_CARD:
            self._go(Exit.CARD_PLACED)
        elif not present and was_present:
            if spec.abort_on_card_removed:
                self._fail(FailureCode.CARD_REMOVED, Exit.CARD_REMOVED)
            elif self._step == Step.DONE or (self._step == Step.ERROR and self._view.alarm):
                self._go(Exit.CARD_TAKEN)

    def _on_approve(self) -> None:
        if not self._view.awaiting_approval or self._view.busy:
            return
        self._set(awaiting_approval=False)
        behaviour = WORK_ON_APPROVAL.get(self._step)
        if behaviour is not None:
            behaviour(self._steps)

    def _probe_after_fault(self, probe: Callable[[], object]) -> None:
        """Run ``probe`` on the worker: another I/O fault means unreadable (C04); any other
        error is classified as usual (swapped C03, removed C02, reader gone ...)."""

        def failed(error: BaseException) -> None:
            if isinstance(error, CardFaultError):
                self._fail(FailureCode.CARD_UNREADABLE)
            else:
                self._fail_with(error)

        self._work(probe, lambda _: self._fail(FailureCode.CARD_UNREADABLE), failed)

    def _post_update(self, generation: int, **changes: Any) -> None:
        def apply() -> None:
            if generation == self._generation:
                self._set(**changes)

        self._runner.post(lambda: self._dispatch(apply))


# The work a step starts once the UI shows its screen (``StepSpec.needs_approval``).
WORK_ON_APPROVAL: dict[Step, Callable[[StepContext], None]] = {
    Step.READ_CARD: read_card.approved,
    Step.FACE_CHECK: face_check.approved,
    Step.PROCESSING: processing.approved,
}


class _FlowForSteps:
    """The flow as its steps see it (``StepContext``): its ports, state and moves, no more."""

    def __init__(self, flow: Flow) -> None:
        self._flow = flow

    @property
    def card(self) -> CardPort:
        return self._flow._card

    @property
    def face(self) -> FacePort:
        return self._flow._face

    @property
    def backend(self) -> BackendPort:
        return self._flow._backend

    @property
    def config(self) -> FlowConfig:
        return self._flow._config

    @property
    def secrets(self) -> SecretStore:
        return self._flow._secrets

    @property
    def tx(self) -> Transaction:
        return self._flow._tx

    @property
    def view(self) -> FlowView:
        return self._flow._view

    @property
    def generation(self) -> int:
        return self._flow._generation

    @property
    def preview(self) -> PreviewSlot:
        return self._flow.preview

    def today(self) -> dt.date:
        return self._flow._today()

    def only(self, *steps: Step) -> bool:
        return self._flow._only(*steps)

    def set(self, **changes: Any) -> None:
        self._flow._set(**changes)

    def set_quietly(self, **changes: Any) -> None:
        self._flow._view = replace(self._flow._view, **changes)

    def go(self, exit_: Exit, **changes: Any) -> bool:
        return self._flow._go(exit_, **changes)

    def fail(self, code: FailureCode, exit_: Exit = Exit.FAILED) -> None:
        self._flow._fail(code, exit_)

    def fail_with(self, error: BaseException) -> None:
        self._flow._fail_with(error)

    def work(
        self,
        job: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
        lend: tuple[str, ...] = (),
    ) -> None:
        self._flow._work(job, done, failed, lend)

    def post_update(self, generation: int, **changes: Any) -> None:
        self._flow._post_update(generation, **changes)


def _paced_by_resident(step: Step) -> bool:
    """Steps whose length depends on the resident (reading, typing, moving), not on machines."""
    spec = SPECS[step]
    return spec.waits_for_resident or step in (Step.FACE_CHECK, Step.DONE, Step.ERROR)
