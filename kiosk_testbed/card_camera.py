"""What a kiosk camera sees when a resident holds the card's front to it.

``card_in_frame(card, condition, rng)`` puts a rendered card face (``card_face.render_card_face``)
into a 1280 x 720 camera frame under one of the conditions of the OCR benchmark: ``clean``,
``blur`` (out of focus or moving), ``tilt`` (turned out of the camera's plane), ``glare`` (a
light reflected on the laminate) or ``low_light`` (dim and noisy). ``HeldCard`` animates it for
the demo's camera (``render(t)``: a slightly moving hand).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

CONDITIONS = ("clean", "blur", "tilt", "glare", "low_light")
FRAME_W, FRAME_H = 1280, 720


def _background(rng: np.random.Generator) -> np.ndarray:
    base = rng.integers(30, 200, size=3).astype(np.float32)
    noise = rng.normal(0, 1, size=(FRAME_H // 40, FRAME_W // 40, 3)).astype(np.float32)
    texture = cv2.resize(noise, (FRAME_W, FRAME_H), interpolation=cv2.INTER_CUBIC)
    return np.asarray(np.clip(base + 18 * texture, 0, 255), dtype=np.float32)


def _corners(rng: np.random.Generator, tilt: float, turn: float) -> np.ndarray:
    """Where the card's corners land: scaled, turned in the plane by ``turn`` degrees, and
    turned out of it by ``tilt`` degrees about a random axis (a simple perspective)."""
    width = rng.uniform(0.58, 0.74) * FRAME_W
    height = width / 1.585
    cx = FRAME_W / 2 + rng.uniform(-0.05, 0.05) * FRAME_W
    cy = FRAME_H / 2 + rng.uniform(-0.05, 0.05) * FRAME_H
    pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32) * [width / 2, height / 2]
    # out-of-plane: the far edge shrinks, as a card turned away from the lens does
    shrink = math.cos(math.radians(tilt))
    axis = rng.integers(0, 4)
    far = {0: (0, 1), 1: (1, 2), 2: (2, 3), 3: (3, 0)}[int(axis)]
    centre_of_far = pts[list(far)].mean(axis=0)
    for index in far:
        pts[index] = centre_of_far + (pts[index] - centre_of_far) * shrink
        pts[index] *= 0.5 + 0.5 * shrink
    angle = math.radians(turn)
    rotation = np.array([[math.cos(angle), -math.sin(angle)],
                         [math.sin(angle), math.cos(angle)]], np.float32)
    return (pts @ rotation.T + [cx, cy]).astype(np.float32)


def card_in_frame(card: Image.Image, condition: str, rng: np.random.Generator) -> np.ndarray:
    """An RGB ``uint8`` camera frame showing ``card`` under ``condition``."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}")
    face = np.asarray(card.convert("RGB"), dtype=np.float32)
    h, w = face.shape[:2]
    tilt = rng.uniform(18, 30) if condition == "tilt" else rng.uniform(0, 6)
    turn = rng.uniform(-12, 12) if condition == "tilt" else rng.uniform(-4, 4)
    corners = _corners(rng, tilt, turn)
    source = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(face, matrix, (FRAME_W, FRAME_H))
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, (FRAME_W, FRAME_H))
    frame: np.ndarray = _background(rng) * (1 - mask[..., None]) + warped * mask[..., None]
    if condition == "glare":
        # a reflected light: a soft white spot somewhere on the card
        spot: np.ndarray = np.zeros((FRAME_H, FRAME_W), np.float32)
        x, y = corners[:, 0], corners[:, 1]
        centre = (int(rng.uniform(x.min(), x.max())), int(rng.uniform(y.min(), y.max())))
        axes = (int(rng.uniform(0.08, 0.18) * FRAME_W), int(rng.uniform(0.05, 0.12) * FRAME_W))
        cv2.ellipse(spot, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        spot = cv2.GaussianBlur(spot, (0, 0), axes[1] / 2.5) * rng.uniform(0.55, 0.85)
        frame = frame * (1 - spot[..., None]) + 255 * spot[..., None]
    if condition == "blur":
        if rng.random() < 0.5:
            frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(1.4, 2.4))
        else:
            length = int(rng.integers(7, 14))
            kernel: np.ndarray = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1 / length
            rotation = cv2.getRotationMatrix2D((length / 2, length / 2), rng.uniform(0, 180), 1)
            kernel = cv2.warpAffine(kernel, rotation, (length, length))
            frame = cv2.filter2D(frame, -1, kernel / max(kernel.sum(), 1e-6))
    else:
        frame = cv2.GaussianBlur(frame, (0, 0), 0.7)
    noise = 2.0
    if condition == "low_light":
        frame = frame * rng.uniform(0.18, 0.35)
        noise = rng.uniform(3.0, 6.0)
    frame = frame + rng.normal(0, noise, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


class HeldCard:
    """A card held to the camera by a slightly moving hand (for the demo's camera)."""

    def __init__(self, card: Image.Image, seed: int = 0) -> None:
        self._card = card
        self._seed = seed

    def render(self, t: float) -> np.ndarray:
        rng = np.random.default_rng(self._seed + int(t * 4))
        return card_in_frame(self._card, "clean", rng)
