"""A short run of the soak script (3 transactions) so it keeps working; the real soak is run by
hand (see docs/faults.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.slow,
]


def test_soak_smoke(tmp_path: Path) -> None:
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True,
                      check=False).returncode != 0:
        pytest.skip("needs unshare --mount for the soak's private pcscd")
    report_file = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "tests.soak.soak", "--transactions", "3", "--every", "1",
         "--json", str(report_file)],
        cwd=REPO, capture_output=True, text=True, timeout=240, check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(report_file.read_text())
    assert report["problems"] == []
    assert report["backend_outcomes"] == {"pin_reset": 3}
    assert [sample["transactions"] for sample in report["samples"]] == [1, 2, 3]
