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
    assert config == FaceConfig()
    assert 0.3 < config.matching.threshold < 0.6  # calibrated, not face_recognition's 0.6
    assert config.liveness.actions >= 3
    assert config.pad.threshold < 0


@pytest.mark.parametrize(
    "text",
    [
        "[matching]\nthreshold = 'x'\n",
        "[matching]\nunknown = 1\n",
        "[matching]\nfusion = 'median'\n",
        "[matching]\nvaried_threshold = 0.9\n",
        "[matching]\nspread_reference = 0.0\n",
        "[matching]\nframes = 0\n",
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


def test_metric_helpers() -> None:
    genuine = np.array([0.1, 0.2, 0.3, 0.6])
    impostor = np.array([0.25, 0.5, 0.7, 0.8, 0.9])
    assert error_rates(genuine, impostor, 0.55) == (0.4, 0.25)
    assert equal_error_rate(genuine, impostor) == (0.225, 0.5)
    assert frr_at_far(genuine, impostor, 0.2) == (0.25, 0.5)
    # One threshold per score (the kiosk's threshold follows each decision's frame spread).
    per_genuine = np.array([0.5, 0.5, 0.25, 0.7])
    per_impostor = np.array([0.3, 0.4, 0.4, 0.4, 0.4])
    assert error_rates(genuine, impostor, per_genuine, per_impostor) == (0.2, 0.25)


@pytest.mark.slow
def test_face_eval_prints_the_required_json_keys(tmp_path: Path) -> None:
    pairs = write_bundled_pairs(tmp_path / "pairs.csv")
    arguments = ["--pairs", str(pairs), "--root", str(BUNDLED), "--json", "--frames", "1"]
    result = CliRunner().invoke(face_eval_command, [*arguments, "--workers", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for key in ("far", "frr", "threshold", "eer", "frr_at_far_0_1pct", "pairs", "ms_per_encoding"):
        assert key in report
    assert report["pairs"] == 6 and report["images"] >= 4
    assert report["frames_per_decision"] == 1


def test_face_eval_reports_a_bad_pairs_file(tmp_path: Path) -> None:
    bad = tmp_path / "pairs.csv"
    bad.write_text("label,enroll\ngenuine,a.jpg\n")
    result = CliRunner().invoke(face_eval_command, ["--pairs", str(bad), "--root", str(tmp_path)])
    assert result.exit_code != 0
    assert "needs label, enroll and probe" in result.output
