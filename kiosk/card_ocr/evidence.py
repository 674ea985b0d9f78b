"""Evidence for 照合番号B gathered over camera frames, one vote per unit per frame.

A single frame misreads now and then, and Tesseract can be sure of a wrong digit; so each unit
(the era; the era year, month and day of birth; the expiry's year, month and day; the code) is
voted on separately, and a unit is settled only when at least four frames agree on it, it
leads every other value by a margin (``MARGIN`` frames' worth) and it holds a clear majority
(``DOMINANCE`` times the support of all other values together). Frames of one held card are
not independent: the same blur misreads the same digit the same way again and again, so a
split vote (say 8 frames against 3) says the line itself is ambiguous, however many frames
the leader has. Units settle at different times: a frame that read the code but blurred the
date still helps.

A card runs to its holder's birthday (the 10th after issue, the 5th for minors), so the
expiry's month and day are the birth's month and day read a second time, on another line:
when both lines lead with the same value, the expiry's votes count for the birth's too. When
they lead with other values, one line is misread (a digit lost: "11" read as "1") or the card
runs to another date (a foreign resident's card runs to the end of the stay): the birth's
month and day are then taken only when both lines are settled and no frame ever read a
rival value on either. The reading is given only when every unit of 照合番号B is settled and
the whole is a possible birth date and expiry. A wrong reading costs the resident one of the
card's few tries, an unread one costs a moment of typing: every rule here leans to "unread".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from kiosk.card_ocr.fields import (
    UNITS,
    FrameFields,
    birth_date_of,
    expiry_year_plausible,
    same_birthday,
)
from kiosk.card_reader.era import Era, era_yymmdd

__all__ = ["DOMINANCE", "MARGIN", "MIN_FRAMES", "CardFaceEvidence", "CardFaceReading"]

# Tesseract can be sure of a wrong digit, and a card held still under the same light and
# blur can be misread the same way several times in a row: four frames must agree, two
# frames' worth ahead (with three, the bench on a loaded machine, where few frames are read
# within the 3 s, saw 2 wrong readings in 100 held cards)
MIN_FRAMES = 4  # frames that must agree on a unit
MARGIN = 2.0  # how far (in frames' worth) the leading value must be ahead of the next
DOMINANCE = 3.0  # the leader's support over that of all rival values together
_BIRTHDAY_TWINS = {"birth_month": "expiry_month", "birth_day": "expiry_day"}
_BIRTHDAY_UNITS = ("birth_month", "birth_day", "expiry_month", "expiry_day")


@dataclass(frozen=True)
class CardFaceReading:
    """The three parts of 照合番号B as read; ``repr`` shows none of them."""

    birth_date: dt.date
    expiry_year: int
    security_code: str

    def __repr__(self) -> str:
        return "CardFaceReading(<hidden>)"

    def number_b(self) -> bytearray:
        """The 14 digits for the card (the caller owns and wipes the buffer)."""
        return bytearray(
            f"{era_yymmdd(self.birth_date)}{self.expiry_year:04d}{self.security_code}",
            "ascii",
        )


def _weight(confidence: float) -> float:
    """A frame's vote counts 0.3–1 by how sure the recogniser was: a vote it doubted still
    counts against a rival value, so doubt never hides a disagreement."""
    return min(1.0, max(0.3, confidence / 100.0))


class CardFaceEvidence:
    """Votes per unit over the frames seen; ``reading()`` once they settle. Holds the values
    read in memory only, and ``clear()`` forgets them."""

    def __init__(self, today: dt.date | None = None, *, min_frames: int = MIN_FRAMES,
                 margin: float = MARGIN, dominance: float = DOMINANCE) -> None:
        self._today = today
        self._min_frames = min_frames
        self._margin = margin
        self._dominance = dominance
        self._support: dict[str, dict[object, float]] = {u: defaultdict(float) for u in UNITS}
        self._count: dict[str, dict[object, int]] = {u: defaultdict(int) for u in UNITS}
        self.frames = 0

    def __repr__(self) -> str:
        return f"CardFaceEvidence(frames={self.frames})"

    def add(self, fields: FrameFields) -> None:
        self.frames += 1
        for unit, vote in fields.votes.items():
            self._support[unit][vote.value] += _weight(vote.confidence)
            self._count[unit][vote.value] += 1

    def clear(self) -> None:
        for unit in UNITS:
            self._support[unit].clear()
            self._count[unit].clear()
        self.frames = 0

    def _ranked(self, unit: str) -> list[tuple[object, float, int]]:
        """(value, support, frames) best first. The birth's month and day also count the
        expiry's votes for the same value when both lead with it: the expiry printed the
        same birthday on another line (this only ever adds agreeing evidence; a card whose
        expiry is not a birthday simply gets no help)."""
        support = dict(self._support[unit])
        count = dict(self._count[unit])
        twin = _BIRTHDAY_TWINS.get(unit)
        if twin is not None and support and self._support[twin]:
            lead = max(support, key=lambda value: support[value])
            twin_lead = max(self._support[twin], key=lambda value: self._support[twin][value])
            if lead == twin_lead:
                support[lead] += self._support[twin][lead]
                count[lead] += self._count[twin][lead]
        ranked = sorted(support, key=lambda value: support[value], reverse=True)
        return [(value, support[value], count[value]) for value in ranked]

    def leading(self, unit: str) -> object | None:
        """The unit's value with the most support so far (settled or not)."""
        ranked = self._ranked(unit)
        return ranked[0][0] if ranked else None

    def settled(self, unit: str) -> object | None:
        """The unit's value if enough frames agree, it leads the next by the margin and it
        dominates all rivals together."""
        ranked = self._ranked(unit)
        if not ranked:
            return None
        value, best, frames = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        rivals = sum(support for _, support, _ in ranked[1:])
        if frames < self._min_frames or best - runner_up < self._margin:
            return None
        return value if best >= self._dominance * rivals else None

    def unanimous(self, unit: str) -> bool:
        """Whether every frame that read ``unit`` read the same value."""
        return len(self._count[unit]) == 1

    def reading(self) -> CardFaceReading | None:
        """照合番号B once every part is settled and possible; else None."""
        era, year = self.settled("era"), self.settled("birth_year")
        expiry, code = self.settled("expiry_year"), self.settled("code")
        month, day = self.settled("birth_month"), self.settled("birth_day")
        if month is not None and day is not None:
            # the expiry's month and day, as far as they are read, must be the birthday, or
            # the birth's own evidence must be twice as strong
            on_expiry = (self.leading("expiry_month"), self.leading("expiry_day"))
            if None not in on_expiry and not same_birthday((month, day), on_expiry):
                clear = all(self.unanimous(unit) for unit in _BIRTHDAY_UNITS) and None not in (
                    self.settled("expiry_month"), self.settled("expiry_day"))
                if not clear:
                    return None
        if not (isinstance(era, Era) and isinstance(year, int) and isinstance(month, int)
                and isinstance(day, int) and isinstance(expiry, int)
                and isinstance(code, str)):
            return None
        birth = birth_date_of(era, year, month, day, self._today)
        if birth is None or not expiry_year_plausible(expiry, self._today):
            return None
        return CardFaceReading(birth, expiry, code)

