"""In-memory doubles of the flow's ports: a card with real PIN rules, a scripted face check,
a recording backend and a clock the test moves by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.flow.ports import (
    BackendRefusedError,
    CardFaceInvalidError,
    CardReading,
    CardRemovedError,
    FaceBinding,
    FaceHint,
    FaceListener,
    FaceResult,
    LivenessPrompt,
    PinBlockedError,
    ResetOutcome,
    Ticket,
    TriesLeft,
    WrongPinError,
)

PHOTO = b"\x00\x00\x00\x0cjP  \r\n\x87\nfake-photo"
GOOD_RESULT = FaceResult(True, True, 0.42, 0.55, 30, "test-model/1", ("blink",))
NO_MATCH = FaceResult(False, True, 0.71, 0.55, 30, "test-model/1", ("blink",))
NOT_LIVE = FaceResult(True, False, 0.40, 0.55, 30, "test-model/1", ("blink",))
BINDING = FaceBinding("f" * 64, "c" * 64)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class FakeCard:
    """A My Number card: auth PIN 1234 (3 tries), text PIN 1234 (3), 照合番号B, sign counter 5."""

    auth_pin: bytes = b"1234"
    text_pin: bytes = b"1234"
    number_b: bytes = b"06010120304321"
    auth_tries: int = 3
    text_tries: int = 3
    number_b_tries: int = 10
    sign_tries: int = 5
    card_id: str = "card-A"
    sign_cert_present: bool = True
    sign_cert_expiry: dt.date | None = dt.date(2030, 1, 1)
    present: bool = True
    # Calls raise this error instead of working, by method name.
    fail: dict[str, Exception] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    pins_seen: list[bytes] = field(default_factory=list)
    verified: bool = False
    closed: int = 0
    new_sign_pin: bytes | None = None
    pending_challenge: bytes | None = None
    # Called at the start of every method (a test can swap the card mid-flow).
    before: Callable[[str], None] | None = None
    # What the chip signed in this session; the card face is trusted only after one.
    chip_signed: list[bytes] = field(default_factory=list)
    binding: FaceBinding = BINDING
    face_read: bool = False

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.before is not None:
            self.before(name)
        if name in self.fail:
            raise self.fail[name]
        if not self.present:
            raise CardRemovedError("no card")

    def counters(self) -> TriesLeft:
        return TriesLeft(self.auth_tries, self.sign_tries, self.text_tries)

    def read_card(self) -> CardReading:
        self._enter("read_card")
        return CardReading(
            self.card_id,
            self.counters(),
            self.sign_cert_present,
            self.sign_cert_expiry,
            b"auth-cert-der",
        )

    def read_counters(self) -> tuple[str, TriesLeft]:
        self._enter("read_counters")
        return self.card_id, self.counters()

    def _check(self, pin: bytearray, expected: bytes, tries_attr: str, maximum: int) -> None:
        self.pins_seen.append(bytes(pin))
        tries = getattr(self, tries_attr)
        if tries == 0:
            raise PinBlockedError("blocked")
        if bytes(pin) != expected:
            setattr(self, tries_attr, tries - 1)
            raise WrongPinError(tries - 1)
        setattr(self, tries_attr, maximum)

    def verify_auth_pin(self, pin: bytearray) -> None:
        self._enter("verify_auth_pin")
        self._check(pin, self.auth_pin, "auth_tries", 3)
        self.verified = True

    def sign_with_auth_key(self, message: bytes) -> bytes:
        self._enter("sign_with_auth_key")
        assert self.verified
        return b"sig:" + message

    def sign_with_chip_key(self, digest_info: bytes) -> bytes:
        self._enter("sign_with_chip_key")
        self.chip_signed.append(digest_info)
        return b"chip:" + digest_info

    def _trusted_photo(self) -> bytearray:
        if not self.chip_signed:
            raise CardFaceInvalidError("no chip proof")
        self.face_read = True
        return bytearray(PHOTO)

    def read_photo_with_text_pin(self, text_pin: bytearray) -> bytearray:
        self._enter("read_photo_with_text_pin")
        self._check(text_pin, self.text_pin, "text_tries", 3)
        return self._trusted_photo()

    def read_photo_with_number_b(self, number_b: bytearray) -> bytearray:
        self._enter("read_photo_with_number_b")
        self._check(number_b, self.number_b, "number_b_tries", 10)
        return self._trusted_photo()

    def face_binding(self) -> FaceBinding:
        self._enter("face_binding")
        if not self.face_read:
            raise CardFaceInvalidError("no card face read")
        return self.binding

    def get_challenge(self) -> bytes:
        self._enter("get_challenge")
        self.pending_challenge = b"C" * 16
        return self.pending_challenge

    def relay(self, apdu: bytes) -> bytes:
        self._enter("relay")
        assert apdu.startswith(b"RESET:" + (self.pending_challenge or b"?"))
        self.new_sign_pin = apdu.split(b":")[2]
        self.sign_tries = 5
        return b"OK\x90\x00"

    def close(self) -> None:
        self.calls.append("close")
        self.closed += 1


class FakeFace:
    """Returns scripted results in order (the last one repeats), reporting a hint and a prompt."""

    def __init__(self, *results: FaceResult, fail: Exception | None = None) -> None:
        self.results = list(results) or [GOOD_RESULT]
        self.fail = fail
        self.colour: tuple[float, float, float] | None = None  # reported screen colour
        self.photos_seen: list[bytes] = []
        self.runs = 0
        # When set, the check waits (polling should_stop) until this returns True.
        self.block_until: Callable[[], bool] | None = None

    def check(
        self, card_photo: bytearray, listener: FaceListener, should_stop: Callable[[], bool]
    ) -> FaceResult:
        self.runs += 1
        self.photos_seen.append(bytes(card_photo))
        if self.fail is not None:
            raise self.fail
        listener.hint(FaceHint.MOVE_CLOSER)
        listener.prompt(LivenessPrompt.BLINK)
        if self.colour is not None:
            listener.illumination(self.colour)
        listener.preview(object())
        if self.block_until is not None:
            while not self.block_until() and not should_stop():
                pass
        result = self.results[min(self.runs - 1, len(self.results) - 1)]
        return result


class FakeBackend:
    """Records every call; ``fail`` maps a method name to the error it raises."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail: dict[str, Exception] = {}
        self.faces: list[FaceResult] = []
        self.bindings: list[FaceBinding] = []
        self.proofs: list[tuple[bytes, bytes]] = []
        self.chip_proofs: list[bytes] = []
        self.unconfirmed = False
        self.new_pins: list[bytes] = []
        self.abandoned: list[str] = []
        self.success = True
        self._serial = 0

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]

    def begin(self) -> Ticket:
        self._enter("begin")
        self._serial += 1
        return Ticket(
            f"tx-{self._serial}",
            b"digest-info-%d" % self._serial,
            b"chip-digest-info-%d" % self._serial,
        )

    def prove_card(
        self, ticket: Ticket, auth_cert_der: bytes, signature: bytes, chip_signature: bytes
    ) -> None:
        self._enter("prove_card")
        self.proofs.append((auth_cert_der, signature))
        self.chip_proofs.append(chip_signature)

    def report_face(self, ticket: Ticket, result: FaceResult, binding: FaceBinding) -> None:
        self._enter("report_face")
        self.faces.append(result)
        self.bindings.append(binding)
        if not (result.matched and result.live):
            raise BackendRefusedError("face_check_failed")

    def authorise_reset(self, ticket: Ticket, new_pin: bytearray, card_challenge: bytes) -> bytes:
        self._enter("authorise_reset")
        self.new_pins.append(bytes(new_pin))
        return b"RESET:" + card_challenge + b":" + bytes(new_pin)

    def confirm(self, ticket: Ticket, card_answer: bytes) -> ResetOutcome:
        self._enter("confirm")
        if self.unconfirmed:
            return ResetOutcome(False, "unconfirmed", unconfirmed=True)
        return ResetOutcome(self.success and card_answer.endswith(b"\x90\x00"))

    def abandon(self, ticket: Ticket, reason: str) -> None:
        self._enter("abandon")
        self.abandoned.append(reason)
