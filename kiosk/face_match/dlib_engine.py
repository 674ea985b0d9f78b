"""The selectable dlib engine (``[face] engine = "dlib"``): HOG detection, the 68-point shape
model for the five landmarks, and face_recognition's ResNet encodings.

Encodings follow the earlier calibration of this engine: greyscale (the card's colour space),
the mean of several views of the face (5- and 68-point alignment, and the image rescaled),
each with its mirror image (see ``encoding.encode_views``). Small faces (card portraits) are
also viewed upscaled 2x; larger ones scaled down to the card portrait's face width.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from kiosk.face_match import models
from kiosk.face_match.card_photo import CARD_WIDTH, FACE_WIDTH_FRACTION
from kiosk.face_match.detection import detect_faces
from kiosk.face_match.encoding import as_grey_rgb, encode_views, landmarks_68
from kiosk.face_match.engine import DetectedFace, Embedding, FaceEngineError, Image

CARD_FACE_WIDTH = CARD_WIDTH * FACE_WIDTH_FRACTION  # about 88 px
SMALL_FACE_RESCALE = 2.0
# HOG boxes are tight: a face no wider than this (card portrait size) is viewed upscaled.
SMALL_FACE_WIDTH = 1.25 * CARD_FACE_WIDTH


def five_points(points68: np.ndarray) -> np.ndarray:
    """The engine's five landmarks from the 68 iBUG points (eye centres, nose tip, mouth
    corners; iBUG 36-41 is the eye on the image's left, the resident's right)."""
    return np.array(
        [
            points68[36:42].mean(axis=0),
            points68[42:48].mean(axis=0),
            points68[30],
            points68[48],
            points68[54],
        ],
        dtype=np.float64,
    )


class DlibEngine:
    """``FaceEngine`` over dlib (see the module docstring)."""

    name = "dlib"
    model_version = models.MODEL_VERSION

    def __init__(self, upsample: int = 1) -> None:
        try:
            models.encoder()
            models.landmarks_5()
            models.landmarks_68()
        except (models.ModelFilesMissingError, RuntimeError) as error:
            raise FaceEngineError(f"the dlib face models do not load: {error}") from None
        self._upsample = upsample

    def detect(self, image: Image) -> list[DetectedFace]:
        faces = []
        for box in detect_faces(image, upsample=self._upsample):
            points = landmarks_68(np.ascontiguousarray(image), box)
            faces.append(DetectedFace(box, five_points(points), 1.0))
        return faces

    def encode(self, image: Image, face: DetectedFace) -> Embedding:
        width = max(1, face.box.width)
        rescale = (
            SMALL_FACE_RESCALE if width <= SMALL_FACE_WIDTH else min(1.0, CARD_FACE_WIDTH / width)
        )
        return encode_views(as_grey_rgb(image), face.box, rescale=rescale)

    def distance(self, first: Embedding, second: Embedding) -> float:
        return float(np.linalg.norm(np.asarray(first) - np.asarray(second)))

    def distance_matrix(
        self, first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """``distance`` of every row of ``first`` to every row of ``second``."""
        squared = (
            (first**2).sum(axis=1)[:, None]
            + (second**2).sum(axis=1)[None, :]
            - 2 * first @ second.T
        )
        return np.asarray(np.sqrt(np.maximum(squared, 0.0)), dtype=np.float64)


@cache
def dlib_engine() -> DlibEngine:
    return DlibEngine()
