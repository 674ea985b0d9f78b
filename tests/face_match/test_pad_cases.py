"""The PAD evaluation's bona fide sources: one person, frontal, head upright."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.face_match.pad_eval import is_frontal
from tests.face_match.faces import DATASET, OBAMA, needs_dataset


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (OBAMA / "obama_official_portrait_2012.jpg", True),
        # from the development data set (not shipped): a second person, a head tilted ~16 degrees
        pytest.param("lfw/John_Howard/John_Howard_0018.jpg", False, marks=needs_dataset),
        pytest.param("lfw/Tang_Jiaxuan/Tang_Jiaxuan_0008.jpg", False, marks=needs_dataset),
    ],
)
def test_bona_fide_sources_are_single_upright_frontal_faces(
    path: Path | str, expected: bool
) -> None:
    if isinstance(path, str):
        assert DATASET is not None
        path = DATASET / path
    assert is_frontal(str(path)) is expected
