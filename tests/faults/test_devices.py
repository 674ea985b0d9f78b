"""Devices failing mid-transaction on the real stack: the camera gone mid-capture (it stops
sending frames, or the capture fails), the reader gone and back, pcscd restarted mid-flow
(a private pcscd, see tests/card_reader/test_pcscd_restart.py). Each ends in a safe state
with a clear code; the backend closes the transaction without a reset; the card keeps its
old PIN."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.card_reader.card_info import TrustAnchors
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import FrameSource, RenderedSource
from kiosk.flow.machine import Flow
from kiosk.flow.states import Step
from kiosk.journal import Journal
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend
from tests.faults.stack import (
    OLD_SIGN_PIN,
    card_state,
    kiosk_config,
    resident_camera,
    run_flow,
    settled_backend,
)
from tests.helpers.virtual_card import DEFAULT_PHOTO, InsertedCard

pytestmark = [
    pytest.mark.pcsc,
]
REPO = Path(__file__).resolve().parents[2]


class DyingRenderer:
    """The synthetic resident for ``frames`` frames, then the camera is gone."""

    def __init__(self, inner: SyntheticResident, frames: int, *, fail: bool) -> None:
        self.inner, self.left, self.fail = inner, frames, fail

    def render(self, t: float) -> np.ndarray | None:
        self.left -= 1
        if self.left < 0:
            if self.fail:
                raise OSError("camera unplugged")
            return None
        return self.inner.render(t)

    def observe_prompt(self, action: object, t: float) -> None:
        self.inner.observe_prompt(action, t)  # type: ignore[arg-type]


def dying_camera(frames: int, *, fail: bool) -> Callable[[], FrameSource]:
    image = cv2.imread(str(DEFAULT_PHOTO), cv2.IMREAD_COLOR)
    assert image is not None
    rgb = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    return lambda: RenderedSource(
        DyingRenderer(SyntheticResident(rgb, seed=7), frames, fail=fail), fps=15.0  # type: ignore[arg-type]
    )


def _closed_without_reset(backend: RunningBackend, journal: Journal) -> None:
    [(transaction_id, state, outcome, _)] = settled_backend(backend)
    assert (state, outcome) == ("closed", "aborted")
    assert journal.entries()[transaction_id].outcome == "aborted"


def test_camera_stops_sending_frames_mid_capture(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend,
    journal: Journal,
) -> None:
    run = run_flow(anchors, kiosk_config(backend), dying_camera(5, fail=False), journal)
    assert run.result.code == "F03", run.result
    assert Step.FACE_CHECK in run.steps and Step.NEW_PIN not in run.steps
    _closed_without_reset(backend, journal)
    assert card_state().sign_pin == OLD_SIGN_PIN


def test_camera_capture_fails_mid_capture(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend,
    journal: Journal,
) -> None:
    run = run_flow(anchors, kiosk_config(backend), dying_camera(5, fail=True), journal)
    assert run.result.code in ("F03", "K99"), run.result  # safe either way
    _closed_without_reset(backend, journal)
    assert run.result.code == "F03", run.result


def test_reader_gone_and_back(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend,
    journal: Journal,
) -> None:
    """vpcd cannot unplug its reader, so the reader's disappearance reaches the flow as the
    watcher reports it (``NO_READER``) while the card link drops; then the reader and card
    come back and the next transaction succeeds."""
    from kiosk.flow.ports import CardPresence

    gone = False

    def unplug_during_face_check(flow: Flow) -> None:
        nonlocal gone
        if not gone and flow.view.step == Step.FACE_CHECK and flow.view.busy:
            gone = True
            card_in_reader.remove(wait=False)
            flow.card_event(CardPresence.NO_READER)

    run = run_flow(anchors, kiosk_config(backend), resident_camera(DEFAULT_PHOTO), journal,
                   between=unplug_during_face_check)
    assert run.result.code in ("C10", "C02"), run.result
    _closed_without_reset(backend, journal)
    card_in_reader.insert()
    again = run_flow(anchors, kiosk_config(backend), resident_camera(DEFAULT_PHOTO), journal)
    assert again.result.success, again.result


CHILD = """
import json, sys
from pathlib import Path
from kiosk.backend_client import BackendClientConfig
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.journal import Journal
from tests.faults.stack import kiosk_config, resident_camera, run_flow
args = json.loads(sys.argv[1])
anchors = TrustAnchors.from_pem_file(Path(args["pem"]), Path(args["keyid"]).read_text().strip())
config = BackendClientConfig.from_bundle(args["url"], Path(args["bundle"]), retry_backoff=0.01)
def restart_pcscd_in_face_check(flow):
    flag = Path(args["flag"])
    if flow.view.step.value == "face_check" and flow.view.busy and not flag.exists():
        flag.write_text("restart")
run = run_flow(anchors, config, resident_camera(Path(args["photo"])),
               Journal(Path(args["journal"])), reader=args["reader"],
               between=restart_pcscd_in_face_check, timeout=120)
print(json.dumps({"code": run.result.code, "success": run.result.success}), flush=True)
"""


def test_pcscd_restarted_mid_flow(
    *, private_pcscd: object, virtual_card: object, backend: RunningBackend,
    testbed_authority: TestAuthority, journal: Journal, tmp_path: Path,
) -> None:
    """The kiosk runs against a private pcscd (own mount namespace and vpcd port); when the
    face check starts, that pcscd is stopped and started again. The transaction ends with a
    clear code (reader unavailable or card removed), nothing is reset, and the card works
    through the restarted pcscd."""
    import json

    from kiosk_testbed.vpcd import VpcdCardLink
    from tests.card_reader.test_pcscd_restart import PrivatePcscd

    daemon = private_pcscd
    assert isinstance(daemon, PrivatePcscd)
    link = VpcdCardLink(virtual_card, daemon.port)  # type: ignore[arg-type]
    flag = tmp_path / "restart.flag"
    credentials = backend.kiosks["kiosk-1"]
    arguments = {
        "pem": str(testbed_authority.card_face_ca_pub_path),
        "keyid": str(testbed_authority.card_face_ca_keyid_path),
        "url": backend.url, "bundle": str(credentials.certificate.parent),
        "photo": str(DEFAULT_PHOTO), "journal": str(journal.path),
        "reader": "Private PCD 00 00", "flag": str(flag),
    }
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(daemon.socket_path),
           "PYTHONPATH": str(REPO)}
    link.insert()
    try:
        child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(arguments)], cwd=REPO,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        deadline = time.monotonic() + 90
        while not flag.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), child.communicate()
        daemon.stop()
        daemon.start()
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-2000:]
        result = json.loads(out.strip().splitlines()[-1])
        assert result["code"] in ("C10", "C02"), result
        _closed_without_reset(backend, journal)
        assert link.wait_connected(10)
    finally:
        link.remove()
