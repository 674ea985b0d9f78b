"""Presentation-attack simulations for the PAD evaluation (all in memory).

Each attack is a renderer like the synthetic resident: ``render(t)`` and ``observe_prompt``.

- ``StillInjection``: one unchanging frame, as a still image fed in place of the camera.
- ``HandheldPhoto``: a photo (printed, or on a phone screen; or the card's own portrait) held in
  front of a real camera: hand shake, camera noise, print or screen look (contrast loss, paper
  grain; raised black level, tint, moire). It follows the prompts as an attacker would: it tilts
  the photo sideways for "turn" and pitches it for "blink".
- ``ReplayedVideo``: a recorded video of the person played to the camera from a random point,
  looping, ignoring the prompts.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import Action
from kiosk.face_match.resident import FRAME_HEIGHT, FRAME_WIDTH, place_portrait

Image = npt.NDArray[np.uint8]
Medium = Literal["print", "screen"]
FOCAL_PX = 800.0


class _CameraNoise:
    """Sensor noise from a small precomputed bank (generating it per frame is slow)."""

    def __init__(self, rng: np.random.Generator, sigma: float = 2.0, bank: int = 6) -> None:
        self._bank = [
            rng.normal(0, sigma, (FRAME_HEIGHT, FRAME_WIDTH, 1)).astype(np.float32)
            for _ in range(bank)
        ]
        self._next = 0

    def __call__(self, image: Image) -> Image:
        self._next = (self._next + 1) % len(self._bank)
        noisy = (
            image.astype(np.float32) + self._bank[self._next][: image.shape[0], : image.shape[1]]
        )
        return np.asarray(np.clip(noisy, 0, 255), dtype=np.uint8)


class StillInjection:
    """The same frame every time (a still picture injected as the camera feed)."""

    def __init__(self, portrait_rgb: Image, *, seed: int = 0) -> None:
        self._frame, _ = place_portrait(portrait_rgb, random.Random(seed))  # noqa: S311 (seeded)

    def render(self, t: float) -> Image:
        return self._frame

    def observe_prompt(self, action: Action | None, t: float) -> None:
        """A still cannot react."""


def _plane_homography(  # noqa: PLR0917
    centre: tuple[float, float],
    yaw_deg: float,
    pitch_deg: float,
    roll_deg: float,
    shift: tuple[float, float],
    scale: float,
) -> npt.NDArray[np.float64]:
    """Homography of a flat picture rotated in 3-D about ``centre`` and seen by a pinhole camera."""
    yaw, pitch, roll = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    rotation_y = np.array(
        [[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]]
    )
    rotation_x = np.array(
        [[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)], [0, math.sin(pitch), math.cos(pitch)]]
    )
    rotation_z = np.array(
        [[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]]
    )
    rotation = rotation_z @ rotation_y @ rotation_x
    corners = np.array([[-200, -200], [200, -200], [200, 200], [-200, 200]], dtype=np.float64)
    projected = []
    for x, y in corners:
        point = rotation @ np.array([x * scale, y * scale, 0.0]) + np.array([0, 0, FOCAL_PX])
        projected.append(
            [
                centre[0] + shift[0] + FOCAL_PX * point[0] / point[2],
                centre[1] + shift[1] + FOCAL_PX * point[1] / point[2],
            ]
        )
    source = (corners + np.array(centre)).astype(np.float32)
    return np.asarray(
        cv2.getPerspectiveTransform(source, np.array(projected, dtype=np.float32)),
        dtype=np.float64,
    )


class HandheldPhoto:
    """A photo held to the camera that tries to follow the prompts by tilting."""

    def __init__(
        self,
        portrait_rgb: Image,
        *,
        medium: Medium = "print",
        seed: int = 0,
        follow_prompts: bool = True,
    ) -> None:
        self._rng = random.Random(seed)  # noqa: S311 (a seeded, repeatable attack)
        self._noise_rng = np.random.default_rng(seed)
        frame, box = place_portrait(portrait_rgb, self._rng)
        self._centre = box.centre
        self._picture = self._medium_look(frame, medium)
        self._follow = follow_prompts
        self._move: tuple[Action, float] | None = None
        self._prompt: Action | None = None
        self._phase = self._rng.uniform(0, 2 * math.pi)
        self._noise = _CameraNoise(self._noise_rng)
        self._tilt_degrees = self._rng.uniform(35, 55)

    def _medium_look(self, frame: Image, medium: Medium) -> Image:
        picture = frame.astype(np.float32)
        if medium == "print":
            picture = 30 + picture * 0.78 + np.array([6, 3, -4], dtype=np.float32)
            grain = self._noise_rng.normal(0, 3.0, (*frame.shape[:2], 1)).astype(np.float32)
            picture = np.asarray(cv2.GaussianBlur(picture + grain, (3, 3), 0.8), np.float32)
        else:
            ys, xs = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]].astype(np.float32)
            period = self._rng.uniform(3.0, 6.0)
            angle = self._rng.uniform(0, math.pi)
            moire = 1 + 0.07 * np.sin(
                (xs * math.cos(angle) + ys * math.sin(angle)) * 2 * math.pi / period
            )
            picture = (18 + picture * 0.85) * moire[:, :, None] + np.array(
                [-5, 0, 10], dtype=np.float32
            )
        return np.asarray(np.clip(picture, 0, 255), dtype=np.uint8)

    def observe_prompt(self, action: Action | None, t: float) -> None:
        if action == self._prompt:
            return
        self._prompt = action
        if action is not None and self._follow:
            self._move = (action, t + self._rng.uniform(0.3, 0.7))

    def _tilt(self, t: float) -> tuple[float, float]:
        if self._move is None:
            return 0.0, 0.0
        action, start = self._move
        elapsed = t - start
        duration = 0.4 if action is Action.BLINK else 1.4
        if elapsed < 0 or elapsed > duration:
            return 0.0, 0.0
        amount = math.sin(math.pi * elapsed / duration)
        if action is Action.BLINK:
            return 0.0, self._tilt_degrees * amount
        # Perspective moves the jaw outline's middle towards the nearer edge, so tilting the
        # picture's left edge away shifts the measured yaw to the left: the attacker's best try.
        sign = -1.0 if action is Action.TURN_LEFT else 1.0
        return sign * self._tilt_degrees * amount, 0.0

    def render(self, t: float) -> Image:
        yaw, pitch = self._tilt(t)
        wobble = math.sin(2.1 * t + self._phase)
        homography = _plane_homography(
            self._centre,
            yaw + 3 * wobble,
            pitch + 2 * math.sin(1.7 * t),
            2.5 * math.sin(1.1 * t + self._phase),
            (6 * math.sin(1.3 * t), 4 * math.cos(0.9 * t + self._phase)),
            1.0 + 0.03 * math.sin(0.7 * t),
        )
        warped = cv2.warpPerspective(
            self._picture,
            homography,
            (FRAME_WIDTH, FRAME_HEIGHT),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(70, 70, 70),
        )
        return self._noise(np.asarray(warped, dtype=np.uint8))


class ReplayedVideo:
    """A video of the person played to the camera from ``start_s``, looping; deaf to prompts."""

    def __init__(self, path: Path, *, start_s: float = 0.0, seed: int = 0) -> None:
        self._path = path
        self._capture: Any = None
        self._fps = 30.0
        self._next_index = 0
        self._frame_count = 1
        self._current: Image | None = None
        self._start_s = start_s
        self._noise = _CameraNoise(np.random.default_rng(seed), 1.5)
        self._open()

    def _open(self) -> None:
        if self._capture is not None:
            self._capture.release()
        self._capture = cv2.VideoCapture(str(self._path))
        if not self._capture.isOpened():
            raise ValueError("video cannot be opened")
        self._fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 30.0)
        self._frame_count = max(1, int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        self._next_index = 0

    def observe_prompt(self, action: Action | None, t: float) -> None:
        """A recording cannot react."""

    def _screen(self, bgr: Any) -> Image:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        height, width = rgb.shape[:2]
        scale = FRAME_HEIGHT / height
        resized = cv2.resize(rgb, (round(width * scale), FRAME_HEIGHT))
        left = max(0, (resized.shape[1] - FRAME_WIDTH) // 2)
        cropped = resized[:, left : left + FRAME_WIDTH]
        if cropped.shape[1] < FRAME_WIDTH:
            cropped = cv2.copyMakeBorder(
                cropped, 0, 0, 0, FRAME_WIDTH - cropped.shape[1], cv2.BORDER_CONSTANT
            )
        return np.asarray(cropped, dtype=np.uint8)

    def render(self, t: float) -> Image:
        wanted = int((self._start_s + t) * self._fps) % self._frame_count
        if wanted < self._next_index - 1 or (self._current is None and wanted < self._next_index):
            self._open()
        while self._next_index <= wanted or self._current is None:
            ok, bgr = self._capture.read()
            if not ok:
                self._open()
                continue
            self._current = self._screen(bgr)
            self._next_index += 1
        return self._noise(self._current)
