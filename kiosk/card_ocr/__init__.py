"""照合番号B read from the card face by the kiosk's camera, with Tesseract. Qt-free.

The resident holds the front of the card to the camera; ``CardFaceScanner`` picks the
sharpest frames of the stream, finds and straightens the card in each, reads the three
printed parts of 照合番号B (the birth date in the Japanese era, the expiry year and the
4-digit security code) line by line with Tesseract in this process, and votes on each part
across frames until they agree (``evidence``). The screen shows what was read for the
resident to confirm; typing stays the fallback.

Privacy: frames and crops live in memory only (Tesseract gets them as memory, not as a file),
nothing read is logged, and readings, votes and lines hide their values from ``repr``.
"""

from kiosk.card_ocr.card_image import GUIDE_BOX, find_card, frame_quality
from kiosk.card_ocr.evidence import CardFaceEvidence, CardFaceReading
from kiosk.card_ocr.fields import parse_birth_date, parse_expiry_year, parse_security_code
from kiosk.card_ocr.reader import read_card_face, read_frame
from kiosk.card_ocr.scanner import CardFaceScanner, ScanGuidance
from kiosk.card_ocr.tesseract import OcrUnavailableError

__all__ = [
    "GUIDE_BOX",
    "CardFaceEvidence",
    "CardFaceReading",
    "CardFaceScanner",
    "OcrUnavailableError",
    "ScanGuidance",
    "find_card",
    "frame_quality",
    "parse_birth_date",
    "parse_expiry_year",
    "parse_security_code",
    "read_card_face",
    "read_frame",
]
