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
    assert report["trusted_face"] is True
    steps = {step["step"] for step in report["first_run"]["steps"]}
    assert {"recognize", "retry_counters", "my_number", "auth_certificate"} <= steps
    assert 5 <= report["apdus"] <= 40
    assert report["median_total_ms"] > 0
