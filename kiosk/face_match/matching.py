"""1:1 matching of live frames against the card portrait.

The card portrait is encoded once (``Enrollment``); each good live frame is encoded in the
card's colour space (greyscale); the live encodings are averaged into one and compared with the
card encoding by Euclidean distance against the calibrated threshold from ``thresholds.toml``.
The result carries numbers only, never an image: it is evidence for the backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiosk.face_match import models
from kiosk.face_match.card_photo import decode_card_photo
from kiosk.face_match.config import MatchingConfig
from kiosk.face_match.detection import FaceBox, detect_faces
from kiosk.face_match.encoding import Encoding, as_grey_rgb, as_rgb, encode_face

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


@dataclass(frozen=True, slots=True, repr=False)
class Enrollment:
    """The card portrait's encoding."""

    encoding: Encoding
    face_detected: bool

    def __repr__(self) -> str:
        return f"Enrollment(face_detected={self.face_detected})"


def enroll_portrait(grey: npt.NDArray[np.uint8], config: MatchingConfig) -> Enrollment:
    """Encode a (greyscale) ID portrait; a centred portrait's face box is assumed if none found."""
    faces = detect_faces(grey, upsample=config.card_detect_upsample)
    height, width = grey.shape[:2]
    box = faces[0] if faces else portrait_face_box(width, height)
    encoding = encode_face(as_rgb(grey), box, mirror=config.mirror_average)
    return Enrollment(encoding, face_detected=bool(faces))


def enroll_card_photo(card_photo: bytes, config: MatchingConfig) -> Enrollment:
    """Decode the card's JPEG 2000 portrait and encode it."""
    return enroll_portrait(decode_card_photo(card_photo), config)


def encode_live(frame: npt.NDArray[np.uint8], box: FaceBox, config: MatchingConfig) -> Encoding:
    """Encode one live frame's face the way the card was encoded."""
    source = as_grey_rgb(frame) if config.grey_probe else as_rgb(frame)
    return encode_face(source, box, mirror=config.mirror_average)


def fuse(encodings: list[Encoding]) -> Encoding:
    """Several frames' encodings into one (their mean: averages out per-frame noise)."""
    if not encodings:
        raise MatchingError("no live encodings to fuse")
    return np.asarray(np.mean(np.stack(encodings), axis=0), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The matching decision: numbers only, suitable as evidence for the backend."""

    matched: bool
    score: float  # distance between card and fused live encoding (lower = more alike)
    threshold: float
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


def decide(enrollment: Enrollment, live: list[Encoding], config: MatchingConfig) -> MatchResult:
    """Compare the fused live encodings with the card's."""
    if config.fusion == "mean_distance":
        if not live:
            raise MatchingError("no live encodings to compare")
        score = float(np.mean([np.linalg.norm(enrollment.encoding - e) for e in live]))
    else:
        score = float(np.linalg.norm(enrollment.encoding - fuse(live)))
    return MatchResult(
        matched=score < config.threshold,
        score=score,
        threshold=config.threshold,
        frames_used=len(live),
        model_version=models.MODEL_VERSION,
        card_face_detected=enrollment.face_detected,
    )
