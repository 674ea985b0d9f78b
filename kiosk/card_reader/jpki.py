"""JPKI application (公的個人認証AP) session.

Public names: ``JPKI_AID``, ``JpkiPin``, ``PinStatus`` (re-exported), ``CertificatePresence``,
``JpkiSession``, ``TOKEN_LABEL_MY_NUMBER_CARD``, ``SHA256_DIGEST_INFO_PREFIX``.

``JpkiSession(channel)`` selects the JPKI AP when needed (remembered by the channel) and offers:
``token_label()``, ``certificate_presence()``, ``read_auth_certificate()``,
``read_auth_ca_certificate()``, ``read_sign_ca_certificate()``, ``read_sign_certificate()``
(needs the sign PIN), ``pin_status(JpkiPin.AUTH | JpkiPin.SIGN)`` (empty VERIFY, costs no
try), ``verify_pin(JpkiPin, pin)`` (raises ``WrongPin`` / ``PinBlocked`` /
``InvalidPinFormat``), ``sign_with_auth_key(digest_info)`` (SELECT EF ``0017`` then
``80 2A 00 80``, the key of the current EF, as OpenSC and myna do; needs the auth PIN),
``read_auth_certificate_head()`` (its first 256 bytes, enough to tell cards apart),
``get_challenge(n)`` and ``relay(apdu)`` (an opaque APDU from the backend, answer returned as
data+SW bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kiosk.card_reader import pin as pins
from kiosk.card_reader.apdu import SW, CardChannel, CommandApdu
from kiosk.card_reader.errors import CardError, MalformedResponse, SecurityStatusNotSatisfied
from kiosk.card_reader.pin import PinStatus

__all__ = [
    "JPKI_AID",
    "SHA256_DIGEST_INFO_PREFIX",
    "TOKEN_LABEL_MY_NUMBER_CARD",
    "CertificatePresence",
    "JpkiPin",
    "JpkiSession",
    "PinStatus",
]

JPKI_AID = bytes.fromhex("D392F000260100000001")
TOKEN_LABEL_MY_NUMBER_CARD = "JPKIAPICCTOKEN2"  # noqa: S105 (the token's public label)
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

EF_SIGN_CERT = 0x0001
EF_SIGN_CA_CERT = 0x0002
EF_TOKEN_INFO = 0x0006
EF_CERT_PRESENCE = 0x0008
EF_AUTH_CERT = 0x000A
EF_AUTH_CA_CERT = 0x000B
EF_AUTH_KEY = 0x0017
CURRENT_EF_KEY = 0x80  # COMPUTE DIGITAL SIGNATURE P2: the key of the currently selected EF
CERTIFICATE_HEAD = 256
TOKEN_LABEL_LENGTH = 32
MAX_CHALLENGE = 256


class JpkiPin(Enum):
    AUTH = pins.PinRule("auth PIN", 0x18, r"[0-9]{4}", "4 digits", 3)
    SIGN = pins.PinRule("sign PIN", 0x1B, r"[A-Z0-9]{6,16}", "6-16 of A-Z and 0-9", 5)


@dataclass(frozen=True)
class CertificatePresence:
    sign: bool
    auth: bool


class JpkiSession:
    """Operations of the JPKI AP; see the module docstring."""

    def __init__(self, channel: CardChannel) -> None:
        self.channel = channel

    def select(self, *, force: bool = False) -> None:
        self.channel.select_application(JPKI_AID, force=force)

    def token_label(self) -> str:
        self.select()
        raw = self.channel.read_ef_bytes(EF_TOKEN_INFO, TOKEN_LABEL_LENGTH)
        try:
            return raw.decode("ascii").rstrip(" \x00")
        except UnicodeDecodeError:
            raise MalformedResponse("token label is not ASCII") from None

    def certificate_presence(self) -> CertificatePresence:
        self.select()
        raw = self.channel.read_ef_bytes(EF_CERT_PRESENCE, 3)
        return CertificatePresence(sign=raw[0] == 0x8F, auth=raw[1] == 0x8F)

    def _read_certificate(self, fid: int) -> bytes:
        self.select()
        der = self.channel.read_ef_tlv(fid)
        if der[0] != 0x30:
            raise MalformedResponse(f"EF {fid:04X} does not hold a DER certificate")
        return der

    def read_auth_certificate(self) -> bytes:
        return self._read_certificate(EF_AUTH_CERT)

    def read_auth_certificate_head(self) -> bytes:
        """The auth certificate's first 256 bytes (version, serial, issuer, validity, subject):
        one READ BINARY that tells one card from another."""
        self.select()
        return self.channel.read_ef_bytes(EF_AUTH_CERT, CERTIFICATE_HEAD)

    def read_auth_ca_certificate(self) -> bytes:
        return self._read_certificate(EF_AUTH_CA_CERT)

    def read_sign_ca_certificate(self) -> bytes:
        return self._read_certificate(EF_SIGN_CA_CERT)

    def read_sign_certificate(self) -> bytes:
        """Needs the sign PIN verified (``SecurityStatusNotSatisfied`` otherwise)."""
        return self._read_certificate(EF_SIGN_CERT)

    def pin_status(self, which: JpkiPin) -> PinStatus:
        self.select()
        return pins.pin_status(self.channel, which.value)

    def verify_pin(self, which: JpkiPin, pin: bytearray) -> None:
        self.select()
        pins.verify(self.channel, which.value, pin)

    def sign_with_auth_key(self, digest_info: bytes) -> bytes:
        """RSA PKCS#1 v1.5 signature of a DigestInfo with the auth key (auth PIN first)."""
        if not digest_info or len(digest_info) > 255:
            raise ValueError("DigestInfo must be 1-255 bytes")
        self.select()
        self.channel.select_ef(EF_AUTH_KEY)
        command = CommandApdu(0x80, 0x2A, 0x00, CURRENT_EF_KEY, digest_info, le=256)
        response = self.channel.transceive(command)
        if response.sw == SW.SECURITY_STATUS_NOT_SATISFIED:
            raise SecurityStatusNotSatisfied("signature with the auth key")
        if response.sw != SW.OK:
            raise CardError("signature with the auth key failed", response.sw)
        if not response.data:
            raise MalformedResponse("empty signature")
        return response.data

    def get_challenge(self, n: int = 16) -> bytes:
        """GET CHALLENGE of ``n`` bytes from the JPKI AP (it stays pending for the next APDU)."""
        self.select()
        return get_challenge(self.channel, n)

    def relay(self, apdu: bytes) -> bytes:
        """Sends an opaque APDU (the backend's admin command) and returns data+SW bytes.

        The command is not altered; a 61xx answer is completed with GET RESPONSE (the
        backend cannot do that itself), nothing else is interpreted. The JPKI AP must already
        be selected: this method sends no SELECT because that would consume the pending
        challenge.
        """
        if len(apdu) < 4:
            raise ValueError("an APDU has at least 4 bytes")
        response = self.channel.transmit_raw(apdu)
        return response.data + response.sw.to_bytes(2, "big")


def get_challenge(channel: CardChannel, n: int) -> bytes:
    """GET CHALLENGE in the currently selected application; exactly ``n`` bytes or an error."""
    if not 1 <= n <= MAX_CHALLENGE:
        raise ValueError("challenge length out of range")
    response = channel.transceive(CommandApdu(0x00, 0x84, 0x00, 0x00, le=n))
    if response.sw != SW.OK:
        raise CardError("GET CHALLENGE failed", response.sw)
    if len(response.data) != n:
        raise MalformedResponse(f"GET CHALLENGE returned {len(response.data)} of {n} bytes")
    return response.data
