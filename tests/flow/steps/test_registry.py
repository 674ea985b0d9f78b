"""Every step whose work waits for the UI's approval has that work registered, and no other."""

from __future__ import annotations

from kiosk.flow.machine import WORK_ON_APPROVAL
from kiosk.flow.states import SPECS


def test_each_step_needing_approval_has_its_work_and_only_those_do() -> None:
    needing = {step for step, spec in SPECS.items() if spec.needs_approval}
    assert needing == set(WORK_ON_APPROVAL)
