"""A synthetic "resident": a still portrait animated into live frames that obey liveness prompts.

For the demo and end-to-end tests. The portrait is placed in a 640 x 480 frame; the head turns
through a depth-based warp (an ellipsoid head with a protruding nose ridge, so the nose moves more
than the jaw outline, as on a real head and unlike a photo turned in front of the camera), blinks
by painting skin over the eye openings, and sways slightly with camera-like sensor noise.

Drive it with ``render(t)`` (frame at time ``t`` seconds) and tell it the current prompt with
``observe_prompt(action, t)``; it replies after a human-like reaction delay.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import Action
from kiosk.face_match.detection import FaceBox, detect_faces
from kiosk.face_match.encoding import landmarks_68

FRAME_WIDTH = 640
FRAME_HEIGHT = 480
TURN_DEGREES = 30.0
TURN_RAMP_S = 0.35
TURN_HOLD_S = 0.7
BLINK_CLOSE_S = 0.07
BLINK_HOLD_S = 0.12
BLINK_OPEN_S = 0.10

Image = npt.NDArray[np.uint8]


class ResidentError(ValueError):
    """The portrait has no usable face to animate."""


@dataclass(slots=True)
class _Performance:
    action: Action
    start: float

    def duration(self) -> float:
        if self.action is Action.BLINK:
            return BLINK_CLOSE_S + BLINK_HOLD_S + BLINK_OPEN_S
        return 2 * TURN_RAMP_S + TURN_HOLD_S

    def state(self, t: float) -> tuple[float, float]:
        """(turn in degrees, eyelid closure 0..1) at time t."""
        elapsed = t - self.start
        if elapsed < 0 or elapsed > self.duration():
            return 0.0, 0.0
        if self.action is Action.BLINK:
            if elapsed < BLINK_CLOSE_S:
                return 0.0, elapsed / BLINK_CLOSE_S
            if elapsed < BLINK_CLOSE_S + BLINK_HOLD_S:
                return 0.0, 1.0
            return 0.0, max(0.0, 1 - (elapsed - BLINK_CLOSE_S - BLINK_HOLD_S) / BLINK_OPEN_S)
        if elapsed < TURN_RAMP_S:
            amount = elapsed / TURN_RAMP_S
        elif elapsed < TURN_RAMP_S + TURN_HOLD_S:
            amount = 1.0
        else:
            amount = max(0.0, 1 - (elapsed - TURN_RAMP_S - TURN_HOLD_S) / TURN_RAMP_S)
        amount = 0.5 - 0.5 * math.cos(math.pi * amount)  # ease in and out
        sign = 1.0 if self.action is Action.TURN_LEFT else -1.0
        return sign * TURN_DEGREES * amount, 0.0


def place_portrait(portrait: Image, rng: random.Random) -> tuple[Image, FaceBox]:
    """Scale the portrait so its face is about a third of the frame width, on a plain backdrop."""
    rgb = portrait if portrait.ndim == 3 else np.repeat(portrait[:, :, None], 3, axis=2)
    rgb = np.ascontiguousarray(rgb[:, :, :3])
    faces = detect_faces(rgb, upsample=1)
    if not faces:
        raise ResidentError("no face found in the portrait")
    face = faces[0]
    scale = (FRAME_WIDTH * rng.uniform(0.27, 0.36)) / face.width
    scaled = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    backdrop_colour = [rng.randint(90, 200) for _ in range(3)]
    frame = np.empty((FRAME_HEIGHT, FRAME_WIDTH, 3), dtype=np.uint8)
    frame[:] = backdrop_colour
    centre_x, centre_y = face.centre
    offset_x = round(FRAME_WIDTH / 2 - centre_x * scale + rng.uniform(-20, 20))
    offset_y = round(FRAME_HEIGHT * 0.45 - centre_y * scale + rng.uniform(-15, 15))
    height, width = scaled.shape[:2]
    dst_left, dst_top = max(0, offset_x), max(0, offset_y)
    src_left, src_top = dst_left - offset_x, dst_top - offset_y
    copy_w = min(width - src_left, FRAME_WIDTH - dst_left)
    copy_h = min(height - src_top, FRAME_HEIGHT - dst_top)
    frame[dst_top : dst_top + copy_h, dst_left : dst_left + copy_w] = scaled[
        src_top : src_top + copy_h, src_left : src_left + copy_w
    ]
    placed = detect_faces(frame, upsample=0)
    if not placed:
        raise ResidentError("face lost after placing the portrait")
    return frame, placed[0]


def _closed_eyes(frame: Image, points: npt.NDArray[np.float64]) -> Image:
    """The frame with both eye openings painted over with surrounding skin and a lash line."""
    mask = np.zeros(frame.shape[:2], dtype=np.uint8)
    for eye in (points[36:42], points[42:48]):
        centre = eye.mean(axis=0)
        grown = (eye - centre) * np.array([1.35, 2.3]) + centre
        cv2.fillPoly(mask, [np.round(grown).astype(np.int32)], 255)
    closed = np.asarray(cv2.inpaint(frame, mask, 5, cv2.INPAINT_TELEA), dtype=np.uint8)
    for eye in (points[36:42], points[42:48]):
        lid = np.array([eye[0], (eye[5] + eye[1]) / 2, (eye[4] + eye[2]) / 2, eye[3]])
        lid[1:3, 1] += 0.2 * float(np.linalg.norm(eye[1] - eye[5]))
        centre = np.round(eye.mean(axis=0)).astype(int)
        shade = (closed[centre[1], centre[0]].astype(np.float64) * 0.35).tolist()
        cv2.polylines(closed, [np.round(lid).astype(np.int32)], False, shade, 2, cv2.LINE_AA)
    return closed


def _depth_map(box: FaceBox, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """Pixel depth towards the camera: an ellipsoid head plus a ridge along the nose."""
    ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
    jaw_width = float(points[16, 0] - points[0, 0])
    centre_x = float(points[27:31, 0].mean())
    centre_y = float(points[28, 1])
    radius_x = 0.62 * jaw_width
    radius_y = 0.95 * jaw_width
    inside = 1 - ((xs - centre_x) / radius_x) ** 2 - ((ys - centre_y) / radius_y) ** 2
    head = radius_x * np.sqrt(np.clip(inside, 0, None))
    nose_top, nose_tip = points[27], points[30]
    sigma = 0.09 * jaw_width
    along = np.clip((ys - nose_top[1]) / max(1.0, nose_tip[1] - nose_top[1]), 0, 1.15)
    ridge_x = nose_top[0] + along * (nose_tip[0] - nose_top[0])
    ridge = (
        0.35
        * jaw_width
        * (0.4 + 0.6 * along)
        * np.exp(-(((xs - ridge_x) / sigma) ** 2))
        * np.exp(-((np.clip(ys - nose_tip[1], 0, None) / sigma) ** 2))
        * (ys >= nose_top[1] - sigma)
    )
    return np.asarray(head + ridge, dtype=np.float32)


class SyntheticResident:
    """Animated portrait: ``render(t)`` gives the frame at ``t``; prompts via ``observe_prompt``."""

    def __init__(self, portrait_rgb: Image, *, seed: int = 0, obey: bool = True) -> None:
        self._rng = random.Random(seed)  # noqa: S311 (a seeded, repeatable resident)
        self._np_rng = np.random.default_rng(seed)
        self._open, self._box = place_portrait(portrait_rgb, self._rng)
        points = landmarks_68(self._open, self._box)
        self._closed = _closed_eyes(self._open, points)
        self._depth = _depth_map(self._box, points)
        self._grid_y, self._grid_x = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
        self._noise = [
            self._np_rng.normal(0, 2.2, (FRAME_HEIGHT, FRAME_WIDTH, 1)).astype(np.float32)
            for _ in range(6)
        ]
        self._obey = obey
        self._prompt: Action | None = None
        self._performance: _Performance | None = None
        self._sway_phase = self._rng.uniform(0, 2 * math.pi)
        self._next_blink = self._rng.uniform(2.5, 6.0)
        self._spontaneous: _Performance | None = None
        self._frame_count = 0

    def observe_prompt(self, action: Action | None, t: float) -> None:
        """Tell the resident the prompt on screen at time ``t`` (None: no prompt)."""
        if action == self._prompt:
            return
        self._prompt = action
        if action is not None and self._obey:
            self._performance = _Performance(action, t + self._rng.uniform(0.35, 0.8))

    def _pose(self, t: float) -> tuple[float, float]:
        turn, closure = 0.0, 0.0
        if self._performance is not None:
            turn, closure = self._performance.state(t)
            if t > self._performance.start + self._performance.duration():
                self._performance = None
        if self._spontaneous is None and t >= self._next_blink:
            self._spontaneous = _Performance(Action.BLINK, t)
            self._next_blink = t + self._rng.uniform(2.5, 6.0)
        if self._spontaneous is not None:
            closure = max(closure, self._spontaneous.state(t)[1])
            if t > self._spontaneous.start + self._spontaneous.duration():
                self._spontaneous = None
        return turn, closure

    def render(self, t: float) -> Image:
        turn, closure = self._pose(t)
        if closure <= 0.01:
            base = self._open
        elif closure >= 0.99:
            base = self._closed
        else:
            base = np.asarray(
                cv2.addWeighted(self._open, 1 - closure, self._closed, closure, 0), np.uint8
            )
        sway_x = 3.0 * math.sin(1.3 * t + self._sway_phase) + 1.2 * math.sin(3.7 * t)
        sway_y = 2.0 * math.sin(0.9 * t + 2 * self._sway_phase)
        map_x = self._grid_x - sway_x
        map_y = self._grid_y - sway_y
        if abs(turn) > 0.01:
            # Forward warp by fixed-point iteration: each output pixel shows the source point
            # whose depth-shifted position lands on it (narrow features like the nose move fully).
            gain = math.sin(math.radians(turn))
            source_x = map_x
            for _ in range(4):
                depth = cv2.remap(self._depth, source_x, map_y, cv2.INTER_LINEAR)
                source_x = map_x - gain * depth
            map_x = source_x
        frame = cv2.remap(base, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self._frame_count += 1
        noise = self._noise[self._frame_count % len(self._noise)]
        noisy = frame.astype(np.float32) + noise
        return np.asarray(np.clip(noisy, 0, 255), dtype=np.uint8)
