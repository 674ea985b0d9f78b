"""The screen-illumination challenge: the kiosk's screen shows a short random colour code and
the skin's reflected colour must follow it, in time and with a head's shading.

Physics: the screen lights the face from the front (from below the camera). Skin reflects that
light diffusely, so the face's chromaticity (log R/G, log B/G of the linearised camera values)
moves with the screen's colour after the display's and camera's latency; the share of the
screen's light a patch of skin gets follows its surface normal, so the sides of the cheeks,
turned away from the screen, answer less than the middle of the face. A recording (replayed or
injected) cannot know the code, which is drawn fresh from the system's random source; a flat
print or screen answers it evenly across the face (a screen only through a faint veil mirrored
off its glass, which lights dark and bright parts alike).

``IlluminationCode`` is the code: ``segments`` colours of ``segment_s`` each, consecutive
colours different, both chroma axes exercised. Colours are the full screen's sRGB (0..1); the
palette keeps their luminance close to one another and the changes slower than three per
second (no strobing: photosensitivity guidance allows at most three flashes a second).

``IlluminationProbe`` collects the face's skin colour during the code and measures:

- ``timing``: the correlation between the skin's chromaticity and the code's, at the best lag
  within ``max_lag_s`` (the display plus camera latency); about 0 for a face that does not
  answer, near 1 for one that does.
- ``shading``: the outer cheeks' response over the inner cheeks' (beside the nose), each
  patch's response relative to its own light (a veil or a bright patch does not weigh more),
  a patch that cannot show the light (blown out, a channel near black) left out; about
  0.6-0.85 on a head, 1 on a flat surface facing the screen, above 1 for a screen's veil when
  the sides are the darker parts (a veil adds the same light everywhere, so it shows most where
  the picture is dark).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiosk.face_match.geometry import EYE_L, EYE_R, Points, five_points, interocular

Colour = tuple[float, float, float]

PALETTE: tuple[Colour, ...] = (
    (1.0, 0.45, 0.45),  # red
    (0.45, 1.0, 0.45),  # green
    (0.5, 0.55, 1.0),  # blue
    (1.0, 0.9, 0.35),  # yellow
    (0.4, 0.95, 1.0),  # cyan
    (1.0, 0.5, 1.0),  # magenta
)

# Face patches in face coordinates (origin between the eyes; x across to the image right,
# y down the face; unit: inter-ocular distance). Half size of each square patch. The central
# patches are the inner cheeks, which face the screen squarely; not the nose bridge: it faces
# up, away from a screen below the camera, is often a clipped highlight, and glasses rest on it.
PATCH_HALF = 0.11
CENTRAL_PATCHES = ((-0.42, 0.62), (0.42, 0.62))
OUTER_PATCHES = ((-0.82, 0.5), (0.82, 0.5))
PATCHES = CENTRAL_PATCHES + OUTER_PATCHES
# Patches that cannot show the screen's light are left out of their group's response (while
# another patch of the group is left): one with more than CLIPPED_SHARE of its pixels with a
# channel at or above NEAR_CLIPPING (of 255, the sensor's top) in any frame, and one whose
# mean in some channel fell below DARK_FLOOR (linear; 20 of 255, where one code step is 5 %
# and more of the value: a deeply coloured patch, e.g. red skin in a warm light, has nearly
# no blue, and its log B/G is quantisation noise).
NEAR_CLIPPING = 245
CLIPPED_SHARE = 0.05
DARK_FLOOR = (20 / 255) ** 2.2
MIN_FRAMES = 8


def chroma(colour: Colour) -> tuple[float, float]:
    """The colour's position on the two chroma axes the probe measures (red-green, blue-green)."""
    return colour[0] - colour[1], colour[2] - colour[1]


class IlluminationCode:
    """A random colour code for the screen, from ``rng`` (the system's random source in use)."""

    def __init__(self, rng: random.Random, segments: int, segment_s: float) -> None:
        if segments < 3 or segment_s <= 0:
            raise ValueError("a colour code needs at least three segments of positive length")
        self.segment_s = segment_s
        for _ in range(100):
            colours: list[Colour] = []
            while len(colours) < segments:
                colour = rng.choice(PALETTE)
                if not colours or colours[-1] != colour:
                    colours.append(colour)
            if _spread(colours) >= 0.04:
                break
        self.colours: tuple[Colour, ...] = tuple(colours)

    @property
    def duration(self) -> float:
        return self.segment_s * len(self.colours)

    def colour_at(self, elapsed: float) -> Colour | None:
        """The colour ``elapsed`` seconds after the code started (None outside the code)."""
        if elapsed < 0 or elapsed >= self.duration:
            return None
        return self.colours[min(len(self.colours) - 1, int(elapsed / self.segment_s))]


def _spread(colours: list[Colour]) -> float:
    """The smaller eigenvalue of the code's chroma covariance (both axes must vary)."""
    points = np.array([chroma(c) for c in colours])
    covariance = np.cov(points.T)
    return float(np.linalg.eigvalsh(covariance)[0])


@dataclass(frozen=True, slots=True)
class IlluminationResult:
    timing: float  # correlation of the skin's chromaticity with the code (best lag)
    shading: float  # outer cheeks' response / inner cheeks' response
    gain: float  # chromaticity change per unit of the code's chroma (inner cheeks)
    lag_s: float
    frames: int

    def to_evidence(self) -> dict[str, float | int]:
        return {
            "timing": round(self.timing, 3),
            "shading": round(self.shading, 3),
            "gain": round(self.gain, 4),
            "lag_s": round(self.lag_s, 3),
            "frames": self.frames,
        }


NO_ANSWER = IlluminationResult(timing=0.0, shading=1.0, gain=0.0, lag_s=0.0, frames=0)


def _linear(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Camera values (0..255, sRGB-like) to linear light."""
    return np.power(np.clip(values, 1.0, 255.0) / 255.0, 2.2)


def patch_colours(
    frame: npt.NDArray[np.uint8], points: Points
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
    """Each of ``PATCHES``' mean linear RGB (n, 3) and share of near-clipped pixels (n,);
    None if a patch is off the frame."""
    if frame.ndim != 3 or frame.shape[2] < 3:
        return None
    five = five_points(points)
    iod = interocular(five)
    origin = (five[EYE_R] + five[EYE_L]) / 2
    across = (five[EYE_L] - five[EYE_R]) / iod
    down = np.array([-across[1], across[0]])
    height, width = frame.shape[:2]
    half = max(2, round(PATCH_HALF * iod))
    means = np.zeros((len(PATCHES), 3))
    clipped = np.zeros(len(PATCHES))
    for index, (x, y) in enumerate(PATCHES):
        centre = origin + (x * across + y * down) * iod
        cx, cy = round(centre[0]), round(centre[1])
        if cx - half < 0 or cy - half < 0 or cx + half >= width or cy + half >= height:
            return None
        block = frame[cy - half : cy + half + 1, cx - half : cx + half + 1, :3].reshape(-1, 3)
        means[index] = _linear(block.astype(np.float64)).mean(axis=0)
        clipped[index] = float((block.max(axis=1) >= NEAR_CLIPPING).mean())
    return means, clipped


def _log_chroma(rgb: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(n, 3) linear RGB -> (n, 2): log R/G, log B/G."""
    safe = np.clip(rgb, 1e-4, None)
    return np.stack([np.log(safe[:, 0] / safe[:, 1]), np.log(safe[:, 2] / safe[:, 1])], axis=1)


def _fit(
    measured: npt.NDArray[np.float64], expected: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Correlation and slope of measured (n, 2) chromaticity against expected (n, 2) chroma,
    each axis centred on its own mean (one common slope for both axes)."""
    m = measured - measured.mean(axis=0)
    e = expected - expected.mean(axis=0)
    energy = float((e * e).sum())
    if energy <= 1e-12:
        return 0.0, 0.0
    slope = float((m * e).sum()) / energy
    spread = float((m * m).sum())
    correlation = float((m * e).sum()) / math.sqrt(energy * spread) if spread > 1e-18 else 0.0
    return correlation, slope


class IlluminationProbe:
    """Collects the face's patch colours while a code shows; ``result`` measures the answer."""

    def __init__(self, code: IlluminationCode, start: float, max_lag_s: float) -> None:
        self.code = code
        self.start = start
        self.max_lag_s = max_lag_s
        self._times: list[float] = []
        self._patches: list[npt.NDArray[np.float64]] = []  # per frame: (n, 3) linear RGB
        self._clipped = np.zeros(len(PATCHES))  # per patch: the largest near-clipped share
        self._darkest = np.ones(len(PATCHES))  # per patch: the lowest channel mean

    @property
    def end(self) -> float:
        """When the last answer can still arrive."""
        return self.start + self.code.duration + self.max_lag_s

    def colour(self, t: float) -> Colour | None:
        """The colour the screen must show at ``t`` (None: the ordinary screen)."""
        return self.code.colour_at(t - self.start)

    def observe(self, t: float, frame: npt.NDArray[np.uint8], points: Points | None) -> None:
        if points is None or not self.start <= t <= self.end:
            return
        colours = patch_colours(frame, points)
        if colours is None:
            return
        self._times.append(t)
        self._patches.append(colours[0])
        self._clipped = np.maximum(self._clipped, colours[1])
        self._darkest = np.minimum(self._darkest, colours[0].min(axis=1))

    def _expected(self, lag: float) -> tuple[list[int], npt.NDArray[np.float64]]:
        """The frames the code covers at ``lag`` and the code's chroma on each."""
        keep: list[int] = []
        expected: list[tuple[float, float]] = []
        for index, t in enumerate(self._times):
            colour = self.code.colour_at(t - self.start - lag)
            if colour is not None:
                expected.append(chroma(colour))
                keep.append(index)
        return keep, np.array(expected)

    def _group_gain(self, patches: npt.NDArray[np.float64], keep: list[int],
                    expected: npt.NDArray[np.float64], group: range) -> float:
        """The mean of the group's patches' own gains (each patch's response relative to its
        own light, so a bright patch does not outweigh a dark one), those that cannot show the
        light left out while another is left."""
        usable = [
            i for i in group if self._clipped[i] <= CLIPPED_SHARE and self._darkest[i] >= DARK_FLOOR
        ] or list(group)
        gains = [_fit(_log_chroma(patches[keep, i]), expected)[1] for i in usable]
        return float(np.mean(gains))

    def result(self, frame_period: float = 1 / 15) -> IlluminationResult:
        if len(self._times) < MIN_FRAMES:
            return NO_ANSWER
        patches = np.array(self._patches)  # (frames, n, 3)
        whole = _log_chroma(patches.sum(axis=1))
        step = max(0.01, min(frame_period, 0.05))
        best: tuple[float, float] | None = None  # correlation, lag
        lag = 0.0
        while lag <= self.max_lag_s + 1e-9:
            keep, expected = self._expected(lag)
            if len(keep) >= MIN_FRAMES:
                correlation, _ = _fit(whole[keep], expected)
                if best is None or correlation > best[0]:
                    best = (correlation, lag)
            lag += step
        if best is None:
            return NO_ANSWER
        correlation, lag = best
        keep, expected = self._expected(lag)
        central = range(len(CENTRAL_PATCHES))
        central_gain = self._group_gain(patches, keep, expected, central)
        outer_gain = self._group_gain(patches, keep, expected,
                                      range(len(CENTRAL_PATCHES), len(PATCHES)))
        if correlation <= 0 or central_gain <= 1e-6:
            return IlluminationResult(max(0.0, correlation), 1.0, max(0.0, central_gain), lag,
                                      len(keep))
        return IlluminationResult(
            timing=correlation,
            shading=outer_gain / central_gain,
            gain=central_gain,
            lag_s=lag,
            frames=len(keep),
        )
