"""What a kiosk camera sees when a resident holds the card's front to it.

``card_in_frame(card, condition, rng)`` puts a rendered card face (``card_face.render_card_face``)
into one 1280 x 720 camera frame under one of the conditions of the OCR benchmark: ``clean``,
``blur`` (out of focus, or moving), ``tilt`` (turned out of the camera's plane), ``glare`` (a
light reflected on the laminate) or ``low_light`` (dim and noisy).

``HeldCardStream`` is the same card held for a while, frame after frame, as a hand holds it:
what belongs to the moment stays (where the card is and how it is turned, the light, the
glare's place, how far out of focus it is, the direction the hand drifts), what belongs to
the frame changes (a tremor of the pose, how far the card moved during the exposure, the
sensor's noise) and the glare drifts slowly over the card as the hand turns it. A blurred
card does not become sharp by waiting: a defocused one stays defocused, a moving one is
smeared on every frame. ``HeldCard`` animates it for the demo.

The severities, and how they compare with a 720p webcam and a card at 20–30 cm, are in
docs/residents.md ("How hard the simulated camera is").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

CONDITIONS = ("clean", "blur", "tilt", "glare", "low_light")
FRAME_W, FRAME_H = 1280, 720
FPS = 30.0  # a webcam's frame rate
# The card's width as a share of the frame's: the resident fills the screen's guide (docs:
# a card at 20–30 cm from a 720p webcam is smaller, 0.2–0.47; see --card-width of the bench)
CARD_WIDTH = (0.58, 0.74)


def _background(rng: np.random.Generator) -> np.ndarray:
    base = rng.integers(30, 200, size=3).astype(np.float32)
    noise = rng.normal(0, 1, size=(FRAME_H // 40, FRAME_W // 40, 3)).astype(np.float32)
    texture = cv2.resize(noise, (FRAME_W, FRAME_H), interpolation=cv2.INTER_CUBIC)
    return np.asarray(np.clip(base + 18 * texture, 0, 255), dtype=np.float32)


@dataclass(frozen=True)
class _Pose:
    width: float  # the card's width in the frame, pixels
    cx: float
    cy: float
    tilt: float  # degrees out of the camera's plane
    axis: int  # which edge is turned away
    turn: float  # degrees in the plane


def _pose(rng: np.random.Generator, condition: str, width: tuple[float, float]) -> _Pose:
    tilt = rng.uniform(18, 30) if condition == "tilt" else rng.uniform(0, 6)
    turn = rng.uniform(-12, 12) if condition == "tilt" else rng.uniform(-4, 4)
    return _Pose(width=rng.uniform(*width) * FRAME_W,
                 cx=FRAME_W / 2 + rng.uniform(-0.05, 0.05) * FRAME_W,
                 cy=FRAME_H / 2 + rng.uniform(-0.05, 0.05) * FRAME_H,
                 tilt=tilt, axis=int(rng.integers(0, 4)), turn=turn)


def _corners(pose: _Pose) -> np.ndarray:
    """Where the card's corners land: scaled, turned in the plane by ``turn`` degrees, and
    turned out of it by ``tilt`` degrees about an axis (a simple perspective)."""
    height = pose.width / 1.585
    pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32) * [pose.width / 2,
                                                                       height / 2]
    # out-of-plane: the far edge shrinks, as a card turned away from the lens does
    shrink = math.cos(math.radians(pose.tilt))
    far = {0: (0, 1), 1: (1, 2), 2: (2, 3), 3: (3, 0)}[pose.axis]
    centre_of_far = pts[list(far)].mean(axis=0)
    for index in far:
        pts[index] = centre_of_far + (pts[index] - centre_of_far) * shrink
        pts[index] *= 0.5 + 0.5 * shrink
    angle = math.radians(pose.turn)
    rotation = np.array([[math.cos(angle), -math.sin(angle)],
                         [math.sin(angle), math.cos(angle)]], np.float32)
    return (pts @ rotation.T + [pose.cx, pose.cy]).astype(np.float32)


@dataclass(frozen=True)
class _Moment:
    """What stays while the card is held: pose, scene, light, glare, focus, drift."""

    condition: str
    pose: _Pose
    background: np.ndarray
    glare: tuple[float, float, float, float, float, float] | None  # x, y, a, b, angle, strength
    glare_drift: tuple[float, float]  # how the glare moves on a held card, pixels per frame
    defocus: float | None  # Gaussian sigma in pixels (None: in focus, or moving instead)
    drift: float | None  # direction of the hand's motion, degrees (None: no motion blur)
    light: float  # gain on the scene
    noise: float  # sensor noise, grey levels


def _moment(rng: np.random.Generator, condition: str,
            width: tuple[float, float] = CARD_WIDTH) -> _Moment:
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}")
    if not 0.1 <= width[0] <= width[1] <= 0.95:
        raise ValueError("the card's width is a share of the frame's, 0.1 to 0.95")
    pose = _pose(rng, condition, width)
    background = _background(rng)
    glare = None
    if condition == "glare":
        corners = _corners(pose)
        x, y = corners[:, 0], corners[:, 1]
        glare = (rng.uniform(x.min(), x.max()), rng.uniform(y.min(), y.max()),
                 rng.uniform(0.08, 0.18) * FRAME_W, rng.uniform(0.05, 0.12) * FRAME_W,
                 rng.uniform(0, 180), rng.uniform(0.55, 0.85))
    # a hand turns a held card by a degree or two a second, and a reflection moves twice as
    # fast as the card turns: 20–60 px a second over the card
    speed, heading = rng.uniform(20, 60) / FPS, rng.uniform(0, 2 * math.pi)
    glare_drift = (speed * math.cos(heading), speed * math.sin(heading))
    defocus = drift = None
    if condition == "blur":
        if rng.random() < 0.5:
            defocus = float(rng.uniform(1.4, 2.4))
        else:
            drift = float(rng.uniform(0, 180))
    light, noise = 1.0, 2.0
    if condition == "low_light":
        light, noise = float(rng.uniform(0.18, 0.35)), float(rng.uniform(3.0, 6.0))
    return _Moment(condition, pose, background, glare, glare_drift, defocus, drift, light, noise)


def _motion_kernel(length: int, angle: float) -> np.ndarray:
    kernel: np.ndarray = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1 / length
    rotation = cv2.getRotationMatrix2D((length / 2, length / 2), angle, 1)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    return kernel / max(float(kernel.sum()), 1e-6)


def _render(face: np.ndarray, moment: _Moment, pose: _Pose, rng: np.random.Generator, *,
            motion: tuple[int, float] | None, frame_index: int = 0) -> np.ndarray:
    h, w = face.shape[:2]
    corners = _corners(pose)
    source = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(face, matrix, (FRAME_W, FRAME_H))
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, (FRAME_W, FRAME_H))
    frame: np.ndarray = moment.background * (1 - mask[..., None]) + warped * mask[..., None]
    if moment.glare is not None:
        # a reflected light: a soft white spot on the card
        x, y, a, b, angle, strength = moment.glare
        x += moment.glare_drift[0] * frame_index
        y += moment.glare_drift[1] * frame_index
        spot: np.ndarray = np.zeros((FRAME_H, FRAME_W), np.float32)
        cv2.ellipse(spot, (int(x), int(y)), (int(a), int(b)), angle, 0, 360, 1.0, -1)
        spot = cv2.GaussianBlur(spot, (0, 0), int(b) / 2.5) * strength
        frame = frame * (1 - spot[..., None]) + 255 * spot[..., None]
    if moment.defocus is not None:
        frame = cv2.GaussianBlur(frame, (0, 0), moment.defocus)
    elif motion is not None:
        frame = cv2.filter2D(frame, -1, _motion_kernel(*motion))
    else:
        frame = cv2.GaussianBlur(frame, (0, 0), 0.7)
    frame = frame * moment.light + rng.normal(0, moment.noise, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _face(card: Image.Image) -> np.ndarray:
    return np.asarray(card.convert("RGB"), dtype=np.float32)


def _motion(rng: np.random.Generator, moment: _Moment) -> tuple[int, float] | None:
    """How far (7–13 px) and which way the card moved during this frame's exposure: along the
    hand's drift, give or take 20 degrees."""
    if moment.drift is None:
        return None
    return int(rng.integers(7, 14)), moment.drift + float(rng.uniform(-20, 20))


def card_in_frame(card: Image.Image, condition: str, rng: np.random.Generator,
                  width: tuple[float, float] = CARD_WIDTH) -> np.ndarray:
    """An RGB ``uint8`` camera frame showing ``card`` under ``condition``, the card
    ``width`` (a range, shares of the frame's width) wide."""
    moment = _moment(rng, condition, width)
    return _render(_face(card), moment, moment.pose, rng, motion=_motion(rng, moment))


class HeldCardStream:
    """One card held to the camera under ``condition``: ``next_frame()`` gives frame after
    frame of the same moment (see the module's text)."""

    def __init__(self, card: Image.Image, condition: str, rng: np.random.Generator,
                 width: tuple[float, float] = CARD_WIDTH) -> None:
        self._face = _face(card)
        self._rng = rng
        self._moment = _moment(rng, condition, width)
        self._index = -1

    def next_frame(self, index: int | None = None) -> np.ndarray:
        """The frame after the last one, or the ``index``-th since the card was held (a
        camera's frames come on even when nobody looks at them)."""
        self._index = self._index + 1 if index is None else index
        rng, pose = self._rng, self._moment.pose
        # a hand's tremor: a pixel or two, a fraction of a degree
        trembling = _Pose(pose.width * (1 + rng.normal(0, 0.003)), pose.cx + rng.normal(0, 1.5),
                          pose.cy + rng.normal(0, 1.5), max(0.0, pose.tilt + rng.normal(0, 0.5)),
                          pose.axis, pose.turn + rng.normal(0, 0.3))
        return _render(self._face, self._moment, trembling, rng,
                       motion=_motion(rng, self._moment), frame_index=self._index)


class HeldCard:
    """A card held to the camera by a slightly moving hand (for the demo's camera)."""

    def __init__(self, card: Image.Image, seed: int = 0) -> None:
        self._card = card
        self._seed = seed

    def render(self, t: float) -> np.ndarray:
        rng = np.random.default_rng(self._seed + int(t * 4))
        return card_in_frame(self._card, "clean", rng)
