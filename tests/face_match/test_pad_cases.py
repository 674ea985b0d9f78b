"""The PAD evaluation's bona fide sources: one person, frontal, head upright."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.face_match.pad_eval import is_frontal
from tests.face_match.faces import FACES, OBAMA


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (OBAMA / "obama_official_portrait_2012.jpg", True),
        (FACES / "lfw/John_Howard/John_Howard_0018.jpg", False),  # a second person in the photo
        (FACES / "lfw/Tang_Jiaxuan/Tang_Jiaxuan_0008.jpg", False),  # head tilted about 16 degrees
    ],
)
def test_bona_fide_sources_are_single_upright_frontal_faces(path: Path, expected: bool) -> None:
    assert is_frontal(str(path)) is expected
