"""Real face data for the face tests.

Two sources:
- ``BUNDLED``: four official White House photographs (public domain, see
  ``tests/data/faces/NOTICE.md``) that the repository carries; every clone has them.
- ``DATASET``: an optional larger data set laid out like the development one (identity
  folders and a ``pairs.csv``), named by the environment variable ``KIOSK_FACE_DATASET``. It
  is not redistributable and never committed; tests that need it carry ``needs_dataset`` and
  skip without it.

Videos are recorded at test time from the bundled photos (``record_resident_clip``).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "tests" / "data" / "faces"
OBAMA = BUNDLED / "Barack_Obama"
OBAMA_PORTRAIT = OBAMA / "obama_official_portrait_2012.jpg"
BIDEN = BUNDLED / "Joe_Biden" / "biden_blue_room_2010.jpg"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".jp2", ".j2k", ".bmp", ".ppm", ".pgm", ".webp")

_dataset = os.environ.get("KIOSK_FACE_DATASET", "").strip()
DATASET: Path | None = Path(_dataset) if _dataset else None
needs_dataset = pytest.mark.skipif(
    DATASET is None or not (DATASET / "pairs.csv").is_file(),
    reason="needs a face data set with pairs.csv: set KIOSK_FACE_DATASET (not shipped, no licence)",
)


def dataset() -> Path:
    """The optional data set's folder (only call from tests marked ``needs_dataset``)."""
    assert DATASET is not None
    return DATASET


def read_rgb(path: Path) -> npt.NDArray[np.uint8]:
    bgr = cv2.imread(str(path))
    assert bgr is not None, path.name
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def record_resident_clip(
    path: Path, portrait: Path = OBAMA_PORTRAIT, *, frames: int = 40, fps: float = 30.0
) -> Path:
    """Write a short MJPG clip (640x360) of the synthetic resident animated from ``portrait``:
    a recording that sways and blinks on its own and answers no prompt."""
    from kiosk.face_match.resident import SyntheticResident

    resident = SyntheticResident(read_rgb(portrait), seed=3, obey=False)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (640, 360))
    assert writer.isOpened()
    try:
        for index in range(frames):
            rgb = resident.render(index / fps)
            frame = cv2.resize(rgb, (480, 360))
            canvas = np.zeros((360, 640, 3), dtype=np.uint8)
            canvas[:, 80:560] = frame
            writer.write(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


PAIR_IDENTITY_COLUMNS = ["enroll_identity", "probe_identity"]


def write_bundled_pairs(path: Path) -> Path:
    """A ``pairs.csv`` over the bundled photos (root ``BUNDLED``): the three genuine pairs of
    one person and three impostor pairs with the other, laid out like the development set's."""
    import csv

    obama = sorted(p.relative_to(BUNDLED).as_posix() for p in OBAMA.glob("*.jpg"))
    biden = BIDEN.relative_to(BUNDLED).as_posix()
    rows = [("genuine", a, b, "Barack_Obama") for i, a in enumerate(obama) for b in obama[i + 1 :]]
    rows += [("impostor", a, biden, "Joe_Biden") for a in obama]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pair_id", "label", "enroll", "probe", *PAIR_IDENTITY_COLUMNS])
        for index, (label, enroll, probe, probe_identity) in enumerate(rows):
            writer.writerow([index, label, enroll, probe, "Barack_Obama", probe_identity])
    return path


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
