"""A transport that replays an ordered script of (command, response) pairs.

Public names: ``ScriptedTransport``, ``ScriptMismatch``, ``Step``.

For unit tests of sessions and flows (the libelectronic-id ``ApduScript`` idea): every
``transmit`` must send exactly the next scripted command (or, when the scripted command is
``None``, anything) and gets the scripted response, given as data+SW bytes (as the card puts
it on the wire) or as an exception to raise (e.g. ``CardLost()``). ``assert_done()`` checks
the whole script was used. Hex strings may contain spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from kiosk.card_reader.errors import CardLost


class ScriptMismatch(AssertionError):  # noqa: N818 - reads like the assertion it is
    """The code under test sent something else than the script expected."""


@dataclass(frozen=True)
class Step:
    command: bytes | None
    response: bytes | BaseException


def _as_bytes(value: bytes | str) -> bytes:
    return bytes.fromhex(value) if isinstance(value, str) else bytes(value)


class ScriptedTransport:
    """Replays ``steps`` in order; see the module docstring."""

    def __init__(
        self, steps: Iterable[tuple[bytes | str | None, bytes | str | BaseException]]
    ) -> None:
        self.steps: list[Step] = []
        for command, response in steps:
            cmd = None if command is None else _as_bytes(command)
            resp = response if isinstance(response, BaseException) else _as_bytes(response)
            self.steps.append(Step(cmd, resp))
        self.position = 0
        self.sent: list[bytes] = []
        self.closed = False

    def extend(
        self, steps: Sequence[tuple[bytes | str | None, bytes | str | BaseException]]
    ) -> None:
        self.steps.extend(ScriptedTransport(steps).steps)

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self.closed:
            raise CardLost("transport closed")
        if self.position >= len(self.steps):
            raise ScriptMismatch(f"unexpected extra command #{self.position}: {bytes(apdu).hex()}")
        step = self.steps[self.position]
        self.position += 1
        self.sent.append(bytes(apdu))
        if step.command is not None and bytes(apdu) != step.command:
            raise ScriptMismatch(
                f"command #{self.position - 1}: expected {step.command.hex()}, "
                f"got {bytes(apdu).hex()}"
            )
        if isinstance(step.response, BaseException):
            raise step.response
        if len(step.response) < 2:  # a deliberately broken answer: no status word
            return step.response, -1
        return step.response[:-2], int.from_bytes(step.response[-2:], "big")

    def assert_done(self) -> None:
        if self.position != len(self.steps):
            raise ScriptMismatch(f"{len(self.steps) - self.position} scripted command(s) unused")

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
