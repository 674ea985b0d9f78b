"""Pytest plugin: virtual My Number cards for tests, in process and in the vpcd readers.

Load it from ``tests/conftest.py`` with ``pytest_plugins = ["tests.helpers.virtual_card"]``
(run pytest as ``python -m pytest`` from the repository root so ``tests`` is importable).

Fixtures
- ``testbed_authority`` (session): a ``TestAuthority`` in a temporary folder.
- ``anchors`` (session): the kiosk's ``TrustAnchors`` for its card-face CA.
- ``test_card`` (session): one card issued once per session from a real face photo with the
  known PINs in ``TEST_PINS``; ``.values`` has every value used (PINs, 照合番号, persona).
- ``card_path`` (function): a fresh copy of that card's file in ``tmp_path`` (retry counters
  full); tests may spend tries freely.
- ``virtual_card`` (function): a ``VirtualCard`` on ``card_path`` (in process, no pcscd), in
  the strict real-card profile (the default everywhere); ``fast_virtual_card``: the same card
  file in the profile that also takes short file ids and extended lengths.
- ``issue_test_card`` (session): factory ``issue_test_card(photo=..., **options) -> TestCard``
  for cards with other persons, expired or revoked certificates, no signature certificate.
- ``card_in_reader`` (function): ``card_path``'s card inserted in reader 0 through pcscd/vpcd
  (waits until pcscd reports it present); ``.remove()`` / ``.insert()`` simulate the resident.
  Marks nothing itself: tests using it should carry ``@pytest.mark.pcsc``.
- ``insert_test_card`` (function): ``insert_test_card(card: TestCard, reader=READER_0) ->
  InsertedCard`` puts a fresh copy of any issued card (expired, revoked, other person...) in
  a reader until the test ends.

Plain helpers: ``issue_card_file`` (issue into a folder), ``inserted_card(card, path, values,
reader=READER_0)`` (context manager: any card in either reader), ``wait_for_card``,
``put_in``, ``take_out``, ``card_present``, ``reader_lock``, ``READER_0`` / ``READER_1``,
``TEST_PINS``.

Readers are shared by every process on the machine, so a reader is held under an exclusive
file lock (``/tmp/kiosk-testbed-vpcd-<port>.lock``) while a test uses it.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kiosk.card_reader.card_info import TrustAnchors
from kiosk_testbed.authority import IssuedCard, TestAuthority
from kiosk_testbed.card.virtual_card import CardProfile, VirtualCard
from kiosk_testbed.persona import make_persona
from kiosk_testbed.photo import card_photo_from_file
from kiosk_testbed.vpcd import READER_PORTS, CardInSlot, VpcdCardLink, reader_lock

REPO = Path(__file__).resolve().parents[2]
# Public-domain photos the repository carries (tests/data/faces/NOTICE.md).
FACES_DIR = REPO / "tests" / "data" / "faces"
DEFAULT_PHOTO = FACES_DIR / "Barack_Obama" / "obama_official_portrait_2012.jpg"
OTHER_PERSON_PHOTO = FACES_DIR / "Joe_Biden" / "biden_blue_room_2010.jpg"

READER_0 = "Virtual PCD 00 00"
READER_1 = "Virtual PCD 00 01"
READER_PORT = {READER_0: READER_PORTS[0], READER_1: READER_PORTS[1]}
READER_LOCK_TIMEOUT_S = 120.0

TEST_PINS = {"auth_pin": "1234", "text_pin": "5678", "sign_pin": "TESTPIN1"}


@dataclass
class TestCard:
    """An issued card: its template file (do not modify; copy it) and the values used."""

    __test__ = False

    issued: IssuedCard
    template: Path
    values: dict[str, Any] = field(default_factory=dict)

    def copy_to(self, path: Path) -> Path:
        shutil.copyfile(self.template, path)
        return path


def issue_card_file(
    authority: TestAuthority,
    folder: Path,
    *,
    photo: Path = DEFAULT_PHOTO,
    cert_not_after: dt.datetime | None = None,
    with_sign_cert: bool = True,
    **persona: Any,
) -> TestCard:
    """Issue a card with ``TEST_PINS`` (unless overridden) and write its file into ``folder``."""
    options = {**TEST_PINS, **persona}
    issued = authority.issue_card(
        make_persona(**options),
        card_photo_from_file(photo),
        cert_not_after=cert_not_after,
        with_sign_cert=with_sign_cert,
    )
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / f"{issued.card_id.hex()}.card.json"
    issued.write(template)
    return TestCard(issued, template, issued.values())


# ---- pcscd helpers ----


def _reader_state(reader: str) -> int | None:
    """pcscd's event state word for ``reader`` (None when it cannot tell)."""
    from smartcard import scard

    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        raise RuntimeError("pcscd is not available")
    try:
        result, states = scard.SCardGetStatusChange(
            context, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
        )
        return int(states[0][1]) if result == scard.SCARD_S_SUCCESS else None
    finally:
        scard.SCardReleaseContext(context)


def card_present(reader: str) -> bool:
    """Whether pcscd currently reports a card in ``reader``."""
    from smartcard import scard

    state = _reader_state(reader)
    if state is None:
        return False
    return bool(state & scard.SCARD_STATE_PRESENT) and not state & scard.SCARD_STATE_MUTE


def _card_events(reader: str) -> int | None:
    """pcsc-lite's count of insertions and removals its reader thread has seen (high 16 bits
    of the state word), or None when pcscd cannot tell."""
    state = _reader_state(reader)
    return None if state is None else (state >> 16) & 0xFFFF


def wait_for_card(reader: str, present: bool = True, timeout: float = 15.0) -> None:
    """Wait until pcscd sees the card in ``reader`` (or sees it gone)."""
    deadline = time.monotonic() + timeout
    while card_present(reader) != present:
        if time.monotonic() > deadline:
            state = "present" if present else "absent"
            raise TimeoutError(f"pcscd did not report a card {state} in {reader!r}")
        time.sleep(0.01)


def take_out(link: VpcdCardLink, reader: str) -> None:
    """Remove the card behind ``link`` and wait until pcscd reports ``reader`` empty.

    pcsc-lite (1.9.9) learns of insertions and removals by polling the reader every 0.4 s,
    while a client's SCardConnect or SCardDisconnect also marks the reader "present" when it
    powers the card. A card swapped out and in between two polls (the swap tests do it on
    purpose) and taken out again before the next one leaves the poller believing the reader
    empty all along, so it reports no removal and the reader stays "present" until the next
    insertion. When the removal is not reported, the card therefore goes back in until the
    poller counts it, and out again: a kiosk still watching the reader sees one more insertion
    and removal.
    """
    link.remove()
    try:
        wait_for_card(reader, present=False, timeout=3.0)
        return
    except TimeoutError:
        pass
    events = _card_events(reader)
    link.insert()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        now = _card_events(reader)
        if events is not None and now is not None and now != events:
            break
        time.sleep(0.05)
    link.remove()
    wait_for_card(reader, present=False)


def put_in(link: VpcdCardLink, reader: str) -> None:
    """Insert the card behind ``link`` and wait until pcscd has counted its insertion.

    "Present" alone is not enough: a card that was in the reader a moment ago (a process
    that served it has just ended) still reads "present" until pcscd's next poll notices it
    left, and a client that asks in between would be told the reader is empty.
    """
    events = _card_events(reader)
    link.insert()
    deadline = time.monotonic() + 15.0
    while True:
        now = _card_events(reader)
        counted = events is None or now is None or now != events
        if counted and card_present(reader):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"pcscd did not report the card inserted in {reader!r}")
        time.sleep(0.01)


@dataclass
class InsertedCard:
    """A virtual card sitting in a vpcd reader."""

    card: Any  # the VirtualCard, or a shim in front of cards (kiosk_testbed.card.shims)
    link: VpcdCardLink
    reader: str
    path: Path
    values: dict[str, Any]

    def remove(self, wait: bool = True) -> None:
        if wait:
            take_out(self.link, self.reader)
        else:
            self.link.remove()

    def insert(self, wait: bool = True) -> None:
        if wait:
            put_in(self.link, self.reader)
        else:
            self.link.insert()


@contextmanager
def inserted_card(
    card: CardInSlot, path: Path, values: dict[str, Any], reader: str = READER_0
) -> Iterator[InsertedCard]:
    """Run ``card`` in ``reader`` for the duration of the block."""
    port = READER_PORT[reader]
    with reader_lock(port):
        link = VpcdCardLink(card, port)
        slot = InsertedCard(card, link, reader, path, values)
        try:
            slot.insert()
            yield slot
        finally:
            take_out(link, reader)


# ---- fixtures ----


@pytest.fixture(scope="session")
def testbed_authority(tmp_path_factory: pytest.TempPathFactory) -> TestAuthority:
    return TestAuthority(tmp_path_factory.mktemp("testbed")).ensure()

@pytest.fixture(scope="session")
def anchors(testbed_authority: TestAuthority) -> TrustAnchors:
    """The kiosk's trust anchors for cards from ``testbed_authority`` (its card-face CA)."""
    return TrustAnchors.from_pem_file(
        testbed_authority.card_face_ca_pub_path, testbed_authority.card_face_ca_key_id().hex()
    )



@pytest.fixture(scope="session")
def issue_test_card(
    testbed_authority: TestAuthority, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., TestCard]:
    folder = tmp_path_factory.mktemp("cards")

    def issue(**options: Any) -> TestCard:
        return issue_card_file(testbed_authority, folder, **options)

    return issue


@pytest.fixture(scope="session")
def test_card(issue_test_card: Callable[..., TestCard]) -> TestCard:
    return issue_test_card()


@pytest.fixture
def card_path(test_card: TestCard, tmp_path: Path) -> Path:
    return test_card.copy_to(tmp_path / "card.json")


@pytest.fixture
def virtual_card(card_path: Path) -> VirtualCard:
    return VirtualCard.from_path(card_path)


@pytest.fixture
def fast_virtual_card(card_path: Path) -> VirtualCard:
    return VirtualCard.from_path(card_path, CardProfile.FAST)


@pytest.fixture
def card_in_reader(
    virtual_card: VirtualCard, card_path: Path, test_card: TestCard
) -> Iterator[InsertedCard]:
    with inserted_card(virtual_card, card_path, test_card.values) as slot:
        yield slot


@pytest.fixture
def insert_test_card(tmp_path: Path) -> Iterator[Callable[..., InsertedCard]]:
    with ExitStack() as stack:

        def insert(card: TestCard, reader: str = READER_0) -> InsertedCard:
            path = card.copy_to(tmp_path / f"{reader.replace(' ', '_')}.card.json")
            return stack.enter_context(
                inserted_card(VirtualCard.from_path(path), path, card.values, reader)
            )

        yield insert
