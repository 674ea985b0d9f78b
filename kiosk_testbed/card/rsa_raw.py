"""RSA private operations the card performs: PKCS#1 v1.5 type-1 padding of a given message.

The JPKI card pads the DigestInfo it is handed and applies the private key; no hashing.
When the message is a standard DigestInfo, ``cryptography`` signs the digest directly (same
bytes: PKCS#1 v1.5 is deterministic, ~1 ms). Anything else (the three-digest card-face
message, arbitrary test payloads) goes through a CRT exponentiation on the private numbers
(~7 ms in Python), checked against the public key.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed


class MessageTooLongError(ValueError):
    """The message does not fit a PKCS#1 v1.5 type-1 block with 8 bytes of padding."""


_DIGEST_INFO_PREFIXES: dict[bytes, hashes.HashAlgorithm] = {
    # recognised as a real card would; nothing of ours is protected by SHA-1
    bytes.fromhex("3021300906052b0e03021a05000414"): hashes.SHA1(),  # noqa: S303
    bytes.fromhex("302d300d06096086480165030402040500041c"): hashes.SHA224(),
    bytes.fromhex("3031300d060960864801650304020105000420"): hashes.SHA256(),
    bytes.fromhex("3041300d060960864801650304020205000430"): hashes.SHA384(),
    bytes.fromhex("3051300d060960864801650304020305000440"): hashes.SHA512(),
}


class RawRsaKey:
    """An RSA private key that signs messages verbatim (PKCS#1 v1.5 type-1 padding)."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        numbers = key.private_numbers()
        self._key = key
        self._n = numbers.public_numbers.n
        self._e = numbers.public_numbers.e
        self._p, self._q = numbers.p, numbers.q
        self._dmp1, self._dmq1, self._iqmp = numbers.dmp1, numbers.dmq1, numbers.iqmp
        self.size = (key.key_size + 7) // 8

    def __repr__(self) -> str:
        return f"RawRsaKey({self.size * 8} bit)"

    @classmethod
    def from_private_key(cls, key: rsa.RSAPrivateKey) -> RawRsaKey:
        return cls(key)

    @classmethod
    def from_pem(cls, pem: bytes) -> RawRsaKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("not an RSA private key")
        return cls(key)

    def sign_pkcs1_type1(self, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 over ``message`` verbatim: 00 01 FF.. 00 ‖ message, then ^d."""
        if len(message) > self.size - 11:
            raise MessageTooLongError(f"message of {len(message)} bytes is too long")
        for prefix, algorithm in _DIGEST_INFO_PREFIXES.items():
            if message.startswith(prefix) and len(message) == len(prefix) + algorithm.digest_size:
                return self._key.sign(
                    message[len(prefix) :], padding.PKCS1v15(), Prehashed(algorithm)
                )
        block = b"\x00\x01" + b"\xff" * (self.size - 3 - len(message)) + b"\x00" + message
        m = int.from_bytes(block, "big")
        s1 = pow(m, self._dmp1, self._p)
        s2 = pow(m, self._dmq1, self._q)
        s = s2 + ((self._iqmp * (s1 - s2)) % self._p) * self._q
        if pow(s, self._e, self._n) != m:  # guards against a fault in the key material
            raise ArithmeticError("RSA self-check failed")
        return s.to_bytes(self.size, "big")
