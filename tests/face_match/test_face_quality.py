"""Quality gates on live frames give the right hint codes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.face_match.config import QualityConfig, load_config
from kiosk.face_match.engine import load_engine
from kiosk.face_match.quality import Hint, analyse_frame, quality_hint
from kiosk.face_match.resident import place_portrait

CONFIG: QualityConfig = load_config().quality
ENGINE = load_engine("sface")


@pytest.fixture(scope="module")
def good_frame(obama_portrait: np.ndarray) -> np.ndarray:
    import random

    frame, _ = place_portrait(obama_portrait, random.Random(1))
    return frame


def _hint(frame: np.ndarray) -> Hint | None:
    return quality_hint(analyse_frame(frame, CONFIG, ENGINE), CONFIG)


def test_a_good_frame_passes(good_frame: np.ndarray) -> None:
    assert _hint(good_frame) is None


def test_no_face(good_frame: np.ndarray) -> None:
    assert _hint(np.full_like(good_frame, 120)) is Hint.NO_FACE


def test_too_far_away(good_frame: np.ndarray) -> None:
    small = cv2.resize(good_frame, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    canvas = np.full_like(good_frame, 150)
    canvas[120:360, 160:480] = small
    assert _hint(canvas) is Hint.COME_CLOSER


def test_too_close(good_frame: np.ndarray) -> None:
    zoomed = cv2.resize(good_frame[140:300, 213:427], (640, 480), interpolation=cv2.INTER_CUBIC)
    assert _hint(zoomed) is Hint.MOVE_BACK


def test_too_dark_and_too_bright(good_frame: np.ndarray) -> None:
    dark = np.asarray(good_frame * 0.3, dtype=np.uint8)
    assert _hint(dark) is Hint.MORE_LIGHT
    bright = np.asarray(np.clip(good_frame.astype(np.float32) * 1.4 + 90, 0, 255), np.uint8)
    assert _hint(bright) in (Hint.LESS_LIGHT, Hint.NO_FACE)


def test_blurred_frame_asks_to_hold_still(good_frame: np.ndarray) -> None:
    blurred = np.asarray(cv2.GaussianBlur(good_frame, (0, 0), 5.0), dtype=np.uint8)
    assert _hint(blurred) in (Hint.HOLD_STILL, Hint.NO_FACE)


def test_two_people(good_frame: np.ndarray) -> None:
    half = cv2.resize(good_frame, (320, 240), interpolation=cv2.INTER_AREA)
    big = cv2.resize(half, (640, 480))
    pair = np.concatenate([big[:, 80:400], big[:, 80:400]], axis=1)
    analysis = analyse_frame(np.ascontiguousarray(pair), CONFIG, ENGINE)
    assert analysis.faces >= 2
    assert quality_hint(analysis, CONFIG) is Hint.ONE_PERSON_ONLY


def test_turned_head_asks_to_look_straight(obama_portrait: np.ndarray) -> None:
    from kiosk.face_match.actions import Action
    from kiosk.face_match.resident import SyntheticResident

    resident = SyntheticResident(obama_portrait, seed=2)
    resident.observe_prompt(Action.TURN_LEFT, 0.0)
    hints = {_hint(resident.render(t)) for t in np.arange(0.6, 1.6, 0.1)}
    assert Hint.LOOK_STRAIGHT in hints


def test_repr_of_an_analysis_has_no_pixels(good_frame: np.ndarray) -> None:
    text = repr(analyse_frame(good_frame, CONFIG, ENGINE))
    assert "array" not in text and len(text) < 200
