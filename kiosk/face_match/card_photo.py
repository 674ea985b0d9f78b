"""The card's portrait: make one the way the card holds it, and decode one read from a card.

The My Number card holds a small greyscale JPEG 2000 portrait. ``make_card_photo`` turns any
RGB photo into that form (3:4 head-and-shoulders crop around the largest detected face, the face
box about 55 % of the crop width, 160 px wide, greyscale, JP2 container of about 5 KB).
``decode_card_photo`` turns card bytes back into a greyscale image. Everything happens in memory;
no image ever touches the disk.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.detection import FaceBox, detect_faces

CARD_WIDTH = 160
CARD_HEIGHT = 213  # 3:4 portrait
FACE_WIDTH_FRACTION = 0.55
# Vertical position of the face-box centre within the crop (fraction of the crop height).
FACE_CENTRE_HEIGHT_FRACTION = 0.42
# OpenJPEG's rate is 1000 / X1000 : 1 of the raw size. 160 x 213 greyscale is 34 KB raw, so
# X1000 = 150 (about 6.7:1) lands typical portraits at about 5 KB.
JP2_COMPRESSION_X1000 = 150
MAX_CARD_PHOTO_BYTES = 64 * 1024

_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_J2K_CODESTREAM = b"\xff\x4f\xff\x51"

GreyImage = npt.NDArray[np.uint8]


class CardPhotoError(ValueError):
    """The bytes are not a usable card portrait (the message never contains image data)."""


def _crop_box(
    image_width: int, image_height: int, face: FaceBox | None
) -> tuple[int, int, int, int]:
    """Crop rectangle (left, top, width, height), possibly reaching outside the image."""
    if face is None:
        # Centre crop fallback: the largest 3:4 rectangle centred in the image.
        width = min(image_width, round(image_height * 3 / 4))
        height = round(width * 4 / 3)
        return (image_width - width) // 2, (image_height - height) // 2, width, height
    width = max(8, round(face.width / FACE_WIDTH_FRACTION))
    height = round(width * 4 / 3)
    centre_x, centre_y = face.centre
    left = round(centre_x - width / 2)
    top = round(centre_y - height * FACE_CENTRE_HEIGHT_FRACTION)
    return left, top, width, height


def crop_portrait(image: npt.NDArray[np.uint8], face: FaceBox | None) -> npt.NDArray[np.uint8]:
    """Cut the 3:4 portrait; parts outside the image are filled by replicating the border."""
    image_height, image_width = image.shape[:2]
    left, top, width, height = _crop_box(image_width, image_height, face)
    pad_left = max(0, -left)
    pad_top = max(0, -top)
    pad_right = max(0, left + width - image_width)
    pad_bottom = max(0, top + height - image_height)
    if pad_left or pad_top or pad_right or pad_bottom:
        image = np.asarray(
            cv2.copyMakeBorder(
                image, pad_top, pad_bottom, pad_left, pad_right, cv2.BORDER_REPLICATE
            ),
            dtype=np.uint8,
        )
        left += pad_left
        top += pad_top
    return np.ascontiguousarray(image[top : top + height, left : left + width])


def to_grey(image: npt.NDArray[np.uint8]) -> GreyImage:
    """RGB (or already grey) uint8 image to a single-channel greyscale image."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY), dtype=np.uint8)
    raise CardPhotoError(f"unsupported image shape {image.shape}")


def subject_face(image: npt.NDArray[np.uint8], *, central: bool = False) -> FaceBox | None:
    """The HOG face box a portrait is cut around: the largest, or (``central``) the one
    nearest the image centre, as in photos where the subject stands among others."""
    grey = to_grey(image)
    faces = detect_faces(grey, upsample=1)
    if not faces:
        return None
    if not central:
        return max(faces, key=lambda box: box.area)
    height, width = grey.shape[:2]
    return min(
        faces, key=lambda b: (b.centre[0] - width / 2) ** 2 + (b.centre[1] - height / 2) ** 2
    )


def make_card_photo(image_rgb: npt.NDArray[np.uint8], *, central: bool = False) -> bytes:
    """Make the card portrait (JP2 bytes, about 5 KB) from an RGB uint8 photo, cut around
    ``subject_face`` (the largest face, or the central one)."""
    if not isinstance(image_rgb, np.ndarray) or image_rgb.dtype != np.uint8:
        raise CardPhotoError("expected a uint8 numpy image")
    if image_rgb.ndim not in (2, 3) or min(image_rgb.shape[:2]) < 16:
        raise CardPhotoError(f"unsupported image shape {image_rgb.shape}")
    grey = to_grey(image_rgb)
    face = subject_face(grey, central=central)
    portrait = crop_portrait(grey, face)
    interpolation = cv2.INTER_AREA if portrait.shape[1] > CARD_WIDTH else cv2.INTER_CUBIC
    small = cv2.resize(portrait, (CARD_WIDTH, CARD_HEIGHT), interpolation=interpolation)
    ok, encoded = cv2.imencode(
        ".jp2", small, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, JP2_COMPRESSION_X1000]
    )
    if not ok:
        raise CardPhotoError("JPEG 2000 encoding failed")
    return bytes(encoded.tobytes())


def decode_card_photo(data: bytes) -> GreyImage:
    """Decode a card portrait (JP2 container or raw J2K codestream) to greyscale uint8."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CardPhotoError("card photo must be bytes")
    raw = bytes(data)
    if not raw:
        raise CardPhotoError("card photo is empty")
    if len(raw) > MAX_CARD_PHOTO_BYTES:
        raise CardPhotoError(f"card photo too large ({len(raw)} bytes)")
    if not (raw.startswith(_JP2_SIGNATURE) or raw.startswith(_J2K_CODESTREAM)):
        raise CardPhotoError("card photo is not JPEG 2000 (no JP2 signature or J2K codestream)")
    buffer = np.frombuffer(raw, dtype=np.uint8)
    try:
        decoded = cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE)
    except cv2.error:
        decoded = None
    if decoded is None or decoded.size == 0 or min(decoded.shape[:2]) < 16:
        raise CardPhotoError("card photo could not be decoded (corrupt JPEG 2000)")
    return np.asarray(decoded, dtype=np.uint8)
