"""The demo resident's default face: NASA's public-domain portrait shipped with scikit-image.

The demo's default person comes from an installed package, so the demo needs no photo beside
it: `skimage/data/astronaut.png` (Eileen Collins, official NASA portrait, a US government work
in the public domain).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


class PortraitUnavailableError(RuntimeError):
    """scikit-image (which ships the default portrait) is not installed."""


def default_portrait_path() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise PortraitUnavailableError("scikit-image is not installed; pass --resident PHOTO")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    if not path.is_file():
        raise PortraitUnavailableError(f"{path} is missing; pass --resident PHOTO")
    return path
