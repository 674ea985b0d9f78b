"""Strict readers for the fields of a decoded JSON object, raising MessageError."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from kiosk_protocol.errors import MessageError

E = TypeVar("E", bound=StrEnum)

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
TRANSACTION_ID = re.compile(r"tx_[0-9a-f]{32}")
KIOSK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def b64encode(data: bytes | bytearray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


class Fields:
    """One JSON object being read; every getter names the field in its error."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, Mapping):
            raise MessageError(f"{where}: expected a JSON object")
        self._value: Mapping[str, object] = value
        self._where = where

    def _get(self, name: str) -> object:
        if name not in self._value:
            raise MessageError(f"{self._where}.{name}: missing")
        return self._value[name]

    def raw(self, name: str) -> object:
        return self._get(name)

    def has(self, name: str) -> bool:
        return self._value.get(name) is not None

    def text(self, name: str, pattern: re.Pattern[str] | None = None, max_len: int = 256) -> str:
        value = self._get(name)
        if not isinstance(value, str) or len(value) > max_len:
            raise MessageError(f"{self._where}.{name}: expected a string of at most {max_len}")
        if pattern is not None and not pattern.fullmatch(value):
            raise MessageError(f"{self._where}.{name}: not in the expected format")
        return value

    def optional_text(self, name: str, max_len: int = 256) -> str | None:
        if not self.has(name):
            return None
        return self.text(name, max_len=max_len)

    def integer(self, name: str, low: int, high: int) -> int:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise MessageError(f"{self._where}.{name}: expected an integer in {low}..{high}")
        return value

    def optional_integer(self, name: str, low: int, high: int) -> int | None:
        return self.integer(name, low, high) if self.has(name) else None

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            raise MessageError(f"{self._where}.{name}: expected true or false")
        return value

    def binary(self, name: str, min_len: int, max_len: int) -> bytes:
        value = self.text(name, max_len=(max_len * 4) // 3 + 4)
        try:
            data = base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise MessageError(f"{self._where}.{name}: not valid base64") from None
        if not min_len <= len(data) <= max_len:
            raise MessageError(f"{self._where}.{name}: expected {min_len}..{max_len} bytes")
        return data

    def enum(self, name: str, kind: type[E]) -> E:
        value = self.text(name, max_len=64)
        try:
            return kind(value)
        except ValueError:
            raise MessageError(f"{self._where}.{name}: not one of the known values") from None

    def optional_enum(self, name: str, kind: type[E]) -> E | None:
        return self.enum(name, kind) if self.has(name) else None

    def nested(self, name: str) -> Fields:
        return Fields(self._get(name), f"{self._where}.{name}")
