"""What one frame says about 照合番号B's parts, checked like a form.

A recognised line is told apart by what it says: the birth date (an era, ``年 月 日``,
``生``), the expiry (a four-digit year, ``まで有効``) or the security code (four digits alone,
under the photo). Each part is split into the units that are voted on across frames (the era,
the era year, month and day of birth; the expiry's year, month and day; the code), each with
how sure the recogniser was of its weakest character. What cannot be true is dropped here: an
era year the era never had, a 30 February, a card that expired or would outlive the 10-year
rule, a code that is not exactly four digits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kiosk.card_ocr.tesseract import Recognised
from kiosk.card_reader.era import Era

__all__ = ["ERA_END", "SIGNATURE_AGE", "UNITS", "FrameFields", "Vote", "birth_date_of",
           "expiry_year_plausible", "fields_of_lines", "parse_birth_date", "parse_expiry_year",
           "parse_security_code", "same_birthday"]

ERA_END = {Era.TAISHO: dt.date(1926, 12, 24), Era.SHOWA: dt.date(1989, 1, 7),
           Era.HEISEI: dt.date(2019, 4, 30), Era.REIWA: dt.date(2200, 1, 1)}
# The voted units: the birth date's era, era year, month, day; the expiry's year, month, day;
# the security code. The expiry's month and day are not part of 照合番号B; they cross-check
# the birth date's (a card runs to a birthday: docs/residents.md).
UNITS = ("era", "birth_year", "birth_month", "birth_day", "expiry_year", "expiry_month",
         "expiry_day", "code")
# A signature certificate is issued from the age of 15 (docs/residents.md): a card whose
# holder is younger has no signature PIN to reset, so such a birth date is a misreading.
SIGNATURE_AGE = 15

# An era is named by two kanji; a blurred one often loses one of them. A kanji that belongs to
# one era only still names it (和 is in both 昭和 and 令和, so alone it names none).
_ERA_CUES = {"大正": Era.TAISHO, "昭和": Era.SHOWA, "平成": Era.HEISEI, "令和": Era.REIWA,
             "大": Era.TAISHO, "正": Era.TAISHO, "昭": Era.SHOWA, "平": Era.HEISEI,
             "成": Era.HEISEI, "令": Era.REIWA}
_BIRTH = re.compile(r"(大正|昭和|平成|令和|大|正|昭|平|成|令|和)?(?<!\d)(元|\d{1,2})年"
                    r"(\d{1,2})月(\d{1,2})日")
# the last four digits before 年: a rule of the expiry's box read as a leading 1 is harmless
_EXPIRY = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_EXPIRY_YEAR_ONLY = re.compile(r"(\d{4})年")
_CODE = re.compile(r"(?<!\d)\d{4}(?!\d)")


@dataclass(frozen=True, slots=True, repr=False)
class Vote:
    """One frame's reading of one unit, and how sure the recogniser was (0–100)."""

    value: object
    confidence: float

    def __repr__(self) -> str:
        return "Vote(<hidden>)"


@dataclass(slots=True, repr=False)
class FrameFields:
    """The units one frame gave (a unit it did not give plausibly is absent)."""

    votes: dict[str, Vote] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"FrameFields({sorted(self.votes)})"

    def same_birthday(self) -> bool:
        """Whether this frame read the birth's month and day, and the expiry's as the same
        birthday (a card runs to a birthday; 29 February to 28 February or 1 March)."""
        units = ("birth_month", "birth_day", "expiry_month", "expiry_day")
        if any(unit not in self.votes for unit in units):
            return False
        month, day, on_month, on_day = (self.votes[unit].value for unit in units)
        return same_birthday((month, day), (on_month, on_day))


def same_birthday(birth: tuple[object, object], expiry: tuple[object, object]) -> bool:
    """Whether an expiry on ``expiry`` (month, day) is the birthday ``birth``; a 29 February
    birthday falls on 28 February or 1 March in other years."""
    if birth == expiry:
        return True
    return birth == (2, 29) and expiry in ((2, 28), (3, 1))


def _compact(line: Recognised) -> tuple[str, list[float]]:
    """The text without spaces, with the confidence of each character left."""
    kept = [(char, conf) for char, conf in zip(line.text, line.confidences, strict=False)
            if not char.isspace()]
    return "".join(c for c, _ in kept), [conf for _, conf in kept]


def _span_confidence(confidences: list[float], start: int, end: int) -> float:
    return min(confidences[start:end], default=0.0)


def birth_date_of(era: Era, year: int, month: int, day: int, today: dt.date | None = None,
                  *, youngest: int = SIGNATURE_AGE) -> dt.date | None:
    """The Gregorian date of an era date if it is a real day of that era and the holder is at
    least ``youngest`` years old; else None."""
    try:
        date = dt.date(era.first_day.year + year - 1, month, day)
    except ValueError:
        return None
    latest = (today or dt.date.today()) - dt.timedelta(days=round(365.25 * youngest))
    if not era.first_day <= date <= min(ERA_END[era], latest):
        return None
    return date


def expiry_year_plausible(year: int, today: dt.date | None = None) -> bool:
    """A card in use has not expired, and runs at most to the 10th birthday after its issue
    (5th for minors): so its expiry year is this year or one of the next ten."""
    now = (today or dt.date.today()).year
    return now <= year <= now + 10


def _birth_votes(text: str, confidences: list[float], today: dt.date | None
                 ) -> dict[str, Vote]:
    match = _BIRTH.search(text)
    if match is None:
        return {}
    year = 1 if match.group(2) == "元" else int(match.group(2))
    month, day = int(match.group(3)), int(match.group(4))
    if not (1 <= year <= 64 and 1 <= month <= 12 and 1 <= day <= 31):
        return {}
    cue = match.group(1)
    era = _ERA_CUES.get(cue) if cue else None
    if era is not None and birth_date_of(era, year, month, day, today) is None:
        return {}  # not a day of that era: some part was misread
    possible = [e for e in Era if birth_date_of(e, year, month, day, today) is not None]
    if era is None and not possible:
        return {}
    votes = {
        "birth_year": Vote(year, _span_confidence(confidences, *match.span(2))),
        "birth_month": Vote(month, _span_confidence(confidences, *match.span(3))),
        "birth_day": Vote(day, _span_confidence(confidences, *match.span(4))),
    }
    if era is not None:
        votes["era"] = Vote(era, _span_confidence(confidences, *match.span(1)))
    elif len(possible) == 1:
        # the era's kanji lost (blurred, or a lone 和), but only one era has this year for
        # someone old enough (昭和 alone reached a 32nd year): the year names it
        votes["era"] = Vote(possible[0], _span_confidence(confidences, *match.span(2)))
    return votes


def _expiry_votes(text: str, confidences: list[float], today: dt.date | None
                  ) -> dict[str, Vote]:
    match = _EXPIRY.search(text)
    votes: dict[str, Vote] = {}
    if match is not None:
        month, day = int(match.group(2)), int(match.group(3))
        if 1 <= month <= 12 and 1 <= day <= 31:
            votes["expiry_month"] = Vote(month, _span_confidence(confidences, *match.span(2)))
            votes["expiry_day"] = Vote(day, _span_confidence(confidences, *match.span(3)))
    else:
        match = _EXPIRY_YEAR_ONLY.search(text)
        if match is None or not ("まで" in text or "有効" in text):
            return {}
    year = int(match.group(1))
    if expiry_year_plausible(year, today):
        votes["expiry_year"] = Vote(year, _span_confidence(confidences, *match.span(1)))
    return votes


def fields_of_lines(lines: list[tuple[str, Recognised]], today: dt.date | None = None
                    ) -> FrameFields:
    """The units found in one frame's recognised lines (``region``, line); a unit found twice
    in one frame (two lines claiming it) is dropped: the frame is unsure of it."""
    found = FrameFields()
    doubtful: set[str] = set()
    for region, line in lines:
        text, confidences = _compact(line)
        if region == "code":
            codes = _CODE.findall(text)
            votes = {"code": Vote(codes[0], min(confidences))} if len(codes) == 1 \
                and len(text) == 4 else {}
        elif _EXPIRY_YEAR_ONLY.search(text):
            votes = _expiry_votes(text, confidences, today)
        else:
            votes = _birth_votes(text, confidences, today)
        for unit, vote in votes.items():
            if unit in found.votes:
                doubtful.add(unit)
            found.votes[unit] = vote
    for unit in doubtful:
        del found.votes[unit]
    return found


# --- the plain parsers, for one printed text (also the typed way's checks) --------------------

def parse_birth_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """``昭和55年 2月17日生`` (spaces, 元 for year 1) -> the Gregorian date, if it is real.

    A lone 和 (昭和 or 令和 with one kanji lost) is taken only when just one of the two gives
    the birth date of someone old enough for a signature certificate."""
    flat = re.sub(r"\s+", "", text)
    match = _BIRTH.search(flat)
    if match is None or match.group(1) is None:
        return None
    cue = match.group(1)
    eras = [Era.SHOWA, Era.REIWA] if cue == "和" else [_ERA_CUES[cue]]
    year = 1 if match.group(2) == "元" else int(match.group(2))
    youngest = SIGNATURE_AGE if cue == "和" else 0
    dates = [date for era in eras
             if (date := birth_date_of(era, year, int(match.group(3)), int(match.group(4)),
                                       today, youngest=youngest)) is not None]
    return dates[0] if len(dates) == 1 else None


def parse_expiry_year(text: str, today: dt.date | None = None) -> int | None:
    """``2035年 2月17日まで有効`` -> 2035 (a year a valid card may have)."""
    flat = re.sub(r"\s+", "", text)
    match = _EXPIRY.search(flat) or _EXPIRY_YEAR_ONLY.search(flat)
    if match is None:
        return None
    year = int(match.group(1))
    return year if expiry_year_plausible(year, today) else None


def parse_security_code(text: str) -> str | None:
    """Exactly four digits on their own."""
    found = _CODE.findall(re.sub(r"[ \t]", "", text))
    return found[0] if len(found) == 1 else None
