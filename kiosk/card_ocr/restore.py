"""Undoing the smear of a card that moved during the exposure.

A hand-held card often moves while the camera exposes a frame: every point is drawn as a
short straight streak (length ``L`` along a direction ``u``). Two things give the streak
away (Yitzhaky and Kopeika's method for identifying linear motion blur): the picture's
derivative is weakest along ``u``, and that derivative is most negatively correlated with
itself ``L`` pixels further along ``u`` (an edge is drawn twice, once going up at the
start of the streak and once coming down at its end). Both are read from the 2-D
autocorrelation of the gradient, computed once with FFTs; then a Wiener filter with that
streak restores the picture. When the card did not move (no direction is clearly weaker),
nothing is done: defocus is left to the unsharp mask of ``clean_line``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Motion", "deblur_motion", "estimate_motion", "motion_kernel"]

# Below this ratio of the weakest to the strongest directional derivative, the picture is
# smeared along the weakest direction (printed text alone stays above about 0.8).
_ANISOTROPY = 0.8
_LENGTHS = (4, 30)  # streak lengths looked for, pixels of the straightened card
_ANGLES = np.deg2rad(np.arange(0.0, 180.0, 3.0))
_NOISE_TO_SIGNAL = 0.005


@dataclass(frozen=True, slots=True)
class Motion:
    angle: float  # radians, direction of the streak in image coordinates (y down)
    length: float  # pixels


def _autocorrelations(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    gx = cv2.Sobel(values, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(values, cv2.CV_32F, 0, 1, ksize=3)
    gx -= gx.mean()
    gy -= gy.mean()
    fx, fy = np.fft.rfft2(gx), np.fft.rfft2(gy)
    shape = values.shape
    axx = np.fft.irfft2(fx * np.conj(fx), s=shape)
    ayy = np.fft.irfft2(fy * np.conj(fy), s=shape)
    axy = np.fft.irfft2(fx * np.conj(fy), s=shape)  # sum of gx(x + d) gy(x)
    return axx, ayy, axy


def _sample(table: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """``table`` (circular autocorrelation) at real offsets, bilinear."""
    h, w = table.shape
    x0, y0 = np.floor(dx).astype(int), np.floor(dy).astype(int)
    fx, fy = dx - x0, dy - y0
    out = np.zeros_like(dx, dtype=np.float64)
    for ox, oy, weight in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                           (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        out += weight * table[(y0 + oy) % h, (x0 + ox) % w]
    return out


def estimate_motion(gray: np.ndarray) -> Motion | None:
    """The streak that smeared ``gray`` (grey ``uint8``), or None when it shows no motion."""
    values = gray.astype(np.float32)
    axx, ayy, axy = _autocorrelations(values)
    cos, sin = np.cos(_ANGLES), np.sin(_ANGLES)
    # R_a(d) = sum over x of d_a(x) d_a(x + d), where d_a = cos gx + sin gy
    energy = cos**2 * axx[0, 0] + sin**2 * ayy[0, 0] + 2 * cos * sin * axy[0, 0]
    if energy.max() <= 0 or energy.min() / energy.max() > _ANISOTROPY**2:
        return None
    lengths = np.arange(_LENGTHS[0], _LENGTHS[1] + 1, dtype=np.float64)
    dx = lengths[None, :] * cos[:, None]
    dy = lengths[None, :] * sin[:, None]
    cross = _sample(axy, dx, dy) + _sample(axy, -dx, -dy)
    along = (cos[:, None] ** 2 * _sample(axx, dx, dy) + sin[:, None] ** 2
             * _sample(ayy, dx, dy) + cos[:, None] * sin[:, None] * cross)
    along /= np.maximum(energy[:, None], 1e-9)
    # only directions near the weakest derivative: the streak's
    weakest = _ANGLES[int(np.argmin(energy))]
    distance = np.abs(((_ANGLES - weakest) + np.pi / 2) % np.pi - np.pi / 2)
    along[distance > np.deg2rad(30)] = np.inf
    index = np.unravel_index(int(np.argmin(along)), along.shape)
    return Motion(float(_ANGLES[index[0]]), float(lengths[index[1]]))


def motion_kernel(motion: Motion) -> np.ndarray:
    """A normalised streak of ``motion``'s length and direction."""
    size = int(np.ceil(motion.length)) | 1
    kernel = np.zeros((size, size), np.float32)
    centre = (size - 1) / 2
    half = (motion.length - 1) / 2
    start = (round(centre - half * np.cos(motion.angle)), round(centre - half * np.sin(motion.angle)))
    end = (round(centre + half * np.cos(motion.angle)), round(centre + half * np.sin(motion.angle)))
    cv2.line(kernel, start, end, 1.0, 1, cv2.LINE_AA)
    return kernel / max(float(kernel.sum()), 1e-6)


def deblur_motion(gray: np.ndarray, motion: Motion) -> np.ndarray:
    """``gray`` (``uint8``) with ``motion``'s streak undone by a Wiener filter."""
    pad = int(motion.length) + 8
    values = cv2.copyMakeBorder(gray.astype(np.float32) / 255.0, pad, pad, pad, pad,
                                cv2.BORDER_REFLECT)
    kernel = motion_kernel(motion)
    psf = np.zeros(values.shape, np.float32)
    size = kernel.shape[0]
    psf[:size, :size] = kernel
    psf = np.roll(psf, (-(size // 2), -(size // 2)), axis=(0, 1))
    spectrum = np.fft.rfft2(psf)
    restored = np.fft.irfft2(np.fft.rfft2(values) * np.conj(spectrum)
                             / (np.abs(spectrum) ** 2 + _NOISE_TO_SIGNAL), s=values.shape)
    out = restored[pad:-pad, pad:-pad] * 255.0
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)
