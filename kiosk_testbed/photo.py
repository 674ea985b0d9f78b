"""The card portrait (DF27) from a photo file, made by the face-match package's own maker so
the card holds exactly what the kiosk expects. In memory only; nothing is written to disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError


class PhotoError(ValueError):
    """The photo cannot be read or turned into a card portrait."""


def card_photo_from_file(path: Path) -> bytes:
    """JPEG 2000 greyscale head-and-shoulders portrait (~160 px, ~5 KB) from an image file."""
    try:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as error:
        raise PhotoError(f"cannot read photo {path}: {type(error).__name__}") from None
    from kiosk.face_match.card_photo import CardPhotoError, make_card_photo

    try:
        return make_card_photo(rgb)
    except CardPhotoError as error:
        raise PhotoError(str(error)) from None
