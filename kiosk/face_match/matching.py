"""1:1 matching of live frames against the card portrait.

The card portrait is encoded once (``Enrollment``); each good live frame is encoded in the
card's colour space (greyscale) and at the card's face size; the live encodings are averaged into
one and compared with the card encoding by Euclidean distance.

Averaging helps as far as the frames differ: the mean of frames as varied as different photos is
much nearer the person's "true" encoding than one frame, the mean of near-identical frames is just
one frame. So the threshold follows the spread of the live encodings (``decision_threshold``):
the single-frame threshold when they are alike, the calibrated, stricter several-photo threshold
when they are as varied as different photos, linear in between. Both keep FAR at or below 0.1 %
on the calibration data; a resident whose frames vary is not held to the single-frame figure.
The result carries numbers only, never an image: it is evidence for the backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiosk.face_match import models
from kiosk.face_match.card_photo import CARD_WIDTH, FACE_WIDTH_FRACTION, decode_card_photo
from kiosk.face_match.config import MatchingConfig
from kiosk.face_match.detection import FaceBox, detect_faces
from kiosk.face_match.encoding import Encoding, as_grey_rgb, as_rgb, encode_face, encode_views

# Where the face sits in a card portrait (see card_photo): used when the detector misses it.
PORTRAIT_FACE_WIDTH = 0.55
PORTRAIT_FACE_CENTRE_Y = 0.42
# A live face is also encoded scaled down to the card portrait's face width (about 88 px).
CARD_FACE_WIDTH = CARD_WIDTH * FACE_WIDTH_FRACTION


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
    if config.multi_view:
        encoding = encode_views(
            as_rgb(grey), box, rescale=config.card_rescale, mirror=config.mirror_average
        )
    else:
        encoding = encode_face(as_rgb(grey), box, mirror=config.mirror_average)
    return Enrollment(encoding, face_detected=bool(faces))


def enroll_card_photo(card_photo: bytes, config: MatchingConfig) -> Enrollment:
    """Decode the card's JPEG 2000 portrait and encode it."""
    return enroll_portrait(decode_card_photo(card_photo), config)


def encode_live(frame: npt.NDArray[np.uint8], box: FaceBox, config: MatchingConfig) -> Encoding:
    """Encode one live frame's face the way the card was encoded."""
    source = as_grey_rgb(frame) if config.grey_probe else as_rgb(frame)
    if config.multi_view:
        rescale = min(1.0, CARD_FACE_WIDTH / max(1, box.width))
        return encode_views(source, box, rescale=rescale, mirror=config.mirror_average)
    return encode_face(source, box, mirror=config.mirror_average)


def fuse(encodings: list[Encoding]) -> Encoding:
    """Several frames' encodings into one (their mean: averages out per-frame noise)."""
    if not encodings:
        raise MatchingError("no live encodings to fuse")
    return np.asarray(np.mean(np.stack(encodings), axis=0), dtype=np.float64)


def frame_spread(encodings: list[Encoding]) -> float:
    """How varied the live encodings are: their mean pairwise distance (0 for one frame)."""
    if len(encodings) < 2:
        return 0.0
    stack = np.stack(encodings)
    pairwise = np.linalg.norm(stack[:, None, :] - stack[None, :, :], axis=2)
    count = len(encodings)
    return float(pairwise.sum() / (count * (count - 1)))


def decision_threshold(spread: float, config: MatchingConfig) -> float:
    """The threshold for live frames of this spread: ``threshold`` at 0, ``varied_threshold``
    from ``spread_reference`` on, linear in between (more varied frames, stricter threshold)."""
    weight = min(1.0, max(0.0, spread / config.spread_reference))
    return config.threshold + (config.varied_threshold - config.threshold) * weight


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The matching decision: numbers only, suitable as evidence for the backend."""

    matched: bool
    score: float  # distance between card and fused live encoding (lower = more alike)
    threshold: float  # the threshold applied (it depends on the frames' spread)
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
    score = float(np.linalg.norm(enrollment.encoding - fuse(live)))
    # Rounded before comparing, so the evidence's threshold is exactly the one applied.
    threshold = round(decision_threshold(frame_spread(live), config), 4)
    return MatchResult(
        matched=score < threshold,
        score=score,
        threshold=threshold,
        frames_used=len(live),
        model_version=models.MODEL_VERSION,
        card_face_detected=enrollment.face_detected,
    )
