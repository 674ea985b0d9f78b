"""Missing or damaged lockout state fails closed: sign-in is sealed until an engineer runs
`kiosk reset-lockout` on the machine; the damage is logged and audited. Deleting or corrupting
the file never gives a guesser fresh tries."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.config import parse_config
from kiosk.maintenance import LockedOutError, Maintenance, Role, hash_credential
from kiosk.maintenance.credentials import ScryptCost
from kiosk.maintenance.lockout import Lockout, LockoutPolicy
from kiosk.maintenance.session import install_lockout_state

PIN = "482913"


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


def config_file(data: Path) -> Path:
    staff = hash_credential(Role.STAFF, bytearray(PIN.encode()), "k-1", ScryptCost(log2_n=10))
    path = data / "kiosk.toml"
    data.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[kiosk]\nid = "k-1"\ndata_dir = "{data}"\n\n'
                    f'[maintenance]\nstaff_credential = "{staff}"\n')
    return path


def maintenance(data: Path, clock: Clock) -> Maintenance:
    staff = hash_credential(Role.STAFF, bytearray(PIN.encode()), "k-1", ScryptCost(log2_n=10))
    config = parse_config({"kiosk": {"id": "k-1", "data_dir": str(data)},
                           "maintenance": {"staff_credential": staff}}, base_dir=data)
    install_lockout_state(config)
    return Maintenance.from_config(config, clock=clock)


def _guess_until_locked(state: Maintenance) -> None:
    for _ in range(3):
        with pytest.raises(Exception):  # noqa: B017 (wrong credential, then locked)
            state.sign_in(Role.STAFF, bytearray(b"999999"))


@pytest.mark.parametrize("damage", [
    "delete", b"{not json", b"\xff\xfe", b"[1, 2]", b"", b"[" * 5000, b"{}",
])
def test_deleting_or_damaging_the_state_seals_sign_in(
        tmp_path: Path, damage: str | bytes, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    state = maintenance(tmp_path, clock)
    _guess_until_locked(state)  # a guesser used up the tries ...
    path = tmp_path / "lockout.json"
    if damage == "delete":  # ... and tries to get fresh ones
        path.unlink()
    else:
        assert isinstance(damage, bytes)
        path.write_bytes(damage)
    with caplog.at_level(logging.WARNING), pytest.raises(LockedOutError) as locked:
        state.sign_in(Role.STAFF, bytearray(PIN.encode()))  # even the right PIN
    assert math.isinf(locked.value.seconds_left)
    assert "reset-lockout" in str(locked.value)
    assert math.isinf(state.lockout.seconds_left(Role.ENGINEER))
    assert "damaged" in caplog.text
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    damaged = [e for e in audit if e["action"] == "lockout_state_damaged"]
    assert {e["detail"]["role"] for e in damaged} == {"staff", "engineer"}
    # Time does not open it, nor a restart.
    clock.now += 10 * 86400
    with pytest.raises(LockedOutError):
        maintenance(tmp_path, clock).sign_in(Role.STAFF, bytearray(PIN.encode()))


def test_an_engineer_resets_a_sealed_lockout_on_the_machine(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    clock = Clock()
    state = maintenance(tmp_path, clock)
    (tmp_path / "lockout.json").unlink()
    with pytest.raises(LockedOutError):
        state.sign_in(Role.STAFF, bytearray(PIN.encode()))
    result = CliRunner().invoke(main, ["reset-lockout", "--config", str(path)])
    assert result.exit_code == 0, result.output
    state.sign_in(Role.STAFF, bytearray(PIN.encode())).sign_out()
    audit = (tmp_path / "audit.jsonl").read_text()
    assert '"reset_lockout"' in audit


@pytest.mark.parametrize("entry", [
    "locked", {"failures": 0}, {"failures": -1, "lockouts": 0, "locked_until": 0,
                                "locked_for": 0},
    {"failures": 0, "lockouts": 0, "locked_until": "soon", "locked_for": 0},
    {"failures": True, "lockouts": 0, "locked_until": 0, "locked_for": 0},
    {"failures": 0, "lockouts": 0, "locked_until": 0, "locked_for": 0, "sealed": "no"},
])
def test_a_damaged_entry_seals_that_role_only(tmp_path: Path, entry: object) -> None:
    clock = Clock()
    path = tmp_path / "lockout.json"
    fresh = {"failures": 0, "lockouts": 0, "locked_until": 0, "locked_for": 0}
    path.write_text(json.dumps({"staff": entry, "engineer": fresh}))
    seen: list[Role] = []
    lockout = Lockout(path, LockoutPolicy(3, 30.0, 3600.0), clock, seen.append)
    assert math.isinf(lockout.seconds_left(Role.STAFF))
    assert lockout.seconds_left(Role.ENGINEER) == 0
    assert seen == [Role.STAFF]
    assert math.isinf(lockout.seconds_left(Role.STAFF))  # written back once
    assert seen == [Role.STAFF]


def test_an_installed_state_starts_open(tmp_path: Path) -> None:
    lockout = Lockout(tmp_path / "lockout.json", LockoutPolicy(), Clock())
    lockout.initialise()
    assert lockout.seconds_left(Role.STAFF) == 0
