"""Roles and what each may do.

Two roles sign in: store ``STAFF`` (keep the kiosk running) and field ``ENGINEER`` (install,
diagnose, repair). An engineer may do everything staff may; staff may never do an engineer
action. ``require(role, action)`` is the single gate, used by :class:`MaintenanceSession`
and available to screens that want to hide what a role cannot do (``allowed(role, action)``).
"""

from __future__ import annotations

from enum import Enum


class Role(Enum):
    STAFF = "staff"
    ENGINEER = "engineer"


class Action(Enum):
    """Everything a signed-in role can do; the value is the name written to the audit log."""

    # Staff (maintenance mode)
    VIEW_HEALTH = "view_health"
    VIEW_COUNTERS = "view_counters"
    SET_OUT_OF_SERVICE = "set_out_of_service"
    SET_IN_SERVICE = "set_in_service"
    RESET_READER = "reset_reader"
    RESTART_APPLICATION = "restart_application"
    ANSWER_STAFF_CALL = "answer_staff_call"
    # Engineer (diagnostics)
    RUN_DIAGNOSTICS = "run_diagnostics"
    CARD_PROBE = "card_probe"
    CAMERA_PREVIEW = "camera_preview"
    FACE_SELF_TEST = "face_self_test"
    BACKEND_CHECK = "backend_check"
    VIEW_LOGS = "view_logs"
    VIEW_CONFIGURATION = "view_configuration"
    EXPORT_REPORT = "export_report"


STAFF_ACTIONS = frozenset({
    Action.VIEW_HEALTH,
    Action.VIEW_COUNTERS,
    Action.SET_OUT_OF_SERVICE,
    Action.SET_IN_SERVICE,
    Action.RESET_READER,
    Action.RESTART_APPLICATION,
    Action.ANSWER_STAFF_CALL,
})
ENGINEER_ACTIONS = frozenset(Action)

_PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.STAFF: STAFF_ACTIONS,
    Role.ENGINEER: ENGINEER_ACTIONS,
}


class PermissionDeniedError(Exception):
    """The role may not perform the action."""

    def __init__(self, role: Role, action: Action) -> None:
        super().__init__(f"{role.value} may not {action.value}")
        self.role = role
        self.action = action


def allowed(role: Role, action: Action) -> bool:
    return action in _PERMISSIONS[role]


def require(role: Role, action: Action) -> None:
    """Raise :class:`PermissionDeniedError` unless ``role`` may perform ``action``."""
    if not allowed(role, action):
        raise PermissionDeniedError(role, action)
