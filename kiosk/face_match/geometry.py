"""Head pose, eye and mouth openness, and 3-D relief from landmarks (pure geometry, no models).

Two landmark sets are understood: dlib's 68 iBUG points and the five points every face engine
gives (YuNet's: right eye, left eye, nose tip, right and left mouth corner; "right" is the
person's own, i.e. the image's left in an unmirrored camera frame). ``five_points`` derives the
five from the 68, so the cues that need only five work with either engine.

Conventions: ``yaw`` is the nose tip's horizontal offset from the middle of the jaw outline,
divided by half the jaw width: 0 frontal, positive when the nose points to the image's right,
which is the resident's own left in an unmirrored camera image. ``pitch_ratio`` is where the
nose tip sits between the eye line and the mouth line (it falls when the head tips back).
A flat photo turned or tipped in front of the camera keeps both ratios (they survive an affine
compression); only a 3-D head changes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]

JAW_RIGHT, JAW_LEFT = 0, 16  # the resident's right / left jaw end (image left / right)
NOSE_TIP = 30
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)
EYE_CORNERS = [36, 39, 42, 45]  # outer and inner corner of each eye: fixed to the skull
MOUTH_RIGHT, MOUTH_LEFT = 48, 54
INNER_LIPS_TOP = (61, 62, 63)
INNER_LIPS_BOTTOM = (67, 66, 65)

# Five-point order (YuNet's).
EYE_R, EYE_L, NOSE, MOUTH_R, MOUTH_L = range(5)
# How far a typical adult's nose tip stands in front of the plane of the eyes and mouth
# corners, in inter-ocular distances (about 2.5 cm for 6.3 cm; generic 3-D face models used for
# head-pose estimation put it at 0.35-0.45).
HEAD_NOSE_RELIEF = 0.4


def five_points(points: Points) -> Points:
    """The five engine-independent points from 68 landmarks (5 x 2), or the five unchanged."""
    if len(points) == 5:
        return np.asarray(points, dtype=np.float64)
    return np.array(
        [
            points[RIGHT_EYE].mean(axis=0),
            points[LEFT_EYE].mean(axis=0),
            points[NOSE_TIP],
            points[MOUTH_RIGHT],
            points[MOUTH_LEFT],
        ],
        dtype=np.float64,
    )


def interocular(five: Points) -> float:
    return max(1e-6, float(np.linalg.norm(five[EYE_L] - five[EYE_R])))


def _face_axes(five: Points) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Unit vectors along the eye line (to the image right) and down the face (roll removed)."""
    across = (five[EYE_L] - five[EYE_R]) / interocular(five)
    down = np.array([-across[1], across[0]])
    return across, down


def yaw(points: Points) -> float:
    """Landmark yaw: from the jaw outline with 68 points, else from the five points."""
    if len(points) < 68:
        return yaw_five(points)
    jaw_mid = (points[JAW_RIGHT, 0] + points[JAW_LEFT, 0]) / 2
    half_width = max(1.0, abs(points[JAW_LEFT, 0] - points[JAW_RIGHT, 0]) / 2)
    return float((points[NOSE_TIP, 0] - jaw_mid) / half_width)


def yaw_five(points: Points) -> float:
    """The nose tip's offset across the face from the middle of the eyes and mouth corners,
    in inter-ocular distances (five points)."""
    five = five_points(points)
    across, _ = _face_axes(five)
    middle = five[[EYE_R, EYE_L, MOUTH_R, MOUTH_L]].mean(axis=0)
    return float(np.dot(five[NOSE] - middle, across) / interocular(five))


def pitch_ratio(points: Points) -> float:
    """Where the nose tip sits from the eye line (0) to the mouth line (1), along the face.

    Tipping the head back (looking up) moves the protruding nose tip towards the eyes, so the
    ratio falls; looking down raises it. A tipped photo compresses both distances alike.

    With 68 points the eye line runs through the eye corners, not the eyes' centres: the lids
    move (a blink, or the upper lid following the gaze down) and would read as a pitch.
    """
    five = five_points(points)
    _, down = _face_axes(five)
    if len(points) >= 68:
        eyes = points[EYE_CORNERS].mean(axis=0)
    else:
        eyes = (five[EYE_R] + five[EYE_L]) / 2
    mouth = (five[MOUTH_R] + five[MOUTH_L]) / 2
    height = float(np.dot(mouth - eyes, down))
    if height < 1e-6:
        return 0.0
    return float(np.dot(five[NOSE] - eyes, down) / height)


def roll_degrees(points: Points) -> float:
    five = five_points(points)
    right, left = five[EYE_R], five[EYE_L]
    return math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))


def _eye_aspect_ratio(eye: Points) -> float:
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = max(1e-6, float(np.linalg.norm(eye[0] - eye[3])))
    return float(vertical / (2 * horizontal))


def eye_aspect_ratio(points: Points) -> float:
    """Mean eye aspect ratio of both eyes (about 0.25-0.35 open, below 0.15 closed)."""
    return (_eye_aspect_ratio(points[RIGHT_EYE]) + _eye_aspect_ratio(points[LEFT_EYE])) / 2


def face_aspect(points: Points) -> float:
    """Face height (nose bridge to chin) over jaw width: constant while only the eyes move."""
    height = float(np.linalg.norm(points[8] - points[27]))
    width = max(1e-6, float(np.linalg.norm(points[16] - points[0])))
    return height / width


def eye_openness(points: Points) -> float:
    """Eye aspect ratio normalised by the face's aspect ratio.

    Tilting a flat photo backwards shrinks every vertical distance alike, so this ratio stays
    put; only a real blink lowers it.
    """
    return eye_aspect_ratio(points) / max(1e-6, face_aspect(points))


def eye_openness_each(points: Points) -> tuple[float, float]:
    """``eye_openness`` of the right and the left eye separately (a blink may show in one)."""
    aspect = max(1e-6, face_aspect(points))
    return (
        _eye_aspect_ratio(points[RIGHT_EYE]) / aspect,
        _eye_aspect_ratio(points[LEFT_EYE]) / aspect,
    )


def mouth_opening(points: Points) -> float:
    """Gap between the inner lips over the mouth width (about 0 closed, 0.3+ wide open)."""
    gap = float(np.mean([points[a, 1] - points[b, 1] for b, a in zip(
        INNER_LIPS_TOP, INNER_LIPS_BOTTOM, strict=True)]))
    width = max(1e-6, float(np.linalg.norm(points[MOUTH_LEFT] - points[MOUTH_RIGHT])))
    return max(0.0, gap) / width


@dataclass(frozen=True, slots=True)
class ReliefSample:
    """How the nose moved against the eyes and mouth between a neutral and a rotated frame.

    ``lateral`` is the nose tip's displacement left over after the best affine map of the four
    other points (in neutral inter-ocular distances, signed along ``direction``); ``tilt`` is
    the sine of the rotation that the foreshortening of those four points shows. On a rigid
    head ``lateral`` = relief x ``tilt``, where relief is how far the nose tip stands in front
    of the eyes and mouth (about ``HEAD_NOSE_RELIEF``); on a print it is 0 whatever the tilt,
    on a paper mask curved round a head about a fifth of a head's.
    """

    lateral: float
    tilt: float


def relief_sample(
    neutral: Points, current: Points, direction: tuple[float, float]
) -> ReliefSample | None:
    """Compare two frames' five points (weak perspective); None if degenerate."""
    before, after = five_points(neutral), five_points(current)
    frame = [EYE_R, EYE_L, MOUTH_R, MOUTH_L]
    source = np.hstack([before[frame], np.ones((4, 1))])
    solution, *_ = np.linalg.lstsq(source, after[frame], rcond=None)
    linear = solution[:2].T  # 2 x 2
    singular = np.linalg.svd(linear, compute_uv=False)
    if singular[0] <= 1e-6:
        return None
    ratio = min(1.0, float(singular[1] / singular[0]))
    tilt = math.sqrt(max(0.0, 1.0 - ratio * ratio))
    predicted = np.append(before[NOSE], 1.0) @ solution
    residual = after[NOSE] - predicted
    unit = np.asarray(direction, dtype=np.float64)
    unit = unit / max(1e-9, float(np.linalg.norm(unit)))
    scale = float(singular[0]) * interocular(before)
    return ReliefSample(lateral=float(np.dot(residual, unit)) / scale, tilt=tilt)
