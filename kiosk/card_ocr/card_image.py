"""The card in a camera frame: found, straightened, judged for sharpness, cut into the text
lines that hold 照合番号B's parts, and cleaned for recognition.

The card's front (ID-1, 85.6 x 54 mm) has a fixed layout: the birth date under the address
on the left, the expiry ("…まで有効") in a box below it, the photo on the right with the
4-digit security code under it. Only that much of the layout is assumed: the lines are found
inside generous regions by where the ink is, not at fixed pixel positions, and each line is
recognised whole and told apart by what it says (``fields``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["CARD_HEIGHT", "CARD_WIDTH", "GUIDE_BOX", "FrameQuality", "TextLine",
           "clean_line", "find_card", "frame_quality", "straighten", "straighten_measured",
           "text_lines"]

CARD_WIDTH, CARD_HEIGHT = 1000, 631  # the straightened card
ASPECT = CARD_WIDTH / CARD_HEIGHT
# Where the screen's guide asks the resident to hold the card (fractions of the frame); used
# when no card outline is found.
GUIDE_BOX = (0.12, 0.16, 0.88, 0.84)
# Regions of the straightened card (left, top, right, bottom fractions), generous enough for
# a card that is not quite straightened: the dates (birth line and the expiry box) on the
# left, the security code under the photo on the right.
DATES_REGION = (0.0, 0.33, 0.66, 0.70)
CODE_REGION = (0.60, 0.60, 1.0, 0.88)
# Text on the card is 3–8 % of the card's height; taller or thinner bands are no text line.
_LINE_MIN, _LINE_MAX = 0.025, 0.11
_FIND_SCALE = 0.5  # the outline is looked for in a half-size frame (enough, and 4x faster)


# --- finding and straightening the card ---------------------------------------------------------

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
    if side <= 0 or not 0.04 * frame_area < area < 0.95 * frame_area:
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
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    light = cv2.threshold(even, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    light = cv2.morphologyEx(light, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    best: tuple[float, np.ndarray] | None = None
    for mask in (edges, light):
        for quad in _quads(mask):
            score = _plausible(quad, float(w * h))
            if score is not None and (best is None or score < best[0]):
                best = (score, quad)
    return None if best is None else best[1]


def straighten(frame: np.ndarray) -> tuple[np.ndarray, bool]:
    """The card as a grey CARD_WIDTH x CARD_HEIGHT picture, and whether its outline was found
    (else the guide's area is used). ``frame`` is RGB ``uint8``."""
    card, found, _ = straighten_measured(frame)
    return card, found


def straighten_measured(frame: np.ndarray) -> tuple[np.ndarray, bool, float]:
    """``straighten``, and the found card's width as a share of the frame's width (0.0 when
    its outline was not found): how far the resident holds the card from the camera."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(gray, None, fx=_FIND_SCALE, fy=_FIND_SCALE, interpolation=cv2.INTER_AREA)
    quad = _quad(small)
    found = quad is not None
    share = 0.0
    if quad is None:
        h, w = gray.shape
        left, top, right, bottom = GUIDE_BOX
        quad = np.array([[left * w, top * h], [right * w, top * h], [right * w, bottom * h],
                         [left * w, bottom * h]], dtype=np.float32)
    else:
        quad = quad / _FIND_SCALE
        top_edge = float(np.linalg.norm(quad[1] - quad[0]))
        bottom_edge = float(np.linalg.norm(quad[2] - quad[3]))
        share = max(top_edge, bottom_edge) / gray.shape[1]
    target = np.array([[0, 0], [CARD_WIDTH - 1, 0], [CARD_WIDTH - 1, CARD_HEIGHT - 1],
                       [0, CARD_HEIGHT - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    card = cv2.warpPerspective(gray, matrix, (CARD_WIDTH, CARD_HEIGHT), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)
    return card, found, share


def find_card(frame: np.ndarray) -> tuple[np.ndarray, bool]:
    """The straightened card (BGR, CARD_WIDTH x CARD_HEIGHT) and whether its outline was
    found."""
    card, found = straighten(frame)
    return cv2.cvtColor(card, cv2.COLOR_GRAY2BGR), found


# --- how readable a frame is ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FrameQuality:
    """``sharpness``: the weakest of six directional gradient energies of the card's text
    band, relative to its contrast (defocus lowers all directions, motion blur the one it
    moves along); ``contrast``: ink to paper, 0–255 (low light and glare lower it)."""

    found: bool
    sharpness: float
    contrast: float

    @property
    def score(self) -> float:
        """Higher reads better: sharpness, held down when the contrast is poor."""
        return (self.sharpness * min(1.0, self.contrast / 40.0)) if self.found else 0.0


_DIRECTIONS = np.deg2rad(np.arange(0, 180, 30))


def frame_quality(card: np.ndarray) -> FrameQuality:
    """How readable the straightened grey ``card`` is (see ``FrameQuality``); ``found`` is
    left True: the caller knows whether the outline was found."""
    band = card[int(0.33 * CARD_HEIGHT):int(0.85 * CARD_HEIGHT)]
    half = cv2.resize(band, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    values = half.astype(np.float32)
    low, high = np.percentile(values, [2, 98])
    contrast = float(high - low)
    smooth = cv2.GaussianBlur(values, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1)
    energies = [float(np.mean(np.abs(np.cos(a) * gx + np.sin(a) * gy))) for a in _DIRECTIONS]
    return FrameQuality(True, min(energies) / max(contrast, 1.0), contrast)


# --- the text lines ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True, repr=False)
class TextLine:
    """A cut-out line of the card (grey): ``region`` is ``"dates"`` or ``"code"``;
    ``alternative``: the same place cut from another version of the card, if one was given."""

    region: str
    image: np.ndarray
    alternative: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"TextLine({self.region}, {self.image.shape})"


def _ratio(gray: np.ndarray, scale: float) -> np.ndarray:
    """Each pixel relative to the paper around it (paper about 1, ink well below): glare, dim
    light and the printed tint divide out. The paper's level is the local maximum, smoothed;
    it changes slowly, so it is worked out on a quarter-size picture."""
    values = gray.astype(np.float32) + 1.0
    h, w = values.shape
    small = cv2.resize(values, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    size = max(3, int(scale / 4) | 1)
    background = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    background = cv2.GaussianBlur(background, (0, 0), max(1.0, scale / 8))
    background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(values / np.maximum(background, 1.0), dtype=np.float32)


# A reflected light is not a dimmer or brighter paper but a veil of white laid over the card:
# ink under it is lifted towards the paper's level (a ratio of 0.85 instead of 0.1), so the
# ratio to the paper misses it. Within a text line's reach, the darkest ink nearby and the
# paper nearby set the local scale instead. Where that local range is below this many grey
# levels (or five times the noise), there is no ink, only the printed tint and noise.
_MIN_INK_CONTRAST = 15.0


def _lifted(gray: np.ndarray, scale: float) -> np.ndarray:
    """Each pixel placed between the darkest ink (0) and the paper (1) around it, over
    windows of about ``scale`` pixels (a line's height): ink under a reflection or in dim
    light comes out as dark as ink anywhere. 1 where the local range is too small to hold
    ink (see ``_MIN_INK_CONTRAST``). Worked out on a slightly smoothed picture: the printed
    tint's hairlines fade there, a character's strokes do not."""
    values = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.0)
    size = max(3, int(scale) | 1)
    window = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    soft = max(1.0, scale / 4)
    paper = cv2.GaussianBlur(cv2.dilate(values, window), (0, 0), soft)
    darkest = cv2.GaussianBlur(cv2.erode(values, window), (0, 0), soft)
    detail = gray.astype(np.float32) - values
    noise = 1.48 * float(np.median(np.abs(detail)))
    span = np.maximum(paper - darkest, max(_MIN_INK_CONTRAST, 5.0 * noise))
    return np.asarray(np.clip(1.0 - (paper - values) / span, 0.0, 1.0), dtype=np.float32)


def _stretched(ratio: np.ndarray) -> np.ndarray:
    low, high = np.percentile(ratio, [1, 99.5])
    stretched = (ratio - low) / max(float(high - low), 1e-3) * 255.0
    return np.asarray(np.clip(stretched, 0, 255), dtype=np.uint8)


def _with_lifted(ratio: np.ndarray, lifted: np.ndarray) -> np.ndarray:
    """``ratio`` (paper about 1) darkened where ``_lifted`` finds ink that a reflection
    lifted: dark if either view says so (the lifted view's middle range is eased in, so the
    printed tint and anti-aliased edges stay light)."""
    level = float(np.percentile(ratio, 90))  # the paper's ratio
    eased = np.clip((lifted - 0.1) / 0.3, 0.0, 1.0) * level
    return np.asarray(np.minimum(ratio, eased), dtype=np.float32)


def _flatten(gray: np.ndarray, scale: float) -> np.ndarray:
    """Divided by its own background, 0–255."""
    return _stretched(_ratio(gray, scale))


# Ink is printed dark: well under the paper's brightness even when blurred or dim (the photo's
# pale background and the card's tint stay above it).
_INK_RATIO = 0.7
# ... or, in the lifted view (``_lifted``), within a quarter of the way from the darkest ink
# around to the paper
_LIFTED_INK = 0.25


def _without_rules(ink: np.ndarray) -> np.ndarray:
    """``ink`` (255 = ink) without long straight lines (the expiry's box, the photo's frame):
    rules are no text and would join lines."""
    w = ink.shape[1]
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(9, w // 6)), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(9, int(0.09 * CARD_HEIGHT)), 1),
                                                         np.uint8))
    rules = cv2.dilate(cv2.bitwise_or(across, down), np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(ink, cv2.bitwise_not(rules))


def _bands(ink: np.ndarray) -> list[tuple[int, int]]:
    """Rows where a text line is: runs of rows with ink, of a text line's height."""
    w = ink.shape[1]
    profile = (ink > 0).sum(axis=1).astype(np.float32)
    profile = np.convolve(profile, np.ones(3) / 3, mode="same")
    rows = profile > max(2.0, 0.015 * w)
    bands: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate([*rows.tolist(), False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if bands and start - bands[-1][1] <= 2:  # a gap of a row or two splits nothing
                start = bands.pop()[0]
            bands.append((start, y))
            start = None
    low, high = _LINE_MIN * CARD_HEIGHT, _LINE_MAX * CARD_HEIGHT
    return [(top, bottom) for top, bottom in bands if low <= bottom - top <= high]


def _cut(card: np.ndarray, region: tuple[float, float, float, float], name: str,
         other: np.ndarray | None) -> list[TextLine]:
    left, top, right, bottom = region
    x0, x1 = int(left * CARD_WIDTH), int(right * CARD_WIDTH)
    y0, y1 = int(top * CARD_HEIGHT), int(bottom * CARD_HEIGHT)
    part = card[y0:y1, x0:x1]
    other_flat = None if other is None else _flatten(other[y0:y1, x0:x1], 0.08 * CARD_HEIGHT)
    ratio = _ratio(part, 0.08 * CARD_HEIGHT)
    lifted = _lifted(part, 0.08 * CARD_HEIGHT)
    flat = _stretched(_with_lifted(ratio, lifted))
    dark = np.where((cv2.GaussianBlur(ratio, (0, 0), 1.0) < _INK_RATIO)
                    | (lifted < _LIFTED_INK), np.uint8(255), np.uint8(0)).astype(np.uint8)
    ink = _without_rules(dark)
    rules = cv2.bitwise_and(dark, cv2.bitwise_not(ink))
    # rules painted as paper, so the recogniser sees only the text
    paper = np.where(rules > 0, np.uint8(255), flat).astype(np.uint8)
    lines = []
    for top_row, bottom_row in _bands(ink):
        margin = max(4, (bottom_row - top_row) // 3)
        rows = slice(max(0, top_row - margin), min(part.shape[0], bottom_row + margin))
        columns = np.flatnonzero(ink[top_row:bottom_row].any(axis=0))
        if columns.size == 0:
            continue
        first = max(0, int(columns[0]) - 2 * margin)
        last = min(part.shape[1], int(columns[-1]) + 2 * margin)
        alternative = None if other_flat is None else np.where(
            rules > 0, np.uint8(255), other_flat).astype(np.uint8)[rows, first:last]
        lines.append(TextLine(name, paper[rows, first:last], alternative))
    return lines


def text_lines(card: np.ndarray, other: np.ndarray | None = None) -> list[TextLine]:
    """The text lines of the dates region (top to bottom), then of the code region, found on
    ``card``; each also cut from ``other`` (the same card differently restored) if given."""
    return _cut(card, DATES_REGION, "dates", other) + _cut(card, CODE_REGION, "code", other)


def clean_line(line: np.ndarray, *, height: int = 40) -> np.ndarray:
    """A line made easy to read: even light (glare and dim light go), noise calmed where the
    light was low, the text scaled to about ``height`` pixels (much larger text makes
    Tesseract's line model misread digits), edges crisped (unsharp mask), the paper made
    white, with a white margin."""
    flat: np.ndarray = _flatten(line, max(15.0, 0.9 * line.shape[0])).astype(np.float32)
    # noise: the spread of what is left after a small blur, on the paper (bright) pixels
    detail = flat - cv2.GaussianBlur(flat, (0, 0), 1.0)
    paper = flat > np.percentile(flat, 60)
    noise = float(np.median(np.abs(detail[paper]))) * 1.48 if paper.any() else 0.0
    if noise > 6.0:
        flat = cv2.bilateralFilter(flat, 5, 3 * noise, 3)
    scale = height / max(1, line.shape[0] * 0.6)  # the ink is about 60 % of the cut's height
    scale = float(np.clip(scale, 0.5, 4.0))
    big = cv2.resize(flat, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    soft = cv2.GaussianBlur(big, (0, 0), 1.2 * scale)
    crisp = np.asarray(cv2.addWeighted(big, 1.7, soft, -0.7, 0), dtype=np.float32)
    crisp = crisp * (255.0 / max(float(np.percentile(crisp, 90)), 1.0))  # most of a line is paper
    out = np.asarray(np.clip(crisp, 0, 255), dtype=np.uint8)
    pad = max(8, out.shape[0] // 4)
    return cv2.copyMakeBorder(out, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
