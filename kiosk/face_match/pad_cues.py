"""The presentation-attack cues and the one score they make (``pad_score``).

Each cue measures a property every live head has and some attack lacks, in a physical unit,
against two documented references: ``live`` (what a head gives, towards its weak end) and
``attack`` (what the surface the cue is aimed at gives). Its **deficit** is how far the
measurement falls from ``live`` towards ``attack``, from 0 (live-like or better) to -1 (at or
beyond the attack reference):

    deficit = clip((value - live) / (live - attack), -1, 0)

(the same formula serves cues where more is live and cues where less is live). The **score** is
the sum of the deficits of the cues measured in a check; it passes at ``threshold`` (-0.5) or
above: one cue halfway to an attack, or two a quarter of the way, fail the check. A live face
may be weak on one cue by chance; no single strength makes up for another cue's failure,
because being live-like only ever scores 0. No cue looks for one generator's artefacts.

The cues:

- ``timing`` (illumination, see ``illumination``): correlation of the skin's colour with the
  screen's random colour code. Live 0.85, attack 0.5 (a recording, a replay or an injected
  stream that does not see the code: about 0).
- ``shading`` (illumination): the outer cheeks' answer to the screen's light over the inner
  cheeks'. Live 0.92, attack 1.05 (a flat print or screen facing the screen answers evenly: 1;
  a screen's veil gives more than 1; the sides of a head, turned away, answer less).
- ``parallax`` (3-D, see ``NoseParallax``): during the turns, how much further the nose tip
  moves than the points round it, per unit of landmark yaw, measured by tracking image
  points: the smaller of its lead over the nasion and upper lip (above and below it) and its
  lead over the cheeks (beside it); the lowest over the turns (a head shows its relief in
  every turn). On a head the tip stands 1.5-2 cm in front of both; paper bends one way only,
  so it cannot stand out both ways: bent round a head (which a turn needs) it is straight from
  brow to chin (nasion, tip and lip move together, whatever the bend does beside the nose),
  bent across it is straight from cheek to cheek. Live 0.05, attack 0.015. A turn whose
  tracks were lost before it reached 0.3 of landmark yaw is no evidence either way (a track lost
  later keeps the frames followed until then): the check asks for another turn (``FaceCheck``);
  a relief that no turn (and no depth frame) measured is unverified, a full deficit (-1), never
  part of a pass.
- ``depth_relief`` (depth camera, only with a depth stream): how far the nose tip stands in
  front of a smooth surface fitted to the cheeks, brow and chin round it, in millimetres.
  Live 12, attack 4 (a print, a screen, paper bent round a head: 0).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import Action
from kiosk.face_match.config import PadConfig
from kiosk.face_match.geometry import (
    EYE_L,
    EYE_R,
    NOSE,
    Points,
    five_points,
    interocular,
    yaw,
)
from kiosk.face_match.illumination import IlluminationResult

# Frames of a turn read: from this share of its largest yaw on, and from MIN_SAMPLE_TURN of
# landmark yaw (below it a nose's lead is a pixel or two, within the tracking's noise). Many
# frames make a steady median: the peak alone is the frame most distorted by the turn.
PEAK_SHARE = 0.4
MIN_SAMPLE_TURN = 0.2
# A track lost during a turn still gives a reading if it was followed to this landmark yaw
# (three quarters of a turn's threshold): a smaller turn moves the nose too little to tell.
MIN_TRACKED_TURN = 0.3
# Forward-backward tracking error (pixels) above which a point's track is lost.
BACKTRACK_PX = 1.0
# The tracked points after the nose tip (index 0): the midline above and below it, then beside.
MIDLINE = np.array([1, 2])
BESIDE = np.array([3, 4, 5, 6])


def deficit(value: float, live: float, attack: float) -> float:
    """0 when ``value`` is at ``live`` or beyond it (away from ``attack``), -1 at ``attack``
    or beyond it, linear in between."""
    return min(0.0, max(-1.0, (value - live) / (live - attack)))


@dataclass(frozen=True, slots=True)
class CueReading:
    name: str
    value: float
    deficit: float


@dataclass(frozen=True, slots=True)
class PadScore:
    readings: tuple[CueReading, ...]
    threshold: float

    @property
    def score(self) -> float:
        return sum(reading.deficit for reading in self.readings)

    @property
    def passed(self) -> bool:
        return self.score >= self.threshold

    def values(self) -> dict[str, float]:
        return {reading.name: reading.value for reading in self.readings}


def pad_score(
    config: PadConfig,
    *,
    illumination: IlluminationResult | None,
    parallax: float | None,
    depth_relief_mm: float | None = None,
) -> PadScore:
    """Combine the measured cues (None: not measured in this check, e.g. no depth camera)."""
    readings: list[CueReading] = []

    def add(name: str, value: float | None, live: float, attack: float) -> None:
        if value is not None and math.isfinite(value):
            readings.append(CueReading(name, value, deficit(value, live, attack)))
        elif value is not None:
            readings.append(CueReading(name, 0.0, -1.0))

    if illumination is not None:
        add("timing", illumination.timing, config.timing_live, config.timing_attack)
        if illumination.timing >= config.timing_attack:
            # The shading of an answer that is not there means nothing (it is noise).
            add("shading", illumination.shading, config.shading_live, config.shading_attack)
    if parallax is None:
        if depth_relief_mm is None:
            # No turn could be followed to its end and no depth camera measured the relief:
            # no evidence that a head is there, so no pass (the check asked for more turns).
            readings.append(CueReading("parallax", float("nan"), -1.0))
    else:
        add("parallax", parallax, config.parallax_live, config.parallax_attack)
    add("depth_relief", depth_relief_mm, config.depth_relief_live_mm,
        config.depth_relief_attack_mm)
    return PadScore(tuple(readings), config.threshold)


# --- parallax: the nose against its surroundings during turns -----------------------------------


class NoseParallax:
    """The nose tip's parallax against its surroundings through one turn, by tracking.

    From the neutral frame at the prompt, seven points are followed frame by frame with
    pyramidal Lucas-Kanade (seeded with the landmarks' overall motion, checked forwards and
    backwards): the nose tip, two on the face's midline (the nasion above it, the upper lip
    below it) and four beside it (two on each cheek). On a head the tip stands 1.5-2 cm in
    front of both groups, so a turn moves it further (about 0.35 inter-ocular distances x the
    sine of the turn). The tip's lead is the smaller of its leads over the two groups: paper,
    a developable surface, curves one way only, so the tip keeps up with the midline when the
    paper is bent round a head (a cylinder curving away beside the nose gives the cheek group
    a lead of its own: about a third of a head's on a tight bend) and with the cheeks when it
    is bent across. Image motion, not landmarks: a landmark model pulls a paper face's points
    towards a head's shape. ``value`` is the median, over the turn's frames from
    ``PEAK_SHARE`` of its peak and ``MIN_SAMPLE_TURN`` of yaw on, of that extra motion (in
    inter-ocular distances, towards the turn) per unit of landmark yaw, from the frames
    followed before any loss of the tracks; None when they were lost before the turn reached
    ``MIN_TRACKED_TURN``.
    """

    def __init__(self, grey: npt.NDArray[np.uint8], points: Points, action: Action) -> None:
        five = five_points(points)
        self._iod = interocular(five)
        self._across = (five[EYE_L] - five[EYE_R]) / self._iod
        down = np.array([-self._across[1], self._across[0]])
        self._wanted = 1.0 if action is Action.TURN_LEFT else -1.0
        # Above the tip, the nasion (between the eyes): the deepest point of the midline above
        # it; further down the ridge the nose itself stands out and the lead shrinks.
        if len(points) >= 68:
            nose, nasion, lip = points[30], points[27], (points[51] + points[33]) / 2
        else:
            eyes = (five[EYE_R] + five[EYE_L]) / 2
            mouth = (five[3] + five[4]) / 2
            nose, nasion, lip = five[NOSE], eyes + down * 0.05 * self._iod, (mouth + five[NOSE]) / 2
        marks = [nose, nasion, lip]
        for lift in (-0.1, 0.1):
            for side in (-1.0, 1.0):
                marks.append(nose + (self._across * 0.45 * side + down * lift) * self._iod)
        self._start = np.array(marks, dtype=np.float32).reshape(-1, 1, 2)
        self._points = self._start.copy()
        self._previous = grey
        self._previous_five = five
        self._base_yaw = yaw(points)
        self._base_nose = nose
        self._window = max(9, round(0.25 * self._iod) | 1)
        self._samples: list[tuple[float, float]] = []
        self.lost = False

    def update(self, grey: npt.NDArray[np.uint8], points: Points) -> None:
        if self.lost:
            return
        five = five_points(points)
        shift = (five.mean(axis=0) - self._previous_five.mean(axis=0)).astype(np.float32)
        window = (self._window, self._window)
        flags = cv2.OPTFLOW_USE_INITIAL_FLOW
        tracked, found, _ = cv2.calcOpticalFlowPyrLK(
            self._previous, grey, self._points, self._points + shift, winSize=window,
            maxLevel=3, flags=flags)
        moved = np.asarray(tracked, dtype=np.float32)
        back, _, _ = cv2.calcOpticalFlowPyrLK(
            grey, self._previous, moved, self._points.copy(), winSize=window, maxLevel=3,
            flags=flags)
        error = np.linalg.norm((back - self._points).reshape(-1, 2), axis=1)
        good = (found.reshape(-1) == 1) & (error < BACKTRACK_PX)
        self._previous, self._previous_five, self._points = grey, five, moved
        if not good[0] or not good[MIDLINE].any() or good[BESIDE].sum() < 2:
            self.lost = True
            return
        travel = (moved - self._start).reshape(-1, 2) @ self._across
        nose_now = points[30] if len(points) >= 68 else five[NOSE]
        landmark_travel = float(np.dot(nose_now - self._base_nose, self._across))
        if abs(travel[0] - landmark_travel) > 0.35 * self._iod:
            self.lost = True  # the nose track slipped off the nose
            return
        ahead = travel * self._wanted  # towards the turn: the smaller lead is the weaker relief
        lead = min(
            ahead[0] - float(np.median(ahead[MIDLINE][good[MIDLINE]])),
            ahead[0] - float(np.median(ahead[BESIDE][good[BESIDE]])),
        )
        turn = (yaw(points) - self._base_yaw) * self._wanted
        self._samples.append((turn, lead / self._iod))

    def value(self) -> float | None:
        """The reading from the frames tracked before any loss: a nose tip seen against the
        cheek at the turn's peak may lose its track there, and what was followed up to then
        is still a measurement, if the turn had got far enough (``MIN_TRACKED_TURN``)."""
        if not self._samples:
            return None
        peak = max(turn for turn, _ in self._samples)
        if self.lost and peak < MIN_TRACKED_TURN:
            return None
        ratios = [extra / turn for turn, extra in self._samples
                  if turn >= max(MIN_SAMPLE_TURN, PEAK_SHARE * peak)]
        return statistics.median(ratios) if ratios else None


# --- depth relief ---------------------------------------------------------------------------------


def depth_relief_mm(depth: npt.NDArray[np.float32], points: Points) -> float | None:
    """How far the nose tip stands in front of a quadratic surface fitted to the face round it
    (cheeks, brow, chin; the nose and the eyes left out), in millimetres (None: too few valid
    readings). ``depth`` is in millimetres from the camera, aligned with the colour frame,
    0 where the camera has no reading."""
    if depth.ndim != 2:
        return None
    five = five_points(points)
    iod = interocular(five)
    origin = (five[EYE_R] + five[EYE_L]) / 2
    across = (five[EYE_L] - five[EYE_R]) / iod
    down = np.array([-across[1], across[0]])
    height, width = depth.shape
    nose = five[NOSE]
    rows = []
    values = []
    for gy in np.arange(-0.5, 1.35, 0.1):
        for gx in np.arange(-0.9, 0.95, 0.1):
            point = origin + (gx * across + gy * down) * iod
            if np.linalg.norm(point - nose) < 0.45 * iod:
                continue
            if min(np.linalg.norm(point - five[EYE_R]), np.linalg.norm(point - five[EYE_L])) < (
                0.3 * iod
            ):
                continue
            x, y = round(point[0]), round(point[1])
            if not (0 <= x < width and 0 <= y < height):
                continue
            value = float(depth[y, x])
            if value > 0:
                rows.append((1.0, gx, gy, gx * gx, gy * gy, gx * gy))
                values.append(value)
    if len(values) < 30:
        return None
    design = np.array(rows)
    target = np.array(values)
    keep = np.ones(len(target), dtype=bool)
    coefficients = np.zeros(6)
    for _ in range(2):  # one pass of outlier rejection (edges, hair, holes)
        coefficients, *_ = np.linalg.lstsq(design[keep], target[keep], rcond=None)
        residual = np.abs(design @ coefficients - target)
        keep = residual <= max(5.0, 3 * float(np.median(residual[keep])))
    nose_x, nose_y = round(nose[0]), round(nose[1])
    radius = max(1, round(0.05 * iod))
    patch = depth[max(0, nose_y - radius) : nose_y + radius + 1,
                  max(0, nose_x - radius) : nose_x + radius + 1]
    valid = patch[patch > 0]
    if valid.size == 0:
        return None
    gx, gy = np.linalg.lstsq(np.stack([across, down], axis=1), (nose - origin) / iod, rcond=None)[0]
    surface = float(np.array([1.0, gx, gy, gx * gx, gy * gy, gx * gy]) @ coefficients)
    return surface - float(np.median(valid))
