"""What a step may see and do: the interface between ``Flow`` and the step modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from kiosk.flow.config import FlowConfig
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import BackendPort, CardPort, FacePort
from kiosk.flow.secrets import SecretStore
from kiosk.flow.states import Exit, Step
from kiosk.flow.transaction import Transaction
from kiosk.flow.view import FlowView

T = TypeVar("T")


class PreviewSink(Protocol):
    def put(self, frame: object) -> None: ...


class StepContext(Protocol):
    """The flow as its steps see it (``Flow`` provides one; step tests a recording fake)."""

    @property
    def card(self) -> CardPort: ...
    @property
    def face(self) -> FacePort: ...
    @property
    def backend(self) -> BackendPort: ...
    @property
    def config(self) -> FlowConfig: ...
    @property
    def secrets(self) -> SecretStore: ...
    @property
    def tx(self) -> Transaction: ...
    @property
    def view(self) -> FlowView: ...
    @property
    def generation(self) -> int:
        """Changes on every transition: work started in an older one is stale."""
        ...
    @property
    def preview(self) -> PreviewSink: ...

    def today(self) -> dt.date: ...

    def only(self, *steps: Step) -> bool:
        """Whether the flow is in one of ``steps`` (input in any other is ignored)."""
        ...

    def set(self, **changes: Any) -> None:
        """Change the view and tell the listeners."""
        ...

    def set_quietly(self, **changes: Any) -> None:
        """Change the view while entering a step (the listeners hear of it with the entry)."""
        ...

    def go(self, exit_: Exit, **changes: Any) -> bool:
        """Take ``exit_`` of the current step (it must be in the table)."""
        ...

    def fail(self, code: FailureCode, exit_: Exit = Exit.FAILED) -> None: ...

    def fail_with(self, error: BaseException) -> None:
        """End the transaction with the failure code for ``error``."""
        ...

    def work(
        self,
        job: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
        lend: tuple[str, ...] = (),
    ) -> None:
        """Run ``job`` off the driving thread, lending it the named secrets; ``done`` or
        ``failed`` (default: ``fail_with``) run only if the flow is still in the same step."""
        ...

    def post_update(self, generation: int, **changes: Any) -> None:
        """From a worker: change the view on the driving thread unless ``generation`` is stale."""
        ...
