"""Signing in, staying signed in, and doing things as a role — every step audited.

The UI's whole entry point::

    maintenance = Maintenance.from_config(config)
    session = maintenance.sign_in(Role.STAFF, pin)  # wipes pin; may raise the errors below
    session.touch()                                  # on every touch while signed in
    session.set_out_of_service("Please use the kiosk at the entrance")
    report = session.perform(Action.RUN_DIAGNOSTICS, lambda: run_checks(...))
    session.sign_out()

``maintenance.active()`` returns the signed-in session or ``None`` (signing out, with an audit
entry, a session idle for longer than ``maintenance.auto_sign_out``). Resident screens read
``maintenance.service.current()``; the flow calls ``maintenance.counters.record(outcome)``.

Errors: :class:`NotConfiguredError` (no credential set for the role),
:class:`WrongCredentialError` (``attempts_left`` before lockout, ``locked_for`` seconds if this
entry started one), :class:`LockedOutError` (``seconds_left``), :class:`PermissionDeniedError`,
:class:`SessionExpiredError`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from kiosk.config import KioskConfig
from kiosk.maintenance.audit import AuditLog, DetailValue, Outcome
from kiosk.maintenance.counters import TransactionCounters
from kiosk.maintenance.credentials import MalformedHashError, verify_credential
from kiosk.maintenance.lockout import Clock, LockedOutError, Lockout, LockoutPolicy
from kiosk.maintenance.roles import Action, PermissionDeniedError, Role, allowed
from kiosk.maintenance.service_state import ServiceState, ServiceStatus
from kiosk.maintenance.staff_call import StaffCalls

T = TypeVar("T")
LOCKOUT_FILE = "lockout.json"


class NotConfiguredError(Exception):
    """No usable credential is set for the role (see ``kiosk set-credential``)."""


class WrongCredentialError(Exception):
    def __init__(self, role: Role, attempts_left: int, locked_for: float) -> None:
        text = (f"wrong {role.value} credential; locked for {locked_for:.0f} seconds"
                if locked_for else f"wrong {role.value} credential; {attempts_left} tries left")
        super().__init__(text)
        self.role = role
        self.attempts_left = attempts_left
        self.locked_for = locked_for


class SessionExpiredError(Exception):
    """The session was signed out (by inactivity or explicitly)."""


def lockout_for(config: KioskConfig, clock: Clock = time.time,
                on_damaged: Callable[[Role], None] | None = None) -> Lockout:
    maintenance = config.maintenance
    policy = LockoutPolicy(maintenance.lockout_after, maintenance.lockout_base,
                           maintenance.lockout_max)
    return Lockout(config.kiosk.data_dir / LOCKOUT_FILE, policy, clock, on_damaged)


def install_lockout_state(config: KioskConfig) -> None:
    """Installation: a fresh lockout state, unless one exists (then a missing one later means
    tampering; see :mod:`kiosk.maintenance.lockout`)."""
    if not (config.kiosk.data_dir / LOCKOUT_FILE).exists():
        lockout_for(config).initialise()


class Maintenance:
    """Credentials, lockout, audit, service state and counters of one kiosk."""

    def __init__(self, *, kiosk_id: str, credentials: Mapping[Role, str], lockout: Lockout,
                 audit: AuditLog, service: ServiceState, counters: TransactionCounters,
                 auto_sign_out: float, clock: Clock = time.time,
                 staff_calls: StaffCalls | None = None) -> None:
        self.kiosk_id = kiosk_id
        self.audit = audit
        self.service = service
        self.counters = counters
        # Residents' calls for staff; without a file of its own it lives beside the counters.
        self.staff_calls = staff_calls or StaffCalls(
            counters.path.with_name("staff_call.json"), clock)
        self.lockout = lockout
        self.auto_sign_out = auto_sign_out
        self._credentials = dict(credentials)
        self._clock = clock
        self._lock = threading.Lock()
        # One sign-in at a time: the lockout check, the slow verify and the failure count must
        # not interleave, or parallel guesses would all be checked before any is counted.
        self._sign_in_lock = threading.Lock()
        self._session: MaintenanceSession | None = None

    @classmethod
    def from_config(cls, config: KioskConfig, clock: Clock = time.time) -> Maintenance:
        """Everything kept in ``kiosk.data_dir``: audit.jsonl, lockout.json, service.json,
        counters.json."""
        data = config.kiosk.data_dir
        audit = AuditLog(data / "audit.jsonl", clock)

        def damaged(role: Role) -> None:
            audit.record("system", "lockout_state_damaged", Outcome.DENIED,
                         {"role": role.value, "sealed": True})

        return cls(
            kiosk_id=config.kiosk.id,
            credentials={Role.STAFF: config.maintenance.staff_credential,
                         Role.ENGINEER: config.maintenance.engineer_credential},
            lockout=lockout_for(config, clock, damaged),
            audit=audit,
            service=ServiceState(data / "service.json", clock),
            counters=TransactionCounters(data / "counters.json", clock),
            auto_sign_out=config.maintenance.auto_sign_out,
            clock=clock,
            staff_calls=StaffCalls(data / "staff_call.json", clock),
        )

    def is_configured(self, role: Role) -> bool:
        return bool(self._credentials.get(role))

    def sign_in(self, role: Role, secret: bytearray) -> MaintenanceSession:
        """Check ``secret`` for ``role`` and start a session; ``secret`` is wiped either way.

        The scrypt check takes about 75 ms on purpose: call it off the UI thread.
        """
        try:
            with self._sign_in_lock:
                return self._sign_in(role, secret)
        finally:
            secret[:] = bytes(len(secret))

    def _sign_in(self, role: Role, secret: bytearray) -> MaintenanceSession:
        stored = self._credentials.get(role, "")
        if not stored:
            self.audit.record(role, "sign_in", Outcome.DENIED, {"reason": "not_configured"})
            raise NotConfiguredError(f"no {role.value} credential is set")
        try:
            self.lockout.check(role)
        except LockedOutError as locked:
            left = locked.seconds_left
            self.audit.record(role, "sign_in", Outcome.DENIED, {
                "reason": "locked_out",
                "seconds_left": -1 if math.isinf(left) else round(left)})  # -1: sealed
            raise
        try:
            good = verify_credential(role, secret, self.kiosk_id, stored)
        except MalformedHashError:
            self.audit.record(role, "sign_in", Outcome.FAILED, {"reason": "malformed_hash"})
            raise NotConfiguredError(f"the stored {role.value} credential is malformed") from None
        if not good:
            locked_for = self.lockout.record_failure(role)
            left = self.lockout.attempts_before_lockout(role) if not locked_for else 0
            self.audit.record(role, "sign_in", Outcome.DENIED,
                              {"reason": "wrong_credential", "locked_for": round(locked_for)})
            raise WrongCredentialError(role, left, locked_for)
        self.lockout.record_success(role)
        with self._lock:
            previous = self._session
            self._session = MaintenanceSession(self, role, self._clock)
        if previous is not None:
            previous.end("replaced")
        self.audit.record(role, "sign_in", Outcome.OK)
        return self._session

    def active(self) -> MaintenanceSession | None:
        """The signed-in session, or ``None`` (auto sign-out happens here)."""
        with self._lock:
            session = self._session
        if session is None:
            return None
        if session.idle_seconds() >= self.auto_sign_out:
            session.end("inactivity")
            return None
        return session if session.signed_in else None

    def _forget(self, session: MaintenanceSession) -> None:
        with self._lock:
            if self._session is session:
                self._session = None


class MaintenanceSession:
    """A signed-in role. Every method checks inactivity and permission, and audits."""

    def __init__(self, owner: Maintenance, role: Role, clock: Clock) -> None:
        self.role = role
        self._owner = owner
        self._clock = clock
        self._last_touch = clock()
        self.signed_in = True

    def touch(self) -> None:
        """Note activity (call on every touch, key or mouse event while signed in)."""
        self._ensure_active()
        self._last_touch = self._clock()

    def idle_seconds(self) -> float:
        return max(0.0, self._clock() - self._last_touch)

    def seconds_until_sign_out(self) -> float:
        return max(0.0, self._owner.auto_sign_out - self.idle_seconds())

    def may(self, action: Action) -> bool:
        """Whether this role may do ``action`` (for showing or hiding a control)."""
        return allowed(self.role, action)

    def require(self, action: Action) -> None:
        """Raise unless signed in and permitted; a refusal is audited."""
        self._ensure_active()
        if not allowed(self.role, action):
            self._owner.audit.record(self.role, action.value, Outcome.DENIED,
                                     {"reason": "not_permitted"})
            raise PermissionDeniedError(self.role, action)

    def perform(self, action: Action, operation: Callable[[], T],
                detail: Mapping[str, DetailValue] | None = None) -> T:
        """Run ``operation`` as ``action`` if permitted; audit its outcome; return its result."""
        self.require(action)
        self._last_touch = self._clock()
        try:
            result = operation()
        except Exception as error:
            self._owner.audit.record(self.role, action.value, Outcome.FAILED,
                                     {**(detail or {}), "error": type(error).__name__})
            raise
        self._owner.audit.record(self.role, action.value, Outcome.OK, detail)
        return result

    def set_out_of_service(self, message: str = "") -> ServiceStatus:
        return self.perform(Action.SET_OUT_OF_SERVICE,
                            lambda: self._owner.service.set_out_of_service(message),
                            {"message_chars": len(message.strip())})

    def set_in_service(self) -> ServiceStatus:
        return self.perform(Action.SET_IN_SERVICE, self._owner.service.set_in_service)

    def counts_today(self) -> dict[str, int]:
        return self.perform(Action.VIEW_COUNTERS, self._owner.counters.today)

    def sign_out(self) -> None:
        self.end("requested")

    def end(self, reason: str) -> None:
        if not self.signed_in:
            return
        self.signed_in = False
        self._owner._forget(self)
        self._owner.audit.record(self.role, "sign_out", Outcome.OK, {"reason": reason})

    def _ensure_active(self) -> None:
        if self.signed_in and self.idle_seconds() >= self._owner.auto_sign_out:
            self.end("inactivity")
        if not self.signed_in:
            raise SessionExpiredError(f"the {self.role.value} session has ended")
