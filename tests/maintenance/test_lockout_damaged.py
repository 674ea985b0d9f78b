"""A damaged lockout file fails closed: locked for the base time, logged and audited."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kiosk.config import parse_config
from kiosk.maintenance import LockedOutError, Maintenance, Role, hash_credential
from kiosk.maintenance.credentials import ScryptCost
from kiosk.maintenance.lockout import Lockout, LockoutPolicy

PIN = "482913"


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


def maintenance(data: Path, clock: Clock) -> Maintenance:
    staff = hash_credential(Role.STAFF, bytearray(PIN.encode()), "k-1", ScryptCost(log2_n=10))
    config = parse_config({"kiosk": {"id": "k-1", "data_dir": str(data)},
                           "maintenance": {"staff_credential": staff}}, base_dir=data)
    return Maintenance.from_config(config, clock=clock)


@pytest.mark.parametrize("content", [
    b"{not json", b"\xff\xfe", b"[1, 2]", b"", b"[" * 5000,
])
def test_a_damaged_file_locks_every_role_for_the_base_time(
        tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    state = maintenance(tmp_path, clock)
    (tmp_path / "lockout.json").write_bytes(content)
    with caplog.at_level(logging.WARNING), pytest.raises(LockedOutError) as locked:
        state.sign_in(Role.STAFF, bytearray(PIN.encode()))  # even the right PIN
    assert locked.value.seconds_left == 30.0
    assert state.lockout.seconds_left(Role.ENGINEER) == 30.0
    assert "damaged" in caplog.text
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    damaged = [e for e in audit if e["action"] == "lockout_state_damaged"]
    assert {e["detail"]["role"] for e in damaged} == {"staff", "engineer"}
    assert all(e["who"] == "system" for e in damaged)
    # the lockout runs out normally, and the file is whole again
    clock.now += 31
    state.sign_in(Role.STAFF, bytearray(PIN.encode())).sign_out()
    assert json.loads((tmp_path / "lockout.json").read_text())["staff"]["failures"] == 0


@pytest.mark.parametrize("entry", [
    "locked", {"failures": 0}, {"failures": -1, "lockouts": 0, "locked_until": 0,
                                "locked_for": 0},
    {"failures": 0, "lockouts": 0, "locked_until": "soon", "locked_for": 0},
    {"failures": True, "lockouts": 0, "locked_until": 0, "locked_for": 0},
])
def test_a_damaged_entry_locks_that_role_only(tmp_path: Path, entry: object) -> None:
    clock = Clock()
    path = tmp_path / "lockout.json"
    path.write_text(json.dumps({"staff": entry}))
    seen: list[Role] = []
    lockout = Lockout(path, LockoutPolicy(3, 30.0, 3600.0), clock, seen.append)
    assert lockout.seconds_left(Role.STAFF) == 30.0
    assert lockout.seconds_left(Role.ENGINEER) == 0
    assert seen == [Role.STAFF]
    assert lockout.seconds_left(Role.STAFF) == 30.0  # written back once, not re-extended
    assert seen == [Role.STAFF]


def test_a_missing_file_is_a_fresh_start(tmp_path: Path) -> None:
    lockout = Lockout(tmp_path / "lockout.json", LockoutPolicy(), Clock())
    assert lockout.seconds_left(Role.STAFF) == 0
