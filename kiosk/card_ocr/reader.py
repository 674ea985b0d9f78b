"""One camera frame -> what it says about 照合番号B.

``read_frame`` straightens the card (``card_image``), cuts out the text lines of the dates
region and of the code region, cleans each (even light, calmed noise, scaled, crisped) and
has Tesseract read it as one line (a card smeared by motion or out of focus is first
restored: ``restore``), limited to the characters such a line may hold: the Japanese model
for the date lines (era kanji, 年 月 日, まで有効), the English model with digits only for
the security code (its digits are Latin), read at two sizes that must agree. ``fields``
turns the lines into checked votes. The scanner combines frames (``evidence``);
``read_card_face`` is the one-frame reading, kept strict.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from kiosk.card_ocr.card_image import (
    CARD_HEIGHT,
    FrameQuality,
    clean_line,
    frame_quality,
    straighten,
    text_lines,
)
from kiosk.card_ocr.evidence import CardFaceEvidence, CardFaceReading
from kiosk.card_ocr.fields import FrameFields, fields_of_lines
from kiosk.card_ocr.restore import deblur_defocus, deblur_motion, estimate_defocus, estimate_motion
from kiosk.card_ocr.tesseract import Recognised, recogniser

__all__ = ["CardFaceReading", "FrameFields", "is_frame", "read_card", "read_card_face",
           "read_frame"]

# The space belongs in every list: without it Tesseract's line model is forced to read the
# printed padding (" 9月") as no gap and doubts the digit beside it.
_DATES_CHARACTERS = "0123456789年月日生元大正昭和平成令まで有効性別男女 "
_DIGITS = "0123456789 "
# The two reads of the security code: (model, text height in pixels). Both must agree (see
# ``_code``). On frames of the testbed's cards the English model alone misread a code on one
# frame in ten at 40 px and on a few in a hundred at 24-32 px, never at two sizes alike; the
# Japanese model, a more independent second look, lost a third of the blurred codes.
_CODE_READS = (("eng", 24), ("eng", 32))
_TEXT_BAND = (0.30, 0.90)  # rows of the card that hold the dates and the code
# The defocus undone, in pixels of the straightened card. The estimate tells a defocused card
# from a sharp one but saturates on text (it reads 1.4-1.5 for blurs of 2 to 3 px), so the
# restoration uses one middling width; too narrow a width only restores less.
_DEFOCUS_SIGMA = 2.0
_LINE_TIMEOUT = 1.0  # seconds for one line; a busier machine skips the frame
# A single frame's reading is used alone only when the recogniser was this sure of every part
_ONE_FRAME_CONFIDENCE = 90.0


def is_frame(frame: object) -> bool:
    """An RGB ``uint8`` picture big enough to hold a card."""
    return (isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3
            and frame.dtype == np.uint8 and min(frame.shape[:2]) >= 120)


def _mean_confidence(read: Recognised) -> float:
    return sum(read.confidences) / len(read.confidences) if read.confidences else 0.0


def read_card(card: np.ndarray, today: dt.date | None = None) -> FrameFields:
    """The units of 照合番号B the straightened grey ``card`` shows. Raises
    ``OcrUnavailableError`` when Tesseract cannot run (``OcrTimeoutError`` when too slow)."""
    top, bottom = int(_TEXT_BAND[0] * CARD_HEIGHT), int(_TEXT_BAND[1] * CARD_HEIGHT)
    motion = estimate_motion(card[top:bottom])
    plain = None
    if motion is not None:
        # restored with the estimated streak; the plain card stays a second opinion, as a
        # streak misjudged by some degrees can make a line worse instead of better
        plain, card = card, card.copy()
        card[top:bottom] = deblur_motion(card[top:bottom], motion)
    elif estimate_defocus(card[top:bottom]) is not None:
        # out of focus: restored with a middling blur, the plain card again a second opinion
        plain, card = card, card.copy()
        card[top:bottom] = deblur_defocus(card[top:bottom], _DEFOCUS_SIGMA)
    lines: list[tuple[str, Recognised]] = []
    for line in text_lines(card, plain):
        images = [image for image in (line.image, line.alternative) if image is not None]
        if line.region == "code":
            lines.append((line.region, _code(images)))
            continue
        reads = [recogniser("jpn").read_line(clean_line(image), whitelist=_DATES_CHARACTERS,
                                             timeout=_LINE_TIMEOUT) for image in images]
        lines.append((line.region, max(reads, key=_mean_confidence)))
    return fields_of_lines(lines, today)


def _code_read(image: np.ndarray, language: str, height: int) -> Recognised:
    return _digits_only(recogniser(language).read_line(
        clean_line(image, height=height), whitelist=_DIGITS, timeout=_LINE_TIMEOUT))


def _code(images: list[np.ndarray]) -> Recognised:
    """The code line read twice, at two sizes (``_CODE_READS``); what the two reads do not
    both say is not read. Tesseract misreads a digit of a given shape at a given size again
    and again, with full confidence (a serif 5 as 9 at 40 px): the frames' votes cannot
    outvote that, a second look at another size can.
    (Of a line cut twice, the cut the first model was surer of gets the second look.)"""
    (language, height), (other, other_height) = _CODE_READS
    image, first = max(((image, _code_read(image, language, height)) for image in images),
                       key=lambda pair: _mean_confidence(pair[1]))
    second = _code_read(image, other, other_height)
    if first.text != second.text:
        return Recognised("", ())
    return Recognised(first.text, tuple(map(min, first.confidences, second.confidences)))


def _digits_only(read: Recognised) -> Recognised:
    kept = [(char, confidence) for char, confidence in zip(read.text, read.confidences,
                                                           strict=False) if not char.isspace()]
    return Recognised("".join(char for char, _ in kept), tuple(c for _, c in kept))


def read_frame(frame: np.ndarray, today: dt.date | None = None
               ) -> tuple[FrameFields, FrameQuality]:
    """The units one RGB frame shows, and how readable it was."""
    card, found = straighten(frame)
    quality = frame_quality(card)
    if not found:
        quality = FrameQuality(False, quality.sharpness, quality.contrast)
    return read_card(card, today), quality


def read_card_face(frame: np.ndarray, today: dt.date | None = None
                   ) -> CardFaceReading | None:
    """照合番号B from one RGB frame showing the card's front, when every part is read with
    high confidence and is possible; else None. Raises ``OcrUnavailableError`` when
    Tesseract cannot run. (The kiosk's scanner combines frames instead.)"""
    if not is_frame(frame):
        return None
    fields, _ = read_frame(frame, today)
    if any(vote.confidence < _ONE_FRAME_CONFIDENCE for vote in fields.votes.values()):
        return None
    # one frame has no second look: the expiry line must show the same birthday
    if not fields.same_birthday():
        return None
    evidence = CardFaceEvidence(today, min_frames=1, margin=0.9)
    evidence.add(fields)
    return evidence.reading()
