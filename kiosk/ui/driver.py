"""What the screens need from the flow: its view and its inputs (``kiosk.flow.Flow`` fits).

``StillFlow`` shows one fixed view and ignores every input: the gallery renders screens with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from kiosk.flow.steps.face_check import PreviewSlot
from kiosk.flow.view import FlowView


class FlowDriver(Protocol):
    preview: PreviewSlot

    @property
    def view(self) -> FlowView: ...

    def subscribe(self, listener: Callable[[FlowView], None]) -> Callable[[], None]: ...

    def countdown(self) -> int | None: ...

    def tick(self) -> None: ...

    def user_activity(self) -> None: ...

    def begin(self) -> None: ...

    def agree(self) -> None: ...

    def decline(self) -> None: ...

    def cancel(self) -> None: ...

    def approve(self) -> None: ...

    def confirm_last_try(self) -> None: ...

    def submit_auth_pin(self, pin: bytearray) -> None: ...

    def submit_text_pin(self, pin: bytearray) -> None: ...

    def submit_same_pin_as_before(self, understood_it_costs_a_try: bool) -> None: ...

    def submit_number_b(self, number_b: bytearray) -> None: ...

    def submit_new_pin(self, first: bytearray, second: bytearray) -> None: ...

    def acknowledge(self) -> None: ...


class StillFlow:
    """A flow frozen on one view (for the gallery and screen tests); inputs are recorded only."""

    def __init__(self, view: FlowView, countdown: int | None = None) -> None:
        self.preview = PreviewSlot()
        self._view = view
        self._countdown = countdown
        self._listeners: list[Callable[[FlowView], None]] = []
        self.inputs: list[str] = []

    @property
    def view(self) -> FlowView:
        return self._view

    def show(self, view: FlowView, countdown: int | None = None) -> None:
        self._view = view
        self._countdown = countdown
        for listener in list(self._listeners):
            listener(view)

    def subscribe(self, listener: Callable[[FlowView], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def countdown(self) -> int | None:
        return self._countdown

    def tick(self) -> None:
        pass

    def user_activity(self) -> None:
        pass

    def begin(self) -> None:
        self.inputs.append("begin")

    def agree(self) -> None:
        self.inputs.append("agree")

    def decline(self) -> None:
        self.inputs.append("decline")

    def cancel(self) -> None:
        self.inputs.append("cancel")

    def approve(self) -> None:
        self.inputs.append("approve")

    def confirm_last_try(self) -> None:
        self.inputs.append("confirm_last_try")

    def submit_auth_pin(self, pin: bytearray) -> None:
        self.inputs.append(f"auth_pin:{len(pin)}")
        pin[:] = bytes(len(pin))

    def submit_text_pin(self, pin: bytearray) -> None:
        self.inputs.append(f"text_pin:{len(pin)}")
        pin[:] = bytes(len(pin))

    def submit_same_pin_as_before(self, understood_it_costs_a_try: bool) -> None:
        self.inputs.append(f"same_as_before:{understood_it_costs_a_try}")

    def submit_number_b(self, number_b: bytearray) -> None:
        self.inputs.append(f"number_b:{len(number_b)}")
        number_b[:] = bytes(len(number_b))

    def submit_new_pin(self, first: bytearray, second: bytearray) -> None:
        self.inputs.append(f"new_pin:{len(first)}:{len(second)}")
        first[:] = bytes(len(first))
        second[:] = bytes(len(second))

    def acknowledge(self) -> None:
        self.inputs.append("acknowledge")
