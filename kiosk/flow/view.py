"""What the screens show: an immutable snapshot of the flow, replaced on every change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.pin_rules import SignPinRule
from kiosk.flow.ports import FaceHint, LivenessPrompt, ScreenColour
from kiosk.flow.states import Step


class ProcessingStage(Enum):
    """Progress through the processing step, in order."""

    CHECK_CARD = "check_card"
    AUTHORISE = "authorise"
    WRITE_CARD = "write_card"
    CONFIRM = "confirm"


PROCESSING_STAGES = tuple(ProcessingStage)


class NewPinProblem(Enum):
    BROKEN_RULES = "broken_rules"
    MISMATCH = "mismatch"


class EntryProblem(Enum):
    """Why the last entry in a PIN step did not go through."""

    WRONG = "wrong"  # the card refused it; a try was spent
    BAD_FORMAT = "bad_format"  # not the right form; no try was spent
    NEEDS_LAST_TRY_CONFIRMATION = "needs_last_try_confirmation"
    BLOCKED = "blocked"  # this way has no tries left


@dataclass(frozen=True)
class FlowView:
    """Everything a screen needs; never holds a secret."""

    step: Step = Step.START
    transaction: int = 0  # increases with every new transaction
    visit: int = 0  # increases with every step entered (a self-loop too)
    awaiting_approval: bool = False
    busy: bool = False
    card_present: bool = False
    accessible: bool = False  # voice through headphones and longer time limits
    # auth PIN step
    auth_tries_left: int | None = None
    last_try_confirmed: bool = False
    entry_problem: EntryProblem | None = None
    # photo unlock step
    text_tries_left: int | None = None
    number_b_tries_left: int | None = None
    same_as_before_available: bool = False
    # face check step
    face_hint: FaceHint | None = None
    face_prompt: LivenessPrompt | None = None
    face_illumination: ScreenColour | None = None  # the screen's colour code, while it runs
    face_attempts_used: int = 0
    face_attempts_max: int = 0
    face_last_failure: FailureCode | None = None
    # new PIN step
    new_pin_problem: NewPinProblem | None = None
    new_pin_broken_rules: tuple[SignPinRule, ...] = ()
    # processing step
    stage: ProcessingStage | None = None
    # done / error
    failure: FailureCode | None = None
    alarm: bool = False
    out_of_service: bool = False

    @property
    def needs_last_try_confirmation(self) -> bool:
        """The next PIN entry would be the last try and the resident has not confirmed it."""
        tries = {Step.AUTH_PIN: self.auth_tries_left, Step.UNLOCK_PHOTO: self.text_tries_left}
        return tries.get(self.step) == 1 and not self.last_try_confirmed
