"""The card photo decoder (``decode_card_photo``, OpenJPEG through OpenCV) on arbitrary bytes
and on damaged genuine card portraits (header fields, codestream markers, cuts): a greyscale
image or ``CardPhotoError``, within a time bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.card_reader import tlv
from kiosk.face_match.card_photo import CardPhotoError, decode_card_photo
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.helpers.virtual_card import TestCard
from tests.hostile.budget import bounded, hostile
from tests.hostile.mutations import damaged

JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_CODESTREAM = b"\xff\x4f\xff\x51"


@pytest.fixture(scope="module")
def genuine_photo(test_card: TestCard) -> bytes:
    face = VirtualCard.from_path(test_card.template).card_file.files[(Ap.INFO, 0x0002)]
    outer = tlv.parse_one(face)[0]
    return tlv.index(tlv.parse_all(outer.value))[0xDF27].value


def test_the_genuine_photo_decodes(genuine_photo: bytes) -> None:
    image = decode_card_photo(genuine_photo)
    assert image.ndim == 2 and image.dtype == np.uint8 and min(image.shape) >= 16


def _check(raw: bytes, target: str) -> None:
    with bounded(target, seconds=3.0):
        try:
            image = decode_card_photo(raw)
        except CardPhotoError:
            return
    assert image.ndim == 2 and image.dtype == np.uint8 and min(image.shape) >= 16


@hostile(300)
@given(st.data())
def test_damaged_card_photos(genuine_photo: bytes, data: st.DataObject) -> None:
    # most edits land after the signature, so the decoder itself gets the damaged stream
    raw = data.draw(damaged(genuine_photo, max_edits=3))
    _check(raw, "card photo: damaged genuine JP2")


@hostile(200)
@given(st.data())
def test_damaged_header_of_card_photos(genuine_photo: bytes, data: st.DataObject) -> None:
    """Damage confined to the first 200 bytes: box lengths, image size, components, tiles."""
    head = data.draw(damaged(genuine_photo[:200], max_edits=3))
    _check(head + genuine_photo[200:], "card photo: damaged JP2 header")


@hostile(200)
@given(
    raw=st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=400).map(lambda tail: JP2_SIGNATURE + tail),
        st.binary(max_size=400).map(lambda tail: J2K_CODESTREAM + tail),
    )
)
def test_arbitrary_bytes_as_card_photo(raw: bytes) -> None:
    _check(raw, "card photo: arbitrary bytes")
