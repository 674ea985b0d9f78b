"""Store-staff maintenance and engineer access: roles, credentials, lockout, audit, service
state and transaction counters. Qt-free; the maintenance screens and the CLI both use it.

Entry point for the UI: :class:`Maintenance` (see :mod:`kiosk.maintenance.session`).
For the flow: ``maintenance.counters.record(outcome)`` and ``maintenance.service.current()``;
for the resident screens' help: ``maintenance.staff_calls.ring(step)``.
"""

from kiosk.maintenance.audit import AuditEntry, AuditLog, Outcome
from kiosk.maintenance.counters import TransactionCounters
from kiosk.maintenance.credentials import (
    MalformedHashError,
    WeakCredentialError,
    check_strength,
    hash_credential,
    verify_credential,
)
from kiosk.maintenance.lockout import LockedOutError, Lockout, LockoutPolicy
from kiosk.maintenance.roles import Action, PermissionDeniedError, Role, allowed, require
from kiosk.maintenance.service_state import ServiceState, ServiceStatus
from kiosk.maintenance.session import (
    Maintenance,
    MaintenanceSession,
    NotConfiguredError,
    SessionExpiredError,
    WrongCredentialError,
)
from kiosk.maintenance.staff_call import StaffCall, StaffCalls

__all__ = [
    "Action",
    "AuditEntry",
    "AuditLog",
    "LockedOutError",
    "Lockout",
    "LockoutPolicy",
    "Maintenance",
    "MaintenanceSession",
    "MalformedHashError",
    "NotConfiguredError",
    "Outcome",
    "PermissionDeniedError",
    "Role",
    "ServiceState",
    "ServiceStatus",
    "SessionExpiredError",
    "StaffCall",
    "StaffCalls",
    "TransactionCounters",
    "WeakCredentialError",
    "WrongCredentialError",
    "allowed",
    "check_strength",
    "hash_credential",
    "require",
    "verify_credential",
]
