"""RSA private operations the card performs: PKCS#1 v1.5 type-1 padding of a given message.

The JPKI card pads the DigestInfo it is handed and applies the private key; no hashing.
``cryptography`` only signs hashes it computes or knows, so the card does the modular
exponentiation itself (CRT) on the key's private numbers, and checks the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class MessageTooLongError(ValueError):
    """The message does not fit a PKCS#1 v1.5 type-1 block with 8 bytes of padding."""


@dataclass(frozen=True, slots=True)
class RawRsaKey:
    n: int
    e: int
    p: int
    q: int
    dmp1: int
    dmq1: int
    iqmp: int
    size: int  # modulus length in bytes

    def __repr__(self) -> str:
        return f"RawRsaKey({self.size * 8} bit)"

    @classmethod
    def from_private_key(cls, key: rsa.RSAPrivateKey) -> RawRsaKey:
        numbers = key.private_numbers()
        public = numbers.public_numbers
        return cls(public.n, public.e, numbers.p, numbers.q, numbers.dmp1, numbers.dmq1,
                   numbers.iqmp, (key.key_size + 7) // 8)

    @classmethod
    def from_pem(cls, pem: bytes) -> RawRsaKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("not an RSA private key")
        return cls.from_private_key(key)

    def sign_pkcs1_type1(self, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 over ``message`` verbatim: 00 01 FF.. 00 ‖ message, then ^d."""
        if len(message) > self.size - 11:
            raise MessageTooLongError(f"message of {len(message)} bytes is too long")
        block = b"\x00\x01" + b"\xff" * (self.size - 3 - len(message)) + b"\x00" + message
        m = int.from_bytes(block, "big")
        s1 = pow(m, self.dmp1, self.p)
        s2 = pow(m, self.dmq1, self.q)
        s = s2 + ((self.iqmp * (s1 - s2)) % self.p) * self.q
        if pow(s, self.e, self.n) != m:  # guards against a fault in the key material
            raise ArithmeticError("RSA self-check failed")
        return s.to_bytes(self.size, "big")
