"""Sign-in, lockout doubling (fake clock, persisted), auto sign-out, permissions and audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.config import KioskConfig
from kiosk.maintenance import (
    AuditOutcome,
    LockedOutError,
    Maintenance,
    MaintenanceAction,
    NotConfiguredError,
    PermissionDeniedError,
    Role,
    SessionExpiredError,
    WrongCredentialError,
    allowed,
    require,
)
from kiosk.maintenance.roles import ENGINEER_ACTIONS, STAFF_ACTIONS

from .conftest import STAFF_PIN, FakeClock


def b(text: str) -> bytearray:
    return bytearray(text.encode())


def audit_lines(config: KioskConfig) -> list[dict[str, object]]:
    path = config.kiosk.data_dir / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_staff_signs_in_and_the_secret_is_wiped(maintenance: Maintenance,
                                                staff_pin: bytearray) -> None:
    session = maintenance.sign_in(Role.STAFF, staff_pin)
    assert session.role is Role.STAFF
    assert staff_pin == bytearray(len(staff_pin))
    assert maintenance.active() is session


def test_lockout_doubles_and_survives_a_restart(make_config: Callable[..., KioskConfig],
                                                clock: FakeClock) -> None:
    config = make_config()
    maintenance = Maintenance.from_config(config, clock=clock)
    durations = []
    for _round in range(3):
        for attempt in range(3):
            with pytest.raises(WrongCredentialError) as wrong:
                maintenance.sign_in(Role.STAFF, b("999999"))
            if attempt < 2:
                assert wrong.value.attempts_left == 2 - attempt
        durations.append(wrong.value.locked_for)
        # Locked: even the right PIN is refused, and a restart does not help.
        restarted = Maintenance.from_config(config, clock=clock)
        with pytest.raises(LockedOutError) as locked:
            restarted.sign_in(Role.STAFF, b(STAFF_PIN))
        assert locked.value.seconds_left == pytest.approx(durations[-1])
        clock.advance(durations[-1] - 1)
        with pytest.raises(LockedOutError):
            restarted.sign_in(Role.STAFF, b(STAFF_PIN))
        clock.advance(1)
        maintenance = restarted
    assert durations == [30.0, 60.0, 120.0]
    # The engineer is not locked out by the staff lockout.
    assert maintenance.lockout.seconds_left(Role.ENGINEER) == 0
    # A correct entry resets the doubling.
    maintenance.sign_in(Role.STAFF, b(STAFF_PIN)).sign_out()
    for _ in range(3):
        with pytest.raises(WrongCredentialError):
            maintenance.sign_in(Role.STAFF, b("999999"))
    assert maintenance.lockout.seconds_left(Role.STAFF) == 30.0


def test_lockout_is_capped_and_a_clock_set_back_does_not_extend_it(
        make_config: Callable[..., KioskConfig], clock: FakeClock) -> None:
    maintenance = Maintenance.from_config(
        make_config(lockout_after=1, lockout_base=30.0, lockout_max=100.0), clock=clock)
    for expected in (30.0, 60.0, 100.0, 100.0):
        with pytest.raises(WrongCredentialError) as wrong:
            maintenance.sign_in(Role.STAFF, b("999999"))
        assert wrong.value.locked_for == expected
        clock.advance(expected)
    with pytest.raises(WrongCredentialError):
        maintenance.sign_in(Role.STAFF, b("999999"))
    clock.advance(-10_000)  # wall clock set back by hours
    assert maintenance.lockout.seconds_left(Role.STAFF) == 100.0


def test_auto_sign_out_after_inactivity(maintenance: Maintenance, clock: FakeClock,
                                        staff_pin: bytearray) -> None:
    session = maintenance.sign_in(Role.STAFF, staff_pin)
    clock.advance(100)
    session.touch()
    clock.advance(100)
    assert maintenance.active() is session
    assert session.seconds_until_sign_out() == 20
    clock.advance(20)
    assert maintenance.active() is None
    with pytest.raises(SessionExpiredError):
        session.set_out_of_service()
    entries = [(e.action, e.detail.get("reason")) for e in maintenance.audit.entries()]
    assert entries[-1] == ("sign_out", "inactivity")


def test_staff_can_never_perform_engineer_actions(maintenance: Maintenance,
                                                  staff_pin: bytearray) -> None:
    session = maintenance.sign_in(Role.STAFF, staff_pin)
    engineer_only = ENGINEER_ACTIONS - STAFF_ACTIONS
    ran: list[MaintenanceAction] = []
    assert len(engineer_only) >= 8
    for action in engineer_only:
        assert not allowed(Role.STAFF, action)
        assert not session.may(action)
        with pytest.raises(PermissionDeniedError):
            require(Role.STAFF, action)
        with pytest.raises(PermissionDeniedError):
            session.perform(action, ran.clear)  # would run if permitted
        ran.append(action)
    assert len(ran) == len(engineer_only)  # no operation cleared the list
    denied = [e for e in maintenance.audit.entries() if e.outcome == "denied"]
    assert {e.action for e in denied} == {a.value for a in engineer_only}
    assert all(e.who == "staff" for e in denied)


def test_engineer_may_do_staff_and_engineer_actions(maintenance: Maintenance,
                                                    engineer_passphrase: bytearray) -> None:
    session = maintenance.sign_in(Role.ENGINEER, engineer_passphrase)
    for action in MaintenanceAction:
        require(Role.ENGINEER, action)
    assert session.perform(MaintenanceAction.RUN_DIAGNOSTICS, lambda: 42) == 42


def test_every_action_is_audited_without_personal_data(
        make_config: Callable[..., KioskConfig], clock: FakeClock) -> None:
    config = make_config()
    maintenance = Maintenance.from_config(config, clock=clock)
    with pytest.raises(WrongCredentialError):
        maintenance.sign_in(Role.STAFF, b("777777"))
    session = maintenance.sign_in(Role.STAFF, b(STAFF_PIN))
    status = session.set_out_of_service("Please use the kiosk at the entrance")
    assert not maintenance.service.current().in_service
    assert maintenance.service.current().message == status.message
    session.set_in_service()
    maintenance.counters.record("completed")
    assert session.counts_today() == {"completed": 1}

    def broken() -> None:
        raise OSError("reader gone")

    with pytest.raises(OSError):
        session.perform(MaintenanceAction.RESET_READER, broken)
    session.sign_out()
    lines = audit_lines(config)
    assert [(e["who"], e["action"], e["outcome"]) for e in lines] == [
        ("staff", "sign_in", "denied"),
        ("staff", "sign_in", "ok"),
        ("staff", "set_out_of_service", "ok"),
        ("staff", "set_in_service", "ok"),
        ("staff", "view_counters", "ok"),
        ("staff", "reset_reader", "failed"),
        ("staff", "sign_out", "ok"),
    ]
    assert lines[5]["detail"] == {"error": "OSError"}
    assert all(str(e["time"]).startswith("2026-") for e in lines)
    raw = (config.kiosk.data_dir / "audit.jsonl").read_text()
    for secret_value in (STAFF_PIN, "777777", "entrance"):
        assert secret_value not in raw


def test_audit_refuses_free_text(maintenance: Maintenance) -> None:
    with pytest.raises(ValueError, match="short identifier"):
        maintenance.audit.record(Role.STAFF, "note", AuditOutcome.OK, {"name": "Yamada Taro"})
    with pytest.raises(ValueError, match="unknown actor"):
        maintenance.audit.record("resident", "note", AuditOutcome.OK)


def test_roles_without_a_credential_cannot_sign_in(make_config: Callable[..., KioskConfig],
                                                   clock: FakeClock) -> None:
    maintenance = Maintenance.from_config(make_config(engineer_credential=""), clock=clock)
    with pytest.raises(NotConfiguredError):
        maintenance.sign_in(Role.ENGINEER, b("anything-at-all-1"))


def test_out_of_service_persists_and_a_corrupt_file_means_out_of_service(
        maintenance: Maintenance, make_config: Callable[..., KioskConfig],
        clock: FakeClock, staff_pin: bytearray) -> None:
    session = maintenance.sign_in(Role.STAFF, staff_pin)
    session.set_out_of_service("Closed for cleaning")
    again = Maintenance.from_config(make_config(), clock=clock)
    assert again.service.current().message == "Closed for cleaning"
    path: Path = make_config().kiosk.data_dir / "service.json"
    path.write_text("{not json")
    assert not again.service.current().in_service
    with pytest.raises(ValueError, match="printable"):
        again.service.set_out_of_service("two\nlines")


def test_counters_roll_over_at_midnight(maintenance: Maintenance, clock: FakeClock) -> None:
    counters = maintenance.counters
    counters.record("completed")
    counters.record("completed")
    counters.record("face_failed")
    assert counters.today() == {"completed": 2, "face_failed": 1}
    clock.advance(86400)
    assert counters.today() == {}
    counters.record("cancelled")
    assert counters.today() == {"cancelled": 1}
    assert counters.totals() == {"cancelled": 1, "completed": 2, "face_failed": 1}
    with pytest.raises(ValueError):
        counters.record("Yamada Taro")
