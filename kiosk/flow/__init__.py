"""The resident's transaction, Qt-free: named steps, timeouts, secrets (see docs/flow.md).

Build a ``Flow`` from ports (``kiosk.flow.ports``) and a runner (``kiosk.flow.work``); drive it
from a UI (``kiosk.ui``), from ``Autoplay`` or from a test.
"""

from kiosk.flow.autoplay import Autoplay, AutoplayResult
from kiosk.flow.config import FlowConfig
from kiosk.flow.failure_codes import CATALOGUE, FailureCode
from kiosk.flow.machine import Flow
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView

__all__ = [
    "CATALOGUE",
    "Autoplay",
    "AutoplayResult",
    "FailureCode",
    "Flow",
    "FlowConfig",
    "FlowView",
    "Step",
]
