"""Undoing the smear of a card that moved during the exposure, and the blur of one held out
of focus.

A hand-held card often moves while the camera exposes a frame: every point is drawn as a
short straight streak (length ``L`` along a direction ``u``). Two things give the streak
away (Yitzhaky and Kopeika's method for identifying linear motion blur): the picture's
derivative is weakest along ``u``, and that derivative is most negatively correlated with
itself ``L`` pixels further along ``u`` (an edge is drawn twice, once going up at the
start of the streak and once coming down at its end). Both are read from the 2-D
autocorrelation of the gradient, computed once with FFTs; then a Wiener filter with that
streak restores the picture. When the card did not move (no direction is clearly weaker)
but is out of focus (``estimate_defocus``), a Wiener filter with a Gaussian restores it
(``deblur_defocus``); a slight blur is left to the unsharp mask of ``clean_line``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Motion", "deblur_defocus", "deblur_motion", "estimate_defocus", "estimate_motion",
           "motion_kernel"]

# Below this ratio of the weakest to the strongest directional derivative, the picture is
# smeared along the weakest direction (printed text alone stays above about 0.8).
_ANISOTROPY = 0.8
_LENGTHS = (6, 30)  # streak lengths looked for, pixels of the straightened card
_ANGLES = np.deg2rad(np.arange(0.0, 180.0, 3.0))
_NOISE_TO_SIGNAL = 0.005
# the streak's direction is looked for this close to the weakest derivative's (printed strokes
# bias the weakest direction a little; further away, text's own structure misleads)
_WINDOW = 12


@dataclass(frozen=True, slots=True)
class Motion:
    angle: float  # radians, direction of the streak in image coordinates (y down)
    length: float  # pixels


def _spectrum(values: np.ndarray) -> np.ndarray:
    return cv2.dft(values, flags=cv2.DFT_COMPLEX_OUTPUT)


def _correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum over x of f(x + d) g(x), for spectra ``a`` of f and ``b`` of g (circular)."""
    product = cv2.mulSpectrums(a, b, 0, conjB=True)
    return np.asarray(cv2.idft(product, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE))


def _autocorrelations(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = values.shape
    size = (cv2.getOptimalDFTSize(h + _LENGTHS[1]), cv2.getOptimalDFTSize(w + _LENGTHS[1]))
    gx = cv2.Sobel(values, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(values, cv2.CV_32F, 0, 1, ksize=3)
    # zero-padded beyond the streak's reach: no wrapping from one edge to the other
    fx = _spectrum(cv2.copyMakeBorder(gx - gx.mean(), 0, size[0] - h, 0, size[1] - w,
                                      cv2.BORDER_CONSTANT, value=0))
    fy = _spectrum(cv2.copyMakeBorder(gy - gy.mean(), 0, size[0] - h, 0, size[1] - w,
                                      cv2.BORDER_CONSTANT, value=0))
    # axy: sum of gx(x + d) gy(x)
    return _correlation(fx, fx), _correlation(fy, fy), _correlation(fx, fy)


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
    along[distance > np.deg2rad(_WINDOW)] = np.inf
    index = np.unravel_index(int(np.argmin(along)), along.shape)
    return Motion(float(_ANGLES[index[0]]), float(lengths[index[1]]))


def motion_kernel(motion: Motion) -> np.ndarray:
    """A normalised streak of ``motion``'s length and direction."""
    size = int(np.ceil(motion.length)) | 1
    kernel = np.zeros((size, size), np.float32)
    centre = (size - 1) / 2
    half = (motion.length - 1) / 2
    dx, dy = half * np.cos(motion.angle), half * np.sin(motion.angle)
    start = (round(centre - dx), round(centre - dy))
    end = (round(centre + dx), round(centre + dy))
    cv2.line(kernel, start, end, 1.0, 1, cv2.LINE_AA)
    return kernel / max(float(kernel.sum()), 1e-6)


def deblur_motion(gray: np.ndarray, motion: Motion) -> np.ndarray:
    """``gray`` (``uint8``) with ``motion``'s streak undone by a Wiener filter."""
    return _wiener(gray, motion_kernel(motion), _NOISE_TO_SIGNAL)


def _wiener(gray: np.ndarray, kernel: np.ndarray, noise_to_signal: float) -> np.ndarray:
    """``gray`` (``uint8``) deconvolved by ``kernel`` (square, odd, normalised)."""
    pad = kernel.shape[0] + 8
    h, w = gray.shape
    size = (cv2.getOptimalDFTSize(h + 2 * pad), cv2.getOptimalDFTSize(w + 2 * pad))
    values = cv2.copyMakeBorder(gray.astype(np.float32) / 255.0, pad, size[0] - h - pad, pad,
                                size[1] - w - pad, cv2.BORDER_REFLECT)
    psf = np.zeros(values.shape, np.float32)
    k = kernel.shape[0]
    psf[:k, :k] = kernel
    psf = np.roll(psf, (-(k // 2), -(k // 2)), axis=(0, 1))
    blur = _spectrum(psf)
    picture = _spectrum(values)
    power = blur[..., 0] ** 2 + blur[..., 1] ** 2 + noise_to_signal
    # X = Y conj(K) / (|K|^2 + nsr)
    numerator = np.asarray(cv2.mulSpectrums(picture, blur, 0, conjB=True)) / power[..., None]
    restored = cv2.idft(numerator, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)
    out = restored[pad:pad + h, pad:pad + w] * 255.0
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


# --- defocus ----------------------------------------------------------------------------------

# A card out of focus is blurred by a disc that a Gaussian approximates. Its width shows at the
# edges: blurring an edge of width sigma again by ``_REBLUR`` lowers its steepest gradient by
# sqrt(sigma^2 + REBLUR^2) / sigma (Zhuo and Sim's defocus map), so the ratio of the two
# gradients at the edges gives sigma. Below ``_SHARP_ENOUGH`` the unsharp mask of
# ``clean_line`` does the work.
_REBLUR = 1.0
_SHARP_ENOUGH = 1.3
_DEFOCUS_NOISE_TO_SIGNAL = 0.01


def estimate_defocus(gray: np.ndarray) -> float | None:
    """The sigma (pixels) of the defocus blur of ``gray`` (grey ``uint8``, text on paper), or
    None when it is sharp enough."""
    values = gray.astype(np.float32)

    def magnitude(picture: np.ndarray) -> np.ndarray:
        gx = cv2.Sobel(picture, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(picture, cv2.CV_32F, 0, 1, ksize=3)
        return np.asarray(np.hypot(gx, gy), dtype=np.float32)

    sharp = magnitude(values)
    again = magnitude(cv2.GaussianBlur(values, (0, 0), _REBLUR))
    # the edges: local maxima of the gradient among the strongest tenth
    strong = sharp >= np.percentile(sharp, 90)
    peaks = strong & (sharp >= cv2.dilate(sharp, np.ones((3, 3), np.uint8)))
    if int(peaks.sum()) < 50:
        return None
    ratio = sharp[peaks] / np.maximum(again[peaks], 1e-3)
    ratio = float(np.median(ratio))
    if ratio <= 1.0 + 1e-3:
        return None
    sigma = _REBLUR / math.sqrt(ratio * ratio - 1.0)
    return sigma if sigma >= _SHARP_ENOUGH else None


def deblur_defocus(gray: np.ndarray, sigma: float) -> np.ndarray:
    """``gray`` (``uint8``) with a Gaussian blur of ``sigma`` undone by a Wiener filter."""
    size = math.ceil(3 * sigma) * 2 + 1
    line = cv2.getGaussianKernel(size, sigma).astype(np.float32)
    return _wiener(gray, line @ line.T, _DEFOCUS_NOISE_TO_SIGNAL)
