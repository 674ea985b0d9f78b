"""`kiosk` imports a subcommand's module only when that subcommand runs.

Each check runs in a fresh interpreter, since this test process has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kiosk import cli

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("PySide6", "cv2", "dlib", "numpy", "httpx", "smartcard", "cryptography", "PIL",
         "skimage", "kiosk_testbed", "kiosk_backend")
DEMO_ONLY = ("kiosk_testbed", "kiosk_backend", "kiosk.demo")


def _loaded_after(code: str) -> set[str]:
    """The modules loaded once ``code`` ran in a fresh interpreter."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, check=True, timeout=120)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return set(loaded)


def _within(names: set[str], prefix: str) -> list[str]:
    return sorted(name for name in names if name == prefix or name.startswith(prefix + "."))


def test_help_imports_no_subcommand_and_nothing_heavy() -> None:
    loaded = _loaded_after("from kiosk.cli import main\nmain(['--help'], standalone_mode=False)")
    assert _within(loaded, "kiosk") == ["kiosk", "kiosk.cli"]
    for package in HEAVY:
        assert not _within(loaded, package), f"`kiosk --help` imported {package}"


def test_a_subcommand_imports_its_own_module_only() -> None:
    loaded = _loaded_after(
        "from kiosk.cli import main\nmain(['diag', '--help'], standalone_mode=False)")
    assert "kiosk.diagnostics.cli" in loaded
    for package in (*DEMO_ONLY, "kiosk.run", "kiosk.face_match.cli", "kiosk.maintenance.cli"):
        assert not _within(loaded, package), f"`kiosk diag --help` imported {package}"


def test_the_product_never_loads_the_demo_testbed_or_backend() -> None:
    """Every module of `kiosk` outside the demo, imported together: none pulls them in."""
    product = []
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name != "kiosk.__main__" and not name.startswith("kiosk.demo"):
            product.append(name)
    assert "kiosk.run.app" in product
    assert "kiosk.ui.app" in product
    loaded = _loaded_after("import importlib\n" + "\n".join(
        f"importlib.import_module({name!r})" for name in product))
    for package in DEMO_ONLY:
        assert not _within(loaded, package), f"the product imported {package}"


def test_help_lists_every_command_with_its_own_summary() -> None:
    context = click.Context(cli.main)
    assert cli.main.list_commands(context) == sorted(cli.COMMANDS)
    assert set(cli.COMMANDS) == {"card-bench", "card-ocr-bench", "demo", "diag", "face-eval",
                                 "reset-lockout", "run", "set-credential", "tpm-enroll"}
    for name, entry in cli.COMMANDS.items():
        command = cli.load_command(name)
        assert command.get_short_help_str(limit=1000) == entry.summary, name
    shown = CliRunner().invoke(cli.main, ["--help"])
    assert shown.exit_code == 0
    for name in cli.COMMANDS:
        assert f"  {name}  " in shown.output


def test_an_unknown_command_is_refused() -> None:
    result = CliRunner().invoke(cli.main, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_a_missing_extra_is_named() -> None:
    """Without the demo's dependencies, `kiosk demo` says which extra to install."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys\nsys.modules['PIL'] = None\n"
         "from kiosk.cli import main\nmain(['demo', '--help'])"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 1
    assert "needs the optional 'demo' dependencies" in done.stderr
    assert "pip install 'kiosk[demo]'" in done.stderr


@pytest.mark.slow
def test_startup_benchmark_prints_both_times_and_the_ratio() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench-startup"), "--runs",
                           "1", "--max-ratio", "100"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("kiosk --help ")
    assert lines[1].startswith("import PySide6.QtWidgets ")
    assert lines[2].startswith("ratio ") and lines[2].endswith("ok")
