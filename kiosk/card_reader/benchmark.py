"""APDUs, bytes and wall time of the card work of one resident transaction.

Public names: ``run_card_benchmark(transport_factory, values, anchors, repeat=1,
fast_forms=True)`` returning a JSON-ready dict (wired by the CLI as ``kiosk card-bench``),
``BenchValues``, ``read_efficiency``, ``contactless_estimate``.

One run does what ``kiosk.flow.adapters.card`` does for a transaction, step by step:
``read_card`` (recognise by 3 SELECTs, retry counters, auth certificate, certificate
presence), ``auth_pin`` (same-card check, VERIFY, card proof, chip proof), ``photo``
(same-card check, text PIN, My Number, 照合番号A, card face and CV certificate, checked against
the chip proof), ``reset_prepare`` (same-card check, GET CHALLENGE). The backend's part
(nonces, the reset command and the card's answer to it) is left out: the proofs sign
nonces chosen here, and the reset command is one APDU the card layer only relays.

``reads`` compares the APDUs spent on reading files with the fewest possible: for each file
read, SELECT EF plus one READ BINARY per 256 bytes with the reference forms, or one READ
BINARY (short file id, extended length) once the card accepts the fast forms.
``contactless`` estimates the time on a 424 kbit/s ISO/IEC 14443 link from the bytes, the
framing and the per-exchange turnaround (a model, stated in the output; the card's own
processing time is not in it). No personal data is reported (only sizes); the PINs are a
test card's and are wiped after the run.
"""

from __future__ import annotations

import math
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import TrustAnchors, sha256_digest_info
from kiosk.card_reader.jpki import JpkiPin
from kiosk.card_reader.transport import Transport

SHORT_CHUNK = 256
# ISO/IEC 14443-4 block framing assumed by the estimate: PCB + CRC_A (2) per I-block, frames
# of at most FSC = 256 bytes (the largest a card may announce), and a frame delay of about
# 86 µs each way plus the reader's turnaround; 0.5 ms per exchange in all.
FRAME_OVERHEAD = 3
FRAME_SIZE = 256
TURNAROUND_S = 0.0005
BIT_RATE = 424_000


@dataclass
class BenchValues:
    """The test card's secrets (bytearrays, wiped by ``wipe``)."""

    auth_pin: bytearray
    text_pin: bytearray

    def wipe(self) -> None:
        for value in (self.auth_pin, self.text_pin):
            value[:] = bytes(len(value))


@dataclass
class _Exchange:
    command: bytes
    received: int  # response data bytes, without the status word
    sw: int


@dataclass
class LoggingTransport:
    """Keeps every exchange's header, sizes and status word (the data is not kept)."""

    inner: Transport
    exchanges: list[_Exchange] = field(default_factory=list)
    seconds: float = 0.0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        start = time.perf_counter()
        try:
            data, sw = self.inner.transmit(apdu)
        finally:
            self.seconds += time.perf_counter() - start
        # header and length only: command data may hold a PIN
        self.exchanges.append(_Exchange(bytes(apdu[:4]) + bytes(len(apdu) - 4), len(data), sw))
        return data, sw

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _is_select_ef(command: bytes) -> bool:
    return command[1] == 0xA4 and command[2] == 0x02


def _is_read(command: bytes) -> bool:
    return command[1] == 0xB0


def read_efficiency(exchanges: list[_Exchange], fast: bool) -> dict[str, Any]:
    """APDUs spent reading files against the fewest possible (module docstring)."""
    actual = minimum = 0
    files = 0
    index = 0
    while index < len(exchanges):
        command = exchanges[index].command
        if not (_is_read(command) or _is_select_ef(command)):
            index += 1
            continue
        # one file read: an optional SELECT EF, then READ BINARYs (a refused fast read ends one)
        spent, received = 0, 0
        if _is_select_ef(command):
            if index + 1 >= len(exchanges) or not _is_read(exchanges[index + 1].command):
                index += 1  # SELECT EF of a PIN or key: not a read
                continue
            spent, index = 1, index + 1
        while index < len(exchanges) and _is_read(exchanges[index].command):
            if spent and exchanges[index].command[2] & 0x80:
                break  # a read by short file id starts another file
            spent += 1
            received += exchanges[index].received
            index += 1
            if exchanges[index - 1].received == 0:
                break  # refused (fast form) or past the end
        if received:
            files += 1
            minimum += 1 if fast else 1 + math.ceil(received / SHORT_CHUNK)
        actual += spent
    return {
        "files": files,
        "apdus": actual,
        "minimum_apdus": minimum,
        "ratio": round(actual / minimum, 3) if minimum else None,
    }


def contactless_estimate(exchanges: list[_Exchange]) -> dict[str, Any]:
    """Seconds on a 424 kbit/s contactless link for these exchanges (module docstring)."""
    bits = 0
    frames = 0
    for exchange in exchanges:
        for size in (len(exchange.command), exchange.received + 2):
            count = max(1, math.ceil(size / (FRAME_SIZE - FRAME_OVERHEAD)))
            frames += count
            bits += (size + count * FRAME_OVERHEAD) * 8
    seconds = bits / BIT_RATE + len(exchanges) * TURNAROUND_S + frames * 0.0001
    return {
        "bit_rate": BIT_RATE,
        "seconds": round(seconds, 3),
        "model": "ISO 14443-4 I-blocks of FSC 256 (3 bytes framing each), 0.1 ms per frame, "
        "0.5 ms turnaround per APDU; the card's processing time (RSA signatures, file "
        "access) is not included",
    }


def _one_run(
    transport_factory: Callable[[], Transport],
    values: BenchValues,
    anchors: TrustAnchors,
    fast_forms: bool,
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    sizes: dict[str, int] = {}
    start = time.perf_counter()
    transport = LoggingTransport(transport_factory())
    steps.append({"step": "connect", "apdus": 0,
                  "ms": round((time.perf_counter() - start) * 1000, 3)})

    def step(name: str, action: Callable[[], object]) -> None:
        before, t0 = len(transport.exchanges), time.perf_counter()
        action()
        steps.append({
            "step": name,
            "apdus": len(transport.exchanges) - before,
            "ms": round((time.perf_counter() - t0) * 1000, 3),
        })

    holder: dict[str, Any] = {}
    try:
        def read_card() -> None:
            card = MyNumberCard.recognize(transport, fast_forms=fast_forms)
            holder["card"] = card
            card.read_retry_counters()
            sizes["auth_certificate_bytes"] = len(card.jpki.read_auth_certificate())
            card.jpki.certificate_presence()

        def same_card() -> None:
            card: MyNumberCard = holder["card"]
            card.read_retry_counters()
            card.jpki.read_auth_certificate_head()

        def auth_pin() -> None:
            card: MyNumberCard = holder["card"]
            same_card()
            card.jpki.verify_pin(JpkiPin.AUTH, bytearray(values.auth_pin))
            card.jpki.sign_with_auth_key(sha256_digest_info(secrets.token_bytes(32)))
            holder["chip_proof"] = card.card_info.sign_with_chip_key(
                sha256_digest_info(secrets.token_bytes(32))
            )

        def photo() -> None:
            card: MyNumberCard = holder["card"]
            same_card()
            trusted = card.read_trusted_face_with_text_pin(
                bytearray(values.text_pin), anchors, holder["chip_proof"]
            )
            sizes["card_face_photo_bytes"] = len(trusted.face.photo)

        def reset_prepare() -> None:
            card: MyNumberCard = holder["card"]
            same_card()
            card.jpki.get_challenge(16)

        step("read_card", read_card)
        step("auth_pin", auth_pin)
        step("photo", photo)
        step("reset_prepare", reset_prepare)
        fast_used = bool(holder["card"].channel.fast_reads)
    finally:
        transport.close()
    exchanges = transport.exchanges
    return {
        "steps": steps,
        "apdus": len(exchanges),
        "bytes_sent": sum(len(e.command) for e in exchanges),
        "bytes_received": sum(e.received + 2 for e in exchanges),
        "fast_forms_used": fast_used,
        "reads": read_efficiency(exchanges, fast_used),
        "contactless": contactless_estimate(exchanges),
        "transmit_ms": round(transport.seconds * 1000, 3),
        "total_ms": round((time.perf_counter() - start) * 1000, 3),
        **sizes,
    }


def run_card_benchmark(
    transport_factory: Callable[[], Transport],
    *,
    values: BenchValues,
    anchors: TrustAnchors,
    repeat: int = 1,
    fast_forms: bool = True,
) -> dict[str, Any]:
    """Runs the transaction's card work ``repeat`` times; see the module docstring."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    runs = [_one_run(transport_factory, values, anchors, fast_forms) for _ in range(repeat)]
    first = runs[0]
    return {
        "repeat": repeat,
        "apdus": first["apdus"],
        "bytes_sent": first["bytes_sent"],
        "bytes_received": first["bytes_received"],
        "fast_forms_used": first["fast_forms_used"],
        "reads": first["reads"],
        "contactless_424k": first["contactless"],
        "median_total_ms": round(statistics.median(r["total_ms"] for r in runs), 3),
        "median_transmit_ms": round(statistics.median(r["transmit_ms"] for r in runs), 3),
        "min_total_ms": min(r["total_ms"] for r in runs),
        "max_total_ms": max(r["total_ms"] for r in runs),
        "first_run": first,
    }
