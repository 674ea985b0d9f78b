"""照合番号B read from the card face by the kiosk's camera, with Tesseract. Qt-free.

The resident holds the front of the card to the camera; ``read_card_face(frame)`` finds the
card, straightens it and reads the three printed parts of 照合番号B: the birth date (Japanese
era), the expiry year and the 4-digit security code. The screen shows what was read for the
resident to confirm; typing stays the fallback.

Privacy: frames and crops live in memory only (Tesseract gets them on a pipe, not as a file),
nothing read is logged, and a ``CardFaceReading`` hides its values from ``repr``.
"""

from kiosk.card_ocr.reader import (
    CardFaceReading,
    OcrUnavailableError,
    find_card,
    parse_birth_date,
    parse_expiry_year,
    parse_security_code,
    read_card_face,
)
from kiosk.card_ocr.scanner import CardFaceScanner

__all__ = [
    "CardFaceReading",
    "CardFaceScanner",
    "OcrUnavailableError",
    "find_card",
    "parse_birth_date",
    "parse_expiry_year",
    "parse_security_code",
    "read_card_face",
]
