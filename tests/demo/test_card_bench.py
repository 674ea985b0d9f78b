"""`kiosk card-bench` through pyscard -> pcscd -> vpcd -> a freshly issued virtual card."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kiosk.cli import main


@pytest.mark.pcsc
def test_card_bench_reads_everything_the_flow_needs_through_pcscd() -> None:
    result = CliRunner().invoke(main, ["card-bench", "--repeat", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["reader"] == "Virtual PCD 00 00"
    assert report["card_profile"] == "strict" and report["fast_forms_used"] is False
    steps = {step["step"] for step in report["first_run"]["steps"]}
    assert {"read_card", "auth_pin", "photo", "reset_prepare"} <= steps
    assert 60 <= report["apdus"] <= 120
    assert report["reads"]["ratio"] <= 1.2
    assert 0 < report["contactless_424k"]["seconds"] < 1
    assert report["median_total_ms"] > 0


@pytest.mark.pcsc
def test_card_bench_on_a_card_taking_the_fast_forms() -> None:
    result = CliRunner().invoke(main, ["card-bench", "--repeat", "1", "--card-profile", "fast"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["fast_forms_used"] is True
    assert report["reads"]["ratio"] <= 1.2
    assert report["reads"]["apdus"] == report["reads"]["files"]  # one READ BINARY per file
