"""From a port's error to the catalogue's failure code (``failure_codes.py``)."""

from __future__ import annotations

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import (
    BackendCardRejectedError,
    BackendFailedError,
    BackendOfflineError,
    BackendRefusedError,
    CardFaceInvalidError,
    CardFaultError,
    CardMismatchError,
    CardRemovedError,
    FaceCheckUnavailableError,
    NotAMyNumberCardError,
    ReaderUnavailableError,
)

KIOSK_FLAGGED_REASON = "kiosk_flagged"  # the backend's refusal of a kiosk flagged for staff


class StopError(Exception):
    """Raised inside a job to end the transaction with a given failure."""

    def __init__(self, code: FailureCode) -> None:
        super().__init__(code.value)
        self.code = code


class SwappedError(Exception):
    """The card on the reader is not the one the transaction started with."""


_ERROR_CODES: tuple[tuple[type[BaseException], FailureCode], ...] = (
    (CardRemovedError, FailureCode.CARD_REMOVED),
    (ReaderUnavailableError, FailureCode.READER_UNAVAILABLE),
    (NotAMyNumberCardError, FailureCode.NOT_A_MY_NUMBER_CARD),
    (CardFaceInvalidError, FailureCode.CARD_FACE_INVALID),
    (CardMismatchError, FailureCode.CARD_MISMATCH),
    (CardFaultError, FailureCode.CARD_UNREADABLE),
    (FaceCheckUnavailableError, FailureCode.CAMERA_UNAVAILABLE),
    (BackendOfflineError, FailureCode.BACKEND_OFFLINE),
    (BackendRefusedError, FailureCode.BACKEND_REFUSED),
    (BackendCardRejectedError, FailureCode.CARD_REJECTED),
    (BackendFailedError, FailureCode.BACKEND_ERROR),
)


def failure_for(error: BaseException) -> FailureCode:
    """The catalogue code for an error raised by a port (INTERNAL for anything unexpected)."""
    if isinstance(error, StopError):
        return error.code
    if isinstance(error, SwappedError):
        return FailureCode.CARD_SWAPPED
    if isinstance(error, BackendRefusedError) and error.reason == KIOSK_FLAGGED_REASON:
        return FailureCode.KIOSK_FLAGGED
    for kind, code in _ERROR_CODES:
        if isinstance(error, kind):
            return code
    return FailureCode.INTERNAL
