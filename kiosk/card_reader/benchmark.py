"""Counts APDUs and wall time to read everything the resident flow needs from a card.

Public name: ``run_card_benchmark(transport_factory, text_pin=..., anchors=None, repeat=1,
short_only=False)`` returning a JSON-ready dict (wired by the CLI as ``kiosk card-bench``).
``short_only`` reads with short APDUs only, for comparison with extended-length reads.

One run = connect, recognise (3 SELECTs), retry counters, text PIN + My Number, 照合番号A +
card face with photo (+ CV certificate; with ``anchors`` the full trusted read with signature
checks and chip authentication), auth certificate, power off (this order saves SELECTs).
Each step reports its APDUs and milliseconds; totals are medians over ``repeat`` runs.
No personal data is reported (only sizes). The text PIN is a test card's; the caller wipes it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.transport import CountingTransport, Transport


def _one_run(
    transport_factory: Callable[[], Transport],
    text_pin: bytearray,
    anchors: TrustAnchors | None,
    short_only: bool,
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    sizes: dict[str, int] = {}
    start = time.perf_counter()
    transport = CountingTransport(transport_factory())
    connect_ms = round((time.perf_counter() - start) * 1000, 3)
    steps.append({"step": "connect", "apdus": 0, "ms": connect_ms})

    def step(name: str, action: Callable[[], object]) -> None:
        apdus_before, t0 = transport.apdus, time.perf_counter()
        action()
        steps.append({
            "step": name,
            "apdus": transport.apdus - apdus_before,
            "ms": round((time.perf_counter() - t0) * 1000, 3),
        })

    holder: dict[str, MyNumberCard] = {}
    my_number = bytearray()
    try:
        step("recognize", lambda: holder.update(card=MyNumberCard.recognize(transport)))
        card = holder["card"]
        if short_only:  # as with a reader or card without extended length support
            card.channel.extended_length = False
        step("retry_counters", card.read_retry_counters)  # leaves the text AP selected

        def read_my_number() -> None:
            card.text_ap.verify_pin(bytearray(text_pin))
            my_number[:] = card.text_ap.read_my_number()

        step("my_number", read_my_number)

        def card_face() -> None:
            card.card_info.unlock_with_my_number(my_number)
            if anchors is not None:
                face = card.card_info.read_trusted_card_face(anchors).face
            else:
                face = card.card_info.read_card_face()
                card.card_info.read_cv_certificate()
            sizes["photo_bytes"] = len(face.photo)

        step("card_face" + ("_trusted" if anchors is not None else ""), card_face)

        def auth_certificate() -> None:
            sizes["auth_certificate_bytes"] = len(card.jpki.read_auth_certificate())

        step("auth_certificate", auth_certificate)
    finally:
        my_number[:] = bytes(len(my_number))
        transport.close()
    total_ms = (time.perf_counter() - start) * 1000
    return {
        "steps": steps,
        "apdus": transport.apdus,
        "bytes_sent": transport.bytes_sent,
        "bytes_received": transport.bytes_received,
        "transmit_ms": round(transport.seconds * 1000, 3),
        "total_ms": round(total_ms, 3),
        **sizes,
    }


def run_card_benchmark(
    transport_factory: Callable[[], Transport],
    *,
    text_pin: bytearray,
    anchors: TrustAnchors | None = None,
    repeat: int = 1,
    short_only: bool = False,
) -> dict[str, Any]:
    """Runs the resident's card reads ``repeat`` times; see the module docstring."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    runs = [_one_run(transport_factory, text_pin, anchors, short_only) for _ in range(repeat)]
    return {
        "repeat": repeat,
        "apdus": runs[0]["apdus"],
        "median_total_ms": round(statistics.median(r["total_ms"] for r in runs), 3),
        "median_transmit_ms": round(statistics.median(r["transmit_ms"] for r in runs), 3),
        "min_total_ms": min(r["total_ms"] for r in runs),
        "max_total_ms": max(r["total_ms"] for r in runs),
        "trusted_face": anchors is not None,
        "short_apdus_only": short_only,
        "first_run": runs[0],
    }
