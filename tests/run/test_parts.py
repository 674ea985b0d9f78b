"""Qt-free parts of `kiosk run`: outcome counting, flow settings, anchors, reader choice."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.card_reader import events
from kiosk.config import parse_config
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import CardPresence
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.run.outcomes import OutcomeRecorder
from kiosk.run.parts import (
    ReaderChoice,
    StartupError,
    anchors_folder,
    camera_factory,
    client_config,
    flow_config,
    load_anchors,
)
from kiosk_testbed.authority import TestAuthority


def play(recorder: OutcomeRecorder, *steps: tuple[Step, int, FailureCode | None]) -> None:
    view = FlowView()
    for step, transaction, failure in steps:
        view = replace(view, step=step, transaction=transaction, failure=failure,
                       visit=view.visit + 1)
        recorder(view)


def test_one_outcome_per_transaction() -> None:
    seen: list[str] = []
    recorder = OutcomeRecorder(seen.append)
    play(recorder,
         (Step.START, 0, None),
         (Step.CONSENT, 1, None), (Step.PLACE_CARD, 1, None), (Step.DONE, 1, None),
         (Step.DONE, 1, None),  # the alarm re-shows the same step
         (Step.START, 1, None),
         (Step.CONSENT, 2, None), (Step.ERROR, 2, FailureCode.CANCELLED), (Step.START, 2, None),
         (Step.CONSENT, 3, None), (Step.START, 3, None),  # declined the consent
         (Step.CONSENT, 4, None), (Step.ERROR, 4, FailureCode.FACE_NO_MATCH),
         (Step.START, 4, None), (Step.OUT_OF_SERVICE, 4, None))
    assert seen == ["completed", "cancelled", "abandoned", "face_no_match"]


def test_a_failing_counter_never_stops_the_flow() -> None:
    def broken(outcome: str) -> None:
        raise OSError("disk full")

    play(OutcomeRecorder(broken), (Step.CONSENT, 1, None), (Step.DONE, 1, None))


def test_flow_settings_come_from_the_configuration(tmp_path: Path) -> None:
    config = parse_config({"flow": {"timeouts": {"auth_pin": 45.0}, "face_attempts": 2,
                                    "countdown_from": 12.0}}, base_dir=tmp_path)
    flow = flow_config(config)
    assert flow.timeout(Step.AUTH_PIN) == 45.0
    assert flow.timeout(Step.CONSENT) == 90.0
    assert flow.timeout(Step.START) is None
    assert (flow.face_attempts, flow.countdown_from) == (2, 12.0)


def test_client_configuration_names_a_missing_file(tmp_path: Path) -> None:
    for name in ("ca", "cert", "key"):
        (tmp_path / f"{name}.pem").write_text("x")
    base = {"ca_file": "ca.pem", "client_cert": "cert.pem", "client_key": "key.pem",
            "retries": 5}
    config = parse_config({"backend": base}, base_dir=tmp_path)
    client = client_config(config)
    assert client.client_key == tmp_path / "key.pem" and client.retries == 5
    (tmp_path / "key.pem").unlink()
    with pytest.raises(StartupError, match=r"backend\.client_key"):
        client_config(config)


def test_card_face_anchors_from_the_folder_beside_the_configuration(
        tmp_path: Path, testbed_authority: TestAuthority) -> None:
    folder = anchors_folder(tmp_path / "kiosk.toml")
    assert folder == tmp_path / "card-face-ca"
    assert anchors_folder(None) == Path("/etc/kiosk/card-face-ca")
    assert anchors_folder(tmp_path / "kiosk.toml", Path("keys")) == tmp_path / "keys"
    assert anchors_folder(tmp_path / "kiosk.toml", Path("/srv/keys")) == Path("/srv/keys")
    with pytest.raises(StartupError, match="no card-face CA key"):
        load_anchors(folder)
    folder.mkdir()
    key_id = testbed_authority.card_face_ca_keyid_path.read_text().strip()
    shutil.copyfile(testbed_authority.card_face_ca_pub_path, folder / f"{key_id}.pem")
    anchors = load_anchors(folder)
    assert len(anchors) == 1 and anchors.get(bytes.fromhex(key_id)) is not None
    (folder / "not-a-key-id.pem").write_text("x")
    with pytest.raises(StartupError, match=r"not-a-key-id\.pem"):
        load_anchors(folder)


def test_camera_file_must_exist(tmp_path: Path) -> None:
    config = parse_config({"camera": {"source": "file", "file": "clip.avi"},
                           "kiosk": {"mode": "testbed"}}, base_dir=tmp_path)
    with pytest.raises(StartupError, match=r"camera\.file"):
        camera_factory(config)


@pytest.mark.parametrize("camera", [{"source": "synthetic"},
                                    {"source": "file", "file": "clip.avi"}])
def test_a_production_kiosk_refuses_a_camera_that_is_not_a_camera(
        tmp_path: Path, camera: dict[str, str]) -> None:
    (tmp_path / "clip.avi").write_bytes(b"not really a video")
    config = parse_config({"camera": camera}, base_dir=tmp_path)
    assert config.kiosk.mode == "production"
    with pytest.raises(StartupError, match=r'camera\.source: .*production kiosk'):
        camera_factory(config)
    testbed = parse_config({"camera": camera, "kiosk": {"mode": "testbed"}}, base_dir=tmp_path)
    assert callable(camera_factory(testbed))


def relay(configured: str, known: list[str]) -> tuple[ReaderChoice, list[CardPresence]]:
    seen: list[CardPresence] = []
    post: Callable[[Callable[[], None]], None] = lambda call: call()  # noqa: E731
    return ReaderChoice(configured, known, seen.append, post), seen


def test_a_reader_missing_at_start_is_reported() -> None:
    assert relay("auto", [])[0].initial_presence() is CardPresence.NO_READER
    assert relay("Reader C", ["Reader A"])[0].initial_presence() is CardPresence.NO_READER
    assert relay("auto", ["Reader A"])[0].initial_presence() is None
    assert relay("Reader A", ["Reader A"])[0].initial_presence() is None


def test_auto_takes_the_first_reader_even_one_plugged_in_later() -> None:
    choice, seen = relay("auto", [])
    choice.relay(events.ServiceUnavailable("gone"))
    assert seen == [CardPresence.NO_READER]
    choice.relay(events.ReaderAdded("Reader B"))
    choice.relay(events.CardInserted("Reader B", b"\x3b"))
    choice.relay(events.CardInserted("Reader C", b"\x3b"))  # not ours
    assert choice.current() == "Reader B"
    assert seen == [CardPresence.NO_READER, CardPresence.ABSENT, CardPresence.PRESENT]


def test_a_configured_reader_is_kept() -> None:
    choice, seen = relay("Reader C", ["Reader A"])
    assert choice.current() == "Reader C"
    choice.relay(events.CardInserted("Reader A", b"\x3b"))
    assert seen == []
