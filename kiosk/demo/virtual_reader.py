"""A virtual card from the test authority, sitting in one of pcscd's vpcd readers."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.errors import CardRemoved, ReaderBusy
from kiosk.card_reader.pcsc import PcscTransport
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.card_file import CardFileError, load_card_file
from kiosk_testbed.card.layout import INFO_CARD_FACE, INFO_COLLATION_B, Ap
from kiosk_testbed.card.virtual_card import CardProfile, VirtualCard
from kiosk_testbed.persona import Persona, make_persona
from kiosk_testbed.photo import card_photo_from_file
from kiosk_testbed.tlv import TlvError, parse_all
from kiosk_testbed.vpcd import READER_PORTS, VpcdCardLink, reader_lock

VPCD_READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")


@dataclass(frozen=True)
class DemoCard:
    """A card file issued for a demo or benchmark, and the persona's secrets it was issued with."""

    path: Path
    persona: Persona


def issue_demo_card(authority: TestAuthority, photo: Path, out: Path, **values: str) -> DemoCard:
    """Issues a card from `photo` into `out` (random valid values where not given)."""
    persona = make_persona(**values)  # type: ignore[arg-type]
    issued = authority.ensure().issue_card(persona, card_photo_from_file(photo))
    issued.write(out)
    return DemoCard(out, persona)


def card_face_anchors(authority: TestAuthority) -> TrustAnchors:
    """The kiosk's trust anchors for cards this authority issues (its card-face CA key)."""
    key_id = authority.card_face_ca_key_id().hex()
    return TrustAnchors.from_pem_file(authority.card_face_ca_pub_path, key_id)


def wait_until_present(reader: str, timeout: float = 10.0) -> None:
    """Waits until the card in `reader` can be opened (pcscd polls vpcd about every 0.4 s)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            PcscTransport(reader).close()
            return
        except (CardRemoved, ReaderBusy):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def card_in_vpcd_reader(
    card_file: Path, slot: int = 0, profile: CardProfile = CardProfile.STRICT
) -> Iterator[VpcdCardLink]:
    """Runs the card in vpcd reader `slot` (0 or 1) for the duration of the block, answering
    as `profile` says (the strict real-card profile unless asked otherwise).

    The reader is held under the testbed's cross-process lock, so tests and demos running at
    the same time never talk to each other's cards.
    """
    with reader_lock(READER_PORTS[slot]):
        link = VpcdCardLink(VirtualCard.from_path(card_file, profile), READER_PORTS[slot])
        link.insert()
        try:
            wait_until_present(VPCD_READERS[slot])
            yield link
        finally:
            link.remove()


def card_number_b(card_file: Path) -> str:
    """照合番号B of a card file (the testbed knows its cards; the kiosk reads it off the face)."""
    card = load_card_file(card_file)
    pin = card.pins.get((Ap.INFO, INFO_COLLATION_B))
    if pin is None:
        raise CardFileError("the card file has no 照合番号B")
    return pin.value


def card_face_persona(card_file: Path) -> Persona:
    """A persona with the card's printed birth date, expiry and security code (other printed
    values made up), to render the card's front for the demo's camera."""
    card = load_card_file(card_file)
    face = card.files.get((Ap.INFO, INFO_CARD_FACE), b"")
    number_b = card_number_b(card_file)
    try:
        (outer,) = parse_all(face)
        fields = {element.tag: element.value for element in parse_all(outer.value)}
        birth = dt.date.fromisoformat(_iso(fields[0xDF22].decode("ascii")))
        expiry = dt.date.fromisoformat(_iso(fields[0xDF29].decode("ascii")))
    except (TlvError, KeyError, ValueError) as error:
        raise CardFileError(f"the card file's card face is unusable ({type(error).__name__})") \
            from None
    return make_persona(birth_date=birth, expiry=expiry, security_code=number_b[-4:])


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:8]}"
