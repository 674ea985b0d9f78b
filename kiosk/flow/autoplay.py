"""A resident without hands: approves every step and types given PINs, for ``kiosk demo
--autoplay`` and for tests. It only uses the flow's public inputs, like the UI does.

It never spends a PIN try it was not given and never the last one: a refused PIN or a last try
makes it cancel. ``result`` is set when the transaction ends (success, or the failure code).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.flow.machine import Flow
from kiosk.flow.secrets import wipe
from kiosk.flow.states import Step
from kiosk.flow.view import EntryProblem, FlowView
from kiosk.flow.work import QueuePump


@dataclass(frozen=True)
class AutoplayResult:
    success: bool
    code: str | None = None  # the failure code when not successful
    detail: str = ""

    def line(self) -> str:
        """The demo's last line: ``RESULT: success`` or ``RESULT: failure <code>``."""
        return "RESULT: success" if self.success else f"RESULT: failure {self.code}"


class Autoplay:
    """Drives one transaction from the start screen to done (or to an error)."""

    def __init__(
        self,
        flow: Flow,
        *,
        auth_pin: str,
        new_pin: str,
        text_pin: str | None = None,
        number_b: str | None = None,
        on_step: Callable[[FlowView], None] | None = None,
    ) -> None:
        """``text_pin`` None means "same as before" (the auth PIN); ``number_b`` instead unlocks
        the photo with 照合番号B."""
        self._flow = flow
        self._auth_pin = bytearray(auth_pin.encode("ascii"))
        self._new_pin = bytearray(new_pin.encode("ascii"))
        self._text_pin = None if text_pin is None else bytearray(text_pin.encode("ascii"))
        self._number_b = None if number_b is None else bytearray(number_b.encode("ascii"))
        self._on_step = on_step
        self._started = False
        self._last: tuple[Step, int] | None = None
        self._acted_on: tuple[object, ...] = ()
        self._stop_detail = ""
        self.result: AutoplayResult | None = None
        self._unsubscribe = flow.subscribe(self._react)

    def start(self) -> None:
        """Press "start" (call once the flow is on its start screen)."""
        self._react(self._flow.view)

    def _react(self, view: FlowView) -> None:
        if self.result is not None:
            return
        key = (view.step, view.transaction)
        if key != self._last and self._on_step is not None:
            self._on_step(view)
        self._last = key
        flow = self._flow
        # Act once per situation: a step entered, or a new problem shown in it.
        situation = (view.visit, view.entry_problem, view.new_pin_problem, view.awaiting_approval)
        if view.busy or situation == self._acted_on:
            return
        self._acted_on = situation
        if view.step == Step.START and not self._started:
            self._started = True
            flow.begin()
        elif view.step == Step.CONSENT:
            flow.agree()
        elif view.awaiting_approval and not view.busy:
            flow.approve()
        elif view.step == Step.AUTH_PIN and not view.busy:
            self._auth(view)
        elif view.step == Step.UNLOCK_PHOTO and not view.busy:
            self._unlock(view)
        elif view.step == Step.NEW_PIN and not view.busy:
            if view.new_pin_problem is not None:
                self._give_up("the new PIN was not accepted")
            else:
                flow.submit_new_pin(bytearray(self._new_pin), bytearray(self._new_pin))
        elif view.step == Step.DONE:
            self._finish(AutoplayResult(True))
        elif view.step == Step.ERROR and view.failure is not None:
            self._finish(AutoplayResult(False, view.failure.value, self._stop_detail))

    def _auth(self, view: FlowView) -> None:
        if view.entry_problem is not None:
            self._give_up(f"auth PIN refused ({view.entry_problem.value}), "
                          f"{view.auth_tries_left} tries left")
        elif view.needs_last_try_confirmation:
            self._give_up("only one auth PIN try is left; autoplay does not spend it")
        else:
            self._flow.submit_auth_pin(bytearray(self._auth_pin))

    def _unlock(self, view: FlowView) -> None:
        if view.entry_problem is not None:
            if view.entry_problem == EntryProblem.WRONG:
                self._give_up("the photo unlock was refused")
            else:
                self._give_up(f"photo unlock not possible ({view.entry_problem.value})")
        elif self._number_b is not None:
            self._flow.submit_number_b(bytearray(self._number_b))
        elif view.needs_last_try_confirmation:
            self._give_up("only one text PIN try is left; autoplay does not spend it")
        elif self._text_pin is not None:
            self._flow.submit_text_pin(bytearray(self._text_pin))
        elif view.same_as_before_available:
            self._flow.submit_same_pin_as_before(understood_it_costs_a_try=True)
        else:
            self._give_up("no way to unlock the photo was given")

    def _give_up(self, detail: str) -> None:
        self._stop_detail = detail
        self._flow.cancel()

    def _finish(self, result: AutoplayResult) -> None:
        self.result = result
        for secret in (self._auth_pin, self._new_pin, self._text_pin, self._number_b):
            if secret is not None:
                wipe(secret)
        self._unsubscribe()


def drive(
    flow: Flow,
    pump: QueuePump,
    autoplay: Autoplay,
    *,
    timeout: float,
    between: Callable[[], None] | None = None,
) -> AutoplayResult:
    """Run a Qt-free loop (queued completions + timeouts) until autoplay has a result."""
    deadline = time.monotonic() + timeout
    autoplay.start()
    while autoplay.result is None:
        if time.monotonic() > deadline:
            return AutoplayResult(False, "K03", "autoplay ran out of time")
        pump.pump(0.05)
        flow.tick()
        if between is not None:
            between()
    return autoplay.result
