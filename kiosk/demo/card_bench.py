"""`kiosk card-bench`: APDUs, bytes and wall time, through pcscd, of a transaction's card work."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from kiosk.card_reader.benchmark import BenchValues, run_card_benchmark
from kiosk.card_reader.pcsc import PcscTransport
from kiosk.demo.portrait import default_portrait_path
from kiosk.demo.virtual_reader import (
    VPCD_READERS,
    card_face_anchors,
    card_in_vpcd_reader,
    issue_demo_card,
)
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.virtual_card import CardProfile


@click.command("card-bench")
@click.option("--repeat", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--slot", default=0, show_default=True, type=click.IntRange(0, 1),
              help="vpcd reader that gets the benchmark's virtual card")
@click.option("--card-profile", type=click.Choice([p.value for p in CardProfile]),
              default=CardProfile.STRICT.value, show_default=True,
              help="strict: the card answers only the reference clients' command forms; "
              "fast: it also accepts short file ids and extended lengths")
@click.option("--reference-forms-only", is_flag=True,
              help="the kiosk never tries the fast read forms")
def card_bench(repeat: int, slot: int, card_profile: str, reference_forms_only: bool) -> None:
    """Issue a virtual card, put it in a vpcd reader and measure a transaction's card work.

    Prints one JSON object: APDUs per step, bytes, the file reads against the fewest APDUs
    possible, an estimate for a 424 kbit/s contactless reader, and median / min / max wall
    time. Needs pcscd with vsmartcard-vpcd (scripts/services pcscd).
    """
    with tempfile.TemporaryDirectory(prefix="kiosk-card-bench-") as folder:
        authority = TestAuthority(Path(folder) / "testbed").ensure()
        card = issue_demo_card(authority, default_portrait_path(), Path(folder) / "bench.card")
        values = BenchValues(
            bytearray(card.persona.auth_pin.encode()), bytearray(card.persona.text_pin.encode())
        )
        reader = VPCD_READERS[slot]
        try:
            with card_in_vpcd_reader(card.path, slot, CardProfile(card_profile)):
                result = run_card_benchmark(
                    lambda: PcscTransport(reader),
                    values=values,
                    anchors=card_face_anchors(authority),
                    repeat=repeat,
                    fast_forms=not reference_forms_only,
                )
        finally:
            values.wipe()
    result["reader"] = reader
    result["card_profile"] = card_profile
    click.echo(json.dumps(result, indent=2))
