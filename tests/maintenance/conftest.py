"""Fixtures for maintenance tests: a fake wall clock and a kiosk with cheap credential hashes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.config import KioskConfig, parse_config
from kiosk.maintenance import Maintenance, Role, hash_credential
from kiosk.maintenance.credentials import ScryptCost
from kiosk.maintenance.session import install_lockout_state

STAFF_PIN = "482913"
ENGINEER_PASSPHRASE = "field-engineer-7Q"
CHEAP = ScryptCost(log2_n=10)  # the real cost (2**15) is tested on its own


class FakeClock:
    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., KioskConfig]:
    def make(**maintenance: object) -> KioskConfig:
        kiosk_id = "store-0042"
        settings: dict[str, object] = {
            "staff_credential": hash_credential(
                Role.STAFF, bytearray(STAFF_PIN.encode()), kiosk_id, CHEAP),
            "engineer_credential": hash_credential(
                Role.ENGINEER, bytearray(ENGINEER_PASSPHRASE.encode()), kiosk_id, CHEAP),
            "lockout_after": 3, "lockout_base": 30.0, "auto_sign_out": 120.0,
        }
        settings.update(maintenance)
        config = parse_config({"kiosk": {"id": kiosk_id, "data_dir": str(tmp_path / "data")},
                               "maintenance": settings}, base_dir=tmp_path)
        install_lockout_state(config)  # as `kiosk set-credential` does at installation
        return config

    return make


@pytest.fixture
def maintenance(make_config: Callable[..., KioskConfig], clock: FakeClock) -> Maintenance:
    return Maintenance.from_config(make_config(), clock=clock)


@pytest.fixture
def staff_pin() -> bytearray:
    return bytearray(STAFF_PIN.encode())


@pytest.fixture
def engineer_passphrase() -> bytearray:
    return bytearray(ENGINEER_PASSPHRASE.encode())
