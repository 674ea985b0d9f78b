"""Per-frame analysis of a live camera frame and the quality gates for matching frames.

``analyse_frame`` runs the engine's detector once, on a copy scaled to ``detect_width``
(faces, largest first, each with its box and five landmarks), then measures the largest face:
its size (eye distance, engine-independent), roll (from the eyes), brightness and sharpness
(inside its box), and, for pose and blinks, dlib's 68 landmarks fitted in a box placed by the
five landmarks (``landmark_box``). The same detection serves matching: the face handed to the
encoder is this one, so the gates cost no second detection pass. ``quality_hint`` says what,
if anything, keeps the frame from being a good matching frame, as a ``Hint`` code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.config import QualityConfig
from kiosk.face_match.detection import FaceBox
from kiosk.face_match.encoding import Points, landmarks_68
from kiosk.face_match.engine import (
    LEFT_EYE,
    LEFT_MOUTH,
    RIGHT_EYE,
    RIGHT_MOUTH,
    DetectedFace,
    FaceEngine,
)
from kiosk.face_match.geometry import eye_openness, yaw

SHARPNESS_FACE_WIDTH = 128
# dlib's 68-point model expects its HOG detector's box framing: measured on frontal faces, that
# box is square, centred at the middle of the eyes and mouth, about 2.33 eye-to-mouth
# distances wide.
LANDMARK_BOX_HALF_WIDTH = 1.165


class Hint(StrEnum):
    """Why a frame is not good enough, for the UI to put into words."""

    NO_FACE = "no_face"
    ONE_PERSON_ONLY = "one_person_only"
    COME_CLOSER = "come_closer"
    MOVE_BACK = "move_back"
    CENTRE_FACE = "centre_face"
    MORE_LIGHT = "more_light"
    LESS_LIGHT = "less_light"
    HOLD_STILL = "hold_still"
    LOOK_STRAIGHT = "look_straight"
    ACTION_NOT_SEEN = "action_not_seen"  # a liveness action timed out: here is another one


@dataclass(frozen=True, slots=True)
class FrameAnalysis:
    """What one frame shows. ``grey_face`` is a 64 x 64 face crop kept in memory only."""

    width: int
    height: int
    faces: int
    second_face_ratio: float
    box: FaceBox | None = None
    face: DetectedFace | None = None  # the engine's detection (box, five landmarks, score)
    points: Points | None = None  # dlib's 68 landmarks (pose and blinks)
    eye_distance: float = 0.0
    yaw: float = 0.0
    roll: float = 0.0
    openness: float = 0.0
    brightness: float = 0.0
    sharpness: float = 0.0
    grey_face: npt.NDArray[np.uint8] | None = None

    def __repr__(self) -> str:  # never print pixel data
        return f"FrameAnalysis(faces={self.faces}, box={self.box}, yaw={self.yaw:.2f})"


def _grey(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if frame.ndim == 2:
        return frame
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(frame[:, :, :3]), cv2.COLOR_RGB2GRAY))


def landmark_box(face: DetectedFace) -> FaceBox:
    """A box framed as dlib's HOG detector frames a face, placed by the five landmarks."""
    marks = face.landmarks
    eyes = (marks[RIGHT_EYE] + marks[LEFT_EYE]) / 2
    mouth = (marks[RIGHT_MOUTH] + marks[LEFT_MOUTH]) / 2
    centre = (eyes + mouth) / 2
    half = LANDMARK_BOX_HALF_WIDTH * max(1.0, float(np.linalg.norm(mouth - eyes)))
    return FaceBox(
        round(centre[0] - half), round(centre[1] - half),
        round(centre[0] + half), round(centre[1] + half),
    )


def roll_from_eyes(face: DetectedFace) -> float:
    right, left = face.landmarks[RIGHT_EYE], face.landmarks[LEFT_EYE]
    return float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))


def analyse_frame(
    frame: npt.NDArray[np.uint8], config: QualityConfig, engine: FaceEngine
) -> FrameAnalysis:
    """Detect and measure the largest face in an RGB (or grey) uint8 frame."""
    if frame.ndim not in (2, 3) or frame.dtype != np.uint8 or min(frame.shape[:2]) < 32:
        raise ValueError(f"unsupported frame shape {frame.shape} / {frame.dtype}")
    height, width = frame.shape[:2]
    grey = _grey(frame)
    scale = min(1.0, config.detect_width / width)
    small = (
        frame
        if scale == 1.0
        else cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    faces = engine.detect(np.asarray(small, dtype=np.uint8))
    if not faces:
        return FrameAnalysis(width, height, 0, 0.0)
    second = faces[1].box.area / max(1, faces[0].box.area) if len(faces) > 1 else 0.0
    face = faces[0].scaled(1 / scale)
    box = face.box
    points = landmarks_68(grey, landmark_box(face))
    left, top = max(0, box.left), max(0, box.top)
    right, bottom = min(width, box.right), min(height, box.bottom)
    if right - left < 8 or bottom - top < 8:
        return FrameAnalysis(width, height, len(faces), second)
    crop = grey[top:bottom, left:right]
    normalised = cv2.resize(
        crop, (SHARPNESS_FACE_WIDTH, SHARPNESS_FACE_WIDTH), interpolation=cv2.INTER_AREA
    )
    sharpness = float(cv2.Laplacian(normalised, cv2.CV_64F).var())
    small_face = np.asarray(cv2.resize(crop, (64, 64), interpolation=cv2.INTER_AREA), np.uint8)
    return FrameAnalysis(
        width=width,
        height=height,
        faces=len(faces),
        second_face_ratio=second,
        box=box,
        face=face,
        points=points,
        eye_distance=face.eye_distance,
        yaw=yaw(points),
        roll=roll_from_eyes(face),
        openness=eye_openness(points),
        brightness=float(crop.mean()),
        sharpness=sharpness,
        grey_face=small_face,
    )


def quality_hint(analysis: FrameAnalysis, config: QualityConfig) -> Hint | None:
    """The first failed gate for a matching frame, or None when the frame is good."""
    box = analysis.box
    if box is None or analysis.points is None:
        return Hint.NO_FACE
    if analysis.faces > 1 and analysis.second_face_ratio >= config.second_face_fraction:
        return Hint.ONE_PERSON_ONLY
    eye_fraction = analysis.eye_distance / analysis.width
    if eye_fraction < config.min_eye_distance_fraction:
        return Hint.COME_CLOSER
    if eye_fraction > config.max_eye_distance_fraction:
        return Hint.MOVE_BACK
    margin = 0.1 * box.width
    outside = (
        box.left < -margin
        or box.top < -margin
        or box.right > analysis.width + margin
        or box.bottom > analysis.height + margin
    )
    if outside:
        return Hint.MOVE_BACK if box.width / analysis.width > 0.45 else Hint.CENTRE_FACE
    centre_x, centre_y = box.centre
    offset = np.hypot(centre_x - analysis.width / 2, centre_y - analysis.height / 2)
    if offset / analysis.width > config.max_centre_offset:
        return Hint.CENTRE_FACE
    if analysis.brightness < config.min_brightness:
        return Hint.MORE_LIGHT
    if analysis.brightness > config.max_brightness:
        return Hint.LESS_LIGHT
    if abs(analysis.yaw) > config.max_frontal_yaw or abs(analysis.roll) > config.max_roll_degrees:
        return Hint.LOOK_STRAIGHT
    if analysis.sharpness < config.min_sharpness:
        return Hint.HOLD_STILL
    return None
