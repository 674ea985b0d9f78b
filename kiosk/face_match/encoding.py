"""Landmarks and 128-d face encodings (dlib ResNet) for one face box in an image.

Encodings are L2-comparable: the distance between two encodings of the same person is usually
below about 0.5. Greyscale input is expanded to three equal channels, so a colour probe can be
compared in the same colour space as the greyscale card photo (``grey=True``).

``encode_views`` averages several views of one face (5-point and 68-point alignment, and the
image rescaled), each with its mirror image: the encoder's error differs between views, so their
mean is a steadier encoding (on the calibration data, single-frame FRR at FAR 0.1 % went from
13.2 % to 12.3 %).
"""

from __future__ import annotations

from typing import Any

import cv2
import dlib
import numpy as np
import numpy.typing as npt

from kiosk.face_match import models
from kiosk.face_match.detection import FaceBox

Encoding = npt.NDArray[np.float64]
Points = npt.NDArray[np.float64]
CHIP_SIZE = 150
CHIP_PADDING = 0.25


def _rect(box: FaceBox) -> Any:
    return dlib.rectangle(box.left, box.top, box.right, box.bottom)


def as_rgb(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Three-channel contiguous uint8 view of a grey or RGB image."""
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    return np.ascontiguousarray(image[:, :, :3])


def as_grey_rgb(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Greyscale version of an image, still three channels (what the encoder takes)."""
    if image.ndim == 2:
        return as_rgb(image)
    grey = np.asarray(
        cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2GRAY), dtype=np.uint8
    )
    return as_rgb(grey)


def landmarks_68(image: npt.NDArray[np.uint8], box: FaceBox) -> Points:
    """The 68 iBUG landmark points (x, y) of the face in ``box``."""
    with models.model_lock:
        shape = models.landmarks_68()(np.ascontiguousarray(image), _rect(box))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def face_chip(
    image_rgb: npt.NDArray[np.uint8], box: FaceBox, *, points: int = 5
) -> npt.NDArray[np.uint8]:
    """The aligned 150 x 150 chip the encoder works on (5- or 68-point alignment)."""
    rgb = as_rgb(image_rgb)
    with models.model_lock:
        predictor = models.landmarks_68() if points == 68 else models.landmarks_5()
        shape = predictor(rgb, _rect(box))
        chip = dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
    return np.asarray(chip, dtype=np.uint8)


def view_chips(
    image_rgb: npt.NDArray[np.uint8], box: FaceBox, *, rescale: float
) -> list[npt.NDArray[np.uint8]]:
    """Chips of one face: 5-point and 68-point aligned, and 5-point aligned after scaling the
    image by ``rescale`` (skipped when it is about 1: it would repeat the first view)."""
    rgb = as_rgb(image_rgb)
    chips = [face_chip(rgb, box), face_chip(rgb, box, points=68)]
    if abs(rescale - 1.0) > 0.05:
        interpolation = cv2.INTER_CUBIC if rescale > 1 else cv2.INTER_AREA
        scaled = np.asarray(
            cv2.resize(rgb, None, fx=rescale, fy=rescale, interpolation=interpolation),
            dtype=np.uint8,
        )
        chips.append(face_chip(scaled, box.scaled(rescale)))
    return chips


def encode_chips(
    chips: list[npt.NDArray[np.uint8]], *, mirror: bool = True, jitters: int = 0
) -> list[Encoding]:
    """Encode aligned chips; ``mirror`` averages each chip with its horizontal mirror."""
    if not chips:
        return []
    batch = [np.ascontiguousarray(chip) for chip in chips]
    if mirror:
        batch += [np.ascontiguousarray(chip[:, ::-1]) for chip in chips]
    with models.model_lock:
        vectors = models.encoder().compute_face_descriptor(batch, num_jitters=jitters)
    encoded = np.array([np.array(v, dtype=np.float64) for v in vectors])
    if mirror:
        encoded = (encoded[: len(chips)] + encoded[len(chips) :]) / 2
    return [np.asarray(row, dtype=np.float64) for row in encoded]


def encode_views(
    image: npt.NDArray[np.uint8], box: FaceBox, *, rescale: float, mirror: bool = True
) -> Encoding:
    """The mean encoding of the views of ``view_chips`` (one encoder batch)."""
    encodings = encode_chips(view_chips(image, box, rescale=rescale), mirror=mirror)
    return np.asarray(np.mean(np.stack(encodings), axis=0), dtype=np.float64)


def distance(first: Encoding, second: Encoding) -> float:
    return float(np.linalg.norm(first - second))
