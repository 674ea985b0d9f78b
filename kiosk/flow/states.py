"""The resident's way through as a table: named steps, their flags and their named exits.

This table is the single truth: the flow refuses any transition that is not in it, and
``docs/flow.md`` is generated from it (``python -m kiosk.flow.docs``; a test checks the file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Step(Enum):
    """One screen-sized step of the transaction (product.md, "The resident's way through")."""

    START = "start"
    CONSENT = "consent"
    PLACE_CARD = "place_card"
    READ_CARD = "read_card"
    AUTH_PIN = "auth_pin"
    UNLOCK_PHOTO = "unlock_photo"
    FACE_CHECK = "face_check"
    NEW_PIN = "new_pin"
    PROCESSING = "processing"
    DONE = "done"
    ERROR = "error"
    OUT_OF_SERVICE = "out_of_service"


class Exit(Enum):
    """Named ways out of a step."""

    BEGIN = "begin"
    AGREE = "agree"
    DECLINE = "decline"
    CARD_PLACED = "card_placed"
    CARD_OK = "card_ok"
    VERIFIED = "verified"
    WRONG_PIN = "wrong_pin"
    PHOTO_READY = "photo_ready"
    FACE_MATCHED = "face_matched"
    RETRY = "retry"
    PIN_CHOSEN = "pin_chosen"
    RESET_DONE = "reset_done"
    CARD_TAKEN = "card_taken"
    CARD_LEFT = "card_left"
    ACKNOWLEDGED = "acknowledged"
    CANCEL = "cancel"
    TIMEOUT = "timeout"
    CARD_REMOVED = "card_removed"
    CARD_SWAPPED = "card_swapped"
    FAILED = "failed"
    OUT_OF_SERVICE = "out_of_service"
    BACK_IN_SERVICE = "back_in_service"


# Secrets the transaction may hold; each step says which ones survive into it. (The values
# are the slots' names, not secrets: hence the noqa.) The PIN is kept for the "same as
# before" offer at the photo unlock.
AUTH_PIN_SECRET = "auth_pin"  # noqa: S105
PHOTO_SECRET = "card_photo"  # noqa: S105
NEW_PIN_SECRET = "new_pin"  # noqa: S105


@dataclass(frozen=True)
class StepSpec:
    """How a step behaves: flags, whether its work waits for the UI's approval, its exits."""

    step: Step
    exits: dict[Exit, Step]
    abort_on_card_removed: bool = False
    # The step does card/face/backend work that starts only when the UI approves it.
    needs_approval: bool = False
    # The step waits for the resident; activity (touch, keys) restarts its timeout.
    waits_for_resident: bool = False
    # Secrets that may stay alive while in this step; every other one is wiped on entry.
    keeps: frozenset[str] = field(default_factory=frozenset)
    # Part of an open transaction: cancel goes to the error screen, not straight to start.
    in_transaction: bool = False


def _tx(exits: dict[Exit, Step], *, cancel: bool = True) -> dict[Exit, Step]:
    """Exits every step of an open transaction has besides its own."""
    common = {
        **({Exit.CANCEL: Step.ERROR} if cancel else {}),
        Exit.TIMEOUT: Step.ERROR,
        Exit.CARD_REMOVED: Step.ERROR,
        Exit.CARD_SWAPPED: Step.ERROR,
        Exit.FAILED: Step.ERROR,
    }
    return {**exits, **common}


SPECS: dict[Step, StepSpec] = {
    spec.step: spec
    for spec in (
        StepSpec(
            Step.START,
            {Exit.BEGIN: Step.CONSENT, Exit.OUT_OF_SERVICE: Step.OUT_OF_SERVICE},
        ),
        StepSpec(
            Step.CONSENT,
            {
                Exit.AGREE: Step.PLACE_CARD,
                Exit.DECLINE: Step.START,
                Exit.CANCEL: Step.START,
                Exit.TIMEOUT: Step.START,
            },
            waits_for_resident=True,
        ),
        StepSpec(
            Step.PLACE_CARD,
            {
                Exit.CARD_PLACED: Step.READ_CARD,
                Exit.CANCEL: Step.START,
                Exit.TIMEOUT: Step.START,
                Exit.OUT_OF_SERVICE: Step.OUT_OF_SERVICE,
            },
            waits_for_resident=True,
        ),
        StepSpec(
            Step.READ_CARD,
            _tx({Exit.CARD_OK: Step.AUTH_PIN}),
            abort_on_card_removed=True,
            needs_approval=True,
            in_transaction=True,
        ),
        StepSpec(
            Step.AUTH_PIN,
            _tx({Exit.VERIFIED: Step.UNLOCK_PHOTO, Exit.WRONG_PIN: Step.AUTH_PIN}),
            abort_on_card_removed=True,
            waits_for_resident=True,
            in_transaction=True,
        ),
        StepSpec(
            Step.UNLOCK_PHOTO,
            _tx({Exit.PHOTO_READY: Step.FACE_CHECK, Exit.WRONG_PIN: Step.UNLOCK_PHOTO}),
            abort_on_card_removed=True,
            waits_for_resident=True,
            keeps=frozenset({AUTH_PIN_SECRET}),
            in_transaction=True,
        ),
        StepSpec(
            Step.FACE_CHECK,
            _tx({Exit.FACE_MATCHED: Step.NEW_PIN, Exit.RETRY: Step.FACE_CHECK}),
            abort_on_card_removed=True,
            needs_approval=True,
            keeps=frozenset({PHOTO_SECRET}),
            in_transaction=True,
        ),
        StepSpec(
            Step.NEW_PIN,
            _tx({Exit.PIN_CHOSEN: Step.PROCESSING}),
            abort_on_card_removed=True,
            waits_for_resident=True,
            in_transaction=True,
        ),
        StepSpec(
            Step.PROCESSING,
            # No cancel once the reset is under way: the card may already hold the new PIN.
            _tx({Exit.RESET_DONE: Step.DONE}, cancel=False),
            abort_on_card_removed=True,
            needs_approval=True,
            keeps=frozenset({NEW_PIN_SECRET}),
            in_transaction=True,
        ),
        StepSpec(
            Step.DONE,
            {Exit.CARD_TAKEN: Step.START, Exit.CARD_LEFT: Step.DONE, Exit.TIMEOUT: Step.START},
        ),
        StepSpec(
            Step.ERROR,
            {
                Exit.ACKNOWLEDGED: Step.START,
                Exit.TIMEOUT: Step.START,
                Exit.CARD_LEFT: Step.ERROR,
                Exit.CARD_TAKEN: Step.START,
            },
        ),
        StepSpec(
            Step.OUT_OF_SERVICE,
            {Exit.BACK_IN_SERVICE: Step.START},
        ),
    )
}
