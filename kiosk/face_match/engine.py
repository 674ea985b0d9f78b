"""The face engine boundary: detect faces, encode one face, compare two encodings.

Everything above this boundary (quality gates, matching, liveness, the evaluation) talks to a
``FaceEngine`` and never to a model library. Two engines implement it:

- ``sface`` (default): YuNet detection (box, five landmarks, score) and SFace encodings of the
  face aligned by its five landmarks to the standard 112 x 112 template
  (``kiosk.face_match.sface``);
- ``dlib``: dlib's HOG detection, its five-point landmarks and the ResNet encoder that
  ``face_recognition`` uses (``kiosk.face_match.dlib_engine``).

Conventions every engine keeps:

- images are RGB (or greyscale) ``uint8`` arrays, as the camera sources deliver them;
- ``detect`` returns every face, largest box first; ``DetectedFace.landmarks`` are five
  (x, y) points in image pixels, in this order: the resident's right eye centre, left eye
  centre, nose tip, right mouth corner, left mouth corner (the resident's right eye is on the
  image's left in an unmirrored camera frame);
- ``distance`` is lower for more alike faces; a match is ``distance < threshold`` with the
  engine's calibrated threshold (thresholds.toml). Its scale is the engine's own, so evidence
  names the engine's ``model_version``.

Encodings are held in memory only: nothing here writes an image or an encoding anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from kiosk.face_match.detection import FaceBox

Image = npt.NDArray[np.uint8]
Embedding = npt.NDArray[np.float64]
Landmarks = npt.NDArray[np.float64]  # shape (5, 2): see the module docstring for the order

RIGHT_EYE, LEFT_EYE, NOSE_TIP, RIGHT_MOUTH, LEFT_MOUTH = range(5)


class FaceEngineError(RuntimeError):
    """The engine cannot run (model files missing or not the pinned ones)."""


@dataclass(frozen=True, slots=True, repr=False)
class DetectedFace:
    """One detected face: box, five landmarks (order in the module docstring), detector score."""

    box: FaceBox
    landmarks: Landmarks
    score: float

    def __repr__(self) -> str:  # coordinates only, never pixels
        return f"DetectedFace(box={self.box}, score={self.score:.2f})"

    def scaled(self, factor: float) -> DetectedFace:
        """The same face in an image scaled by ``factor``."""
        return DetectedFace(self.box.scaled(factor), self.landmarks * factor, self.score)

    @property
    def eye_distance(self) -> float:
        return float(np.linalg.norm(self.landmarks[LEFT_EYE] - self.landmarks[RIGHT_EYE]))


class FaceEngine(Protocol):
    """Detection, encoding and comparison of one face model family (see the module docstring).

    Implementations are safe to call from several threads (they serialise model calls)."""

    name: str  # "sface" or "dlib": the key in thresholds.toml
    model_version: str  # names the model files; travels with the evidence

    def detect(self, image: Image) -> list[DetectedFace]:
        """Every face in ``image``, largest box first."""
        ...

    def encode(self, image: Image, face: DetectedFace) -> Embedding:
        """The encoding of ``face`` (found in ``image``)."""
        ...

    def distance(self, first: Embedding, second: Embedding) -> float:
        """Dissimilarity of two encodings (lower = more alike)."""
        ...

    def distance_matrix(
        self, first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """``distance`` of every row of ``first`` to every row of ``second`` (evaluations)."""
        ...


ENGINE_NAMES = ("sface", "dlib")


def load_engine(name: str) -> FaceEngine:
    """The engine called ``name`` (one shared instance per name; model files checked on load)."""
    if name == "sface":
        from kiosk.face_match.sface import sface_engine

        return sface_engine()
    if name == "dlib":
        from kiosk.face_match.dlib_engine import dlib_engine

        return dlib_engine()
    raise FaceEngineError(f"unknown face engine {name!r} (choose one of {', '.join(ENGINE_NAMES)})")
