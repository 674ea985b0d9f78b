"""A transport that replays an ordered script of (command, response) pairs.

Public names: ``ScriptedTransport``, ``ScriptMismatch``, ``Exchange`` (one scripted command and
its answer).

For unit tests of sessions and flows (the libelectronic-id ``ApduScript`` idea): every
``transmit`` must send exactly the next scripted command (or, when the scripted command is
``None``, anything) and gets the scripted response, given as data+SW bytes (as the card puts
it on the wire) or as an exception to raise (e.g. ``CardLost()``). ``assert_done()`` checks
the whole script was used. Hex strings may contain spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.card_reader.errors import CardLost
from kiosk.card_reader.transport import TransportBase


class ScriptMismatch(AssertionError):  # noqa: N818 - reads like the assertion it is
    """The code under test sent something else than the script expected."""


@dataclass(frozen=True)
class Exchange:
    command: bytes | None
    response: bytes | BaseException


def _as_bytes(value: bytes | str) -> bytes:
    return bytes.fromhex(value) if isinstance(value, str) else bytes(value)


class ScriptedTransport(TransportBase):
    """Replays ``exchanges`` in order; see the module docstring."""

    def __init__(
        self, exchanges: Iterable[tuple[bytes | str | None, bytes | str | BaseException]]
    ) -> None:
        self.exchanges: list[Exchange] = []
        for command, response in exchanges:
            cmd = None if command is None else _as_bytes(command)
            resp = response if isinstance(response, BaseException) else _as_bytes(response)
            self.exchanges.append(Exchange(cmd, resp))
        self.position = 0
        self.sent: list[bytes] = []
        self.closed = False

    def extend(
        self, exchanges: Sequence[tuple[bytes | str | None, bytes | str | BaseException]]
    ) -> None:
        self.exchanges.extend(ScriptedTransport(exchanges).exchanges)

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self.closed:
            raise CardLost("transport closed")
        if self.position >= len(self.exchanges):
            raise ScriptMismatch(f"unexpected extra command #{self.position}: {bytes(apdu).hex()}")
        exchange = self.exchanges[self.position]
        self.position += 1
        self.sent.append(bytes(apdu))
        if exchange.command is not None and bytes(apdu) != exchange.command:
            raise ScriptMismatch(
                f"command #{self.position - 1}: expected {exchange.command.hex()}, "
                f"got {bytes(apdu).hex()}"
            )
        if isinstance(exchange.response, BaseException):
            raise exchange.response
        if len(exchange.response) < 2:  # a deliberately broken answer: no status word
            return exchange.response, -1
        return exchange.response[:-2], int.from_bytes(exchange.response[-2:], "big")

    def assert_done(self) -> None:
        if self.position != len(self.exchanges):
            unused = len(self.exchanges) - self.position
            raise ScriptMismatch(f"{unused} scripted command(s) unused")

    def close(self) -> None:
        self.closed = True

