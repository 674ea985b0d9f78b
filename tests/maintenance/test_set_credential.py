"""`kiosk set-credential`: hidden prompts, only the hash is written, the change is audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.config import load_config
from kiosk.maintenance import Maintenance, Role


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'# site settings\n[kiosk]\nid = "store-0042"\ndata_dir = "{tmp_path}/data"\n'
                    '\n[maintenance]\nauto_sign_out = 60  # one minute\n\n[metrics]\n'
                    'port = 9500\n')
    return path


def run(config_file: Path, role: str, typed: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["set-credential", role, "--config", str(config_file)],
                                input=typed)
    return result.exit_code, result.output


def test_sets_staff_then_engineer_keeping_the_rest(config_file: Path) -> None:
    code, output = run(config_file, "staff", "482913\n482913\n")
    assert code == 0, output
    assert "482913" not in output  # hidden input is not echoed
    code, output = run(config_file, "engineer", "field-engineer-7Q\nfield-engineer-7Q\n")
    assert code == 0, output
    assert "bound to kiosk id store-0042" in output
    text = config_file.read_text()
    assert "482913" not in text and "field-engineer-7Q" not in text
    assert "# site settings" in text and "auto_sign_out = 60  # one minute" in text
    config = load_config(config_file)
    assert config.metrics.port == 9500
    maintenance = Maintenance.from_config(config)
    maintenance.sign_in(Role.STAFF, bytearray(b"482913")).sign_out()
    maintenance.sign_in(Role.ENGINEER, bytearray(b"field-engineer-7Q")).sign_out()
    audit = [json.loads(line) for line in
             (config.kiosk.data_dir / "audit.jsonl").read_text().splitlines()]
    assert [(e["who"], e["action"], e["detail"]) for e in audit[:2]] == [
        ("command_line", "set_credential", {"role": "staff"}),
        ("command_line", "set_credential", {"role": "engineer"}),
    ]


def test_replacing_a_credential_overwrites_the_old_hash(config_file: Path) -> None:
    assert run(config_file, "staff", "482913\n482913\n")[0] == 0
    assert run(config_file, "staff", "605918\n605918\n")[0] == 0
    assert config_file.read_text().count("staff_credential") == 1
    maintenance = Maintenance.from_config(load_config(config_file))
    maintenance.sign_in(Role.STAFF, bytearray(b"605918")).sign_out()


def test_weak_or_mismatched_entries_are_refused(config_file: Path) -> None:
    before = config_file.read_text()
    code, output = run(config_file, "staff", "1234\n1234\n111111\n111111\n12a456\n12a456\n")
    assert code != 0
    assert "6 to 16 digits" in output and "no acceptable credential" in output
    code, output = run(config_file, "staff", "482913\n482914\n")
    assert code != 0
    assert config_file.read_text() == before


def test_a_broken_configuration_is_reported_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[kiosk]\nlanguage = 'fr'\n")
    code, output = run(path, "staff", "482913\n482913\n")
    assert code == 1
    assert "kiosk.language: must be one of" in output
    assert "Traceback" not in output
    assert path.read_text() == "[kiosk]\nlanguage = 'fr'\n"


def test_a_missing_file_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # default data_dir lands under tmp_path
    path = tmp_path / "etc" / "kiosk.toml"
    assert run(path, "staff", "482913\n482913\n")[0] == 0
    assert load_config(path).maintenance.staff_credential.startswith("scrypt$")


def test_the_file_keeps_its_mode_and_owner(config_file: Path) -> None:
    import os

    config_file.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(config_file, 0, 12345)  # e.g. root:kiosk
    assert run(config_file, "staff", "482913\n482913\n")[0] == 0
    stat = config_file.stat()
    assert stat.st_mode & 0o777 == 0o640
    if os.geteuid() == 0:
        assert (stat.st_uid, stat.st_gid) == (0, 12345)
