"""Find the card in a camera frame, straighten it, read the three parts of 照合番号B.

The card's front (ID-1, 85.6 x 54 mm) is printed in a fixed layout: the birth date line under
the address on the left, the expiry ("…まで有効") in a box below it, the photo on the right
with the 4-digit security code under it. After straightening, generous boxes around those
places are cut out, stacked into one strip and read by Tesseract in one call (Japanese data,
characters limited to what those lines may hold); the text is then checked like a form: a
real era date, a plausible expiry year, exactly four digits.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.card_ocr.tesseract import OcrTimeoutError, OcrUnavailableError, recognise
from kiosk.card_reader.era import Era, era_yymmdd

__all__ = ["CardFaceReading", "OcrUnavailableError", "find_card", "read_card_face"]

WIDTH, HEIGHT = 1000, 631  # the straightened card
ASPECT = WIDTH / HEIGHT
# Where the parts are printed, as fractions of the card (left, top, right, bottom), with room
# for a card that is not quite straightened.
BIRTH_BOX = (0.0, 0.36, 0.47, 0.53)
EXPIRY_BOX = (0.0, 0.50, 0.60, 0.64)
CODE_BOX = (0.64, 0.64, 0.98, 0.80)
# Where the screen's guide asks the resident to hold the card (fractions of the frame); used
# when no card outline is found.
GUIDE_BOX = (0.12, 0.16, 0.88, 0.84)
_WHITELIST = "0123456789年月日生元大正昭和平成令まで有効"
_ERA_END = {Era.TAISHO: dt.date(1926, 12, 24), Era.SHOWA: dt.date(1989, 1, 7),
            Era.HEISEI: dt.date(2019, 4, 30), Era.REIWA: dt.date(2200, 1, 1)}


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


# An era is named by two kanji; a blurred one often loses one of them. A kanji that belongs to
# one era only still names it (和 is in both 昭和 and 令和, so alone it names none).
_ERA_CUES = {"大正": Era.TAISHO, "昭和": Era.SHOWA, "平成": Era.HEISEI, "令和": Era.REIWA,
             "大": Era.TAISHO, "正": Era.TAISHO, "昭": Era.SHOWA, "平": Era.HEISEI,
             "成": Era.HEISEI, "令": Era.REIWA}


def parse_birth_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """``昭和55年 2月17日生`` (spaces, 元 for year 1) -> the Gregorian date, if it is real.

    A lone 和 (昭和 or 令和 with one kanji lost) is taken only when one of the two gives the
    birth date of someone old enough (15) to hold a signature certificate.
    """
    flat = re.sub(r"\s+", "", text)
    match = re.search(r"(大正|昭和|平成|令和|大|正|昭|平|成|令|和)(元|\d{1,2})年(\d{1,2})月"
                      r"(\d{1,2})日", flat)
    if match is None:
        return None
    cue = match.group(1)
    eras = [Era.SHOWA, Era.REIWA] if cue == "和" else [_ERA_CUES[cue]]
    year = 1 if match.group(2) == "元" else int(match.group(2))
    latest = (today or dt.date.today()) - dt.timedelta(days=365 * 15)
    found = []
    for era in eras:
        try:
            date = dt.date(era.first_day.year + year - 1, int(match.group(3)),
                           int(match.group(4)))
        except ValueError:
            continue
        if era.first_day <= date <= _ERA_END[era] and (cue != "和" or date <= latest):
            found.append(date)
    return found[0] if len(found) == 1 else None


def parse_expiry_year(text: str, today: dt.date | None = None) -> int | None:
    """``2035年 2月17日まで有効`` -> 2035 (a year a valid card may have)."""
    flat = re.sub(r"\s+", "", text)
    match = re.search(r"(20\d\d)年(?:\d{1,2}月\d{1,2}日)?(?:まで|有効)", flat) \
        or re.search(r"(20\d\d)年\d{1,2}月\d{1,2}日", flat)
    if match is None:
        return None
    year = int(match.group(1))
    now = (today or dt.date.today()).year
    return year if 2015 <= year <= now + 11 else None


def parse_security_code(text: str) -> str | None:
    """Exactly four digits on their own."""
    found = re.findall(r"(?<!\d)\d{4}(?!\d)", re.sub(r"[ \t]", "", text))
    return found[0] if len(found) == 1 else None


def _order(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    pts = points.reshape(4, 2).astype(np.float32)
    by_sum = pts.sum(axis=1)
    by_diff = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(by_sum)], pts[np.argmin(by_diff)],
                     pts[np.argmax(by_sum)], pts[np.argmax(by_diff)]], dtype=np.float32)


def _plausible(quad: np.ndarray, frame_area: float) -> float | None:
    """How far ``quad``'s shape is from a card's (lower is better), or None if it is no card."""
    top = float(np.linalg.norm(quad[1] - quad[0]))
    side = float(np.linalg.norm(quad[3] - quad[0]))
    area = cv2.contourArea(quad)
    if side <= 0 or not 0.12 * frame_area < area < 0.95 * frame_area:
        return None
    ratio = top / side
    return abs(ratio - ASPECT) if 1.15 < ratio < 2.2 else None


def _quads(mask: np.ndarray) -> list[np.ndarray]:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        found.append(_order(approx) if len(approx) == 4
                     else _order(cv2.boxPoints(cv2.minAreaRect(hull))))
    return found


def _quad(gray: np.ndarray) -> np.ndarray | None:
    """The card's corners: from its edges, or from it being lighter than what is around it."""
    h, w = gray.shape
    even = cv2.normalize(cv2.GaussianBlur(gray, (5, 5), 0), None, 0, 255, cv2.NORM_MINMAX)
    median = float(np.median(even))
    edges = cv2.Canny(even, max(10.0, 0.5 * median), max(30.0, 1.2 * median))
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    light = cv2.threshold(even, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    light = cv2.morphologyEx(light, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    best: tuple[float, np.ndarray] | None = None
    for mask in (edges, light):
        for quad in _quads(mask):
            score = _plausible(quad, float(w * h))
            if score is not None and (best is None or score < best[0]):
                best = (score, quad)
    return None if best is None else best[1]


def find_card(frame: np.ndarray) -> tuple[np.ndarray, bool]:
    """The straightened card (BGR, WIDTH x HEIGHT) and whether its outline was found (else
    the guide's area is used)."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    quad = _quad(gray)
    found = quad is not None
    if quad is None:
        h, w = gray.shape
        left, top, right, bottom = GUIDE_BOX
        quad = np.array([[left * w, top * h], [right * w, top * h], [right * w, bottom * h],
                         [left * w, bottom * h]], dtype=np.float32)
    target = np.array([[0, 0], [WIDTH - 1, 0], [WIDTH - 1, HEIGHT - 1], [0, HEIGHT - 1]],
                      dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    card = cv2.warpPerspective(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), matrix, (WIDTH, HEIGHT))
    return card, found


def _crop(gray: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    left, top, right, bottom = box
    return gray[int(top * HEIGHT):int(bottom * HEIGHT), int(left * WIDTH):int(right * WIDTH)]


def _sharpened(gray: np.ndarray) -> np.ndarray:
    """Even light, bigger, crisper: for Tesseract's own binarisation."""
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 8))
    even = clahe.apply(cv2.fastNlMeansDenoising(gray, None, 7))
    big = cv2.resize(even, None, fx=1.6, fy=1.6, interpolation=cv2.INTER_CUBIC)
    soft = cv2.GaussianBlur(big, (0, 0), 2.0)
    return cv2.addWeighted(big, 1.8, soft, -0.8, 0)


def _binarised(gray: np.ndarray) -> np.ndarray:
    """Even out light and glare, then black text on white."""
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 8))
    even = clahe.apply(gray)
    background = cv2.medianBlur(even, 31)
    flat = cv2.divide(even, background, scale=255)
    return cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


def _strip(card: np.ndarray, clean: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    parts = [clean(_crop(gray, box)) for box in (BIRTH_BOX, EXPIRY_BOX, CODE_BOX)]
    width = max(part.shape[1] for part in parts)
    gap = np.full((30, width), 255, np.uint8)
    rows: list[np.ndarray] = []
    for part in parts:
        pad = np.full((part.shape[0], width - part.shape[1]), 255, np.uint8)
        rows += [np.hstack([part, pad]), gap]
    return np.vstack([gap, *rows])


def _fields(lines: list[str], today: dt.date | None
            ) -> tuple[dt.date | None, int | None, str | None]:
    birth = expiry = code = None
    for line in lines:
        date = parse_birth_date(line, today)
        if date is not None:
            birth = birth or date
            continue
        year = parse_expiry_year(line, today)
        if year is not None:
            expiry = expiry or year
            continue
        if "年" not in line and "月" not in line:
            code = code or parse_security_code(line)
    return birth, expiry, code


def read_card_face(frame: np.ndarray, today: dt.date | None = None
                   ) -> CardFaceReading | None:
    """Read 照合番号B's parts from an RGB frame showing the card's front; None when any part
    is missing or not plausible. Raises ``OcrUnavailableError`` when Tesseract cannot run."""
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 \
            or frame.dtype != np.uint8 or min(frame.shape[:2]) < 120:
        return None
    card, _ = find_card(frame)
    birth: dt.date | None = None
    expiry: int | None = None
    code: str | None = None
    # Each way of cleaning the picture suits other damage (blur, glare, dim light); a part is
    # taken from the first that reads it plausibly.
    for clean in (_sharpened, _binarised):
        try:
            text = recognise(_strip(card, clean), whitelist=_WHITELIST)
        except OcrTimeoutError:
            return None  # the next frame gets another chance
        found = _fields([line for line in text.splitlines() if line.strip()], today)
        birth, expiry, code = birth or found[0], expiry or found[1], code or found[2]
        if birth is not None and expiry is not None and code is not None:
            return CardFaceReading(birth, expiry, code)
    return None


def timed_read(frame: np.ndarray, today: dt.date | None = None
               ) -> tuple[CardFaceReading | None, float]:
    """``read_card_face`` and the seconds it took."""
    start = time.monotonic()
    reading = read_card_face(frame, today)
    return reading, time.monotonic() - start
