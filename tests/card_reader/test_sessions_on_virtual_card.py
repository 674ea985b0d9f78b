"""Every session operation against the testbed's virtual card: in process (no PC/SC) and,
as the ``[pcsc]`` variants, through pyscard -> pcscd -> vpcd -> the same card.

These check that our card layer and the independently written virtual card agree on the
profile (docs/card-profile.md). PC/SC-only behaviour (removal, exclusivity, no pcscd ...)
is in ``test_pcsc_integration.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import TrustAnchors, build_check_code_b
from kiosk.card_reader.errors import (
    InvalidPinFormat,
    NotAMyNumberCard,
    PinBlocked,
    SecurityStatusNotSatisfied,
    WrongPin,
)
from kiosk.card_reader.jpki import SHA256_DIGEST_INFO_PREFIX, JpkiPin
from kiosk.card_reader.pcsc import PcscTransport
from kiosk.card_reader.scripted import ScriptedTransport
from kiosk.card_reader.text_ap import TEXT_AP_AID
from kiosk.card_reader.transport import Transport
from kiosk_backend.admin_command import (
    CardVerdict,
    build_reset_command,
    session_keys,
    verify_answer,
)
from tests.helpers.virtual_card import READER_0

from .conftest import InProcessTransport


def secret(values: dict[str, Any], key: str) -> bytearray:
    return bytearray(str(values[key]).encode("ascii"))


@pytest.fixture(
    params=["in_process", "in_process_fast", pytest.param("pcsc", marks=pytest.mark.pcsc)]
)
def card(request: pytest.FixtureRequest, virtual_card: Any) -> Iterator[MyNumberCard]:
    """The same card in process (strict real-card profile, and the profile that takes the
    fast forms) and, for tests marked pcsc, through pcscd/vpcd (strict)."""
    transport: Transport
    if request.param == "in_process":
        transport = InProcessTransport(virtual_card)
    elif request.param == "in_process_fast":
        transport = InProcessTransport(request.getfixturevalue("fast_virtual_card"))
    else:
        request.getfixturevalue("card_in_reader")  # inserts virtual_card into reader 0
        transport = PcscTransport(READER_0)
    with transport:
        yield MyNumberCard.recognize(transport)


def test_recognition_and_counters(card: MyNumberCard) -> None:
    assert card.channel.selected_aid == TEXT_AP_AID
    counters = card.read_retry_counters()
    assert (counters.auth.tries_left, counters.sign.tries_left, counters.text.tries_left) == (
        3,
        5,
        3,
    )
    assert not counters.auth.blocked and not counters.auth.verified


def test_a_card_without_the_applications_is_refused() -> None:
    with pytest.raises(NotAMyNumberCard):
        MyNumberCard.recognize(ScriptedTransport([(None, "6A82")]))


def test_jpki_files(card: MyNumberCard, test_card: Any) -> None:
    assert card.jpki.token_label() == "JPKIAPICCTOKEN2"
    assert card.jpki.certificate_presence().sign
    auth = x509.load_der_x509_certificate(card.jpki.read_auth_certificate())
    assert format(auth.serial_number, "x") == test_card.values["auth_serial"]
    auth_ca = x509.load_der_x509_certificate(card.jpki.read_auth_ca_certificate())
    assert auth.issuer == auth_ca.subject
    sign_ca = x509.load_der_x509_certificate(card.jpki.read_sign_ca_certificate())
    with pytest.raises(SecurityStatusNotSatisfied):
        card.jpki.read_sign_certificate()
    card.jpki.verify_pin(JpkiPin.SIGN, secret(test_card.values, "sign_pin"))
    sign = x509.load_der_x509_certificate(card.jpki.read_sign_certificate())
    assert sign.issuer == sign_ca.subject


def test_sign_with_auth_key_verifies_under_the_auth_certificate(
    card: MyNumberCard, test_card: Any
) -> None:
    digest = hashlib.sha256(b"backend nonce").digest()
    with pytest.raises(SecurityStatusNotSatisfied):
        card.jpki.sign_with_auth_key(SHA256_DIGEST_INFO_PREFIX + digest)
    card.jpki.verify_pin(JpkiPin.AUTH, secret(test_card.values, "auth_pin"))
    assert card.jpki.pin_status(JpkiPin.AUTH).verified
    signature = card.jpki.sign_with_auth_key(SHA256_DIGEST_INFO_PREFIX + digest)
    key = x509.load_der_x509_certificate(card.jpki.read_auth_certificate()).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signature, b"backend nonce", padding.PKCS1v15(), hashes.SHA256())


def test_challenges_are_fresh(card: MyNumberCard) -> None:
    first, second = card.jpki.get_challenge(), card.jpki.get_challenge()
    assert len(first) == 16 and first != second


@pytest.mark.parametrize(
    ("which", "tries", "wrong"), [(JpkiPin.AUTH, 3, b"0000"), (JpkiPin.SIGN, 5, b"WRONG1")]
)
def test_wrong_pins_down_to_blocking(
    card: MyNumberCard, test_card: Any, which: JpkiPin, tries: int, wrong: bytes
) -> None:
    for left in range(tries - 1, 0, -1):
        with pytest.raises(WrongPin) as info:
            card.jpki.verify_pin(which, bytearray(wrong))
        assert info.value.attempts_left == left
        assert card.jpki.pin_status(which).tries_left == left
    with pytest.raises(PinBlocked):
        card.jpki.verify_pin(which, bytearray(wrong))
    key = "auth_pin" if which is JpkiPin.AUTH else "sign_pin"
    with pytest.raises(PinBlocked):  # even the right PIN now
        card.jpki.verify_pin(which, secret(test_card.values, key))
    status = card.jpki.pin_status(which)
    assert status.blocked and status.tries_left == 0


def test_a_correct_pin_refills_the_counter(card: MyNumberCard, test_card: Any) -> None:
    with pytest.raises(WrongPin):
        card.jpki.verify_pin(JpkiPin.AUTH, bytearray(b"0000"))
    card.jpki.verify_pin(JpkiPin.AUTH, secret(test_card.values, "auth_pin"))
    card.jpki.select(force=True)  # ends the verification
    assert card.jpki.pin_status(JpkiPin.AUTH).tries_left == 3


def test_badly_formed_sign_pin_costs_nothing(card: MyNumberCard) -> None:
    with pytest.raises(InvalidPinFormat):
        card.jpki.verify_pin(JpkiPin.SIGN, bytearray(b"short"))
    assert card.jpki.pin_status(JpkiPin.SIGN).tries_left == 5


def test_relay_of_the_backends_reset_command(
    card: MyNumberCard, test_card: Any, testbed_authority: Any, virtual_card: Any
) -> None:
    for _ in range(5):
        with pytest.raises((WrongPin, PinBlocked)):
            card.jpki.verify_pin(JpkiPin.SIGN, bytearray(b"WRONG1"))
    assert card.jpki.pin_status(JpkiPin.SIGN).blocked
    challenge = card.jpki.get_challenge()
    keys = session_keys(testbed_authority.admin_master(), virtual_card.card_id, challenge)
    answer = card.jpki.relay(build_reset_command(keys, bytearray(b"NEWPIN42")))
    assert verify_answer(keys, answer) is CardVerdict.PIN_SET
    assert card.jpki.pin_status(JpkiPin.SIGN).tries_left == 5
    card.jpki.verify_pin(JpkiPin.SIGN, bytearray(b"NEWPIN42"))


def test_relay_without_challenge_returns_the_cards_refusal(card: MyNumberCard) -> None:
    card.jpki.select()
    assert card.jpki.relay(bytes.fromhex("0C2C029B00")) == bytes.fromhex("6985")


def test_text_ap(card: MyNumberCard, test_card: Any) -> None:
    values = test_card.values
    assert card.text_ap.pin_status().tries_left == 3
    with pytest.raises(SecurityStatusNotSatisfied):
        card.text_ap.read_my_number()
    card.text_ap.verify_pin(secret(values, "text_pin"))
    number = card.text_ap.read_my_number()
    assert number == secret(values, "my_number")
    info = card.text_ap.read_basic_info()
    assert info.name == values["name"]
    assert info.address == values["address"]
    assert info.birth_date == values["birth_date"].replace("-", "")
    assert info.sex == values["sex"]


def test_text_ap_by_check_codes(card: MyNumberCard, test_card: Any) -> None:
    card.text_ap.unlock_with_my_number(secret(test_card.values, "my_number"))
    assert card.text_ap.read_my_number() == secret(test_card.values, "my_number")
    card.text_ap.unlock_with_check_code_b(secret(test_card.values, "collation_b"))
    assert card.text_ap.read_basic_info().sex == test_card.values["sex"]


def test_wrong_text_pin_to_blocking(card: MyNumberCard) -> None:
    for left in (2, 1):
        with pytest.raises(WrongPin) as info:
            card.text_ap.verify_pin(bytearray(b"0000"))
        assert info.value.attempts_left == left
    with pytest.raises(PinBlocked):
        card.text_ap.verify_pin(bytearray(b"0000"))
    assert card.text_ap.pin_status().blocked


def test_trusted_card_face_by_my_number(
    card: MyNumberCard, test_card: Any, trust_anchors: TrustAnchors
) -> None:
    card.card_info.unlock_with_my_number(secret(test_card.values, "my_number"))
    trusted = card.card_info.read_trusted_card_face(trust_anchors)
    assert trusted.face.photo[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n"  # JP2 signature box
    assert trusted.face.expiry == test_card.values["expiry"].replace("-", "")


def test_check_code_b_built_from_the_printed_face(
    card: MyNumberCard, test_card: Any, trust_anchors: TrustAnchors
) -> None:
    values = test_card.values
    code = build_check_code_b(
        dt.date.fromisoformat(values["birth_date"]),
        dt.date.fromisoformat(values["expiry"]).year,
        values["security_code"],
    )
    assert code == secret(values, "collation_b")
    card.card_info.unlock_with_check_code_b(code)
    assert card.card_info.read_trusted_card_face(trust_anchors).face.sex == values["sex"]


def test_card_face_needs_a_check_code(card: MyNumberCard) -> None:
    with pytest.raises(SecurityStatusNotSatisfied):
        card.card_info.read_card_face()


def test_card_face_of_another_authority_is_not_trusted(card: MyNumberCard, test_card: Any) -> None:
    from kiosk.card_reader.errors import CardFaceInvalid

    stranger = TrustAnchors()
    stranger.add(
        bytes(16), rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    )
    card.card_info.unlock_with_my_number(secret(test_card.values, "my_number"))
    with pytest.raises(CardFaceInvalid, match="unknown issuer"):
        card.card_info.read_trusted_card_face(stranger)


def test_snapshot_is_stable_for_the_same_card(card: MyNumberCard, test_card: Any) -> None:
    first = card.snapshot()
    card.jpki.verify_pin(JpkiPin.AUTH, secret(test_card.values, "auth_pin"))
    assert card.snapshot() == first
    with pytest.raises(WrongPin):
        card.text_ap.verify_pin(bytearray(b"0000"))
    assert card.snapshot() != first


def test_no_personal_data_in_the_traffic_log_or_errors(
    in_process: InProcessTransport,
    test_card: Any,
    trust_anchors: TrustAnchors,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from kiosk.card_reader import traffic

    values = test_card.values
    caplog.set_level(traffic.TRAFFIC, logger="kiosk.card_reader.traffic")
    traffic.set_full_data(True)  # even the debugging mode keeps secrets out
    errors: list[str] = []
    try:
        card = MyNumberCard.recognize(in_process)
        for wrong in (b"0000", b"1111"):
            try:
                card.jpki.verify_pin(JpkiPin.AUTH, bytearray(wrong))
            except WrongPin as error:
                errors.append(str(error))
        card.jpki.verify_pin(JpkiPin.AUTH, secret(values, "auth_pin"))
        card.text_ap.verify_pin(secret(values, "text_pin"))
        number = card.text_ap.read_my_number()
        info = card.text_ap.read_basic_info()
        card.card_info.unlock_with_my_number(number)
        trusted = card.card_info.read_trusted_card_face(trust_anchors)
        card.jpki.verify_pin(JpkiPin.SIGN, secret(values, "sign_pin"))
    finally:
        traffic.set_full_data(False)
    log_text = "\n".join(r.getMessage() for r in caplog.records)
    texts = "\n".join(errors) + repr(info) + repr(trusted) + repr(trusted.face)
    assert "> 00A4040C" in log_text
    birth = values["birth_date"].replace("-", "")
    for key in ("auth_pin", "text_pin", "sign_pin", "my_number", "name", "address"):
        plain = str(values[key])
        encoded = plain.encode().hex()
        assert plain not in texts, key
        # the log is hex: look for the encoded value (a 4-digit PIN in plain digits could
        # occur by chance inside random hex, its 8-hex-digit ASCII encoding practically not)
        assert encoded.upper() not in log_text and encoded not in log_text, key
    assert birth not in texts and birth.encode().hex().upper() not in log_text
    output = log_text + texts
    photo_hex = trusted.face.photo[:8].hex().upper()
    assert photo_hex not in output


def test_trusted_face_with_text_pin_or_check_code_b(
    card: MyNumberCard, test_card: Any, trust_anchors: TrustAnchors
) -> None:
    values = test_card.values
    by_pin = card.read_trusted_face_with_text_pin(secret(values, "text_pin"), trust_anchors)
    by_b = card.read_trusted_face_with_check_code_b(secret(values, "collation_b"), trust_anchors)
    assert by_pin.face.photo == by_b.face.photo
    with pytest.raises(WrongPin):
        card.read_trusted_face_with_text_pin(bytearray(b"0000"), trust_anchors)
