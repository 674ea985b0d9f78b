"""Soak: hundreds of consecutive resident transactions in ONE kiosk process, headless (the
product's Flow + Autoplay on a QueuePump, as `kiosk demo --autoplay` minus Qt), over the real
stack: pyscard -> pcscd -> vpcd -> virtual card, the reference backend over mutual TLS
(in this process, SQLite), the synthetic resident as camera (the real face pipeline), and
the kiosk's journal. Between transactions the resident takes the card and the next one
puts it back.

Measured every ``--every`` transactions: RSS (VmRSS), open file handles (/proc/self/fd),
threads; at the end: errors, and the backend's own count of transactions by outcome against
the kiosk's (lost or duplicated transactions), and the journal's unfinished entries.

By default it runs against a private pcscd (own mount namespace and vpcd port, as in
tests/card_reader/test_pcscd_restart.py) so the shared readers stay free for other tests;
``--shared-pcscd`` uses 'Virtual PCD 00 01' of the shared pcscd under its lock instead.

    .venv/bin/python -m tests.soak.soak --transactions 300 --every 25
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Sample:
    transactions: int
    seconds: float
    rss_kib: int
    open_fds: int
    threads: int


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def insert_card(link: Any, reader: str, wait_for_card: Callable[..., None]) -> int:
    """Put the card in; if pcscd does not see it within 4 s (vpcd often misses a re-insertion
    soon after a removal), take it out and put it in again. Returns how many re-plugs it took."""
    for attempt in range(6):
        link.insert()
        try:
            wait_for_card(reader, present=True, timeout=4 if attempt < 5 else 60)
            return attempt
        except TimeoutError:
            link.remove()
            time.sleep(1.0)
    raise TimeoutError("the card could not be inserted")


def run_soak(args: argparse.Namespace, reader: str, vpcd_port: int) -> dict[str, object]:
    from kiosk.assembly import KioskParts, assemble
    from kiosk.card_reader.card_info import TrustAnchors
    from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher
    from kiosk.flow.adapters.presence import PresenceRelay
    from kiosk.flow.autoplay import Autoplay, drive
    from kiosk.flow.config import FlowConfig
    from kiosk.flow.states import Step
    from kiosk.flow.work import QueuePump, ThreadRunner
    from kiosk.journal import Journal
    from kiosk_backend.policy import Policy
    from kiosk_testbed.authority import TestAuthority
    from kiosk_testbed.card.virtual_card import VirtualCard
    from kiosk_testbed.vpcd import VpcdCardLink, reader_lock
    from tests.backend.harness import running_backend
    from tests.faults.stack import kiosk_config, resident_camera
    from tests.helpers.virtual_card import DEFAULT_PHOTO, issue_card_file, wait_for_card

    folder = Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    authority = TestAuthority(folder / "testbed").ensure()
    card = issue_card_file(authority, folder / "cards", auth_pin="1234", text_pin="5678")
    card_file = card.copy_to(folder / "card.json")
    anchors = TrustAnchors.from_pem_file(
        authority.card_face_ca_pub_path, authority.card_face_ca_keyid_path.read_text().strip()
    )
    samples: list[Sample] = []
    outcomes: Counter[str] = Counter()
    with ExitStack() as stack:
        if args.shared_pcscd:
            stack.enter_context(reader_lock(vpcd_port))
        # One card over and over: lift the per-card and per-kiosk rate limits (policy).
        policy = Policy(card_max_transactions=1_000_000, kiosk_max_transactions=1_000_000)
        backend = stack.enter_context(running_backend(folder, authority.dir, None, policy))
        link = VpcdCardLink(VirtualCard.from_path(card_file), vpcd_port)
        stack.callback(link.remove)
        journal = Journal(folder / "kiosk" / "journal.jsonl")
        pump = QueuePump()
        runner = ThreadRunner(pump.post)
        stack.callback(runner.shutdown)
        flow = assemble(KioskParts(
            open_card=lambda: PcscTransport(reader),
            anchors=anchors,
            backend=kiosk_config(backend, read_timeout=15.0),
            open_camera=resident_camera(DEFAULT_PHOTO),
            journal=journal,
            flow=FlowConfig(face_attempts=2),
        ), runner, stack)
        watcher = ReaderWatcher(PresenceRelay(reader, flow.card_event, pump.post),
                                wait_seconds=0.2)
        watcher.start()
        stack.callback(watcher.stop)

        started = time.monotonic()
        errors: list[str] = []
        replugs = 0
        for number in range(1, args.transactions + 1):
            new_pin = f"SOAK{number:05d}"
            replugs += insert_card(link, reader, wait_for_card)
            if args.verbose:
                print(f"#{number} card in ({replugs} replugs so far)", file=sys.stderr, flush=True)
            deadline = time.monotonic() + 10
            while flow.view.step != Step.START and time.monotonic() < deadline:
                pump.pump(0.05)
                flow.tick()
            play = Autoplay(flow, auth_pin="1234", text_pin="5678", new_pin=new_pin)
            result = drive(flow, pump, play, timeout=120)
            outcomes["success" if result.success else f"failure {result.code}"] += 1
            if not result.success:
                errors.append(f"#{number}: {result.code} {result.detail}")
            if args.verbose:
                print(f"#{number} {result.line()}", file=sys.stderr, flush=True)
            link.remove()  # the resident takes the card; the flow goes back to the start
            wait_for_card(reader, present=False, timeout=15)
            deadline = time.monotonic() + 10
            while flow.view.step != Step.START and time.monotonic() < deadline:
                pump.pump(0.05)
                flow.tick()
            time.sleep(0.5)  # the resident walks away; the next one comes
            if number == 1 or number % args.every == 0 or number == args.transactions:
                sample = Sample(number, round(time.monotonic() - started, 1), rss_kib(),
                                open_fds(), threading.active_count())
                samples.append(sample)
                print(json.dumps(asdict(sample)), flush=True)
        rows = backend.rows("SELECT outcome, COUNT(*) FROM transactions GROUP BY outcome")
        distinct = backend.rows("SELECT COUNT(DISTINCT transaction_id) FROM transactions")
        backend_outcomes = {str(outcome): int(count) for outcome, count in rows}
        journal_entries = journal.entries()
        report = {
            "transactions": args.transactions,
            "kiosk_outcomes": dict(outcomes),
            "backend_outcomes": backend_outcomes,
            "backend_transactions": int(distinct[0][0]),
            "journal_unfinished": len(journal.unfinished()),
            "journal_entries": len(journal_entries),
            "card_replugs": replugs,
            "errors": errors[:20],
            "seconds": round(time.monotonic() - started, 1),
            "samples": [asdict(sample) for sample in samples],
            "data": str(folder),
        }
    return report


def verdict(report: dict[str, object]) -> list[str]:
    """What is wrong (empty: nothing)."""
    problems = []
    kiosk = report["kiosk_outcomes"]
    backend = report["backend_outcomes"]
    assert isinstance(kiosk, dict) and isinstance(backend, dict)
    if kiosk.get("success", 0) != report["transactions"]:
        problems.append(f"not every transaction succeeded: {kiosk}")
    if backend.get("pin_reset", 0) != kiosk.get("success", 0):
        problems.append(f"backend resets {backend.get('pin_reset')} != kiosk successes")
    if report["backend_transactions"] != report["transactions"]:
        problems.append("backend holds a different number of transactions (lost/duplicated)")
    if report["journal_unfinished"]:
        problems.append("the journal has unfinished transactions")
    samples = report["samples"]
    assert isinstance(samples, list)
    if len(samples) >= 3:
        baseline, last = samples[1], samples[-1]  # after the first (warm-up) sample
        if last["open_fds"] > baseline["open_fds"] + 5:
            problems.append(f"file handles grew: {baseline['open_fds']} -> {last['open_fds']}")
        if last["threads"] > baseline["threads"] + 3:
            problems.append(f"threads grew: {baseline['threads']} -> {last['threads']}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=300)
    parser.add_argument("--every", type=int, default=25, help="sample every N transactions")
    parser.add_argument("--shared-pcscd", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="a line per transaction")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # reader|port in the private pcscd
    args = parser.parse_args()
    if args.child or args.shared_pcscd:
        if args.child:
            reader, port = args.child.split("|")
        else:
            from kiosk_testbed.vpcd import READER_PORTS

            reader, port = "Virtual PCD 00 01", str(READER_PORTS[1])
        report = run_soak(args, reader, int(port))
        problems = verdict(report)
        report["problems"] = problems
        print("REPORT " + json.dumps(report), flush=True)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        sys.exit(1 if problems else 0)
    from tests.card_reader.test_pcscd_restart import PrivatePcscd, namespaces_allowed

    if not namespaces_allowed():
        sys.exit("needs unshare --mount for a private pcscd; or pass --shared-pcscd")
    folder = Path(tempfile.mkdtemp(prefix="kiosk-soak-pcscd-"))
    daemon = PrivatePcscd(folder)
    daemon.start()
    try:
        env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(daemon.socket_path),
               "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "tests.soak.soak", *sys.argv[1:],
                   "--child", f"Private PCD 00 00|{daemon.port}"]
        sys.exit(subprocess.run(command, cwd=REPO, env=env, check=False).returncode)
    finally:
        daemon.stop()


if __name__ == "__main__":
    main()
