"""NEW_PIN alone: rules and the repeat are checked here; both entries are wiped unless kept."""

from __future__ import annotations

from kiosk.flow.states import NEW_PIN_SECRET, Exit, Step
from kiosk.flow.steps import new_pin
from kiosk.flow.view import NewPinProblem

from .recording import recording_in


def test_a_good_pin_typed_twice_is_kept_once_and_the_repeat_wiped() -> None:
    rec = recording_in(Step.NEW_PIN)
    first, second = bytearray(b"NEW2PIN9"), bytearray(b"NEW2PIN9")
    new_pin.submit(rec, first, second)
    assert rec.exit_taken is Exit.PIN_CHOSEN
    assert rec.secrets.get(NEW_PIN_SECRET) is first and second == bytearray()


def test_a_pin_breaking_the_rules_names_them_and_is_wiped() -> None:
    rec = recording_in(Step.NEW_PIN)
    first, second = bytearray(b"abc"), bytearray(b"abc")
    new_pin.submit(rec, first, second)
    assert rec.view.new_pin_problem is NewPinProblem.BROKEN_RULES
    assert rec.view.new_pin_broken_rules and rec.exits == []
    assert first == bytearray() and second == bytearray()


def test_a_repeat_that_differs_is_a_mismatch() -> None:
    rec = recording_in(Step.NEW_PIN)
    first, second = bytearray(b"NEW2PIN9"), bytearray(b"NEW2PIN8")
    new_pin.submit(rec, first, second)
    assert rec.view.new_pin_problem is NewPinProblem.MISMATCH
    assert not rec.secrets.has(NEW_PIN_SECRET) and first == bytearray()


def test_input_in_another_step_is_wiped_and_ignored() -> None:
    rec = recording_in(Step.PROCESSING)
    first, second = bytearray(b"NEW2PIN9"), bytearray(b"NEW2PIN9")
    new_pin.submit(rec, first, second)
    assert rec.exits == [] and first == bytearray() and second == bytearray()
