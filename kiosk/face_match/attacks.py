"""Presentation-attack media for the PAD evaluation (all in memory, nothing written to disk).

Each attack is a presenter like the synthetic resident: ``render(t)`` gives the camera frame at
``t``, ``observe_prompt(action, t)`` tells it the prompt on screen, ``observe_illumination``
the colour the kiosk's screen shows, and ``render_depth(t)`` what a depth camera would measure.
Each answers the screen's light as its material would (see ``ScreenLight``): paper reflects
it diffusely like skin, a phone or tablet emits its own picture and only mirrors a faint veil
of it off its glass, a recording cannot know it.

- ``StillInjection``: one unchanging frame, as a still image fed in place of the camera.
- ``HandheldPhoto``: a photo (printed, or on a phone screen; or the card's own portrait) held in
  front of a real camera: hand shake, camera noise, print or screen look. It follows the
  prompts as an attacker would: it tilts the photo sideways for a turn, pitches it for a look
  up or down or a blink, brings it closer for "move closer".
- ``PaperMask``: the holder's face printed life-size on paper, curved round the attacker's
  head, the eyes cut out; the attacker wears it and obeys the prompts (blinks, turns, looks up
  and down with it: the mask follows the head, the real eyes show through the holes).
- ``PreparedClip``: a clip of the holder made beforehand (turning, looking, blinking and
  opening the mouth in a fixed order), replayed on a screen from a random point, looping.
- ``ReplayedVideo``: a real video file played to the camera from a random point, looping.
- ``RealTimePuppet``: the holder's face re-enacted live (deepfake class): it answers every
  prompt and carries the attacker's lighting over. Out of scope for an RGB camera; evaluated as
  a reference.
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
from kiosk.face_match.encoding import landmarks_68
from kiosk.face_match.geometry import five_points, interocular
from kiosk.face_match.resident import (
    BACKGROUND_MM,
    CAMERA_DISTANCE_MM,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    ORDINARY_SCREEN,
    ResidentTraits,
    SyntheticResident,
    place_portrait,
)

Image = npt.NDArray[np.uint8]
FloatImage = npt.NDArray[np.float32]
Colour = tuple[float, float, float]
Medium = Literal["print", "screen"]
FOCAL_PX = 800.0
HAND_MM = 400.0  # a photo held up to the camera


class _CameraNoise:
    """Sensor noise from a small precomputed bank (generating it per frame is slow)."""

    def __init__(self, rng: np.random.Generator, sigma: float = 2.0, bank: int = 6) -> None:
        self._bank = [
            rng.normal(0, sigma, (FRAME_HEIGHT, FRAME_WIDTH, 1)).astype(np.float32)
            for _ in range(bank)
        ]
        self._next = 0

    def __call__(self, image: npt.NDArray[Any]) -> Image:
        self._next = (self._next + 1) % len(self._bank)
        noisy = (
            image.astype(np.float32) + self._bank[self._next][: image.shape[0], : image.shape[1]]
        )
        return np.asarray(np.clip(noisy, 0, 255), dtype=np.uint8)


class ScreenLight:
    """The kiosk screen's colour over time, as a presenter sees it (after the display's lag).

    ``change(t)`` is the screen's colour minus the ordinary interface's (per channel, -1..1):
    what a surface facing the screen gets on top of the ambient light.
    """

    def __init__(self, rng: random.Random) -> None:
        self._lag = rng.uniform(0.0, 0.08)
        self._timeline: list[tuple[float, Colour]] = [(-1e9, ORDINARY_SCREEN)]

    def observe(self, colour: Colour | None, t: float) -> None:
        shown = ORDINARY_SCREEN if colour is None else colour
        if shown != self._timeline[-1][1]:
            self._timeline.append((t + self._lag, shown))
            del self._timeline[:-8]

    def change(self, t: float) -> npt.NDArray[np.float32]:
        colour = ORDINARY_SCREEN
        for start, shown in self._timeline:
            if start <= t:
                colour = shown
        return np.asarray(colour, dtype=np.float32) - np.asarray(ORDINARY_SCREEN, np.float32)


def print_look(frame: Image, rng: np.random.Generator) -> FloatImage:
    """A photo printed on paper: contrast loss, warm tint, paper grain, a little blur."""
    picture = 30 + frame.astype(np.float32) * 0.78 + np.array([6, 3, -4], dtype=np.float32)
    grain = rng.normal(0, 3.0, (*frame.shape[:2], 1)).astype(np.float32)
    return np.asarray(cv2.GaussianBlur(picture + grain, (3, 3), 0.8), np.float32)


def screen_look(frame: Image, rng: random.Random) -> FloatImage:
    """A photo on a phone or tablet: raised black level, blue tint, moire with the sensor."""
    ys, xs = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]].astype(np.float32)
    period = rng.uniform(3.0, 6.0)
    angle = rng.uniform(0, math.pi)
    moire = 1 + 0.07 * np.sin((xs * math.cos(angle) + ys * math.sin(angle)) * 2 * math.pi / period)
    picture = (18 + frame.astype(np.float32) * 0.85) * moire[:, :, None]
    return np.asarray(picture + np.array([-5, 0, 10], dtype=np.float32), np.float32)


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
    """A photo held to the camera that tries to follow the prompts by tilting and moving it."""

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
        self._medium = medium
        if medium == "print":
            self._picture = print_look(frame, self._noise_rng)
        else:
            self._picture = screen_look(frame, self._rng)
        self._paper = np.zeros(frame.shape[:2], dtype=np.float32)
        self._paper[:] = 1.0
        self._follow = follow_prompts
        self._move: tuple[Action, float] | None = None
        self._prompt: Action | None = None
        self._phase = self._rng.uniform(0, 2 * math.pi)
        self._noise = _CameraNoise(self._noise_rng)
        self._tilt_degrees = self._rng.uniform(35, 55)
        self._light = ScreenLight(self._rng)
        # Paper reflects the screen diffusely, like skin; a screen's glass mirrors a faint veil.
        self._reflectance = self._rng.uniform(0.06, 0.25)
        self._veil = self._rng.uniform(0.02, 0.06) * 255

    def observe_prompt(self, action: Action | None, t: float) -> None:
        if action == self._prompt:
            return
        self._prompt = action
        if action is not None and self._follow:
            self._move = (action, t + self._rng.uniform(0.3, 0.7))

    def observe_illumination(self, colour: Colour | None, t: float) -> None:
        self._light.observe(colour, t)

    def _tilt(self, t: float) -> tuple[float, float, float]:
        """(yaw, pitch, scale) of the photo for the attacker's current move."""
        if self._move is None:
            return 0.0, 0.0, 1.0
        action, start = self._move
        elapsed = t - start
        duration = 0.4 if action is Action.BLINK else 1.4
        if elapsed < 0 or elapsed > duration:
            return 0.0, 0.0, 1.0
        amount = math.sin(math.pi * elapsed / duration)
        if action in (Action.BLINK, Action.LOOK_UP, Action.OPEN_MOUTH):
            return 0.0, self._tilt_degrees * amount, 1.0
        if action is Action.LOOK_DOWN:
            return 0.0, -self._tilt_degrees * amount, 1.0
        if action is Action.MOVE_CLOSER:
            return 0.0, 0.0, 1.0 + 0.3 * amount
        # Perspective moves the jaw outline's middle towards the nearer edge, so tilting the
        # picture's left edge away shifts the measured yaw to the left: the attacker's best try.
        sign = -1.0 if action is Action.TURN_LEFT else 1.0
        return sign * self._tilt_degrees * amount, 0.0, 1.0

    def _homography(self, t: float) -> tuple[npt.NDArray[np.float64], float, float]:
        yaw, pitch, scale = self._tilt(t)
        wobble = math.sin(2.1 * t + self._phase)
        yaw += 3 * wobble
        pitch += 2 * math.sin(1.7 * t)
        homography = _plane_homography(
            self._centre,
            yaw,
            pitch,
            2.5 * math.sin(1.1 * t + self._phase),
            (6 * math.sin(1.3 * t), 4 * math.cos(0.9 * t + self._phase)),
            scale * (1.0 + 0.03 * math.sin(0.7 * t)),
        )
        facing = math.cos(math.radians(yaw)) * math.cos(math.radians(pitch))
        return homography, facing, scale

    def render(self, t: float) -> Image:
        homography, facing, _ = self._homography(t)
        change = self._light.change(t)
        picture = self._picture
        if np.any(np.abs(change) > 1e-3):
            if self._medium == "print":
                picture = picture * (1 + self._reflectance * facing * change)
            else:
                picture = picture + self._veil * change
        warped = cv2.warpPerspective(
            picture,
            homography,
            (FRAME_WIDTH, FRAME_HEIGHT),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(70, 70, 70),
        )
        return self._noise(warped)

    def render_depth(self, t: float) -> FloatImage:
        """A flat sheet at hand's distance, the room behind it."""
        homography, _, scale = self._homography(t)
        # Depth of the plane: at the centre HAND_MM / scale, tilting adds a linear slope.
        yaw, pitch, _ = self._tilt(t)
        ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
        cx, cy = self._centre
        mm_per_px = HAND_MM / FOCAL_PX
        plane = (
            HAND_MM / scale
            + (xs - cx) * math.tan(math.radians(yaw)) * mm_per_px
            - (ys - cy) * math.tan(math.radians(pitch)) * mm_per_px
        )
        inside = cv2.warpPerspective(
            self._paper, homography, (FRAME_WIDTH, FRAME_HEIGHT), flags=cv2.INTER_NEAREST
        )
        depth = np.where(inside > 0.5, plane, BACKGROUND_MM).astype(np.float32)
        depth += self._noise_rng.normal(0, 1.5, depth.shape).astype(np.float32)
        return depth


class PaperMask:
    """The holder's face printed on paper, bent round the attacker's head, eyes cut out.

    The attacker (``wearer``, a synthetic resident of another face) obeys the prompts; the mask
    turns and tips with the head in 3-D: a cylinder of paper (radius 7.5-11 cm) touching the
    nose tip and bent round the cheeks, seen by the camera. Through the eye holes the wearer's
    own eyes show (they blink); the paper's edge casts a thin shadow into the holes. The paper
    reflects the screen's light with the cylinder's shading. The printed mouth cannot open.
    """

    def __init__(
        self,
        holder_rgb: Image,
        wearer_rgb: Image,
        *,
        seed: int = 0,
        traits: ResidentTraits | None = None,
    ) -> None:
        rng = random.Random(seed)  # noqa: S311 (a seeded, repeatable attack)
        self._rng = rng
        self._np_rng = np.random.default_rng(seed)
        # An attacker turns and tips a mask further than a resident would, to be sure.
        traits = traits or ResidentTraits(
            turn_degrees=(25.0, 38.0), pitch_degrees=(18.0, 28.0), reaction_s=(0.35, 0.9)
        )
        self._wearer = SyntheticResident(wearer_rgb, seed=seed + 1, traits=traits)
        wearer_points = self._wearer.neutral_points
        wearer_five = five_points(wearer_points)
        self._iod = interocular(wearer_five)
        holder_frame, holder_box = place_portrait(holder_rgb, rng)
        holder_points = landmarks_68(holder_frame, holder_box)
        holder_five = five_points(holder_points)
        # Print the holder's face at the wearer's size, eyes over the wearer's eyes.
        source = holder_five[:2].astype(np.float32)
        target = wearer_five[:2].astype(np.float32)
        similarity, _ = cv2.estimateAffinePartial2D(source, target)
        texture = cv2.warpAffine(
            holder_frame, similarity, (FRAME_WIDTH, FRAME_HEIGHT), borderMode=cv2.BORDER_REPLICATE
        )
        self._texture = print_look(np.asarray(texture, np.uint8), self._np_rng)
        moved = cv2.transform(holder_points[None].astype(np.float32), similarity)[0]
        self._alpha = self._cut(moved)
        self._centre = self._wearer.rotation_centre
        nose = wearer_points[30]
        self._front = self._wearer.depth_at(float(nose[0]), float(nose[1])) + 0.03 * self._iod
        # Bent to hug the cheeks: a radius of 7.5-11 cm touching the nose tip.
        self._radius = rng.uniform(1.2, 1.8) * self._iod
        self._reflectance = rng.uniform(0.06, 0.25)
        self._light = ScreenLight(rng)
        self._noise = _CameraNoise(self._np_rng, 1.0)

    def _cut(self, points: npt.NDArray[np.float32]) -> FloatImage:
        """Paper outline round the face (jaw and forehead) minus two eye holes, 0..1."""
        mask = np.zeros((FRAME_HEIGHT, FRAME_WIDTH), dtype=np.uint8)
        jaw = points[0:17]
        brow_lift = (points[8] - points[27]) * 0.55
        forehead = points[26:16:-1] - brow_lift[None, :]
        outline = np.vstack([jaw, forehead]).astype(np.int32)
        cv2.fillPoly(mask, [cv2.convexHull(outline)], 255)
        rng = self._rng
        width_factor, height_factor = rng.uniform(1.1, 1.6), rng.uniform(1.6, 2.8)
        for eye in (points[36:42], points[42:48]):
            centre = eye.mean(axis=0)
            half_w = float(np.linalg.norm(eye[3] - eye[0])) / 2 * width_factor
            half_h = max(2.0, float(np.ptp(eye[:, 1])) / 2 * height_factor)
            cv2.ellipse(mask, (round(centre[0]), round(centre[1])), (round(half_w), round(half_h)),
                        0, 0, 360, 0, -1, cv2.LINE_AA)
        return np.asarray(cv2.GaussianBlur(mask.astype(np.float32) / 255, (3, 3), 0.7), np.float32)

    def observe_prompt(self, action: Action | None, t: float) -> None:
        self._wearer.observe_prompt(action, t)

    def observe_illumination(self, colour: Colour | None, t: float) -> None:
        self._wearer.observe_illumination(colour, t)
        self._light.observe(colour, t)

    def _paper_maps(self, t: float) -> tuple[FloatImage, FloatImage, FloatImage, FloatImage]:
        """Per output pixel: the texture coordinates on the paper, its facing angle's cosine
        (towards the camera), and its depth in front of the head's turning axis (pixels)."""
        pose = self._wearer.head_pose(t)
        cx, cy = self._centre
        ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
        rotated_x = (xs - pose.shift[0] - cx) / pose.scale
        rotated_y = (ys - pose.shift[1] - cy) / pose.scale
        yaw, pitch = math.radians(pose.yaw), math.radians(pose.pitch)
        radius, front = self._radius, self._front
        # On the cylinder x = R sin a, depth = front - R (1 - cos a); turned by yaw:
        # x' = R sin(a + yaw) + (front - R) sin(yaw).
        ratio = (rotated_x - (front - radius) * math.sin(yaw)) / radius
        valid = np.abs(ratio) < 0.999
        angle = np.arcsin(np.clip(ratio, -0.999, 0.999)) - yaw
        depth_turned = radius * np.cos(angle + yaw) + (front - radius) * math.cos(yaw)
        source_y = (rotated_y + depth_turned * math.sin(pitch)) / math.cos(pitch)
        map_x = (cx + radius * angle).astype(np.float32)
        map_y = (cy + source_y).astype(np.float32)
        facing = (np.cos(angle + yaw) * math.cos(pitch) * valid).astype(np.float32)
        depth = (depth_turned * math.cos(pitch) - source_y * math.sin(pitch)) * pose.scale
        return map_x, map_y, facing, np.asarray(depth, dtype=np.float32)

    def render(self, t: float) -> Image:
        head = self._wearer.render(t).astype(np.float32)
        map_x, map_y, facing, _ = self._paper_maps(t)
        alpha = cv2.remap(self._alpha, map_x, map_y, cv2.INTER_LINEAR) * (facing > 0.05)
        paper = cv2.remap(self._texture, map_x, map_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
        # Ambient light falls off on the paper's sides; the screen's light follows its facing.
        paper = paper * (0.8 + 0.2 * facing[:, :, None])
        change = self._light.change(t)
        if np.any(np.abs(change) > 1e-3):
            paper = paper * (1 + self._reflectance * facing[:, :, None] * change)
        # The paper's edge shades the skin just inside the holes.
        shadow = cv2.GaussianBlur(alpha, (0, 0), 2.5)
        head = head * (1 - 0.45 * np.clip(shadow - alpha, 0, 1))[:, :, None]
        mixed = head * (1 - alpha[:, :, None]) + paper * alpha[:, :, None]
        return self._noise(mixed)

    def render_depth(self, t: float) -> FloatImage:
        head = self._wearer.render_depth(t)
        map_x, map_y, facing, depth = self._paper_maps(t)
        alpha = cv2.remap(self._alpha, map_x, map_y, cv2.INTER_LINEAR) * (facing > 0.05)
        distance = CAMERA_DISTANCE_MM / self._wearer.head_pose(t).scale
        paper = distance - depth * self._wearer.mm_per_px
        return np.asarray(np.where(alpha > 0.5, paper, head), dtype=np.float32)


class PreparedClip:
    """A clip of the holder made beforehand, replayed on a screen, deaf to prompts and light.

    The clip is rendered in memory from a synthetic resident of the holder performing every
    action in a fixed order (the attacker's guess of what will be asked), one every
    ``spacing_s``; the replay starts at a random point and loops.
    """

    def __init__(self, holder_rgb: Image, *, seed: int = 0, spacing_s: float | None = None) -> None:
        rng = random.Random(seed)  # noqa: S311 (a seeded, repeatable attack)
        self._rng = rng
        self._person = SyntheticResident(holder_rgb, seed=seed + 1, reflect=False)
        order = list(Action)
        rng.shuffle(order)
        self._order = order
        self._spacing = spacing_s if spacing_s is not None else rng.uniform(1.8, 2.6)
        self._period = self._spacing * len(order)
        self._start = rng.uniform(0, self._period)
        self._scripted_until = -1
        self._look = _ScreenReplay(rng, np.random.default_rng(seed))
        self._light = ScreenLight(rng)

    def observe_prompt(self, action: Action | None, t: float) -> None:
        """A recording cannot react."""

    def observe_illumination(self, colour: Colour | None, t: float) -> None:
        self._light.observe(colour, t)

    def render(self, t: float) -> Image:
        # The clip's script: action k starts at k * spacing, in the fixed order, looping.
        clip_t = self._start + t
        index = math.floor(clip_t / self._spacing)
        while self._scripted_until < index:
            self._scripted_until += 1
            k = self._scripted_until
            action = self._order[k % len(self._order)]
            self._person.observe_prompt(None, k * self._spacing)
            self._person.observe_prompt(action, k * self._spacing)
        frame = self._person.render(clip_t)
        return self._look(frame, self._light.change(t))


class _ScreenReplay:
    """A frame shown on a phone or tablet held to the camera: screen look, glass veil, noise."""

    def __init__(self, rng: random.Random, np_rng: np.random.Generator) -> None:
        self._rng = rng
        self._veil = rng.uniform(0.02, 0.06) * 255
        self._noise = _CameraNoise(np_rng, 1.5)
        period = rng.uniform(3.0, 6.0)
        angle = rng.uniform(0, math.pi)
        ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
        self._moire = (
            1 + 0.06 * np.sin((xs * math.cos(angle) + ys * math.sin(angle)) * 2 * math.pi / period)
        )[:, :, None].astype(np.float32)

    def __call__(self, frame: Image, change: npt.NDArray[np.float32]) -> Image:
        picture = (18 + frame.astype(np.float32) * 0.85) * self._moire
        picture += np.array([-5, 0, 10], dtype=np.float32) + self._veil * change
        return self._noise(picture)


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
        self._look = _ScreenReplay(random.Random(seed), np.random.default_rng(seed))  # noqa: S311 (a seeded, repeatable attack)
        self._light = ScreenLight(random.Random(seed))  # noqa: S311 (a seeded, repeatable attack)
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

    def observe_illumination(self, colour: Colour | None, t: float) -> None:
        self._light.observe(colour, t)

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
        return self._look(self._current, self._light.change(t))


class RealTimePuppet(SyntheticResident):
    """The holder's face re-enacted live by a face-swap or puppet model (deepfake class),
    shown on a tablet held to the camera, answering every prompt and the screen's light as a
    head would (the model carries the attacker's own lighting over).

    RGB liveness has nothing left to tell it from the holder: it is the out-of-scope reference
    of the evaluation (see docs/face-match.md). A depth camera sees the tablet: a flat sheet.
    """

    def render_depth(self, t: float) -> FloatImage:
        rng = np.random.default_rng(int(t * 1000) % (2**31))
        ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
        plane = HAND_MM + 0.05 * (xs - FRAME_WIDTH / 2) - 0.03 * (ys - FRAME_HEIGHT / 2)
        return np.asarray(plane + rng.normal(0, 1.5, plane.shape), dtype=np.float32)
