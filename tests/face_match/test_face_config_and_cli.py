"""Packaged thresholds, config errors, and the face-eval command on a small subset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kiosk.face_match.cli import face_eval_command
from kiosk.face_match.config import FaceConfig, FaceConfigError, load_config, parse_config
from kiosk.face_match.evaluation import equal_error_rate, error_rates, frr_at_far
from tests.face_match.faces import BUNDLED, write_bundled_pairs


def test_packaged_thresholds_load_and_match_the_defaults() -> None:
    config = load_config()
    assert config.engine == "sface" and config.matching.frames == 1
    assert config.matching == FaceConfig().matching
    assert config.quality == FaceConfig().quality
    assert config.liveness == FaceConfig().liveness
    assert config.pad == FaceConfig().pad
    assert 0.4 < config.sface.threshold < 0.7  # cosine distance, calibrated for FAR <= 0.01 %
    assert 0.3 < config.dlib.threshold < 0.6  # calibrated, not face_recognition's 0.6
    assert not config.sface.grey_probe and config.dlib.grey_probe
    assert load_config(engine="dlib").engine_settings == config.dlib
    assert config.liveness.actions >= 3
    assert config.pad.threshold < 0


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(FaceConfigError, match="unknown face engine"):
        load_config(engine="magic")


@pytest.mark.parametrize(
    "text",
    [
        "[sface]\nthreshold = 'x'\n[dlib]\nthreshold = 0.5\n",
        "[sface]\nthreshold = 0.6\n",
        "[sface]\ngrey_probe = true\n[dlib]\nthreshold = 0.5\n",
        "[sface]\nthreshold = 0.0\n[dlib]\nthreshold = 0.5\n",
        "[sface]\nthreshold = 0.6\n[dlib]\nthreshold = 0.5\nunknown = 1\n",
        "[matching]\nunknown = 1\n",
        "[matching]\nthreshold = 0.5\n",
        "[matching]\nframes = 0\n[sface]\nthreshold = 0.6\n[dlib]\nthreshold = 0.5\n",
        "[other]\n",
        "not toml [",
        "[liveness]\npool = 'blink look_up'\n",  # no turn: no 3-D relief to measure
        "[liveness]\npool = 'blink wink turn_left'\n",
        "[liveness]\nactions = 0\n",
        "[pad]\nparallax_live = 0.02\nparallax_attack = 0.02\n",
        "[pad]\ncolour_segments = 2\n",
    ],
)
def test_bad_settings_are_typed_errors(text: str) -> None:
    with pytest.raises(FaceConfigError):
        parse_config(text)


def _packaged_text() -> str:
    from importlib import resources

    return resources.files("kiosk.face_match").joinpath("thresholds.toml").read_text("utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("threshold = 0.592", "threshold = 0.70"), "looser than the calibrated"),
        (("threshold = 0.50", "threshold = 0.599"), "looser than the calibrated"),
        (("actions = 3 ", "actions = 1 "), "actions must be at least 3"),
        (("threshold = -0.5", "threshold = -3.0"), "between -0.5 and 0"),
        (("threshold = -0.5", "threshold = -inf"), "finite"),
        (("threshold = -0.5", "threshold = nan"), "finite"),
    ],
)
def test_a_kiosk_settings_file_can_never_weaken_the_check(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = _packaged_text()
    assert change[0] in text
    path = tmp_path / "face.toml"
    path.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(FaceConfigError, match=message):
        load_config(path)


def test_a_kiosk_settings_file_may_make_the_check_stricter(tmp_path: Path) -> None:
    path = tmp_path / "face.toml"
    stricter = (_packaged_text().replace("threshold = 0.592", "threshold = 0.55", 1)
                .replace("actions = 3 ", "actions = 4 ", 1)
                .replace("threshold = -0.5", "threshold = -0.25", 1))
    path.write_text(stricter)
    config = load_config(path)
    assert (config.sface.threshold, config.liveness.actions, config.pad.threshold) == (
        0.55, 4, -0.25)


def test_metric_helpers() -> None:
    genuine = np.array([0.1, 0.2, 0.3, 0.6])
    impostor = np.array([0.25, 0.5, 0.7, 0.8, 0.9])
    assert error_rates(genuine, impostor, 0.55) == (0.4, 0.25)
    assert equal_error_rate(genuine, impostor) == (0.225, 0.5)
    assert frr_at_far(genuine, impostor, 0.2) == (0.25, 0.5)


@pytest.mark.slow
def test_face_eval_prints_the_required_json_keys(tmp_path: Path) -> None:
    pairs = write_bundled_pairs(tmp_path / "pairs.csv")
    arguments = ["--pairs", str(pairs), "--root", str(BUNDLED), "--json", "--frames", "1"]
    result = CliRunner().invoke(face_eval_command, [*arguments, "--workers", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for key in (
        "far", "frr", "far_interval_90", "frr_interval_90", "threshold", "eer",
        "frr_at_far_0_1pct", "frr_at_far_0_01pct", "genuine_pairs", "impostor_pairs",
        "ms_per_encoding",
    ):
        assert key in report
    assert report["genuine_pairs"] == 3 and report["impostor_pairs"] == 3
    assert report["images"] >= 4
    low, high = report["far_interval_90"]
    assert low <= report["far"] <= high
    assert report["calibrated_threshold"] is None  # 3 impostor pairs cannot show FAR 0.01 %
    assert report["frames_per_decision"] == 1


def test_face_eval_reports_a_bad_pairs_file(tmp_path: Path) -> None:
    bad = tmp_path / "pairs.csv"
    bad.write_text("label,enroll\ngenuine,a.jpg\n")
    result = CliRunner().invoke(face_eval_command, ["--pairs", str(bad), "--root", str(tmp_path)])
    assert result.exit_code != 0
    assert "needs label, enroll and probe" in result.output


def test_exact_binomial_interval() -> None:
    from kiosk.face_match.evaluation import clopper_pearson

    low, high = clopper_pearson(0, 100)
    assert low == 0.0 and high == pytest.approx(1 - 0.05 ** (1 / 100), rel=1e-6)
    low, high = clopper_pearson(10, 100)
    assert low == pytest.approx(0.0553, abs=2e-4) and high == pytest.approx(0.1637, abs=2e-4)
    assert clopper_pearson(100, 100)[1] == 1.0


def test_a_few_impostor_pairs_cannot_calibrate_a_far_of_0_01pct() -> None:
    from kiosk.face_match.evaluation import can_calibrate

    assert not can_calibrate(0) and not can_calibrate(29_000)
    assert can_calibrate(30_000)


def _synthetic_scores(seed: int = 3) -> object:
    from kiosk.face_match.evaluation import ScoreSet

    rng = np.random.default_rng(seed)
    identities = 40
    card = np.repeat(np.arange(identities), identities - 1)
    live = np.array([j for i in range(identities) for j in range(identities) if j != i])
    card, live = np.repeat(card, 20), np.repeat(live, 20)
    impostor = rng.normal(0.9, 0.1, card.size)
    genuine_identity = np.repeat(np.arange(identities), 6)
    genuine = rng.normal(0.3, 0.1, genuine_identity.size)
    return ScoreSet(genuine, genuine_identity, impostor, card, live, identities)


def test_the_calibrated_threshold_keeps_the_far_upper_bound_under_the_target() -> None:
    from kiosk.face_match.evaluation import calibrate_threshold, error_rates, rate_intervals

    scores = _synthetic_scores()
    target = 0.001
    threshold = calibrate_threshold(scores, target)  # type: ignore[arg-type]
    (far_low, far_high), (frr_low, frr_high) = rate_intervals(scores, threshold)  # type: ignore[arg-type]
    far, frr = error_rates(scores.genuine, scores.impostor, threshold)  # type: ignore[attr-defined]
    assert far_high <= target
    assert far_low <= far <= far_high and frr_low <= frr <= frr_high
    # With margin: the point estimate sits well below the target, and a looser threshold
    # (the next step up) would break the bound.
    assert far < target
    (_, looser_high), _ = rate_intervals(scores, threshold + 0.02)  # type: ignore[arg-type]
    assert looser_high > target
