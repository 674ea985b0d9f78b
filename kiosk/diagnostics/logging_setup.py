"""The kiosk's log files as ``[logging]`` configures them, with a last line of redaction.

``configure_logging(config)`` (called once by the composition root) writes
``<log dir>/kiosk.log``, rotated at midnight UTC into ``kiosk.log.YYYY-MM-DD`` and kept for
``logging.keep_days`` days, at ``logging.level``; warnings and above also go to stderr (the
journal under systemd). APDU traffic (level TRAFFIC, from ``kiosk.card_reader.traffic``) is
written only with ``logging.apdu_trace``, and the card layer redacts it already.

Code must never log personal data. As a safety net, :class:`RedactionFilter` replaces any
12-digit number (the shape of a My Number) in a record's final text before it is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

from kiosk.config import KioskConfig

LOG_FILE = "kiosk.log"
TRAFFIC_LOGGER = "kiosk.card_reader.traffic"
TRAFFIC_LEVEL = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


class RedactionFilter(logging.Filter):
    """Rewrites a record's message with 12-digit numbers replaced by ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _TWELVE_DIGITS.sub("[redacted]", message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(config: KioskConfig, *, stderr: bool = True) -> Path:
    """Install the handlers on the ``kiosk`` logger; returns the log file's path."""
    folder = config.log_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    logger = logging.getLogger("kiosk")
    for handler in list(logger.handlers):
        if getattr(handler, "_kiosk_handler", False):
            logger.removeHandler(handler)
            handler.close()
    redaction = RedactionFilter()
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    to_file = logging.handlers.TimedRotatingFileHandler(
        path, when="midnight", backupCount=config.logging.keep_days, encoding="utf-8", utc=True)
    to_file.setLevel(TRAFFIC_LEVEL if config.logging.apdu_trace else config.logging.level)
    handlers.append(to_file)
    if stderr:
        to_stderr = logging.StreamHandler(sys.stderr)
        to_stderr.setLevel(logging.WARNING)
        handlers.append(to_stderr)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(redaction)
        handler._kiosk_handler = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    level = logging.getLevelName(config.logging.level)
    logger.setLevel(TRAFFIC_LEVEL if config.logging.apdu_trace else level)
    logging.getLogger(TRAFFIC_LOGGER).setLevel(
        TRAFFIC_LEVEL if config.logging.apdu_trace else logging.WARNING)
    return path
