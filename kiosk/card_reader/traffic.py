"""APDU traffic logging with a level of its own and redaction by default.

Public names: ``TRAFFIC`` (log level 5, below DEBUG), ``traffic_logger``, ``shorten``,
``is_secret_command``, ``log_command``, ``log_response``, ``set_full_data``.

Like AusweisApp's log privacy, data is shown as ``first5~last2 (len)``. Never shown at all,
whatever the setting: command data of VERIFY (20), CHANGE REFERENCE DATA (24),
RESET RETRY COUNTER (2C) and of any secure-messaging command (CLA with bits 0C), and every
response marked sensitive by the caller (protected EFs: My Number, basic 4 info, card face).
``set_full_data(True)`` shows the remaining (non-secret) data in full for debugging.
"""

from __future__ import annotations

import logging

TRAFFIC = 5
logging.addLevelName(TRAFFIC, "TRAFFIC")
traffic_logger = logging.getLogger("kiosk.card_reader.traffic")

_SECRET_INS = frozenset({0x20, 0x24, 0x2C})
_full_data = False


def set_full_data(enabled: bool) -> None:
    """Show non-secret APDU data in full (a debugging aid; secrets stay hidden)."""
    global _full_data  # noqa: PLW0603 - one process-wide diagnostic switch
    _full_data = enabled


def shorten(data: bytes | bytearray) -> str:
    """``first5~last2 (len)``; short data (7 bytes or less) in full."""
    if len(data) <= 7:
        return f"{bytes(data).hex().upper()} ({len(data)})"
    return f"{bytes(data[:5]).hex().upper()}~{bytes(data[-2:]).hex().upper()} ({len(data)})"


def is_secret_command(apdu: bytes | bytearray) -> bool:
    """True when the command data may carry a PIN, 照合番号 or key material."""
    if len(apdu) < 4:
        return False
    cla, ins = apdu[0], apdu[1]
    return ins in _SECRET_INS or bool(cla & 0x0C)


def _describe(data: bytes | bytearray, hidden: bool) -> str:
    if not data:
        return "-"
    if hidden:
        return f"<hidden> ({len(data)})"
    if _full_data:
        return f"{bytes(data).hex().upper()} ({len(data)})"
    return shorten(data)


def log_command(apdu: bytes | bytearray, *, sensitive: bool = False) -> None:
    """Logs a command APDU: its header in full, its body redacted."""
    if not traffic_logger.isEnabledFor(TRAFFIC):
        return
    header = bytes(apdu[:4]).hex().upper()
    body = apdu[4:]
    traffic_logger.log(
        TRAFFIC, "> %s %s", header, _describe(body, sensitive or is_secret_command(apdu))
    )


def log_response(data: bytes | bytearray, sw: int, *, sensitive: bool = False) -> None:
    """Logs a response: its status word in full, its data redacted."""
    if not traffic_logger.isEnabledFor(TRAFFIC):
        return
    traffic_logger.log(TRAFFIC, "< %04X %s", sw, _describe(data, sensitive))
