"""NEW_PIN: the new signature PIN, typed twice, checked against the card's rules (no card work)."""

from __future__ import annotations

from kiosk.flow.pin_rules import same_secret, sign_pin_broken_rules
from kiosk.flow.secrets import wipe
from kiosk.flow.states import NEW_PIN_SECRET, Exit, Step
from kiosk.flow.steps.context import StepContext
from kiosk.flow.view import NewPinProblem


def submit(ctx: StepContext, first: bytearray, second: bytearray) -> None:
    """Both entries are owned from here on: ``first`` is kept if good, ``second`` always wiped."""
    if not ctx.only(Step.NEW_PIN) or ctx.view.busy:
        wipe(first)
        wipe(second)
        return
    broken = tuple(sign_pin_broken_rules(first))
    if broken:
        wipe(first)
        wipe(second)
        ctx.set(new_pin_problem=NewPinProblem.BROKEN_RULES, new_pin_broken_rules=broken)
        return
    if not same_secret(first, second):
        wipe(first)
        wipe(second)
        ctx.set(new_pin_problem=NewPinProblem.MISMATCH, new_pin_broken_rules=())
        return
    wipe(second)
    ctx.secrets.put(NEW_PIN_SECRET, first)
    ctx.go(Exit.PIN_CHOSEN)
