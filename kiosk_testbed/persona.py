"""Random but valid card holder data and PINs for test cards (synthetic people only)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from dataclasses import dataclass

from kiosk_testbed.mynumber import collation_number_b, is_valid, random_my_number

_FAMILY_NAMES = (
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "松本",
    "井上",
    "木村",
)
_GIVEN_NAMES = (
    "太郎",
    "花子",
    "健太",
    "陽菜",
    "蓮",
    "結衣",
    "大輔",
    "美咲",
    "翔",
    "さくら",
    "一郎",
    "恵子",
    "拓也",
    "愛",
    "誠",
    "由美",
)
_PLACES = (
    ("東京都", "千代田区霞が関"),
    ("東京都", "新宿区西新宿"),
    ("大阪府", "大阪市北区梅田"),
    ("北海道", "札幌市中央区北一条西"),
    ("愛知県", "名古屋市中区三の丸"),
    ("福岡県", "福岡市博多区東公園"),
    ("宮城県", "仙台市青葉区本町"),
    ("沖縄県", "那覇市泉崎"),
    ("京都府", "京都市上京区下立売通新町西入薮ノ内町"),
    ("広島県", "広島市中区基町"),
)
_KANJI_DIGITS = "一二三四五六七八九"

AUTH_PIN_RE = re.compile(r"[0-9]{4}")
TEXT_PIN_RE = AUTH_PIN_RE
SIGN_PIN_RE = re.compile(r"[A-Z0-9]{6,16}")
SECURITY_CODE_RE = re.compile(r"[0-9]{4}")
SEXES = ("1", "2", "9")


class PersonaError(ValueError):
    """A given value is not valid for a card (the message names the field, not the value)."""


@dataclass(frozen=True, slots=True)
class Persona:
    """Everything printed on or stored in a test card about its holder, plus its PINs."""

    name: str  # family name, U+3000, given name
    address: str
    birth_date: dt.date
    sex: str  # "1" male, "2" female, "9" not applicable (JIS X 0303)
    my_number: str
    expiry: dt.date  # card expiry
    security_code: str
    auth_pin: str
    sign_pin: str
    text_pin: str

    @property
    def collation_b(self) -> str:
        """照合番号B for this card."""
        return collation_number_b(self.birth_date, self.expiry, self.security_code)

    def __repr__(self) -> str:  # never print personal data by accident
        return "Persona(<redacted>)"


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


def random_sign_pin(length: int = 8) -> str:
    """6–16 of A–Z0–9 with at least one letter and one digit (what municipalities ask for)."""
    alphabet = string.ascii_uppercase + string.digits
    while True:
        pin = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in pin) and any(c.isalpha() for c in pin):
            return pin


def _random_birth_date(today: dt.date) -> dt.date:
    start = dt.date(1940, 1, 1).toordinal()
    end = dt.date(today.year - 20, 12, 31).toordinal()
    return dt.date.fromordinal(start + secrets.randbelow(end - start + 1))


def _anniversary(date: dt.date, year: int) -> dt.date:
    try:
        return date.replace(year=year)
    except ValueError:  # 29 February
        return date.replace(year=year, day=28)


def default_expiry(birth_date: dt.date, issued: dt.date) -> dt.date:
    """The holder's 10th birthday after issuance (5th when issued under 18)."""
    age = (
        issued.year
        - birth_date.year
        - ((issued.month, issued.day) < (birth_date.month, birth_date.day))
    )
    years = 10 if age >= 18 else 5
    return _anniversary(birth_date, issued.year + years)


def random_address() -> str:
    prefecture, town = secrets.choice(_PLACES)
    block = secrets.randbelow(len(_KANJI_DIGITS))
    return (
        f"{prefecture}{town}{_KANJI_DIGITS[block]}丁目"
        f"{secrets.randbelow(30) + 1}番{secrets.randbelow(20) + 1}号"
    )


def make_persona(
    *,
    name: str | None = None,
    address: str | None = None,
    birth_date: dt.date | None = None,
    sex: str | None = None,
    my_number: str | None = None,
    expiry: dt.date | None = None,
    security_code: str | None = None,
    auth_pin: str | None = None,
    sign_pin: str | None = None,
    text_pin: str | None = None,
    today: dt.date | None = None,
) -> Persona:
    """A persona from the given values, random valid values for the rest."""
    today = today or dt.date.today()
    if name is None:
        name = f"{secrets.choice(_FAMILY_NAMES)}\u3000{secrets.choice(_GIVEN_NAMES)}"
    if not name.strip() or len(name.encode()) > 200:
        raise PersonaError("name must be 1..200 bytes of UTF-8")
    address = address if address is not None else random_address()
    if not address.strip() or len(address.encode()) > 400:
        raise PersonaError("address must be 1..400 bytes of UTF-8")
    birth_date = birth_date or _random_birth_date(today)
    if birth_date < dt.date(1912, 7, 30) or birth_date > today:
        raise PersonaError("birth date must be in the 大正 era or later and not in the future")
    sex = sex if sex is not None else secrets.choice(("1", "2"))
    if sex not in SEXES:
        raise PersonaError("sex must be 1, 2 or 9")
    my_number = my_number if my_number is not None else random_my_number()
    if not is_valid(my_number):
        raise PersonaError("my number must be 12 digits with a correct check digit")
    expiry = expiry or default_expiry(birth_date, today)
    security_code = security_code if security_code is not None else _digits(4)
    if not SECURITY_CODE_RE.fullmatch(security_code):
        raise PersonaError("security code must be 4 digits")
    auth_pin = auth_pin if auth_pin is not None else _digits(4)
    if not AUTH_PIN_RE.fullmatch(auth_pin):
        raise PersonaError("auth PIN must be 4 digits")
    text_pin = text_pin if text_pin is not None else _digits(4)
    if not TEXT_PIN_RE.fullmatch(text_pin):
        raise PersonaError("text PIN must be 4 digits")
    sign_pin = sign_pin if sign_pin is not None else random_sign_pin()
    if not SIGN_PIN_RE.fullmatch(sign_pin):
        raise PersonaError("sign PIN must be 6-16 of A-Z and 0-9")
    return Persona(
        name,
        address,
        birth_date,
        sex,
        my_number,
        expiry,
        security_code,
        auth_pin,
        sign_pin,
        text_pin,
    )
