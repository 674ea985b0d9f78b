"""What the flow needs from the parts it drives: the card, the face check, the backend, a clock.

Small ``Protocol``s of the flow's own, so the flow can be built and tested before (and apart
from) the real card layer, face pipeline and backend client; ``kiosk/flow/adapters`` maps the
real modules onto them. Every port method may block: the flow only ever calls them on its
worker (see ``kiosk.flow.work``), never on the thread that drives the screens.

Errors cross the ports as the typed exceptions below; an adapter translates the real module's
errors into these, and anything else it lets through is treated as an unexpected fault.
Secrets (PINs, 照合番号B, the card photo) cross as ``bytearray``s that the flow owns and wipes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

# --- errors the ports raise -------------------------------------------------------------------


class PortError(Exception):
    """Base of every error a port raises; messages never carry personal data."""


class CardRemovedError(PortError):
    """The card left the reader (or lost power) during the operation."""


class ReaderUnavailableError(PortError):
    """No reader, or the PC/SC service is down."""


class NotAMyNumberCardError(PortError):
    """The card on the reader did not answer the My Number card's applications."""


class WrongPinError(PortError):
    """The card refused the PIN; ``attempts_left`` tries remain (0 means it is now blocked)."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"wrong PIN, {attempts_left} tries left")
        self.attempts_left = attempts_left


class PinBlockedError(PortError):
    """The PIN has no tries left."""


class CardFaceInvalidError(PortError):
    """The card-face signature or the chip's challenge signature did not verify."""


class CardFaultError(PortError):
    """The card answered something unexpected (a status word, a malformed answer)."""


class FaceCheckUnavailableError(PortError):
    """The camera or the face pipeline cannot run."""


class FaceCheckCancelledError(PortError):
    """The face check stopped because the flow asked it to."""


class BackendOfflineError(PortError):
    """The backend cannot be reached (network, TLS, timeout): the client's
    ``BackendUnreachableError`` as the flow sees it."""


class BackendRefusedError(PortError):
    """The backend refused by policy (rate limit, hours, attempts); ``reason`` is a short code."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused by policy: {reason}")
        self.reason = reason


class BackendCardRejectedError(PortError):
    """The backend did not accept the card's proof (bad signature, chain or revoked cert)."""


class CardMismatchError(PortError):
    """The chip, the card face and the certificate are not of one card (a spliced, cloned or
    replayed card): found by the backend (not what the authority issued with the certificate)
    or by the kiosk (the chip's signature does not verify under the card face's chip key).
    Nothing on the card was changed."""


class BackendFailedError(PortError):
    """The backend failed or answered something we cannot use."""


# --- what the card tells us -------------------------------------------------------------------


@dataclass(frozen=True)
class TriesLeft:
    """Tries left per PIN, read with an empty VERIFY (0 = blocked): the numbers the flow shows
    and compares (the card layer's ``RetryCounters`` hold each PIN's full status)."""

    auth_pin: int
    sign_pin: int
    text_pin: int


@dataclass(frozen=True)
class CardReading:
    """What reading the card yields: who it is (``card_fingerprint``, nothing personal) and its
    state."""

    card_id: str  # fingerprint of the auth certificate; tells one card from another
    counters: TriesLeft
    sign_cert_present: bool
    sign_cert_expiry: dt.date | None  # None when unknown or absent
    auth_cert_der: bytes  # sent to the backend with the card's proof


@dataclass(frozen=True)
class FaceBinding:
    """What the face check was made against: SHA-256 (hex) of the card face the chip signed
    (the message DF28 signs) and of the chip key (its SubjectPublicKeyInfo DER)."""

    card_face_sha256: str
    chip_key_sha256: str


class CardPort(Protocol):
    """The card on the kiosk's reader, opened exclusively for one transaction."""

    def read_card(self) -> CardReading:
        """Connect, recognise the card by SELECT, read counters and certificate presence."""
        ...

    def read_counters(self) -> tuple[str, TriesLeft]:
        """(card id, counters) again, to notice a swapped card; costs no try."""
        ...

    def verify_auth_pin(self, pin: bytearray) -> None:
        """VERIFY the 4-digit auth PIN. Raises WrongPinError / PinBlockedError."""
        ...

    def sign_with_auth_key(self, digest_info: bytes) -> bytes:
        """Sign a DigestInfo with the auth key (the auth PIN must have been verified)."""
        ...

    def sign_with_chip_key(self, digest_info: bytes) -> bytes:
        """The card-info AP's chip signs a DigestInfo (no credential). The card keeps this
        proof to check the card face's chip key against before it trusts the photo."""
        ...

    def read_photo_with_text_pin(self, text_pin: bytearray) -> bytearray:
        """Unlock the card face through the text AP PIN; return the verified photo (JP2):
        CV certificate, DF28 and this session's chip signature (``sign_with_chip_key``) under
        the face's chip key all checked. A chip that does not sign for this face raises
        ``CardMismatchError``."""
        ...

    def read_photo_with_number_b(self, number_b: bytearray) -> bytearray:
        """Unlock the card face with 照合番号B; return the verified photo (JP2), checked as
        ``read_photo_with_text_pin`` says."""
        ...

    def face_binding(self) -> FaceBinding:
        """The digests of the card face the last verified photo came from (after a read)."""
        ...

    def get_challenge(self) -> bytes:
        """Select the JPKI AP and GET CHALLENGE (16 bytes) for the backend's reset command."""
        ...

    def relay(self, apdu: bytes) -> bytes:
        """Send the backend's protected APDU verbatim; return the answer with its status word."""
        ...

    def close(self) -> None:
        """Power the card off and release the reader; safe to call twice."""
        ...


class CardPresence(Enum):
    """What the reader watcher reports."""

    PRESENT = "present"
    ABSENT = "absent"
    NO_READER = "no_reader"


# --- the face check ---------------------------------------------------------------------------


class FaceHint(Enum):
    """Plain advice while the face check runs (the UI words them)."""

    NO_FACE = "no_face"
    MOVE_CLOSER = "move_closer"
    MOVE_BACK = "move_back"
    CENTRE_FACE = "centre_face"
    MORE_LIGHT = "more_light"
    LESS_LIGHT = "less_light"
    ONE_PERSON = "one_person"
    LOOK_STRAIGHT = "look_straight"
    HOLD_STILL = "hold_still"
    ACTION_NOT_SEEN = "action_not_seen"  # the last movement was not seen: another one follows
    GOOD = "good"


class LivenessPrompt(Enum):
    """What the resident is asked to do to show they are live."""

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    LOOK_UP = "look_up"
    LOOK_DOWN = "look_down"
    OPEN_MOUTH = "open_mouth"
    MOVE_CLOSER = "move_closer"
    NOD = "nod"


ScreenColour = tuple[float, float, float]  # sRGB 0..1 for the whole screen


@dataclass(frozen=True)
class FaceResult:
    """Outcome of one face check; this (never an image) is the evidence for the backend."""

    matched: bool
    live: bool
    score: float
    threshold: float
    frames: int
    model_version: str
    liveness_checks: tuple[str, ...] = ()


class FaceListener(Protocol):
    """Callbacks a face check makes while it runs (from the worker thread)."""

    def hint(self, hint: FaceHint) -> None: ...

    def prompt(self, prompt: LivenessPrompt | None) -> None: ...

    def illumination(self, colour: ScreenColour | None) -> None:
        """Light the whole screen in ``colour`` now (None: back to the ordinary screen). The
        face check's screen-illumination code: the face must reflect it, so show it at once."""
        ...

    def preview(self, frame: object) -> None:
        """The latest camera frame (a numpy array) for the live preview; never stored."""
        ...


class FacePort(Protocol):
    """Runs one face check against the card photo, until a result or ``should_stop()``."""

    def check(
        self, card_photo: bytearray, listener: FaceListener, should_stop: Callable[[], bool]
    ) -> FaceResult: ...


# --- the backend ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    """A transaction opened at the backend; ``to_sign`` is the DigestInfo (binding the
    backend's fresh nonce) that the card's auth key signs to prove possession and PIN;
    ``chip_to_sign`` the one (binding the backend's fresh chip nonce) the chip key signs."""

    transaction_id: str
    to_sign: bytes
    chip_to_sign: bytes = b""


@dataclass(frozen=True)
class ResetOutcome:
    """The backend's verdict on the card's answer to the reset command. ``unconfirmed``: the
    answer was not authenticated, so the card may or may not hold the new PIN."""

    success: bool
    detail: str = ""
    unconfirmed: bool = False


class BackendPort(Protocol):
    """The issuing authority's service, over mutual TLS. Every call is idempotent."""

    def begin(self) -> Ticket: ...

    def prove_card(
        self, ticket: Ticket, auth_cert_der: bytes, signature: bytes, chip_signature: bytes
    ) -> None:
        """The card proof and the chip proof; a chip the authority did not issue with this
        certificate raises ``CardMismatchError``."""
        ...

    def report_face(self, ticket: Ticket, result: FaceResult, binding: FaceBinding) -> None:
        """Send the final face evidence (once per transaction), naming the card face it was
        made against; a failed check is refused with ``BackendRefusedError`` and closes the
        transaction at the backend, a card face not issued with the card's certificate raises
        ``CardMismatchError``."""
        ...

    def authorise_reset(self, ticket: Ticket, new_pin: bytearray, card_challenge: bytes) -> bytes:
        """Send the new PIN (encrypted to the backend) and the challenge; get the reset APDU."""
        ...

    def confirm(self, ticket: Ticket, card_answer: bytes) -> ResetOutcome: ...

    def abandon(self, ticket: Ticket, reason: str) -> None:
        """Tell the backend the transaction ended without a reset (best effort)."""
        ...


# --- time -------------------------------------------------------------------------------------


class Clock(Protocol):
    """Monotonic seconds; tests inject a fake one."""

    def now(self) -> float: ...


class MonotonicClock:
    """The real clock."""

    def now(self) -> float:
        return time.monotonic()
