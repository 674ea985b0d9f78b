"""Real face data for the face tests (read from the shared folder, never copied)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

FACES = Path("/work/shared/data/faces")
OBAMA = FACES / "whitehouse/Barack_Obama"
VIDEO = FACES / "video/short_hamilton_clip.mp4"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".jp2", ".j2k", ".bmp", ".ppm", ".pgm", ".webp")

if not FACES.is_dir():
    pytest.skip("shared face data not present", allow_module_level=True)


def read_rgb(path: Path) -> npt.NDArray[np.uint8]:
    bgr = cv2.imread(str(path))
    assert bgr is not None, path.name
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


SKIPPED_FOLDERS = {".venv", ".git", ".cache", "node_modules", "__pycache__"}


def image_files(folder: Path, recursive: bool = True) -> set[Path]:
    """Image files under ``folder`` (skipping virtualenv, git and cache folders)."""
    found: set[Path] = set()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return found
    for path in entries:
        try:
            if path.is_dir():
                if recursive and path.name not in SKIPPED_FOLDERS and not path.is_symlink():
                    found |= image_files(path, recursive)
            elif path.suffix.lower() in IMAGE_SUFFIXES:
                found.add(path)
        except OSError:
            continue
    return found
