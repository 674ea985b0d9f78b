"""Card portrait: made from real faces, decoded in memory, bad bytes give a typed error."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.face_match.card_photo import (
    CARD_HEIGHT,
    CARD_WIDTH,
    CardPhotoError,
    decode_card_photo,
    make_card_photo,
)
from kiosk.face_match.detection import detect_faces
from tests.face_match.faces import BUNDLED, DATASET, needs_dataset


def _rgb(relative: str) -> np.ndarray:
    root = DATASET if relative.startswith("lfw/") else BUNDLED
    assert root is not None
    bgr = cv2.imread(str(root / relative))
    assert bgr is not None
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@pytest.mark.parametrize(
    "relative",
    [
        pytest.param("lfw/Adrien_Brody/Adrien_Brody_0004.jpg", marks=needs_dataset),
        "Barack_Obama/obama_official_portrait_2012.jpg",
        "Joe_Biden/biden_blue_room_2010.jpg",
    ],
)
def test_card_photo_is_small_greyscale_jp2_with_a_centred_face(relative: str) -> None:
    data = make_card_photo(_rgb(relative))
    assert data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n")
    assert 3_500 <= len(data) <= 6_500
    grey = decode_card_photo(data)
    assert grey.dtype == np.uint8
    assert grey.shape == (CARD_HEIGHT, CARD_WIDTH)
    faces = detect_faces(grey, upsample=1)
    assert faces, "the face must survive the card degradation"
    face = faces[0]
    assert 0.4 <= face.width / CARD_WIDTH <= 0.7
    assert abs(face.centre[0] - CARD_WIDTH / 2) < CARD_WIDTH * 0.15


def test_faceless_image_falls_back_to_a_centre_crop() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 255, size=(300, 400, 3), dtype=np.uint8)
    grey = decode_card_photo(make_card_photo(noise))
    assert grey.shape == (CARD_HEIGHT, CARD_WIDTH)


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image", b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 50, b"\xff\x4f\xff\x51"],
)
def test_bad_card_photo_bytes_raise_a_typed_error(data: bytes) -> None:
    with pytest.raises(CardPhotoError):
        decode_card_photo(data)


def test_truncated_card_photo_raises_a_typed_error() -> None:
    data = make_card_photo(_rgb("Joe_Biden/biden_blue_room_2010.jpg"))
    with pytest.raises(CardPhotoError):
        decode_card_photo(data[: len(data) // 3])


def test_error_text_carries_no_image_bytes() -> None:
    with pytest.raises(CardPhotoError) as caught:
        decode_card_photo(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(range(200)))
    assert len(str(caught.value)) < 120
