"""Reader and card events delivered by ``pcsc.ReaderWatcher`` (plain data, no Qt).

Public names: ``ReaderAdded``, ``ReaderRemoved``, ``CardInserted``, ``CardRemoved``,
``CardMute``, ``ServiceUnavailable``, ``ServiceBack``, ``ReaderEvent`` (their union).

``CardRemoved`` is the watcher's report that a card left the reader; a command interrupted by
a removal raises ``errors.CardLost`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderAdded:
    reader: str


@dataclass(frozen=True)
class ReaderRemoved:
    reader: str


@dataclass(frozen=True)
class CardInserted:
    reader: str
    atr: bytes


@dataclass(frozen=True)
class CardRemoved:
    reader: str


@dataclass(frozen=True)
class CardMute:
    """A card is present but does not answer the reset (e.g. inserted the wrong way round)."""

    reader: str


@dataclass(frozen=True)
class ServiceUnavailable:
    """The PC/SC service (pcscd) cannot be reached; the watcher keeps retrying."""

    detail: str


@dataclass(frozen=True)
class ServiceBack:
    """The PC/SC service is reachable again (after ``ServiceUnavailable``)."""


ReaderEvent = (
    ReaderAdded | ReaderRemoved | CardInserted | CardRemoved | CardMute
    | ServiceUnavailable | ServiceBack
)
