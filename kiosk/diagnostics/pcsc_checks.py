"""PC/SC checks: the service, the readers, and a card probe that spends no PIN try.

The probe connects to each reader that should be probed, shows the ATR, recognises a
My Number card by selecting its three applications, and reads the retry counters by empty
VERIFY (which costs no try) and which certificates are present. It reads no file with personal
data and closes the card powered off. Everything goes through ``kiosk.card_reader``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.errors import (
    CardError,
    CardLost,
    CardUnresponsive,
    NotAMyNumberCard,
    ReaderBusy,
    ReaderUnavailable,
)
from kiosk.card_reader.pcsc import PcscTransport, list_readers
from kiosk.card_reader.pin import PinStatus
from kiosk.card_reader.transport import Transport
from kiosk.config import KioskConfig
from kiosk.diagnostics.model import CheckResult, JsonValue, fail, ok, warn

DEFAULT_SOCKET = Path("/run/pcscd/pcscd.comm")

ListReaders = Callable[[], list[str]]
OpenTransport = Callable[[str], Transport]


def pcsc_socket() -> Path:
    """The pcsc-lite socket the kiosk uses (``$PCSCLITE_CSOCK_NAME`` overrides the default)."""
    return Path(os.environ.get("PCSCLITE_CSOCK_NAME") or DEFAULT_SOCKET)


def pcscd_processes() -> int:
    """How many processes named pcscd run on this machine (0 when none or unknown)."""
    count = 0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "pcscd":
                count += 1
        except OSError:
            continue
    return count


def pcsc_checks(config: KioskConfig, *, readers_of: ListReaders = list_readers,
                open_transport: OpenTransport = PcscTransport) -> list[CheckResult]:
    socket_path = pcsc_socket()
    try:
        readers = readers_of()
    except ReaderUnavailable as error:
        return [fail("pcsc.service", "PC/SC service", "pcscd is not reachable",
                     socket=str(socket_path), socket_exists=socket_path.exists(),
                     pcscd_processes=pcscd_processes(), error=str(error),
                     hint="start pcscd (systemctl start pcscd.socket) and check its log")]
    results = [ok("pcsc.service", "PC/SC service", "pcscd answers", socket=str(socket_path),
                  pcscd_processes=pcscd_processes())]
    wanted = config.card.reader
    if not readers:
        results.append(fail("pcsc.readers", "Card readers", "no reader is connected",
                             readers=[], configured=wanted,
                             hint="plug the reader in; check its driver (libccid) and udev"))
        return results
    if wanted != "auto" and wanted not in readers:
        results.append(fail("pcsc.readers", "Card readers",
                            f"the configured reader {wanted!r} is not connected",
                            readers=list(readers), configured=wanted))
        return results
    results.append(ok("pcsc.readers", "Card readers", f"{len(readers)} reader(s)",
                      readers=list(readers), configured=wanted))
    probed = readers if wanted == "auto" else [wanted]
    results.append(_probe_cards(probed, open_transport))
    return results


def _probe_cards(readers: list[str], open_transport: OpenTransport) -> CheckResult:
    found: list[JsonValue] = []
    cards = 0
    problems: list[str] = []
    for reader in readers:
        entry = _probe_one(reader, open_transport)
        found.append(entry)
        if entry.get("card") == "my_number_card":
            cards += 1
        elif entry.get("card") not in ("none",):
            problems.append(f"{reader}: {entry.get('card')}")
    title = "Card probe"
    if cards:
        return ok("pcsc.card", title, f"{cards} My Number card(s) recognised", readers=found)
    if problems:
        return warn("pcsc.card", title, "; ".join(problems), readers=found)
    return warn("pcsc.card", title, "no card on the reader (place a card to probe it)",
                readers=found)


def _probe_one(reader: str, open_transport: OpenTransport) -> dict[str, JsonValue]:
    entry: dict[str, JsonValue] = {"reader": reader}
    try:
        transport = open_transport(reader)
    except CardLost:
        entry["card"] = "none"
        return entry
    except CardUnresponsive:
        entry["card"] = "mute (inserted the wrong way round, dirty or broken)"
        return entry
    except ReaderBusy:
        entry["card"] = "busy (the kiosk application holds it; stop it to probe)"
        return entry
    except CardError as error:
        entry["card"] = f"error: {error}"
        return entry
    try:
        atr = getattr(transport, "atr", None)
        if isinstance(atr, bytes):
            entry["atr"] = atr.hex(" ").upper()
        card = MyNumberCard.recognize(transport)
        counters = card.read_retry_counters()
        presence = card.jpki.certificate_presence()
        entry["card"] = "my_number_card"
        entry["applications"] = ["JPKI AP", "text AP", "card-info AP"]
        entry["retry_counters"] = {"auth_pin": _pin(counters.auth),
                                   "sign_pin": _pin(counters.sign),
                                   "text_pin": _pin(counters.text)}
        entry["certificates"] = {"auth": presence.auth, "sign": presence.sign}
    except NotAMyNumberCard as error:
        entry["card"] = f"not a My Number card ({error})"
    except CardError as error:
        entry["card"] = f"error: {error}"
    finally:
        transport.close()
    return entry


def _pin(status: PinStatus) -> str:
    if status.blocked:
        return "blocked"
    if status.tries_left is None:
        return "no limit"
    return f"{status.tries_left} tries left"
