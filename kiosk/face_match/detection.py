"""Face detection (dlib HOG) behind a tiny typed API.

dlib's HOG detector is loaded once and shared. It can report false faces (a badge, a pattern),
so callers pick the largest box rather than assuming a single detection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face rectangle in pixel coordinates (right and bottom exclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2

    def scaled(self, factor: float) -> FaceBox:
        return FaceBox(
            round(self.left * factor),
            round(self.top * factor),
            round(self.right * factor),
            round(self.bottom * factor),
        )


_lock = threading.Lock()


@cache
def _detector() -> Any:
    import dlib

    return dlib.get_frontal_face_detector()


def detect_faces(image: npt.NDArray[np.uint8], upsample: int = 0) -> list[FaceBox]:
    """All HOG face boxes in a greyscale or RGB uint8 image, largest first."""
    detector = _detector()
    contiguous = np.ascontiguousarray(image)
    with _lock:  # dlib objects are not documented as thread-safe
        rects = detector(contiguous, upsample)
    boxes = [FaceBox(r.left(), r.top(), r.right(), r.bottom()) for r in rects]
    return sorted(boxes, key=lambda box: box.area, reverse=True)
