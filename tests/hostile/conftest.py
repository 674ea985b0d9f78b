"""Prints how many hostile cases each target ran; ``HOSTILE_CASES_FILE`` also saves them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.hostile.budget import CASES, SCALE


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CASES:
        return
    terminalreporter.section(f"hostile input: cases per target (scale {SCALE})")
    for target, count in sorted(CASES.items()):
        terminalreporter.write_line(f"{count:8d}  {target}")
    terminalreporter.write_line(f"{sum(CASES.values()):8d}  total")
    out = os.environ.get("HOSTILE_CASES_FILE")
    if out:
        Path(out).write_text(json.dumps(dict(sorted(CASES.items())), indent=2) + "\n")
