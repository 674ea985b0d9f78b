"""The My Number card as a whole: recognition, retry counters, identity snapshot.

Public names: ``MyNumberCard``, ``RetryCounters``, ``CardSnapshot``.

``MyNumberCard.recognize(transport_or_channel)`` SELECTs the JPKI AP, the text AP and the
card-info AP (the ATR is not used) and raises ``NotAMyNumberCard`` unless all three exist.
Then ``jpki``, ``text_ap`` and ``card_info`` are the sessions (they share one channel, and
selecting one application ends the verifications of another). ``read_retry_counters()``
reads auth, sign and text PIN counters by empty VERIFY (no try spent);
``read_trusted_face_with_text_pin`` / ``read_trusted_face_with_check_code_b`` give the checked
card face (the My Number stays inside); ``snapshot()`` gives a
``CardSnapshot`` (SHA-256 of the auth certificate's first 256 bytes + counters) to compare
before a reset: a different snapshot means another card (or a PIN try elsewhere) and the
flow must start over. ``recognize(..., fast_forms=False)`` never tries the fast read forms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kiosk.card_reader.apdu import SW, CardChannel
from kiosk.card_reader.card_info import (
    CARD_INFO_AID,
    CardInfoSession,
    ChipProof,
    TrustAnchors,
    TrustedCardFace,
)
from kiosk.card_reader.errors import CardError, NotAMyNumberCard
from kiosk.card_reader.jpki import JPKI_AID, JpkiPin, JpkiSession
from kiosk.card_reader.pin import PinStatus
from kiosk.card_reader.text_ap import TEXT_AP_AID, TextApSession
from kiosk.card_reader.transport import Transport

APPLICATIONS = (
    ("card-info AP", CARD_INFO_AID),
    ("JPKI AP", JPKI_AID),
    ("text AP", TEXT_AP_AID),  # last: reading the retry counters starts in the text AP
)


@dataclass(frozen=True)
class RetryCounters:
    auth: PinStatus
    sign: PinStatus
    text: PinStatus


@dataclass(frozen=True)
class CardSnapshot:
    """What identifies a card in the middle of a transaction (no personal data).

    ``tries_left`` is (auth, sign, text); the verified state is left out on purpose, since
    it changes with every SELECT and does not tell cards apart.
    """

    auth_certificate_sha256: str  # of its first 256 bytes (serial, issuer, subject)
    tries_left: tuple[int | None, int | None, int | None]


class MyNumberCard:
    """A recognised My Number card over one channel."""

    def __init__(self, channel: CardChannel) -> None:
        self.channel = channel
        self.jpki = JpkiSession(channel)
        self.text_ap = TextApSession(channel)
        self.card_info = CardInfoSession(channel)

    @classmethod
    def recognize(
        cls, transport: Transport | CardChannel, *, fast_forms: bool = True
    ) -> MyNumberCard:
        if isinstance(transport, CardChannel):
            channel = transport
        else:
            channel = CardChannel(transport, fast_forms=fast_forms)
        for name, aid in APPLICATIONS:
            sw = channel.try_select_application(aid)
            if sw in (SW.FILE_NOT_FOUND, SW.INCORRECT_P1P2, SW.INS_NOT_SUPPORTED,
                      SW.CLA_NOT_SUPPORTED, SW.WRONG_DATA):
                raise NotAMyNumberCard(f"no {name}", sw)
            if sw != SW.OK:
                raise CardError(f"SELECT {name} failed", sw)
        return cls(channel)

    def read_retry_counters(self) -> RetryCounters:
        # The text AP first, so the JPKI AP, which nearly every next step uses, ends selected.
        text = self.text_ap.pin_status()
        auth = self.jpki.pin_status(JpkiPin.AUTH)
        sign = self.jpki.pin_status(JpkiPin.SIGN)
        return RetryCounters(auth=auth, sign=sign, text=text)

    def read_trusted_face_with_text_pin(
        self, text_pin: bytearray, anchors: TrustAnchors, chip_proof: ChipProof | None = None
    ) -> TrustedCardFace:
        """Text PIN -> My Number -> 照合番号A -> checked card face.

        The My Number never leaves this method (wiped before returning); the caller wipes
        ``text_pin``. Raises ``WrongPin`` / ``PinBlocked`` for the text PIN.
        """
        self.text_ap.verify_pin(text_pin)
        my_number = self.text_ap.read_my_number()
        try:
            self.card_info.unlock_with_my_number(my_number)
        finally:
            my_number[:] = bytes(len(my_number))
        return self.card_info.read_trusted_card_face(anchors, chip_proof)

    def read_trusted_face_with_check_code_b(
        self, check_code_b: bytearray, anchors: TrustAnchors, chip_proof: ChipProof | None = None
    ) -> TrustedCardFace:
        """照合番号B (see ``card_info.build_check_code_b``) -> checked card face."""
        self.card_info.unlock_with_check_code_b(check_code_b)
        return self.card_info.read_trusted_card_face(anchors, chip_proof)

    def snapshot(self) -> CardSnapshot:
        counters = self.read_retry_counters()
        fingerprint = hashlib.sha256(self.jpki.read_auth_certificate_head()).hexdigest()
        tries = (counters.auth.tries_left, counters.sign.tries_left, counters.text.tries_left)
        return CardSnapshot(fingerprint, tries)
