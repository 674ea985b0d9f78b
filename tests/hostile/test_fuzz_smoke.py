"""Smoke test of the fuzzing harness (``fuzz/``): every target runs on its genuine seeds and
on a few damaged ones, and the runner drives one target through atheris end to end. The long
runs are not part of the test suite: ``fuzz/run.py`` (docs/hostile-input.md)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.targets import TARGETS, run_one
from tests.hostile.budget import bounded, hostile
from tests.hostile.mutations import damaged

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_accepts_its_seeds(name: str) -> None:
    seeds = TARGETS[name][1]()
    assert seeds
    for seed in seeds:
        with bounded(f"fuzz smoke: {name}"):
            run_one(name, seed)


@pytest.mark.parametrize("name", sorted(TARGETS))
@hostile(25)
@given(data=st.data())
def test_target_on_damaged_seeds(name: str, data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(TARGETS[name][1]()))
    with bounded(f"fuzz smoke: {name}"):
        run_one(name, data.draw(damaged(seed)))


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed")
def test_runner_with_atheris() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "fuzz/run.py",
            "--engine",
            "atheris",
            "--runs",
            "3000",
            "--seconds",
            "20",
            "tlv",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("tlv "))
    assert int(line.split()[1]) >= 3000, line
