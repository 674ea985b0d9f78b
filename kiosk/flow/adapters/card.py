"""The real card layer (``kiosk.card_reader``) behind the flow's ``CardPort``.

One exclusive connection per transaction, opened by ``read_card`` and closed (card powered
off) by ``close``. Card-layer errors become the flow's port errors. The signature
certificate needs the sign PIN to be read, so its expiry is taken from the auth certificate,
which is issued with it and has the same validity.

The chip's signature over the backend's chip nonce (``sign_with_chip_key``) is kept for the
session: the card face is trusted only if that very signature verifies under the face's DF24
key (besides its CV certificate and DF28 signature), and the trusted face's digests are
what the face evidence names (``face_binding``). A card id is SHA-256 of the auth
certificate's first 256 bytes (its serial and names), read in one command.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cryptography import x509

from kiosk.card_reader import errors as card_errors
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import ChipProof, TrustAnchors, TrustedCardFace
from kiosk.card_reader.jpki import JpkiPin
from kiosk.card_reader.pin import PinStatus
from kiosk.card_reader.transport import Transport
from kiosk.flow.ports import (
    CardFaceInvalidError,
    CardFaultError,
    CardMismatchError,
    CardRemovedError,
    CardSnapshot,
    FaceBinding,
    NotAMyNumberCardError,
    PinBlockedError,
    ReaderUnavailableError,
    RetryCounters,
    WrongPinError,
)
from kiosk.flow.secrets import wipe

MAX_TRIES = {"auth": 3, "sign": 5, "text": 3}


@contextmanager
def translated_card_errors() -> Iterator[None]:
    """Re-raise card-layer errors as the flow's port errors (messages carry no personal data)."""
    try:
        yield
    except card_errors.WrongPin as error:
        raise WrongPinError(error.attempts_left) from None
    except card_errors.PinBlocked:
        raise PinBlockedError("blocked") from None
    except card_errors.CardRemoved as error:
        raise CardRemovedError(str(error)) from None
    except (card_errors.ReaderUnavailable, card_errors.ReaderBusy) as error:
        raise ReaderUnavailableError(str(error)) from None
    except card_errors.NotAMyNumberCard as error:
        raise NotAMyNumberCardError(str(error)) from None
    except card_errors.ChipMismatch as error:
        raise CardMismatchError(str(error)) from None
    except card_errors.CardFaceInvalid as error:
        raise CardFaceInvalidError(str(error)) from None
    except card_errors.CardError as error:
        raise CardFaultError(str(error)) from None


def _tries(status: PinStatus, which: str) -> int:
    if status.blocked:
        return 0
    if status.tries_left is None:
        return MAX_TRIES[which]
    return status.tries_left


class CardReaderAdapter:
    """``CardPort`` over a transport factory (e.g. ``lambda: PcscTransport(reader)``)."""

    def __init__(
        self,
        open_transport: Callable[[], Transport],
        anchors: TrustAnchors,
        *,
        fast_forms: bool = True,
    ) -> None:
        self._open_transport = open_transport
        self._anchors = anchors
        self._fast_forms = fast_forms
        self._transport: Transport | None = None
        self._card: MyNumberCard | None = None
        self._chip_proof: ChipProof | None = None
        self._trusted: TrustedCardFace | None = None

    def _connected(self) -> MyNumberCard:
        if self._card is None:
            raise CardRemovedError("no card session open")
        return self._card

    def _connect(self) -> MyNumberCard:
        self._transport = self._open_transport()
        self._card = MyNumberCard.recognize(self._transport, fast_forms=self._fast_forms)
        return self._card

    def read_card(self) -> CardSnapshot:
        self.close()
        with translated_card_errors():
            card = self._connect()
            counters = self._counters(card)
            auth_cert = card.jpki.read_auth_certificate()
            presence = card.jpki.certificate_presence()
        expiry = _not_after(auth_cert)
        return CardSnapshot(
            card_id=_card_id(auth_cert),
            counters=counters,
            sign_cert_present=presence.sign,
            sign_cert_expiry=expiry,
            auth_cert_der=auth_cert,
        )

    def _counters(self, card: MyNumberCard) -> RetryCounters:
        read = card.read_retry_counters()
        return RetryCounters(
            auth_pin=_tries(read.auth, "auth"),
            sign_pin=_tries(read.sign, "sign"),
            text_pin=_tries(read.text, "text"),
        )

    def read_counters(self) -> tuple[str, RetryCounters]:
        """Id and counters of the card in the reader now. A connection that died (a reset, a
        swap the watcher did not see) is replaced by a new one, so another card shows up as a
        different id rather than as an I/O error."""
        try:
            return self._id_and_counters(self._connected())
        except (CardFaultError, CardRemovedError):
            self._disconnect()  # the chip proof stays: it is checked against the face read later
            with translated_card_errors():
                card = self._connect()
            return self._id_and_counters(card)

    def _id_and_counters(self, card: MyNumberCard) -> tuple[str, RetryCounters]:
        with translated_card_errors():
            counters = self._counters(card)
            card_id = _card_id(card.jpki.read_auth_certificate_head())
        return card_id, counters

    def verify_auth_pin(self, pin: bytearray) -> None:
        card = self._connected()
        with translated_card_errors():
            card.jpki.verify_pin(JpkiPin.AUTH, pin)

    def sign_with_auth_key(self, digest_info: bytes) -> bytes:
        card = self._connected()
        with translated_card_errors():
            return card.jpki.sign_with_auth_key(digest_info)

    def sign_with_chip_key(self, digest_info: bytes) -> bytes:
        card = self._connected()
        self._chip_proof = None
        with translated_card_errors():
            proof = card.card_info.sign_with_chip_key(digest_info)
        self._chip_proof = proof
        return proof.signature

    def read_photo_with_text_pin(self, text_pin: bytearray) -> bytearray:
        card = self._connected()
        with translated_card_errors():
            card.text_ap.verify_pin(text_pin)
            my_number = card.text_ap.read_my_number()
            try:
                card.card_info.unlock_with_my_number(my_number)
            finally:
                wipe(my_number)
            return self._trusted_photo(card)

    def read_photo_with_number_b(self, number_b: bytearray) -> bytearray:
        card = self._connected()
        with translated_card_errors():
            card.card_info.unlock_with_check_code_b(number_b)
            return self._trusted_photo(card)

    def _trusted_photo(self, card: MyNumberCard) -> bytearray:
        if self._chip_proof is None:
            raise CardFaceInvalidError("no chip proof in this session to check the card face by")
        self._trusted = None
        trusted = card.card_info.read_trusted_card_face(self._anchors, self._chip_proof)
        self._trusted = trusted
        return bytearray(trusted.face.photo)

    def face_binding(self) -> FaceBinding:
        if self._trusted is None:
            raise CardFaceInvalidError("no card face was verified in this session")
        return FaceBinding(self._trusted.card_face_sha256, self._trusted.chip_key_sha256)

    def get_challenge(self) -> bytes:
        card = self._connected()
        with translated_card_errors():
            return card.jpki.get_challenge(16)

    def relay(self, apdu: bytes) -> bytes:
        card = self._connected()
        with translated_card_errors():
            return card.jpki.relay(apdu)

    def close(self) -> None:
        self._chip_proof = None
        self._trusted = None
        self._disconnect()

    def _disconnect(self) -> None:
        self._card = None
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()


def _card_id(auth_certificate: bytes) -> str:
    """Tells cards apart: the certificate's first 256 bytes hold its serial and names."""
    return hashlib.sha256(auth_certificate[:256]).hexdigest()


def _not_after(der: bytes) -> dt.date | None:
    try:
        return x509.load_der_x509_certificate(der).not_valid_after_utc.date()
    except (ValueError, x509.InvalidVersion):
        return None
