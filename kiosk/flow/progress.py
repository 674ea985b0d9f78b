"""Where the resident is: "step 3 of 6" for the step indicator and the voice.

The transaction's steps as the resident sees them: reading the card is part of placing it,
and the processing screen belongs to choosing the new PIN. The start, error and
out-of-service screens are outside the count.
"""

from __future__ import annotations

from kiosk.flow.states import Step

# Resident-visible stages, in order; each lists the flow steps shown as that stage.
STAGES: tuple[tuple[Step, ...], ...] = (
    (Step.CONSENT,),
    (Step.PLACE_CARD, Step.READ_CARD),
    (Step.AUTH_PIN,),
    (Step.UNLOCK_PHOTO,),
    (Step.FACE_CHECK,),
    (Step.NEW_PIN, Step.PROCESSING, Step.DONE),
)
TOTAL = len(STAGES)


def position(step: Step) -> tuple[int, int] | None:
    """(number, total) of the stage ``step`` belongs to, or None outside the count."""
    for number, steps in enumerate(STAGES, start=1):
        if step in steps:
            return number, TOTAL
    return None
