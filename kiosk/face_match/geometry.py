"""Head pose and eye openness from the 68 iBUG landmarks (pure geometry, no models).

Conventions: ``yaw`` is the nose tip's horizontal offset from the middle of the jaw outline,
divided by half the jaw width: 0 frontal, positive when the nose points to the image's right,
which is the resident's own left in an unmirrored camera image. A flat photo turned in front of
the camera keeps its yaw (the ratio survives affine compression); only a real 3-D head changes it.
"""

from __future__ import annotations

import math

import numpy as np

from kiosk.face_match.encoding import Points

JAW_RIGHT, JAW_LEFT = 0, 16  # the resident's right / left jaw end (image left / right)
NOSE_TIP = 30
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)


def yaw(points: Points) -> float:
    jaw_mid = (points[JAW_RIGHT, 0] + points[JAW_LEFT, 0]) / 2
    half_width = max(1.0, abs(points[JAW_LEFT, 0] - points[JAW_RIGHT, 0]) / 2)
    return float((points[NOSE_TIP, 0] - jaw_mid) / half_width)


def roll_degrees(points: Points) -> float:
    right = points[RIGHT_EYE].mean(axis=0)
    left = points[LEFT_EYE].mean(axis=0)
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
