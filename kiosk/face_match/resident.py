"""A synthetic "resident": a still portrait animated into live frames that obey liveness prompts.

For the demo, end-to-end tests and the bona fide side of the PAD evaluation. The portrait is
placed in a 640 x 480 frame on a depth map (an ellipsoid head with a protruding nose, about
2.5 cm in front of the eyes as on an adult) and rotated on it: turning and looking up or down
move each pixel by its depth (the nose more than the eyes, the eyes more than the ears) and
foreshorten the face, as a head does and a photo does not. Blinks paint skin over the eye
openings (each eye on its own, so an eye that does not close well can be modelled), the mouth
opens by moving the lower lip and chin down over a dark mouth, "move closer" enlarges the face.
It sways slightly, blinks on its own, and has camera-like sensor noise.

The kiosk's screen lights the face: ``observe_illumination`` tells the resident the screen's
colour, and the skin reflects it, more where it faces the screen (the shading of the depth
map's normals), little on the distant background. ``render_depth`` gives the matching depth
frame (millimetres) as a depth camera would.

Drive it with ``render(t)`` (frame at time ``t`` seconds); tell it the current prompt with
``observe_prompt(action, t)``; it replies after a human-like reaction delay. ``ResidentTraits``
describe who it is: slow and elderly, wearing glasses, with an eye that does not blink well, in
a wheelchair (seen from above, lower in the picture).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import LOOKS, TURNS, Action
from kiosk.face_match.detection import FaceBox, detect_faces
from kiosk.face_match.encoding import landmarks_68
from kiosk.face_match.geometry import five_points, interocular

FRAME_WIDTH = 640
FRAME_HEIGHT = 480
# Relaxed fixed-point steps inverting the head's rotation, the count every figure was measured
# with. Most pixels settle in them; where the nose hides the cheek a pixel has two sources and
# keeps moving (the 99th percentile of a step stays ~11 px at 20 degrees of yaw).
INVERSE_WARP_STEPS = 6
FACE_SHARE = (0.27, 0.36)  # the placed face's width as a share of the frame's, least to most
BLINK_CLOSE_S = 0.07
BLINK_HOLD_S = 0.12
BLINK_OPEN_S = 0.10
# The screen's own light when it shows the ordinary interface (the reference of the flashes).
ORDINARY_SCREEN = (0.55, 0.55, 0.55)
INTEROCULAR_MM = 63.0
CAMERA_DISTANCE_MM = 500.0
BACKGROUND_MM = 1800.0

Image = npt.NDArray[np.uint8]
Colour = tuple[float, float, float]
FloatImage = npt.NDArray[np.float32]
Points68 = npt.NDArray[np.float64]


class ResidentError(ValueError):
    """The portrait has no usable face to animate."""


@dataclass(frozen=True, slots=True)
class ResidentTraits:
    """Who the resident is and how they move (ranges are drawn per resident)."""

    reaction_s: tuple[float, float] = (0.35, 0.8)  # prompt to the start of the movement
    speed: tuple[float, float] = (0.9, 1.2)  # 1 = a brisk adult's movement
    turn_degrees: tuple[float, float] = (24.0, 34.0)
    pitch_degrees: tuple[float, float] = (16.0, 24.0)
    closer_scale: tuple[float, float] = (1.22, 1.35)
    hold_s: tuple[float, float] = (0.5, 0.9)
    blink_closure: tuple[float, float] = (1.0, 1.0)  # how far the right / left eye closes
    glasses: bool = False
    seat_pitch_degrees: float = 0.0  # head seen from above (negative) by a camera set high
    face_height: float = 0.45  # face centre, fraction of the frame height
    tremor_degrees: float = 0.0
    reflectance: tuple[float, float] = (0.06, 0.25)  # screen light reflected, per unit colour


TYPICAL = ResidentTraits()
ELDERLY = ResidentTraits(
    reaction_s=(0.8, 1.8),
    speed=(0.45, 0.7),
    turn_degrees=(18.0, 28.0),
    pitch_degrees=(12.0, 20.0),
    closer_scale=(1.15, 1.25),
    hold_s=(0.8, 1.4),
    tremor_degrees=1.0,
)


def _ease(amount: float) -> float:
    amount = min(1.0, max(0.0, amount))
    return 0.5 - 0.5 * math.cos(math.pi * amount)


@dataclass(frozen=True, slots=True)
class _Pose:
    yaw: float = 0.0  # degrees, positive: the resident's own left
    pitch: float = 0.0  # degrees, positive: looking up
    closure: tuple[float, float] = (0.0, 0.0)  # right, left eye: 0 open .. 1 closed
    mouth: float = 0.0  # 0 closed .. 1 open
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class HeadPose:
    """Where the head is at one instant: rotation (degrees), enlargement, and the sway shift
    (pixels) about the rotation centre of the neutral frame."""

    yaw: float
    pitch: float
    scale: float
    shift: tuple[float, float]


@dataclass(slots=True)
class _Performance:
    action: Action
    start: float
    ramp: float
    hold: float
    amount: float  # degrees, scale gain, closure

    def duration(self) -> float:
        if self.action is Action.BLINK:
            return BLINK_CLOSE_S + BLINK_HOLD_S + BLINK_OPEN_S
        return 2 * self.ramp + self.hold

    def level(self, t: float) -> float:
        """0 .. 1 .. 0 over the performance."""
        elapsed = t - self.start
        if elapsed < 0 or elapsed > self.duration():
            return 0.0
        if self.action is Action.BLINK:
            if elapsed < BLINK_CLOSE_S:
                return elapsed / BLINK_CLOSE_S
            if elapsed < BLINK_CLOSE_S + BLINK_HOLD_S:
                return 1.0
            return max(0.0, 1 - (elapsed - BLINK_CLOSE_S - BLINK_HOLD_S) / BLINK_OPEN_S)
        if elapsed < self.ramp:
            return _ease(elapsed / self.ramp)
        if elapsed < self.ramp + self.hold:
            return 1.0
        return _ease(1 - (elapsed - self.ramp - self.hold) / self.ramp)


def place_portrait(
    portrait: Image, rng: random.Random, face_height: float = 0.45
) -> tuple[Image, FaceBox]:
    """Scale the portrait so its face is about a third of the frame width, on a plain backdrop."""
    rgb = portrait if portrait.ndim == 3 else np.repeat(portrait[:, :, None], 3, axis=2)
    rgb = np.ascontiguousarray(rgb[:, :, :3])
    faces = detect_faces(rgb, upsample=1)
    if not faces:
        raise ResidentError("no face found in the portrait")
    face = faces[0]
    scale = (FRAME_WIDTH * rng.uniform(*FACE_SHARE)) / face.width
    scaled = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    backdrop_colour = [rng.randint(90, 200) for _ in range(3)]
    frame = np.empty((FRAME_HEIGHT, FRAME_WIDTH, 3), dtype=np.uint8)
    frame[:] = backdrop_colour
    centre_x, centre_y = face.centre
    offset_x = round(FRAME_WIDTH / 2 - centre_x * scale + rng.uniform(-20, 20))
    offset_y = round(FRAME_HEIGHT * face_height - centre_y * scale + rng.uniform(-15, 15))
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


def _eye_masks(points: Points68, shape: tuple[int, int]) -> list[FloatImage]:
    """Soft masks around each eye opening (right, left)."""
    masks = []
    for eye in (points[36:42], points[42:48]):
        mask = np.zeros(shape, dtype=np.uint8)
        centre = eye.mean(axis=0)
        grown = (eye - centre) * np.array([1.5, 2.6]) + centre
        cv2.fillPoly(mask, [np.round(grown).astype(np.int32)], 255)
        soft = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), 1.5)
        masks.append(np.asarray(np.clip(1.6 * soft, 0, 1), dtype=np.float32))
    return masks



def _closed_eyes(frame: Image, points: Points68) -> Image:
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


def draw_glasses(frame: Image, points: Points68, rng: random.Random) -> Image:
    """Spectacles: a rim round each eye, a bridge, the temples and a faint lens reflection."""
    out = frame.copy()
    five = five_points(points)
    iod = interocular(five)
    thickness = max(1, round(iod * rng.uniform(0.03, 0.07)))
    colour = rng.choice([(20, 20, 20), (70, 45, 30), (150, 150, 155), (110, 30, 30)])
    half_w = iod * rng.uniform(0.40, 0.48)
    half_h = iod * rng.uniform(0.24, 0.32)
    lens = np.zeros(frame.shape[:2], dtype=np.uint8)
    centres = []
    for eye in (points[36:42], points[42:48]):
        centre = eye.mean(axis=0) + np.array([0.0, iod * 0.03])
        centres.append(centre)
        axes = (round(half_w), round(half_h))
        cv2.ellipse(lens, (round(centre[0]), round(centre[1])), axes, 0, 0, 360, 255, -1)
    glare = np.zeros(frame.shape[:2], dtype=np.float32)
    for centre in centres:
        start = (round(centre[0] - half_w * 0.5), round(centre[1] - half_h * 0.6))
        end = (round(centre[0] + half_w * 0.1), round(centre[1] + half_h * 0.5))
        cv2.line(glare, start, end, 1.0, max(2, round(iod * 0.05)))
    glare = cv2.GaussianBlur(glare, (0, 0), 2.0) * (lens > 0) * rng.uniform(0.05, 0.2)
    tinted = out.astype(np.float32) * (1 - glare[:, :, None]) + 255 * glare[:, :, None]
    out = np.asarray(np.clip(tinted, 0, 255), dtype=np.uint8)
    for centre in centres:
        axes = (round(half_w), round(half_h))
        cv2.ellipse(out, (round(centre[0]), round(centre[1])), axes, 0, 0, 360, colour,
                    thickness, cv2.LINE_AA)
    inner_r = (round(centres[0][0] + half_w), round(centres[0][1] - half_h * 0.2))
    inner_l = (round(centres[1][0] - half_w), round(centres[1][1] - half_h * 0.2))
    cv2.line(out, inner_r, inner_l, colour, thickness, cv2.LINE_AA)
    for index, side in ((0, -1), (16, 1)):
        rim = (round(centres[0 if side < 0 else 1][0] + side * half_w),
               round(centres[0 if side < 0 else 1][1] - half_h * 0.3))
        ear = (round(points[index][0]), round(points[index][1] - iod * 0.05))
        cv2.line(out, rim, ear, colour, thickness, cv2.LINE_AA)
    return out


def _depth_map(points: Points68) -> tuple[FloatImage, FloatImage, tuple[float, float]]:
    """Pixel depth towards the camera (from the head's turning axis) and the head's extent.

    An ellipsoid head plus a ridge along the nose whose tip stands about 0.4 inter-ocular
    distances in front of the eyes and 0.25 in front of the bridge. Returns (depth, head weight
    0..1, rotation centre).
    """
    ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
    five = five_points(points)
    iod = interocular(five)
    jaw_width = float(points[16, 0] - points[0, 0])
    centre_x = float(points[27:31, 0].mean())
    centre_y = float(points[28, 1])
    radius_x = 0.56 * jaw_width
    radius_y = 0.85 * jaw_width
    inside = 1 - ((xs - centre_x) / radius_x) ** 2 - ((ys - centre_y) / radius_y) ** 2
    # Faces are flatter from brow to chin than across: a longer radius for the depth.
    rounded = 1 - ((xs - centre_x) / radius_x) ** 2 - ((ys - centre_y) / (1.25 * jaw_width)) ** 2
    head = 1.3 * radius_x * np.sqrt(np.clip(rounded, 0, None))
    # The nose: a ridge rising from the bridge (27) to the tip (30), wider at its base, ending
    # at the lip; its tip about 0.35 inter-ocular distances above the cheeks beside it.
    nose_top, nose_tip = points[27], points[30]
    along = np.clip((ys - nose_top[1]) / max(1.0, nose_tip[1] - nose_top[1]), 0, 1)
    ridge_x = nose_top[0] + along * (nose_tip[0] - nose_top[0])
    width = iod * (0.09 + 0.12 * along)
    height = iod * (0.06 + 0.29 * along**1.2)
    below = np.clip(ys - nose_tip[1], 0, None)
    ridge = (
        height
        * np.exp(-(((xs - ridge_x) / width) ** 2))
        * np.exp(-((below / (0.1 * iod)) ** 2))
        * (ys >= nose_top[1] - 0.1 * iod)
    )
    # The head's rotation fades out towards the ellipse's rim, where the photo's backdrop is.
    ramp = np.clip(inside / 0.3, 0, 1)
    weight = (ramp * ramp * (3 - 2 * ramp)).astype(np.float32)
    return np.asarray(head + ridge, dtype=np.float32), weight, (centre_x, centre_y)


def _shading(depth: FloatImage, weight: FloatImage) -> FloatImage:
    """How much of the screen's light each pixel gets: the cosine between the surface normal
    and the direction to the screen (below the camera) on the head, little on the backdrop."""
    smooth = cv2.GaussianBlur(depth, (0, 0), 2.0)
    grad_y, grad_x = np.gradient(smooth)
    normal = np.stack([-grad_x, -grad_y, np.ones_like(smooth)], axis=2)
    normal /= np.linalg.norm(normal, axis=2, keepdims=True)
    light = np.array([0.0, 0.35, 1.0], dtype=np.float32)
    light /= np.linalg.norm(light)
    facing = np.clip(normal @ light, 0, 1)
    return np.asarray(weight * facing + (1 - weight) * 0.1, dtype=np.float32)


class _Mouth:
    """Opening the mouth: the lower lip and chin drop by up to ``drop`` pixels.

    ``field`` (0..1) says how much of the drop each neutral-frame pixel takes: all of it from
    just below the lips to the chin, none above the lips or down the neck. The warp stretches
    the thin strip where the field rises into the gap between the lips, so that strip is painted
    as the dark inside of the mouth (``alpha``) and the stretch shows an open mouth.
    """

    def __init__(self, points: Points68) -> None:
        ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
        iod = interocular(five_points(points))
        self.drop = 0.30 * iod
        lip_y = float((points[62, 1] + points[66, 1]) / 2)
        ramp = max(2.0, 0.05 * iod)
        chin_y = float(points[8, 1])
        left, right = float(points[5, 0]), float(points[11, 0])
        middle, half = (left + right) / 2, max(1.0, (right - left) / 2)
        below = np.clip((ys - lip_y) / ramp, 0, 1)
        beneath_chin = np.clip(1 - (ys - chin_y) / (0.5 * iod), 0, 1)
        across = np.clip(1.3 - np.abs(xs - middle) / half, 0, 1)
        self.field = np.asarray(below * beneath_chin * across, dtype=np.float32)
        mouth_middle = float((points[60, 0] + points[64, 0]) / 2)
        mouth_half = max(1.0, float(points[64, 0] - points[60, 0]) * 0.45)
        inside = (1 - ((xs - mouth_middle) / mouth_half) ** 2) > 0
        strip = (ys >= lip_y - 0.5) & (ys <= lip_y + ramp)
        alpha = (inside & strip).astype(np.float32)
        self.alpha = np.asarray(cv2.GaussianBlur(alpha, (0, 0), 0.8), dtype=np.float32)[
            :, :, None
        ]
        self.colour = np.array([45, 18, 20], dtype=np.float32)

    def painted(self, image: Image) -> Image:
        return np.asarray(image * (1 - self.alpha) + self.colour * self.alpha, dtype=np.uint8)


class SyntheticResident:
    """Animated portrait: ``render(t)`` gives the frame at ``t``; prompts via ``observe_prompt``,
    the screen's light via ``observe_illumination``; ``render_depth(t)`` the depth frame."""

    def __init__(
        self,
        portrait_rgb: Image,
        *,
        seed: int = 0,
        obey: bool = True,
        traits: ResidentTraits = TYPICAL,
        reflect: bool = True,
    ) -> None:
        self._rng = random.Random(seed)  # noqa: S311 (a seeded, repeatable resident)
        self._np_rng = np.random.default_rng(seed)
        self._traits = traits
        placed, self._box = place_portrait(portrait_rgb, self._rng, traits.face_height)
        points = landmarks_68(placed, self._box)
        self.neutral_points = points
        if traits.glasses:
            placed = draw_glasses(placed, points, self._rng)
        self._open = placed
        self._closed = _closed_eyes(placed, points)
        self._eye_masks = _eye_masks(points, placed.shape[:2])
        self._depth, self._head, self._centre = _depth_map(points)
        self._shade = _shading(self._depth, self._head)
        self._mm_per_px = INTEROCULAR_MM / interocular(five_points(points))
        self._mouth = _Mouth(points)
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
        self._speed = self._rng.uniform(*traits.speed)
        self._closure = tuple(traits.blink_closure)
        self._reflectance = self._rng.uniform(*traits.reflectance) if reflect else 0.0
        self._screen_lag = self._rng.uniform(0.0, 0.08)  # display latency
        self._screen: list[tuple[float, Colour]] = [(-1e9, ORDINARY_SCREEN)]
        self._maps: tuple[float, FloatImage, FloatImage] | None = None
        self._last_pose: tuple[float, _Pose] | None = None

    @property
    def rotation_centre(self) -> tuple[float, float]:
        return self._centre

    @property
    def mm_per_px(self) -> float:
        return self._mm_per_px

    def depth_at(self, x: float, y: float) -> float:
        """The neutral head's depth (pixels in front of the turning axis) at a point."""
        return float(self._depth[round(min(max(y, 0), FRAME_HEIGHT - 1)),
                                 round(min(max(x, 0), FRAME_WIDTH - 1))])

    def head_pose(self, t: float) -> HeadPose:
        """The head's rotation, scale and sway at ``t`` (for things worn on the head)."""
        pose = self._pose(t)
        return HeadPose(pose.yaw, pose.pitch, pose.scale, self._sway(t))

    def _sway(self, t: float) -> tuple[float, float]:
        sway_x = 3.0 * math.sin(1.3 * t + self._sway_phase) + 1.2 * math.sin(3.7 * t)
        sway_y = 2.0 * math.sin(0.9 * t + 2 * self._sway_phase)
        return sway_x, sway_y

    # --- what the resident is told ---------------------------------------------------------

    def observe_prompt(self, action: Action | None, t: float) -> None:
        """Tell the resident the prompt on screen at time ``t`` (None: no prompt)."""
        if action == self._prompt:
            return
        self._prompt = action
        if action is None or not self._obey:
            return
        traits, rng = self._traits, self._rng
        start = t + rng.uniform(*traits.reaction_s)
        if action is Action.BLINK:
            self._performance = _Performance(action, start, 0.0, 0.0, 1.0)
            return
        ramp = rng.uniform(0.3, 0.45) / self._speed
        hold = rng.uniform(*traits.hold_s)
        amount = 1.0
        if action in TURNS:
            amount = rng.uniform(*traits.turn_degrees)
        elif action in LOOKS:
            amount = rng.uniform(*traits.pitch_degrees)
        elif action is Action.MOVE_CLOSER:
            amount = rng.uniform(*traits.closer_scale) - 1.0
            ramp *= 1.6
        self._performance = _Performance(action, start, ramp, hold, amount)

    def observe_illumination(self, colour: Colour | None, t: float) -> None:
        """Tell the resident the colour the kiosk's screen shows from ``t`` on (None: the
        ordinary interface). The skin reflects it after the display's latency."""
        shown = ORDINARY_SCREEN if colour is None else colour
        if shown != self._screen[-1][1]:
            self._screen.append((t + self._screen_lag, shown))
            del self._screen[:-8]

    # --- animation -------------------------------------------------------------------------

    def _pose(self, t: float) -> _Pose:
        if self._last_pose is not None and self._last_pose[0] == t:
            return self._last_pose[1]
        pose = self._new_pose(t)
        self._last_pose = (t, pose)
        return pose

    def _new_pose(self, t: float) -> _Pose:
        yaw = pitch = mouth = 0.0
        scale = 1.0
        closure = 0.0
        performance = self._performance
        if performance is not None:
            level = performance.level(t)
            action = performance.action
            if action is Action.BLINK:
                closure = level
            elif action in TURNS:
                yaw = (1 if action is Action.TURN_LEFT else -1) * performance.amount * level
            elif action in LOOKS:
                pitch = (1 if action is Action.LOOK_UP else -1) * performance.amount * level
            elif action is Action.OPEN_MOUTH:
                mouth = level
            elif action is Action.MOVE_CLOSER:
                scale = 1.0 + performance.amount * level
            if t > performance.start + performance.duration():
                self._performance = None
        if self._spontaneous is None and t >= self._next_blink:
            self._spontaneous = _Performance(Action.BLINK, t, 0.0, 0.0, 1.0)
            self._next_blink = t + self._rng.uniform(2.5, 6.0)
        if self._spontaneous is not None:
            closure = max(closure, self._spontaneous.level(t))
            if t > self._spontaneous.start + self._spontaneous.duration():
                self._spontaneous = None
        tremor = self._traits.tremor_degrees
        if tremor:
            yaw += tremor * math.sin(2 * math.pi * 4.7 * t + self._sway_phase)
            pitch += 0.6 * tremor * math.sin(2 * math.pi * 3.9 * t)
        pitch += self._traits.seat_pitch_degrees
        return _Pose(
            yaw=yaw,
            pitch=pitch,
            closure=(closure * self._closure[0], closure * self._closure[1]),
            mouth=mouth,
            scale=scale,
        )

    def _source_maps(self, t: float, pose: _Pose) -> tuple[FloatImage, FloatImage]:
        """For each output pixel, where it comes from in the neutral frame."""
        if self._maps is not None and self._maps[0] == t:
            return self._maps[1], self._maps[2]
        cx, cy = self._centre
        sway_x, sway_y = self._sway(t)
        out_x = (self._grid_x - sway_x - cx) / pose.scale + cx
        out_y = (self._grid_y - sway_y - cy) / pose.scale + cy
        map_x, map_y = out_x, out_y
        yaw, pitch = math.radians(pose.yaw), math.radians(pose.pitch)
        drop = self._mouth.drop * pose.mouth
        if abs(yaw) > 1e-4 or abs(pitch) > 1e-4 or drop > 0.01:
            # Inverse of the forward rotation x' = c + (x - c) cos + depth sin, solved by
            # fixed-point iteration (each output pixel shows the source point that lands on it).
            cos_y, sin_y = math.cos(yaw), math.sin(yaw)
            cos_p, sin_p = math.cos(pitch), math.sin(pitch)
            for _ in range(INVERSE_WARP_STEPS):
                depth = cv2.remap(self._depth, map_x, map_y, cv2.INTER_LINEAR)
                weight = cv2.remap(self._head, map_x, map_y, cv2.INTER_LINEAR)
                shift_x = weight * ((map_x - cx) * (cos_y - 1) + depth * sin_y)
                shift_y = weight * ((map_y - cy) * (cos_p - 1) - depth * sin_p)
                if drop > 0.01:
                    shift_y = shift_y + drop * cv2.remap(
                        self._mouth.field, map_x, map_y, cv2.INTER_LINEAR
                    )
                # Relaxed steps: they converge on the steep sides of the nose too.
                map_x = map_x + 0.7 * (out_x - shift_x - map_x)
                map_y = map_y + 0.7 * (out_y - shift_y - map_y)
        self._maps = (t, map_x, map_y)
        return map_x, map_y

    def _screen_colour(self, t: float) -> Colour:
        colour = ORDINARY_SCREEN
        for start, shown in self._screen:
            if start <= t:
                colour = shown
        return colour

    def render(self, t: float) -> Image:
        pose = self._pose(t)
        base = self._open
        if max(pose.closure) > 0.01:
            blend = sum(mask * c for mask, c in zip(self._eye_masks, pose.closure, strict=True))
            weight = np.clip(blend, 0, 1)[:, :, None]
            mixed = self._open * (1 - weight) + self._closed * weight
            base = np.asarray(mixed, dtype=np.uint8)
        if pose.mouth > 0.02:
            base = self._mouth.painted(base)
        map_x, map_y = self._source_maps(t, pose)
        frame = cv2.remap(base, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        light = np.asarray(frame, dtype=np.float32)
        if self._reflectance > 0:
            screen = np.asarray(self._screen_colour(t), dtype=np.float32)
            change = screen - np.asarray(ORDINARY_SCREEN, dtype=np.float32)
            if np.any(np.abs(change) > 1e-3):
                shade = cv2.remap(self._shade, map_x, map_y, cv2.INTER_LINEAR)
                light *= 1 + self._reflectance * shade[:, :, None] * change
        self._frame_count += 1
        light += self._noise[self._frame_count % len(self._noise)]
        return np.asarray(np.clip(light, 0, 255), dtype=np.uint8)

    def render_depth(self, t: float) -> FloatImage:
        """The depth frame (millimetres from the camera, 0 = no reading) matching ``render(t)``."""
        pose = self._pose(t)
        map_x, map_y = self._source_maps(t, pose)
        relief = cv2.remap(self._depth, map_x, map_y, cv2.INTER_LINEAR) * self._mm_per_px
        head = cv2.remap(self._head, map_x, map_y, cv2.INTER_LINEAR)
        distance = CAMERA_DISTANCE_MM / pose.scale
        depth = head * (distance - relief) + (1 - head) * BACKGROUND_MM
        depth += self._np_rng.normal(0, 1.5, depth.shape).astype(np.float32)
        depth[self._np_rng.random(depth.shape) < 0.02] = 0.0
        return np.asarray(depth, dtype=np.float32)
