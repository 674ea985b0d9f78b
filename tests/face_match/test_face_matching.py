"""Matching real faces: genuine pairs match, impostors do not, the card face box fallback."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from kiosk.face_match.card_photo import decode_card_photo, make_card_photo
from kiosk.face_match.config import load_config
from kiosk.face_match.engine import load_engine
from kiosk.face_match.evaluation import Pair, evaluate_pairs
from kiosk.face_match.matching import (
    MatchingError,
    decide,
    encode_live,
    enroll_card_photo,
    enroll_portrait,
    fuse,
    portrait_face_box,
)
from kiosk.face_match.sface import MODEL_VERSION
from tests.face_match.faces import (
    BIDEN,
    BUNDLED,
    OBAMA,
    dataset,
    needs_dataset,
    read_rgb,
    write_bundled_pairs,
)

FACE = load_config()
CONFIG = FACE.engine_settings
ENGINE = load_engine(FACE.engine)


def _card() -> object:
    return enroll_card_photo(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")), ENGINE)


def _live(image: np.ndarray) -> np.ndarray:
    return encode_live(image, ENGINE.detect(image)[0], ENGINE, CONFIG)


def _pairs(pairs_csv: Path, label: str, count: int) -> list[Pair]:
    with pairs_csv.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["label"] == label]
    step = max(1, len(rows) // count)
    return [Pair(label == "genuine", r["enroll"], r["probe"]) for r in rows[::step][:count]]


@pytest.mark.slow
def test_bundled_pairs_genuine_match_and_impostors_do_not(tmp_path: Path) -> None:
    pairs_csv = write_bundled_pairs(tmp_path / "pairs.csv")
    pairs = _pairs(pairs_csv, "genuine", 3) + _pairs(pairs_csv, "impostor", 3)
    report = evaluate_pairs(pairs, BUNDLED, FACE, workers=2)
    assert report.genuine_pairs == 3
    assert report.impostor_pairs == 3
    assert report.frr == 0.0
    assert report.far == 0.0


@pytest.mark.slow
@needs_dataset
def test_subset_of_the_data_sets_pairs_genuine_match_and_impostors_do_not() -> None:
    pairs_csv = dataset() / "pairs.csv"
    pairs = _pairs(pairs_csv, "genuine", 5) + _pairs(pairs_csv, "impostor", 8)
    report = evaluate_pairs(pairs, dataset(), FACE, workers=2)
    assert report.genuine_pairs == 5
    assert report.impostor_pairs == 8
    assert report.frr == 0.0
    assert report.far == 0.0


def test_live_images_of_the_card_holder_match_the_card() -> None:
    card = _card()
    for name in ("obama_official_portrait_2012.jpg", "obama_congress_2009.jpg"):
        result = decide(card, [_live(read_rgb(OBAMA / name))], ENGINE, CONFIG, FACE.matching)
        assert result.matched
        assert result.score < result.threshold == CONFIG.threshold
        assert result.frames_used == 1
        assert result.model_version == MODEL_VERSION
        assert set(result.to_evidence()) >= {"matched", "score", "threshold", "frames_used"}


def test_the_decision_uses_the_configured_number_of_newest_frames() -> None:
    card = _card()
    live = _live(read_rgb(OBAMA / "obama_congress_2009.jpg"))
    other = _live(read_rgb(BIDEN))
    # One frame configured: only the newest counts.
    assert decide(card, [other, live], ENGINE, CONFIG, FACE.matching).matched
    assert not decide(card, [live, other], ENGINE, CONFIG, FACE.matching).matched


def test_another_person_does_not_match_the_card() -> None:
    result = decide(_card(), [_live(read_rgb(BIDEN))], ENGINE, CONFIG)
    assert not result.matched
    assert result.score >= result.threshold == CONFIG.threshold


def test_a_card_enrolled_by_another_engine_is_refused() -> None:
    card = _card()
    dlib = load_engine("dlib")
    image = read_rgb(BIDEN)
    with pytest.raises(MatchingError):
        decide(card, [dlib.encode(image, dlib.detect(image)[0])], dlib, FACE.dlib)


def test_card_portrait_whose_face_is_missed_still_gets_a_centred_box(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grey = decode_card_photo(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")))
    clear = enroll_portrait(grey, ENGINE)
    detected = ENGINE.detect(grey)[0].box
    box = portrait_face_box(grey.shape[1], grey.shape[0])
    # The assumed box sits where make_card_photo puts the face.
    assert abs(box.centre[0] - detected.centre[0]) < 0.1 * grey.shape[1]
    assert abs(box.centre[1] - detected.centre[1]) < 0.1 * grey.shape[0]
    assert 0.7 < box.width / detected.width < 1.4
    # A detector that misses the face: the centred box still encodes the same face.
    monkeypatch.setattr(type(ENGINE), "detect", lambda *_a, **_k: [])
    fallback = enroll_portrait(grey, ENGINE)
    assert clear.face_detected and not fallback.face_detected
    assert ENGINE.distance(fallback.encoding, clear.encoding) < CONFIG.threshold
    assert "encoding" not in repr(fallback)


def test_fusing_nothing_is_a_typed_error() -> None:
    with pytest.raises(MatchingError):
        fuse([])
