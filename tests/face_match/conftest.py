"""Fixtures for the face tests: real faces read from the shared data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.face_match.faces import OBAMA, image_files, read_rgb


@pytest.fixture(scope="session")
def obama_portrait() -> npt.NDArray[np.uint8]:
    return read_rgb(OBAMA / "obama_official_portrait_2012.jpg")


@pytest.fixture(scope="session")
def obama_card_photo() -> bytes:
    from kiosk.face_match.card_photo import make_card_photo

    return make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg"))


@pytest.fixture
def no_new_image_files() -> Iterator[None]:
    """Fails the test if an image file appears in the working folder or the temp folder."""
    import tempfile

    temp = Path(tempfile.gettempdir())
    cwd_before, temp_before = image_files(Path.cwd()), image_files(temp, recursive=False)
    yield
    new = (image_files(Path.cwd()) - cwd_before) | (
        image_files(temp, recursive=False) - temp_before
    )
    assert not new, f"image files appeared: {sorted(p.name for p in new)}"
