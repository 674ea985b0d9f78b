"""Matching real faces: genuine pairs match, impostors do not, the card face box fallback."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from kiosk.face_match.card_photo import decode_card_photo, make_card_photo
from kiosk.face_match.config import load_config
from kiosk.face_match.detection import detect_faces
from kiosk.face_match.evaluation import Pair, evaluate_pairs
from kiosk.face_match.matching import (
    MatchingError,
    decide,
    decision_threshold,
    encode_live,
    enroll_card_photo,
    enroll_portrait,
    frame_spread,
    fuse,
    portrait_face_box,
)
from tests.face_match.faces import (
    BIDEN,
    BUNDLED,
    OBAMA,
    dataset,
    needs_dataset,
    read_rgb,
    write_bundled_pairs,
)

CONFIG = load_config().matching


def _pairs(pairs_csv: Path, label: str, count: int) -> list[Pair]:
    with pairs_csv.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["label"] == label]
    step = max(1, len(rows) // count)
    return [Pair(label == "genuine", r["enroll"], r["probe"]) for r in rows[::step][:count]]


@pytest.mark.slow
def test_bundled_pairs_genuine_match_and_impostors_do_not(tmp_path: Path) -> None:
    pairs_csv = write_bundled_pairs(tmp_path / "pairs.csv")
    pairs = _pairs(pairs_csv, "genuine", 3) + _pairs(pairs_csv, "impostor", 3)
    report = evaluate_pairs(pairs, BUNDLED, CONFIG, workers=2)
    assert report.genuine_pairs == 3
    assert report.impostor_comparisons == 3
    assert report.frr == 0.0
    assert report.far == 0.0


@pytest.mark.slow
@needs_dataset
def test_subset_of_the_data_sets_pairs_genuine_match_and_impostors_do_not() -> None:
    pairs_csv = dataset() / "pairs.csv"
    pairs = _pairs(pairs_csv, "genuine", 5) + _pairs(pairs_csv, "impostor", 8)
    report = evaluate_pairs(pairs, dataset(), CONFIG, workers=2)
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
    assert result.score < result.threshold
    assert CONFIG.varied_threshold <= result.threshold <= CONFIG.threshold
    assert result.frames_used == 2
    assert result.model_version.startswith("dlib-")
    assert set(result.to_evidence()) >= {"matched", "score", "threshold", "frames_used"}


def test_threshold_follows_the_spread_of_the_live_frames() -> None:
    single, varied, reference = CONFIG.threshold, CONFIG.varied_threshold, CONFIG.spread_reference
    assert varied < single
    assert decision_threshold(0.0, CONFIG) == single
    assert decision_threshold(reference / 2, CONFIG) == pytest.approx((single + varied) / 2)
    assert decision_threshold(reference, CONFIG) == pytest.approx(varied)
    assert decision_threshold(5 * reference, CONFIG) == pytest.approx(varied)


def test_frame_spread_is_the_mean_pairwise_distance() -> None:
    a, b, c = np.zeros(128), np.zeros(128), np.zeros(128)
    b[0], c[1] = 0.3, 0.4
    assert frame_spread([a]) == 0.0
    assert frame_spread([a, a, a]) == 0.0
    assert frame_spread([a, b, c]) == pytest.approx((0.3 + 0.4 + 0.5) / 3)


def test_near_identical_frames_are_held_to_the_single_frame_threshold() -> None:
    card = enroll_card_photo(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")), CONFIG)
    image = read_rgb(OBAMA / "obama_congress_2009.jpg")
    live = encode_live(image, detect_faces(image, 1)[0], CONFIG)
    steady = decide(card, [live, live.copy(), live.copy()], CONFIG)
    assert steady.threshold == CONFIG.threshold
    assert steady.score == pytest.approx(float(np.linalg.norm(card.encoding - live)))
    assert steady.matched == (steady.score < CONFIG.threshold)
    # Frames far apart (more than the reference spread) get the stricter threshold.
    spread_out = [live + 0.05, live - 0.05]
    assert frame_spread(spread_out) > CONFIG.spread_reference
    assert decide(card, spread_out, CONFIG).threshold == CONFIG.varied_threshold


def test_another_person_does_not_match_the_card() -> None:
    card = enroll_card_photo(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")), CONFIG)
    biden = read_rgb(BIDEN)
    result = decide(card, [encode_live(biden, detect_faces(biden, 1)[0], CONFIG)], CONFIG)
    assert not result.matched
    assert result.score >= result.threshold == CONFIG.threshold


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
