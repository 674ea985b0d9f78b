"""The resident's transaction as a state machine (see ``states.py`` for the table).

``Flow`` is driven from one thread (the UI's, or a headless loop): the UI and the card watcher
call its methods; card, face and backend work goes to a ``Runner`` and comes back as a
completion on that same thread. Re-entrant calls (a listener reacting to a change) are queued
and run in order, so every transition finishes before the next begins.

Each step has an entry action and named exits (``states.SPECS``); the flow takes only exits
that are in the table. Work results that arrive after the step was left are dropped (a
generation number tells), and any secret they carried is wiped. Secrets are wiped on every
transition unless the step entered keeps them (``StepSpec.keeps``), and all of them when a
transaction ends.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from kiosk.flow.config import FlowConfig
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.pin_rules import (
    is_four_digit_pin,
    is_number_b,
    same_secret,
    sign_pin_broken_rules,
)
from kiosk.flow.ports import (
    BackendCardRejectedError,
    BackendFailedError,
    BackendOfflineError,
    BackendPort,
    BackendRefusedError,
    CardFaceInvalidError,
    CardFaultError,
    CardMismatchError,
    CardPort,
    CardPresence,
    CardRemovedError,
    CardSnapshot,
    Clock,
    FaceBinding,
    FaceCheckUnavailableError,
    FaceHint,
    FacePort,
    FaceResult,
    LivenessPrompt,
    NotAMyNumberCardError,
    PinBlockedError,
    PortError,
    ReaderUnavailableError,
    ResetOutcome,
    RetryCounters,
    ScreenColour,
    Ticket,
    WrongPinError,
)
from kiosk.flow.secrets import SecretStore, wipe
from kiosk.flow.states import (
    AUTH_PIN_SECRET,
    NEW_PIN_SECRET,
    PHOTO_SECRET,
    SPECS,
    Exit,
    Step,
)
from kiosk.flow.view import EntryProblem, FlowView, NewPinProblem, Stage
from kiosk.flow.work import Outcome, Runner

log = logging.getLogger("kiosk.flow")

KIOSK_FLAGGED_REASON = "kiosk_flagged"  # the backend's refusal of a kiosk flagged for staff

T = TypeVar("T")
Listener = Callable[[FlowView], None]


class FlowError(Exception):
    """A transition that is not in the table was asked for (a programming error)."""


class _StopError(Exception):
    """Raised inside a job to end the transaction with a given failure."""

    def __init__(self, code: FailureCode) -> None:
        super().__init__(code.value)
        self.code = code


class _SwappedError(Exception):
    """The card on the reader is not the one the transaction started with."""


@dataclass
class _Transaction:
    """What one resident's transaction knows besides its secrets (nothing personal)."""

    snapshot: CardSnapshot | None = None
    ticket: Ticket | None = None
    expected: RetryCounters | None = None
    auth_verified: bool = False
    finished_at_backend: bool = False
    # The card face (and chip key) the photo came from, named in the face evidence.
    binding: FaceBinding | None = None
    # Set by the worker just before the reset command goes to the card: from then on an
    # interrupted transaction is "unconfirmed", never "nothing changed".
    command_sent: bool = False


class PreviewSlot:
    """The latest camera frame, handed from the face-check worker to the screen (never kept)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: object | None = None
        self._serial = 0

    def put(self, frame: object) -> None:
        with self._lock:
            self._frame = frame
            self._serial += 1

    def take(self) -> tuple[int, object | None]:
        """(serial, frame); the serial changes with each new frame."""
        with self._lock:
            return self._serial, self._frame

    def clear(self) -> None:
        with self._lock:
            self._frame = None
            self._serial += 1


_ERROR_CODES: tuple[tuple[type[BaseException], FailureCode], ...] = (
    (CardRemovedError, FailureCode.CARD_REMOVED),
    (ReaderUnavailableError, FailureCode.READER_UNAVAILABLE),
    (NotAMyNumberCardError, FailureCode.NOT_A_MY_NUMBER_CARD),
    (CardFaceInvalidError, FailureCode.CARD_FACE_INVALID),
    (CardMismatchError, FailureCode.CARD_MISMATCH),
    (CardFaultError, FailureCode.CARD_UNREADABLE),
    (FaceCheckUnavailableError, FailureCode.CAMERA_UNAVAILABLE),
    (BackendOfflineError, FailureCode.BACKEND_OFFLINE),
    (BackendRefusedError, FailureCode.BACKEND_REFUSED),
    (BackendCardRejectedError, FailureCode.CARD_REJECTED),
    (BackendFailedError, FailureCode.BACKEND_ERROR),
)


def failure_for(error: BaseException) -> FailureCode:
    """The catalogue code for an error raised by a port (INTERNAL for anything unexpected)."""
    if isinstance(error, _StopError):
        return error.code
    if isinstance(error, _SwappedError):
        return FailureCode.CARD_SWAPPED
    if isinstance(error, BackendRefusedError) and error.reason == KIOSK_FLAGGED_REASON:
        return FailureCode.KIOSK_FLAGGED
    for kind, code in _ERROR_CODES:
        if isinstance(error, kind):
            return code
    return FailureCode.INTERNAL


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
        self._tx = _Transaction()
        self._view = FlowView(face_attempts_max=self._config.face_attempts)
        self._step = Step.START
        self._generation = 0
        self._entered_at = clock.now()
        self._pending: deque[Callable[[], object]] = deque()
        self._dispatching = False
        self._staff_out_of_service = False
        self._reader_missing = False
        self.preview = PreviewSlot()

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
        self._dispatch(lambda: self._on_auth_pin(pin))

    def submit_text_pin(self, pin: bytearray) -> None:
        """The 4-digit text-AP PIN; owned and wiped by the flow."""
        self._dispatch(lambda: self._on_text_pin(pin, from_auth=False))

    def submit_same_pin_as_before(self, understood_it_costs_a_try: bool) -> None:
        """Use the auth PIN as the text-AP PIN, after the resident was told it may cost a try."""
        if not understood_it_costs_a_try:
            raise ValueError("the resident must first be told that a wrong PIN costs a try")
        self._dispatch(self._on_same_as_before)

    def submit_number_b(self, number_b: bytearray) -> None:
        """照合番号B (14 digits from the card face); owned and wiped by the flow."""
        self._dispatch(lambda: self._on_number_b(number_b))

    def submit_new_pin(self, first: bytearray, second: bytearray) -> None:
        """The new signature PIN, entered twice; both owned and wiped by the flow."""
        self._dispatch(lambda: self._on_new_pin(first, second))

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
        if self._tx.command_sent and not self._tx.finished_at_backend:
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
                self._probe_after_fault(self._same_card_check(auth_known=False))
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

        def finish(outcome: Outcome[T]) -> None:
            def handle() -> None:
                for name in lend:
                    self._secrets.give_back(name)
                if generation != self._generation:
                    values = outcome.value if isinstance(outcome.value, tuple) else (outcome.value,)
                    for value in values:
                        if isinstance(value, bytearray):
                            wipe(value)
                    return
                self._set(busy=False)
                if outcome.error is not None:
                    (failed or self._fail_with)(outcome.error)
                else:
                    done(outcome.value)  # type: ignore[arg-type]

            self._dispatch(handle)

        self._runner.submit(job, finish)

    # --- entry actions ------------------------------------------------------------------------

    def _enter(self, step: Step, leaving: Step) -> None:
        if step == Step.START:
            self._end_transaction(leaving)
            if self._staff_out_of_service or self._reader_missing:
                self._dispatch(lambda: self._go(Exit.OUT_OF_SERVICE, out_of_service=True))
        elif step == Step.CONSENT:
            self._tx = _Transaction()
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
            self._refresh_same_as_before()
        elif step in (Step.DONE, Step.ERROR):
            self._release_card()
        elif step == Step.OUT_OF_SERVICE:
            self._view = replace(self._view, out_of_service=True)

    def _end_transaction(self, leaving: Step) -> None:
        self._secrets.wipe_all()
        if leaving not in (Step.DONE, Step.ERROR, Step.START, Step.OUT_OF_SERVICE):
            self._release_card()
        self._tx = _Transaction()
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
        """Power the card off and tell the backend about an unfinished transaction."""
        ticket = None if self._tx.finished_at_backend else self._tx.ticket
        self._tx.finished_at_backend = True
        reason = self._view.failure.value if self._view.failure else "ended"

        def job() -> None:
            try:
                if ticket is not None:
                    self._backend.abandon(ticket, reason)
            finally:
                self._card.close()

        def ignore(error: BaseException) -> None:
            log.warning("flow: releasing the card failed: %s", type(error).__name__)

        def finish(outcome: Outcome[None]) -> None:
            if outcome.error is not None:
                ignore(outcome.error)

        self._runner.submit(job, finish)

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
        if self._step == Step.READ_CARD:
            self._read_card()
        elif self._step == Step.FACE_CHECK:
            self._check_face()
        elif self._step == Step.PROCESSING:
            self._process()

    # READ_CARD

    def _read_card(self) -> None:
        def job() -> tuple[CardSnapshot, Ticket]:
            snapshot = self._card.read_card()
            if snapshot.counters.auth_pin == 0:
                raise _StopError(FailureCode.AUTH_PIN_BLOCKED)
            if not snapshot.sign_cert_present:
                raise _StopError(FailureCode.SIGN_CERT_MISSING)
            expiry = snapshot.sign_cert_expiry
            if expiry is not None and expiry < self._today():
                raise _StopError(FailureCode.SIGN_CERT_EXPIRED)
            return snapshot, self._backend.begin()

        def done(result: tuple[CardSnapshot, Ticket]) -> None:
            snapshot, ticket = result
            self._tx.snapshot = snapshot
            self._tx.ticket = ticket
            self._tx.expected = snapshot.counters
            self._go(
                Exit.CARD_OK,
                auth_tries_left=snapshot.counters.auth_pin,
                text_tries_left=snapshot.counters.text_pin,
            )

        self._work(job, done)

    def _same_card_check(self, *, auth_known: bool = True) -> Callable[[], None]:
        """A check for the worker: raise ``_SwappedError`` unless card and counters are as expected.

        The auth counter is not compared once the auth PIN was verified (an empty VERIFY then
        answers "verified", not a count).
        """
        snapshot, expected = self._tx.snapshot, self._tx.expected
        card = self._card

        def check() -> None:
            if snapshot is None or expected is None:
                raise _StopError(FailureCode.INTERNAL)
            _same_card(card, snapshot, expected, auth_known=auth_known)

        return check

    def _probe_after_fault(self, probe: Callable[[], object]) -> None:
        """Run ``probe`` on the worker: another I/O fault means unreadable (C04); any other
        error is classified as usual (swapped C03, removed C02, reader gone ...)."""

        def failed(error: BaseException) -> None:
            if isinstance(error, CardFaultError):
                self._fail(FailureCode.CARD_UNREADABLE)
            else:
                self._fail_with(error)

        self._work(probe, lambda _: self._fail(FailureCode.CARD_UNREADABLE), failed)

    # AUTH_PIN

    def _on_auth_pin(self, pin: bytearray) -> None:
        if not self._only(Step.AUTH_PIN) or self._view.busy:
            wipe(pin)
            return
        if not is_four_digit_pin(pin):
            wipe(pin)
            self._set(entry_problem=EntryProblem.BAD_FORMAT)
            return
        if self._view.needs_last_try_confirmation:
            wipe(pin)
            self._set(entry_problem=EntryProblem.NEEDS_LAST_TRY_CONFIRMATION)
            return
        self._secrets.put(AUTH_PIN_SECRET, pin)
        ticket = self._tx.ticket
        snapshot = self._tx.snapshot
        if ticket is None or snapshot is None:
            self._fail(FailureCode.INTERNAL)
            return

        same_card = self._same_card_check()

        def job() -> None:
            same_card()
            self._card.verify_auth_pin(pin)
            signature = self._card.sign_with_auth_key(ticket.to_sign)
            # The chip signs the backend's chip nonce: the backend checks it against the chip
            # issued with this certificate, and the card face must carry the same chip key.
            chip_signature = self._card.sign_with_chip_key(ticket.chip_to_sign)
            self._backend.prove_card(ticket, snapshot.auth_cert_der, signature, chip_signature)

        def done(_: None) -> None:
            self._tx.auth_verified = True
            self._go(Exit.VERIFIED, auth_tries_left=None)

        def failed(error: BaseException) -> None:
            self._secrets.keep_only(())
            if isinstance(error, WrongPinError) and error.attempts_left > 0:
                self._note_counter(auth_pin=error.attempts_left)
                self._go(
                    Exit.WRONG_PIN,
                    auth_tries_left=error.attempts_left,
                    entry_problem=EntryProblem.WRONG,
                )
            elif isinstance(error, WrongPinError | PinBlockedError):
                self._fail(FailureCode.AUTH_PIN_BLOCKED)
            else:
                self._fail_with(error)

        self._work(job, done, failed, lend=(AUTH_PIN_SECRET,))

    def _note_counter(self, **changes: int) -> None:
        if self._tx.expected is not None:
            self._tx.expected = replace(self._tx.expected, **changes)

    # UNLOCK_PHOTO

    def _refresh_same_as_before(self) -> None:
        available = self._secrets.has(AUTH_PIN_SECRET) and (self._view.text_tries_left or 0) > 0
        self._view = replace(self._view, same_as_before_available=available)

    def _on_same_as_before(self) -> None:
        pin = self._secrets.get(AUTH_PIN_SECRET)
        if pin is None or not self._view.same_as_before_available:
            return
        self._on_text_pin(pin, from_auth=True)

    def _on_text_pin(self, pin: bytearray, *, from_auth: bool) -> None:
        if not self._only(Step.UNLOCK_PHOTO) or self._view.busy:
            if not from_auth:
                wipe(pin)
            return
        if not from_auth and not is_four_digit_pin(pin):
            wipe(pin)
            self._set(entry_problem=EntryProblem.BAD_FORMAT)
            return
        if (self._view.text_tries_left or 0) <= 0:
            if not from_auth:
                wipe(pin)
            self._set(entry_problem=EntryProblem.BLOCKED)
            return
        if self._view.needs_last_try_confirmation:
            if not from_auth:
                wipe(pin)
            self._set(entry_problem=EntryProblem.NEEDS_LAST_TRY_CONFIRMATION)
            return
        name = AUTH_PIN_SECRET if from_auth else "text_pin"
        if not from_auth:
            self._secrets.put(name, pin)

        same_card = self._same_card_check(auth_known=False)

        def job() -> tuple[bytearray, FaceBinding]:
            same_card()
            photo = self._card.read_photo_with_text_pin(pin)
            try:
                return photo, self._card.face_binding()
            except BaseException:
                wipe(photo)
                raise

        def failed(error: BaseException) -> None:
            self._secrets.keep_only(() if from_auth else (AUTH_PIN_SECRET,))
            if isinstance(error, WrongPinError | PinBlockedError):
                left = error.attempts_left if isinstance(error, WrongPinError) else 0
                self._note_counter(text_pin=left)
                self._photo_entry_failed(text_tries_left=left)
            else:
                self._fail_with(error)

        self._work(job, self._photo_ready, failed, lend=(name,))

    def _on_number_b(self, number_b: bytearray) -> None:
        if not self._only(Step.UNLOCK_PHOTO) or self._view.busy:
            wipe(number_b)
            return
        if self._view.number_b_tries_left == 0:
            wipe(number_b)
            self._set(entry_problem=EntryProblem.BLOCKED)
            return
        if not is_number_b(number_b):
            wipe(number_b)
            self._set(entry_problem=EntryProblem.BAD_FORMAT)
            return
        self._secrets.put("number_b", number_b)

        same_card = self._same_card_check(auth_known=False)

        def job() -> tuple[bytearray, FaceBinding]:
            same_card()
            photo = self._card.read_photo_with_number_b(number_b)
            try:
                return photo, self._card.face_binding()
            except BaseException:
                wipe(photo)
                raise

        def failed(error: BaseException) -> None:
            self._secrets.keep_only((AUTH_PIN_SECRET,))
            if isinstance(error, WrongPinError | PinBlockedError):
                left = error.attempts_left if isinstance(error, WrongPinError) else 0
                self._photo_entry_failed(number_b_tries_left=left)
            else:
                self._fail_with(error)

        self._work(job, self._photo_ready, failed, lend=("number_b",))

    def _photo_entry_failed(self, **tries: Any) -> None:
        view = replace(self._view, **tries)
        if view.text_tries_left == 0 and view.number_b_tries_left == 0:
            self._fail(FailureCode.PHOTO_LOCKED)
            return
        self._go(Exit.WRONG_PIN, entry_problem=EntryProblem.WRONG, **tries)

    def _photo_ready(self, read: tuple[bytearray, FaceBinding]) -> None:
        photo, self._tx.binding = read
        self._secrets.put(PHOTO_SECRET, photo)
        self._go(Exit.PHOTO_READY)

    # FACE_CHECK

    def _check_face(self) -> None:
        photo = self._secrets.get(PHOTO_SECRET)
        ticket, binding = self._tx.ticket, self._tx.binding
        if photo is None or ticket is None or binding is None:
            self._fail(FailureCode.INTERNAL)
            return
        attempt = self._view.face_attempts_used + 1
        self._set(
            face_attempts_used=attempt, face_hint=None, face_prompt=None, face_illumination=None
        )
        generation = self._generation
        listener = _FaceRelay(self, generation)

        final = attempt >= self._config.face_attempts

        def job() -> FaceResult:
            result = self._face.check(photo, listener, lambda: generation != self._generation)
            passed = result.matched and result.live
            # The backend takes one piece of evidence per transaction: the success, or the
            # last failure (which it refuses, closing the transaction; that is expected).
            if passed or final:
                try:
                    self._backend.report_face(ticket, result, binding)
                except BackendRefusedError:
                    if passed:
                        raise
            return result

        def done(result: FaceResult) -> None:
            if result.matched and result.live:
                self._go(Exit.FACE_MATCHED, face_last_failure=None)
                return
            code = FailureCode.FACE_NOT_LIVE if not result.live else FailureCode.FACE_NO_MATCH
            if attempt < self._config.face_attempts:
                self._go(Exit.RETRY, face_last_failure=code)
            else:
                self._fail(code)

        self._work(job, done, lend=(PHOTO_SECRET,))

    def _post_update(self, generation: int, **changes: Any) -> None:
        def apply() -> None:
            if generation == self._generation:
                self._set(**changes)

        self._runner.post(lambda: self._dispatch(apply))

    # NEW_PIN

    def _on_new_pin(self, first: bytearray, second: bytearray) -> None:
        if not self._only(Step.NEW_PIN) or self._view.busy:
            wipe(first)
            wipe(second)
            return
        broken = tuple(sign_pin_broken_rules(first))
        if broken:
            wipe(first)
            wipe(second)
            self._set(new_pin_problem=NewPinProblem.BROKEN_RULES, new_pin_broken_rules=broken)
            return
        if not same_secret(first, second):
            wipe(first)
            wipe(second)
            self._set(new_pin_problem=NewPinProblem.MISMATCH, new_pin_broken_rules=())
            return
        wipe(second)
        self._secrets.put(NEW_PIN_SECRET, first)
        self._go(Exit.PIN_CHOSEN)

    # PROCESSING

    def _process(self) -> None:
        new_pin = self._secrets.get(NEW_PIN_SECRET)
        ticket = self._tx.ticket
        if new_pin is None or ticket is None:
            self._fail(FailureCode.INTERNAL)
            return
        generation = self._generation

        same_card = self._same_card_check(auth_known=False)
        transaction = self._tx

        def stage(value: Stage) -> None:
            self._post_update(generation, stage=value)

        def job() -> ResetOutcome:
            stage(Stage.CHECK_CARD)
            same_card()
            challenge = self._card.get_challenge()
            stage(Stage.AUTHORISE)
            apdu = self._backend.authorise_reset(ticket, new_pin, challenge)
            stage(Stage.WRITE_CARD)
            transaction.command_sent = True
            try:
                answer = self._card.relay(apdu)
            except Exception as error:
                # The command went out: the card may have acted on it before the fault, so
                # "nothing was changed" would be wrong (the backend closes it as unconfirmed).
                raise _StopError(FailureCode.RESET_UNCONFIRMED) from error
            stage(Stage.CONFIRM)
            try:
                return self._backend.confirm(ticket, answer)
            except (BackendOfflineError, BackendFailedError) as error:
                # The card has answered: it may hold the new PIN already, so "nothing was
                # changed" would be wrong. The journal settles it with the backend later.
                raise _StopError(FailureCode.RESET_UNCONFIRMED) from error

        def done(outcome: ResetOutcome) -> None:
            self._tx.finished_at_backend = True
            if outcome.success:
                self._go(Exit.RESET_DONE)
            elif outcome.unconfirmed:
                self._fail(FailureCode.RESET_UNCONFIRMED)
            else:
                self._fail(FailureCode.RESET_FAILED)

        self._set(stage=Stage.CHECK_CARD)
        self._work(job, done, lend=(NEW_PIN_SECRET,))


class _FaceRelay:
    """Forwards the face check's callbacks from the worker to the flow's thread."""

    def __init__(self, flow: Flow, generation: int) -> None:
        self._flow = flow
        self._generation = generation

    def hint(self, hint: FaceHint) -> None:
        self._flow._post_update(self._generation, face_hint=hint)

    def prompt(self, prompt: LivenessPrompt | None) -> None:
        self._flow._post_update(self._generation, face_prompt=prompt)

    def illumination(self, colour: ScreenColour | None) -> None:
        self._flow._post_update(self._generation, face_illumination=colour)

    def preview(self, frame: object) -> None:
        self._flow.preview.put(frame)




def _paced_by_resident(step: Step) -> bool:
    """Steps whose length depends on the resident (reading, typing, moving), not on machines."""
    spec = SPECS[step]
    return spec.waits_for_resident or step in (Step.FACE_CHECK, Step.DONE, Step.ERROR)


def _same_card(
    card: CardPort, snapshot: CardSnapshot, expected: RetryCounters, *, auth_known: bool
) -> None:
    card_id, counters = card.read_counters()
    if card_id != snapshot.card_id:
        raise _SwappedError()
    same = counters.sign_pin == expected.sign_pin and counters.text_pin == expected.text_pin
    if auth_known:
        same = same and counters.auth_pin == expected.auth_pin
    if not same:
        raise _SwappedError()
