"""UNLOCK_PHOTO: the text-AP PIN (or 照合番号B) opens the card's photo for the face check.

The resident may offer the auth PIN again ("same as before") once told it may cost a try;
the photo comes back with the binding (card face and chip key) it was read under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.pin_rules import is_four_digit_pin, is_number_b
from kiosk.flow.ports import CardPort, FaceBinding, PinBlockedError, WrongPinError
from kiosk.flow.secrets import wipe
from kiosk.flow.states import (
    AUTH_PIN_SECRET,
    NUMBER_B_SECRET,
    PHOTO_SECRET,
    TEXT_PIN_SECRET,
    Exit,
    Step,
)
from kiosk.flow.steps.context import StepContext
from kiosk.flow.steps.same_card import counters_of_same_card, note_counter, same_card_check
from kiosk.flow.view import EntryProblem

# The photo, the card face it was read under, and the text PIN's tries left after it (None:
# the text PIN was not used).
PhotoRead = tuple[bytearray, FaceBinding, int | None]


def enter(ctx: StepContext) -> None:
    """Offer "same as before" while the auth PIN is kept and a text-PIN try is left."""
    available = ctx.secrets.has(AUTH_PIN_SECRET) and (ctx.view.text_tries_left or 0) > 0
    ctx.set_quietly(same_as_before_available=available)


def same_as_before(ctx: StepContext) -> None:
    pin = ctx.secrets.get(AUTH_PIN_SECRET)
    if pin is None or not ctx.view.same_as_before_available:
        return
    submit_text_pin(ctx, pin, from_auth=True)


def submit_text_pin(ctx: StepContext, pin: bytearray, *, from_auth: bool) -> None:
    """``pin`` is owned here unless it is the kept auth PIN (``from_auth``)."""

    def drop() -> None:
        if not from_auth:
            wipe(pin)

    if not ctx.only(Step.UNLOCK_PHOTO) or ctx.view.busy:
        drop()
        return
    if not from_auth and not is_four_digit_pin(pin):
        drop()
        ctx.set(entry_problem=EntryProblem.BAD_FORMAT)
        return
    if (ctx.view.text_tries_left or 0) <= 0:
        drop()
        ctx.set(entry_problem=EntryProblem.BLOCKED)
        return
    if ctx.view.needs_last_try_confirmation:
        drop()
        ctx.set(entry_problem=EntryProblem.NEEDS_LAST_TRY_CONFIRMATION)
        return
    name = AUTH_PIN_SECRET if from_auth else TEXT_PIN_SECRET
    if not from_auth:
        ctx.secrets.put(name, pin)
    tx, card = ctx.tx, ctx.card
    same_card = same_card_check(card, tx, auth_known=False)

    def failed(error: BaseException) -> None:
        ctx.secrets.keep_only(() if from_auth else (AUTH_PIN_SECRET,))
        if isinstance(error, WrongPinError | PinBlockedError):
            left = error.attempts_left if isinstance(error, WrongPinError) else 0
            note_counter(tx, text_pin=left)
            _entry_failed(ctx, text_tries_left=left)
        else:
            ctx.fail_with(error)

    def after_photo() -> int:
        # A correct PIN restores its counter (to 3 on this card): the later same-card checks
        # must expect the count the card shows now, not the one read at the start.
        return counters_of_same_card(card, tx).text_pin

    job = _photo_job(card, same_card, lambda: card.read_photo_with_text_pin(pin), after_photo)
    ctx.work(job, lambda read: _photo_ready(ctx, read), failed, lend=(name,))


def submit_number_b(ctx: StepContext, number_b: bytearray) -> None:
    """照合番号B (14 digits from the card face); owned (kept or wiped) from here on."""
    if not ctx.only(Step.UNLOCK_PHOTO) or ctx.view.busy:
        wipe(number_b)
        return
    if ctx.view.number_b_tries_left == 0:
        wipe(number_b)
        ctx.set(entry_problem=EntryProblem.BLOCKED)
        return
    if not is_number_b(number_b):
        wipe(number_b)
        ctx.set(entry_problem=EntryProblem.BAD_FORMAT)
        return
    ctx.secrets.put(NUMBER_B_SECRET, number_b)
    card = ctx.card
    same_card = same_card_check(card, ctx.tx, auth_known=False)

    def failed(error: BaseException) -> None:
        ctx.secrets.keep_only((AUTH_PIN_SECRET,))
        if isinstance(error, WrongPinError | PinBlockedError):
            left = error.attempts_left if isinstance(error, WrongPinError) else 0
            _entry_failed(ctx, number_b_tries_left=left)
        else:
            ctx.fail_with(error)

    job = _photo_job(card, same_card, lambda: card.read_photo_with_number_b(number_b), None)
    ctx.work(job, lambda read: _photo_ready(ctx, read), failed, lend=(NUMBER_B_SECRET,))


def _photo_job(card: CardPort, same_card: Callable[[], None],
               read_photo: Callable[[], bytearray],
               text_tries_after: Callable[[], int] | None) -> Callable[[], PhotoRead]:
    def job() -> PhotoRead:
        same_card()
        photo = read_photo()
        try:
            binding = card.face_binding()
            return photo, binding, None if text_tries_after is None else text_tries_after()
        except BaseException:
            wipe(photo)
            raise

    return job


def _entry_failed(ctx: StepContext, **tries: Any) -> None:
    view = replace(ctx.view, **tries)
    if view.text_tries_left == 0 and view.number_b_tries_left == 0:
        ctx.fail(FailureCode.PHOTO_LOCKED)
        return
    ctx.go(Exit.WRONG_PIN, entry_problem=EntryProblem.WRONG, **tries)


def _photo_ready(ctx: StepContext, read: PhotoRead) -> None:
    photo, ctx.tx.binding, text_tries_left = read
    if text_tries_left is not None:
        note_counter(ctx.tx, text_pin=text_tries_left)
    ctx.secrets.put(PHOTO_SECRET, photo)
    ctx.go(Exit.PHOTO_READY)
