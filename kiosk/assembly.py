"""The composition root: the one place where the kiosk's parts become a working ``Flow``.

``kiosk run``, ``kiosk demo`` and the test stacks differ only in the parts they hand over
(which reader, which camera or face check, which backend, whether a journal is kept, the time
limits) and in the runner that brings work back to their thread (Qt's event loop, or a
``QueuePump``). The adapters, the backend client, settling a previous run's journal and the
order things are closed in are decided here, once. The screens are not: the UI wraps the
assembled flow (``kiosk.ui.window.KioskWindow``), so this module stays Qt-free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.transport import Transport
from kiosk.face_match.config import FaceConfig
from kiosk.face_match.sources import FrameSource
from kiosk.flow.adapters.backend import BackendAdapter
from kiosk.flow.adapters.card import CardReaderAdapter
from kiosk.flow.adapters.face import FaceCheckAdapter
from kiosk.flow.config import FlowConfig
from kiosk.flow.machine import Flow
from kiosk.flow.ports import Clock, FacePort, MonotonicClock
from kiosk.flow.work import Runner
from kiosk.journal import Journal, reconcile


@dataclass(frozen=True)
class KioskParts:
    """What differs between the installed kiosk, the demo and a test stack."""

    open_card: Callable[[], Transport]  # opens the reader holding the resident's card
    anchors: TrustAnchors  # the card-face CA keys that vouch for the card's photo
    backend: BackendClientConfig  # the backend over mutual TLS
    # The face check: the camera (checked by ``FaceCheckAdapter`` with ``face_settings``), or
    # a whole face check of a test's own (``face_check``), which then replaces the camera's.
    open_camera: Callable[[], FrameSource] | None = None
    face_settings: FaceConfig | None = None
    face_check: FacePort | None = None
    # Where unfinished resets are written; settled with the backend before the first resident.
    journal: Journal | None = None
    flow: FlowConfig = field(default_factory=FlowConfig)
    clock: Clock = field(default_factory=MonotonicClock)
    today: Callable[[], dt.date] = dt.date.today

    def face(self) -> FacePort:
        if self.face_check is not None:
            return self.face_check
        if self.open_camera is None:
            raise ValueError("KioskParts needs open_camera or face_check")
        return FaceCheckAdapter(self.open_camera, self.face_settings)


def assemble(parts: KioskParts, runner: Runner, stack: ExitStack) -> Flow:
    """Build the flow from ``parts``; ``stack`` closes the flow, then the backend client.

    A caller that wants its runner's last jobs (the card's release) to finish first registers
    ``runner.shutdown`` on ``stack`` after this call (it then runs before these).
    """
    client = BackendClient(parts.backend)
    stack.callback(client.close)
    if parts.journal is not None:
        # What a previous run left unfinished (e.g. killed after the card was reset) is
        # settled first; entries stay open while the backend is unreachable.
        reconcile(parts.journal, client)
    flow = Flow(
        card=CardReaderAdapter(parts.open_card, parts.anchors),
        face=parts.face(),
        backend=BackendAdapter(client, parts.journal),
        clock=parts.clock,
        runner=runner,
        config=parts.flow,
        today=parts.today,
    )
    stack.callback(flow.close)
    return flow
