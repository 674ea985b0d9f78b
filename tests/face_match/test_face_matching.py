"""Matching real faces: genuine pairs match, impostors do not, the card face box fallback."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from kiosk.face_match.card_photo import decode_card_photo, make_card_photo
from kiosk.face_match.config import load_config
from kiosk.face_match.detection import detect_faces
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
from tests.face_match.faces import FACES, OBAMA, read_rgb

CONFIG = load_config().matching


def _pairs(label: str, count: int) -> list[Pair]:
    with (FACES / "pairs.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["label"] == label]
    step = max(1, len(rows) // count)
    return [Pair(label == "genuine", r["enroll"], r["probe"]) for r in rows[::step][:count]]


@pytest.mark.slow
def test_subset_of_pairs_genuine_match_and_impostors_do_not() -> None:
    pairs = _pairs("genuine", 5) + _pairs("impostor", 8)
    report = evaluate_pairs(pairs, FACES, CONFIG, workers=2)
    assert report.genuine_pairs == 5
    assert report.impostor_comparisons == 8
    assert report.frr == 0.0
    assert report.far == 0.0


def test_live_frames_of_the_card_holder_match_the_card() -> None:
    card = enroll_card_photo(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")), CONFIG)
    live = []
    for name in ("obama_official_portrait_2012.jpg", "obama_congress_2009.jpg"):
        image = read_rgb(OBAMA / name)
        live.append(encode_live(image, detect_faces(image, 1)[0], CONFIG))
    result = decide(card, live, CONFIG)
    assert result.matched
    assert result.score < CONFIG.threshold == result.threshold
    assert result.frames_used == 2
    assert result.model_version.startswith("dlib-")
    assert set(result.to_evidence()) >= {"matched", "score", "threshold", "frames_used"}


def test_mean_distance_fusion_averages_the_per_frame_distances() -> None:
    from dataclasses import replace

    card = enroll_card_photo(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")), CONFIG)
    image = read_rgb(OBAMA / "obama_congress_2009.jpg")
    live = encode_live(image, detect_faces(image, 1)[0], CONFIG)
    shifted = live + 0.05
    config = replace(CONFIG, fusion="mean_distance", threshold=0.51)
    result = decide(card, [live, shifted], config)
    expected = (np.linalg.norm(card.encoding - live) + np.linalg.norm(card.encoding - shifted)) / 2
    assert result.score == pytest.approx(expected)
    assert result.matched == (expected < 0.51)


def test_another_person_does_not_match_the_card() -> None:
    card = enroll_card_photo(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")), CONFIG)
    biden = read_rgb(FACES / "whitehouse/Joe_Biden/biden_portrait.jpg")
    result = decide(card, [encode_live(biden, detect_faces(biden, 1)[0], CONFIG)], CONFIG)
    assert not result.matched
    assert result.score >= CONFIG.threshold


def test_card_portrait_whose_face_is_missed_still_gets_a_centred_box(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grey = decode_card_photo(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")))
    clear = enroll_portrait(grey, CONFIG)
    detected = detect_faces(grey, upsample=1)[0]
    box = portrait_face_box(grey.shape[1], grey.shape[0])
    # The assumed box sits where make_card_photo puts the face.
    assert abs(box.centre[0] - detected.centre[0]) < 0.1 * grey.shape[1]
    assert abs(box.centre[1] - detected.centre[1]) < 0.1 * grey.shape[0]
    assert 0.7 < box.width / detected.width < 1.4
    # A detector that misses the face: the centred box still encodes the same face.
    monkeypatch.setattr("kiosk.face_match.matching.detect_faces", lambda *_a, **_k: [])
    fallback = enroll_portrait(grey, CONFIG)
    assert clear.face_detected and not fallback.face_detected
    assert float(np.linalg.norm(fallback.encoding - clear.encoding)) < 0.35
    assert "encoding" not in repr(fallback)


def test_fusing_nothing_is_a_typed_error() -> None:
    with pytest.raises(MatchingError):
        fuse([])
