"""1:1 matching of a live image against the card portrait, through a ``FaceEngine``.

The card portrait is encoded once, as the card holds it (small, greyscale, JPEG 2000):
``Enrollment``. Each good live frame is encoded in colour (or greyscale where the engine's
calibration says so, ``grey_probe``); the decision compares the card encoding with the mean of
``frames`` live encodings (one by default: the frames of one steady kiosk session are
near-identical, so more of them add time, not evidence) and accepts when the engine's distance
is below the engine's calibrated threshold. The result carries numbers only, never an image or
an encoding: it is evidence for the backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiosk.face_match.card_photo import decode_card_photo
from kiosk.face_match.config import EngineConfig, MatchingConfig
from kiosk.face_match.detection import FaceBox
from kiosk.face_match.engine import DetectedFace, Embedding, FaceEngine, Image
from kiosk.face_match.sface import TEMPLATE_112, as_three_channels

# Where the face sits in a card portrait (see card_photo): used when the detector misses it.
PORTRAIT_FACE_WIDTH = 0.55
PORTRAIT_FACE_CENTRE_Y = 0.42


class MatchingError(ValueError):
    """No usable encoding could be made (the message never carries image data)."""


def portrait_face_box(width: int, height: int) -> FaceBox:
    """The face box of a centred ID portrait, for when the detector finds nothing."""
    face = width * PORTRAIT_FACE_WIDTH
    centre_x, centre_y = width / 2, height * PORTRAIT_FACE_CENTRE_Y
    return FaceBox(
        round(centre_x - face / 2),
        round(centre_y - face / 2),
        round(centre_x + face / 2),
        round(centre_y + face / 2),
    )


def portrait_face(width: int, height: int) -> DetectedFace:
    """A centred ID portrait's face, its landmarks where they sit in a face box framed as
    make_card_photo frames it (measured on frontal faces: eye distance 0.41 of the box width,
    eyes to mouth 0.43, centred; mouth corners 0.83 of the eye distance apart)."""
    box = portrait_face_box(width, height)
    centre_x, centre_y = box.centre
    eyes, rise = 0.414 * box.width, 0.429 * box.width
    mouth = (
        eyes * (TEMPLATE_112[4, 0] - TEMPLATE_112[3, 0]) / (TEMPLATE_112[1, 0] - TEMPLATE_112[0, 0])
    )
    landmarks = np.array(
        [
            (centre_x - eyes / 2, centre_y - rise / 2),
            (centre_x + eyes / 2, centre_y - rise / 2),
            (centre_x, centre_y),
            (centre_x - mouth / 2, centre_y + rise / 2),
            (centre_x + mouth / 2, centre_y + rise / 2),
        ],
        dtype=np.float64,
    )
    return DetectedFace(box, landmarks, 0.0)


def central_face(faces: list[DetectedFace], width: int, height: int) -> DetectedFace | None:
    """The face nearest the image centre (a portrait's subject)."""
    if not faces:
        return None
    return min(
        faces,
        key=lambda f: (f.box.centre[0] - width / 2) ** 2 + (f.box.centre[1] - height / 2) ** 2,
    )


@dataclass(frozen=True, slots=True, repr=False)
class Enrollment:
    """The card portrait's encoding, and the engine that made it."""

    encoding: Embedding
    face_detected: bool
    engine: str

    def __repr__(self) -> str:
        return f"Enrollment(engine={self.engine}, face_detected={self.face_detected})"


def enroll_portrait(grey: Image, engine: FaceEngine) -> Enrollment:
    """Encode a (greyscale) ID portrait as it is; a centred face is assumed if none is found."""
    image = as_three_channels(grey)
    height, width = image.shape[:2]
    found = central_face(engine.detect(image), width, height)
    face = found or portrait_face(width, height)
    encoding = engine.encode(image, face)
    return Enrollment(encoding, face_detected=found is not None, engine=engine.name)


def enroll_card_photo(card_photo: bytes, engine: FaceEngine) -> Enrollment:
    """Decode the card's JPEG 2000 portrait and encode it."""
    return enroll_portrait(decode_card_photo(card_photo), engine)


def grey_three_channels(image: Image) -> Image:
    """The image in greyscale (the card's colour space), still three channels."""
    if image.ndim == 2:
        return as_three_channels(image)
    weights = np.array([0.299, 0.587, 0.114])
    grey = np.clip(image[:, :, :3].astype(np.float64) @ weights + 0.5, 0, 255).astype(np.uint8)
    return as_three_channels(grey)


def encode_live(
    frame: Image, face: DetectedFace, engine: FaceEngine, settings: EngineConfig
) -> Embedding:
    """Encode one live frame's face (in colour, or greyscale when ``grey_probe``)."""
    return engine.encode(grey_three_channels(frame) if settings.grey_probe else frame, face)


def fuse(encodings: list[Embedding]) -> npt.NDArray[np.float64]:
    """Several frames' encodings into one (their mean)."""
    if not encodings:
        raise MatchingError("no live encodings to fuse")
    return np.asarray(np.mean(np.stack(encodings), axis=0), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The matching decision: numbers only, suitable as evidence for the backend."""

    matched: bool
    score: float  # the engine's distance between card and live encoding (lower = more alike)
    threshold: float  # the engine's calibrated threshold
    frames_used: int
    model_version: str
    card_face_detected: bool

    def to_evidence(self) -> dict[str, object]:
        return {
            "matched": self.matched,
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "frames_used": self.frames_used,
            "model_version": self.model_version,
            "card_face_detected": self.card_face_detected,
        }


def decide(
    enrollment: Enrollment,
    live: list[Embedding],
    engine: FaceEngine,
    settings: EngineConfig,
    matching: MatchingConfig | None = None,
) -> MatchResult:
    """Compare the (mean) live encoding with the card's at the engine's threshold."""
    if enrollment.engine != engine.name:
        raise MatchingError("the card was enrolled with another engine")
    used = live[-(matching.frames if matching else len(live)) :]
    score = engine.distance(enrollment.encoding, fuse(used))
    return MatchResult(
        matched=score < settings.threshold,
        score=score,
        threshold=settings.threshold,
        frames_used=len(used),
        model_version=engine.model_version,
        card_face_detected=enrollment.face_detected,
    )
