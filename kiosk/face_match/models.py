"""The dlib model files (shipped by ``face_recognition_models``), loaded once, on first use.

Loading directly through dlib avoids ``import face_recognition``, which loads every model
(about 1.8 s) and calls ``quit()`` when its models package is missing.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import Any

import dlib

ENCODER_FILE = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS_5_FILE = "shape_predictor_5_face_landmarks.dat"
LANDMARKS_68_FILE = "shape_predictor_68_face_landmarks.dat"
MODEL_VERSION = f"dlib-{dlib.__version__}/{ENCODER_FILE.removesuffix('.dat')}"

# dlib objects are not documented as thread-safe; every model call goes through this lock.
model_lock = threading.RLock()


class ModelFilesMissingError(RuntimeError):
    """face_recognition_models is not installed (see scripts/setup)."""


def _model_path(name: str) -> str:
    # find_spec locates the package without importing it (its __init__ imports pkg_resources).
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesMissingError("face_recognition_models is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise ModelFilesMissingError(f"model file {name} is missing")
    return str(path)


@cache
def encoder() -> Any:
    return dlib.face_recognition_model_v1(_model_path(ENCODER_FILE))


@cache
def landmarks_5() -> Any:
    return dlib.shape_predictor(_model_path(LANDMARKS_5_FILE))


@cache
def landmarks_68() -> Any:
    return dlib.shape_predictor(_model_path(LANDMARKS_68_FILE))
