"""`kiosk card-bench`: APDUs and wall time, through pcscd, to read what the resident flow needs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from kiosk.card_reader.benchmark import run_card_benchmark
from kiosk.card_reader.pcsc import PcscTransport
from kiosk.demo.portrait import default_portrait_path
from kiosk.demo.virtual_reader import (
    VPCD_READERS,
    card_face_anchors,
    card_in_vpcd_reader,
    issue_demo_card,
)
from kiosk_testbed.authority import TestAuthority


@click.command("card-bench")
@click.option("--repeat", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--slot", default=0, show_default=True, type=click.IntRange(0, 1),
              help="vpcd reader that gets the benchmark's virtual card")
@click.option("--short-only", is_flag=True, help="read with short APDUs only")
@click.option("--untrusted", is_flag=True,
              help="skip the card-face signature checks and chip authentication")
def card_bench(repeat: int, slot: int, short_only: bool, untrusted: bool) -> None:
    """Issue a virtual card, put it in a vpcd reader and time the resident flow's reads.

    Prints one JSON object: APDU count per step, median / min / max wall time. Needs pcscd
    with vsmartcard-vpcd (scripts/services pcscd).
    """
    with tempfile.TemporaryDirectory(prefix="kiosk-card-bench-") as folder:
        authority = TestAuthority(Path(folder) / "testbed").ensure()
        card = issue_demo_card(authority, default_portrait_path(), Path(folder) / "bench.card")
        anchors = None if untrusted else card_face_anchors(authority)
        pin = bytearray(card.persona.text_pin.encode())
        reader = VPCD_READERS[slot]
        try:
            with card_in_vpcd_reader(card.path, slot):
                result = run_card_benchmark(
                    lambda: PcscTransport(reader),
                    text_pin=pin,
                    anchors=anchors,
                    repeat=repeat,
                    short_only=short_only,
                )
        finally:
            pin[:] = bytes(len(pin))
    result["reader"] = reader
    click.echo(json.dumps(result, indent=2))
