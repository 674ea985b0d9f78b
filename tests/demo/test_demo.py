"""`kiosk demo` as a resident or an evaluator starts it: a real process, real pcscd, real TLS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def _kiosk(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> (
    subprocess.CompletedProcess[str]
):
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "demo", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


def _offscreen_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


@pytest.mark.pcsc
@pytest.mark.slow
def test_autoplay_succeeds_through_pcscd_and_saves_every_screen(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    data = tmp_path / "data"
    done = _kiosk("--autoplay", "--lang", "en", "--screenshots", str(shots),
                  "--data-dir", str(data), env=_offscreen_env())
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "RESULT: success"
    assert "pcscd reader" in done.stderr
    names = sorted(p.name for p in shots.glob("*.png"))
    steps = [name.split("-", 1)[1].removesuffix(".png") for name in names]
    assert steps[0] == "start" and steps[-1] == "done"
    assert {"auth_pin", "unlock_photo", "face_check", "new_pin", "processing"} <= set(steps)
    for path in shots.glob("*.png"):
        with Image.open(path) as image:
            assert image.size == (1080, 1920)
            grey = np.asarray(image.convert("L").resize((64, 64)))
            assert len(np.unique(grey)) > 4, path.name
    # the backend recorded the transaction in the demo's data folder
    assert (data / "backend").is_dir() and (data / "logs" / "backend.jsonl").stat().st_size > 0


@pytest.mark.slow
def test_autoplay_without_pcscd_keeps_the_card_in_process(tmp_path: Path) -> None:
    done = _kiosk("--autoplay", "--in-process", "--data-dir", str(tmp_path),
                  env=_offscreen_env())
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "RESULT: success"
    assert "in process" in done.stderr


def test_without_a_display_it_says_how_to_run_it() -> None:
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    done = _kiosk(env=env, timeout=60)
    assert done.returncode != 0
    assert "xvfb-run" in done.stderr and "--autoplay" in done.stderr
    assert "Traceback" not in done.stderr


def _public_domain_face() -> Path:
    """A public-domain portrait the repository carries (tests/data/faces/NOTICE.md)."""
    return REPO / "tests" / "data" / "faces" / "Barack_Obama" / "obama_official_portrait_2012.jpg"


def _issue(tmp_path: Path, photo: Path, *extra: str) -> tuple[Path, dict[str, str]]:
    env = _offscreen_env()
    env["KIOSK_TESTBED_DIR"] = str(tmp_path / "testbed")
    card = tmp_path / "trainer.card"
    issued = subprocess.run(
        [sys.executable, "-m", "kiosk_testbed", "issue-card", "--photo", str(photo),
         "--auth-pin", "5820", "--out", str(card), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert issued.returncode == 0, issued.stderr[-2000:]
    return card, env


@pytest.mark.slow
def test_trainer_plays_any_issued_card_to_success(tmp_path: Path) -> None:
    photo = _public_domain_face()
    card, env = _issue(tmp_path, photo)
    before = card.read_bytes()
    done = _kiosk("--autoplay", "--in-process", "--card", str(card), "--auth-pin", "5820",
                  "--resident", str(photo), "--data-dir", str(tmp_path / "data"), env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "RESULT: success"
    assert card.read_bytes() == before  # the trainer's card file is left as it was
    assert "5820" not in done.stderr


def test_trainer_demo_asks_for_the_auth_pin(tmp_path: Path) -> None:
    photo = _public_domain_face()
    card, env = _issue(tmp_path, photo)
    done = _kiosk("--autoplay", "--in-process", "--card", str(card), env=env, timeout=120)
    assert done.returncode != 0
    assert "--auth-pin" in done.stderr and "Traceback" not in done.stderr
    done = _kiosk("--autoplay", "--in-process", "--card", str(card), "--auth-pin", "58201",
                  env=env, timeout=120)
    assert done.returncode != 0 and "4 digits" in done.stderr
