"""The kiosk-testbed command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509

from kiosk_testbed.cli import main
from kiosk_testbed.mynumber import is_valid
from kiosk_testbed.vpcd import READER_PORTS, reader_lock
from tests.helpers.virtual_card import (
    DEFAULT_PHOTO,
    READER_0,
    card_present,
    wait_for_card,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("cli")
    card = data_dir / "card.json"
    result = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(data_dir),
            "issue-card",
            "--photo",
            str(DEFAULT_PHOTO),
            "--out",
            str(card),
            "--auth-pin",
            "2468",
            "--birth-date",
            "1980-02-17",
            "--expiry",
            "2035-02-17",
            "--security-code",
            "2285",
            "--sex",
            "9",
            "--name",
            "試験\u3000花子",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return data_dir, json.loads(result.output)


def test_issue_card_prints_the_values_used(issued: tuple[Path, dict[str, Any]]) -> None:
    data_dir, values = issued
    assert values["auth_pin"] == "2468"
    assert values["collation_b"] == "55021720352285"
    assert values["sex"] == "9" and values["name"] == "試験\u3000花子"
    assert is_valid(values["my_number"])
    assert len(values["text_pin"]) == 4 and 6 <= len(values["sign_pin"]) <= 16
    assert Path(values["card_file"]).is_file()
    lines = (data_dir / "authority" / "cards.jsonl").read_text().splitlines()
    assert [json.loads(line)["card_id"] for line in lines] == [values["card_id"]]


def test_issue_card_rejects_bad_values(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(tmp_path),
            "issue-card",
            "--photo",
            str(DEFAULT_PHOTO),
            "--out",
            str(tmp_path / "c.json"),
            "--my-number",
            "123456789017",
        ],
    )
    assert result.exit_code != 0
    assert "check digit" in result.output and "123456789017" not in result.output
    assert not (tmp_path / "c.json").exists()
    result = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(tmp_path),
            "issue-card",
            "--photo",
            str(DEFAULT_PHOTO),
            "--out",
            str(tmp_path / "c.json"),
            "--birth-date",
            "17-02-1980",
        ],
    )
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_data_dir_from_environment(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["authority"], env={"KIOSK_TESTBED_DIR": str(tmp_path)})
    assert result.exit_code == 0
    assert result.output.strip() == str(tmp_path / "authority")
    assert (tmp_path / "authority" / "admin-master.key").is_file()


def test_revoke_and_crl(issued: tuple[Path, dict[str, Any]]) -> None:
    data_dir, values = issued
    result = CliRunner().invoke(
        main, ["--data-dir", str(data_dir), "revoke", values["card_file"], "--which", "auth"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"revoked {values['auth_serial']}"
    crl = x509.load_der_x509_crl((data_dir / "authority" / "jpki-auth.crl.der").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(int(values["auth_serial"], 16))
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "crl"])
    assert result.exit_code == 0
    crl = x509.load_der_x509_crl((data_dir / "authority" / "jpki-auth.crl.der").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(int(values["auth_serial"], 16))
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "revoke", "abcd"])
    assert result.exit_code != 0 and "not issued" in result.output


@pytest.mark.pcsc
def test_card_command_runs_and_obeys_signals(issued: tuple[Path, dict[str, Any]]) -> None:
    _, values = issued
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with reader_lock(READER_PORTS[0]):
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk_testbed", "card", values["card_file"]],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_card(READER_0, present=True, timeout=10)
            process.send_signal(signal.SIGUSR1)
            wait_for_card(READER_0, present=False)
            process.send_signal(signal.SIGUSR2)
            wait_for_card(READER_0, present=True)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=5) == 0
            wait_for_card(READER_0, present=False)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert not card_present(READER_0)
        _, stderr = process.communicate()
        assert values["card_id"].encode() in stderr
        assert values["auth_pin"].encode() not in stderr.replace(values["card_id"].encode(), b"")


@pytest.mark.pcsc
def test_card_command_serves_one_slot_from_two_card_files(
    issued: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """--splice-with: the JPKI AP answers from CARD, every other AP from the second file."""
    from kiosk.card_reader.card import MyNumberCard
    from kiosk.card_reader.errors import WrongPin
    from kiosk.card_reader.pcsc import PcscTransport

    data_dir, victim = issued
    other_file = tmp_path / "attacker.json"
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(data_dir), "issue-card", "--photo", str(DEFAULT_PHOTO),
         "--out", str(other_file), "--json"],
    )
    assert result.exit_code == 0, result.output
    attacker = json.loads(result.output)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with reader_lock(READER_PORTS[0]):
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk_testbed", "card", victim["card_file"],
             "--splice-with", str(other_file)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            wait_for_card(READER_0, present=True, timeout=10)
            with PcscTransport(READER_0) as transport:
                card = MyNumberCard.recognize(transport)
                serial = x509.load_der_x509_certificate(
                    card.jpki.read_auth_certificate()
                ).serial_number
                assert format(serial, "x") == victim["auth_serial"]
                # the card-info AP is the other card's: its My Number opens it, the victim's not
                with pytest.raises(WrongPin):
                    card.card_info.unlock_with_my_number(bytearray(victim["my_number"], "ascii"))
                card.card_info.unlock_with_my_number(bytearray(attacker["my_number"], "ascii"))
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=5) == 0
            # The next test must not find this card still reported in the reader.
            wait_for_card(READER_0, present=False)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
