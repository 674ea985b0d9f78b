"""The reader watcher and the transport while pcscd itself goes away and comes back.

The suite's shared pcscd must not be stopped (other tests use it), so this test runs a
private pcscd: in a mount namespace (``unshare --mount``) a folder of ours is bound over
/run/pcscd, and ``-c`` gives it its own vpcd reader on a free port. The watcher runs in a
child process whose PCSCLITE_CSOCK_NAME points at the private socket (pcsc-lite reads that
variable once per process). Skipped where namespaces are not allowed.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_testbed.vpcd import VpcdCardLink

pytestmark = pytest.mark.pcsc

REPO = Path(__file__).resolve().parents[2]
ATR_HEX = "3be000ff8131fe4514"

CHILD = """
import json, sys, threading
from kiosk.card_reader import events
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.errors import CardError

def say(**fields):
    print(json.dumps(fields), flush=True)

def on_event(event):
    fields = {"event": type(event).__name__}
    if hasattr(event, "reader"):
        fields["reader"] = event.reader
    if isinstance(event, events.CardInserted):
        fields["atr"] = event.atr.hex()
    say(**fields)

watcher = ReaderWatcher(on_event, wait_seconds=0.1, retry_seconds=0.1)
watcher.start()
for line in sys.stdin:
    command, _, reader = line.strip().partition(" ")
    if command == "recognize":
        try:
            with PcscTransport(reader) as transport:
                MyNumberCard.recognize(transport)
            say(result="my_number_card")
        except CardError as error:
            say(result=type(error).__name__)
    elif command == "stop":
        break
watcher.stop()
say(stopped=not watcher.running)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class PrivatePcscd:
    def __init__(self, folder: Path) -> None:
        self.run_dir = folder / "run"
        self.conf_dir = folder / "conf"
        self.run_dir.mkdir()
        self.conf_dir.mkdir()
        self.port = free_port()
        (self.conf_dir / "vpcd").write_text(
            'FRIENDLYNAME "Private PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.port:04X}\n"
            "LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n"
            f"CHANNELID    0x{self.port:04X}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        return self.run_dir / "pcscd.comm"

    def start(self) -> None:
        for stale in self.run_dir.iterdir():
            stale.unlink()
        script = f"mount --bind {self.run_dir} /run/pcscd && exec pcscd -f -c {self.conf_dir}"
        self.process = subprocess.Popen(
            ["unshare", "--mount", "sh", "-c", script],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.socket_path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("private pcscd did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


def namespaces_allowed() -> bool:
    if shutil.which("unshare") is None or shutil.which("pcscd") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture
def private_pcscd(tmp_path: Path) -> Iterator[PrivatePcscd]:
    if not namespaces_allowed():
        pytest.skip("needs unshare --mount (root) to run a private pcscd")
    daemon = PrivatePcscd(tmp_path)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


class Child:
    def __init__(self, socket_path: Path) -> None:
        env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(socket_path)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def next(self) -> dict[str, Any]:
        # Generous: a loaded machine starts the child (Python, pyscard, the kiosk) slowly.
        return self.lines.get(timeout=40)

    def expect(self, *wanted: dict[str, Any]) -> None:
        got = [self.next() for _ in wanted]
        assert sorted(got, key=json.dumps) == sorted(wanted, key=json.dumps)

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()


def test_watcher_and_transport_across_a_pcscd_restart(
    private_pcscd: PrivatePcscd, virtual_card: Any
) -> None:
    reader0, reader1 = "Private PCD 00 00", "Private PCD 00 01"
    child = Child(private_pcscd.socket_path)
    link = VpcdCardLink(virtual_card, private_pcscd.port)
    try:
        child.expect(
            {"event": "ReaderAdded", "reader": reader0},
            {"event": "ReaderAdded", "reader": reader1},
        )
        link.insert()
        child.expect({"event": "CardInserted", "reader": reader0, "atr": ATR_HEX})
        child.send(f"recognize {reader0}")
        assert child.next() == {"result": "my_number_card"}

        private_pcscd.stop()  # pcscd goes away with the card in the reader
        child.expect(
            {"event": "CardRemoved", "reader": reader0},
            {"event": "ReaderRemoved", "reader": reader0},
            {"event": "ReaderRemoved", "reader": reader1},
        )
        assert child.next()["event"] == "ServiceUnavailable"
        child.send(f"recognize {reader0}")
        assert child.next() == {"result": "ReaderUnavailable"}

        private_pcscd.start()  # back: readers reappear, the card link reconnects by itself
        assert child.next() == {"event": "ServiceBack"}
        child.expect(
            {"event": "ReaderAdded", "reader": reader0},
            {"event": "ReaderAdded", "reader": reader1},
        )
        assert child.next() == {"event": "CardInserted", "reader": reader0, "atr": ATR_HEX}
        child.send(f"recognize {reader0}")
        assert child.next() == {"result": "my_number_card"}

        link.remove()
        assert child.next() == {"event": "CardRemoved", "reader": reader0}
        child.send("stop")
        assert child.next() == {"stopped": True}
        assert child.process.wait(10) == 0
    finally:
        link.remove()
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(5)
