"""Card data parsers on damaged genuine data and on arbitrary bytes: BER-TLV, the card face
(DF21-DF2A) with its CV certificate and DF28 check, basic 4 info, My Number, certificates
read from the card (kiosk side and server side). Only the documented errors escape."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.card_reader import tlv
from kiosk.card_reader.card_info import (
    TrustAnchors,
    parse_card_face,
    parse_cv_certificate,
    verify_cv_certificate,
    verify_face_signature,
)
from kiosk.card_reader.errors import CardError, MalformedResponse
from kiosk.card_reader.text_ap import parse_basic_info, parse_my_number
from kiosk.flow.adapters.card import _not_after
from kiosk_backend.authority import Authority, CardCertificateError
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.helpers.virtual_card import TestCard
from tests.hostile.budget import bounded, hostile
from tests.hostile.mutations import damaged, tlv_value_swaps

# --- genuine inputs from the session's test card ---------------------------------------------


@pytest.fixture(scope="module")
def files(test_card: TestCard) -> dict[str, bytes]:
    card = VirtualCard.from_path(test_card.template).card_file.files

    # what the parsers get: the EF's one TLV as CardChannel.read_ef_tlv returns it
    def as_read(key: tuple[Ap, int]) -> bytes:
        raw = card[key]
        return raw[: tlv.total_length(raw)]

    return {
        "card face": as_read((Ap.INFO, 0x0002)),
        "cv certificate": as_read((Ap.INFO, 0x0004)),
        "basic info": as_read((Ap.TEXT, 0x0002)),
        "my number": as_read((Ap.TEXT, 0x0001)),
        "auth certificate": as_read((Ap.JPKI, 0x000A)),
    }



def check_card_face(raw: bytes, anchors: TrustAnchors, genuine_cert: bytes) -> None:
    face = parse_card_face(raw)
    signer = verify_cv_certificate(parse_cv_certificate(genuine_cert), anchors)
    verify_face_signature(face, signer)


def check_cv_certificate(raw: bytes, anchors: TrustAnchors) -> None:
    verify_cv_certificate(parse_cv_certificate(raw), anchors)


def test_genuine_data_passes_every_check(files: dict[str, bytes], anchors: TrustAnchors) -> None:
    """The damaged variants below start from data that is accepted as it is."""
    check_card_face(files["card face"], anchors, files["cv certificate"])
    check_cv_certificate(files["cv certificate"], anchors)
    assert parse_basic_info(files["basic info"]).birth_date.isdigit()
    assert len(parse_my_number(files["my number"])) == 12
    assert _not_after(files["auth certificate"]) is not None


# --- BER-TLV ----------------------------------------------------------------------------------

TLV_FUNCTIONS: dict[str, Callable[[bytes], object]] = {
    "tlv.parse_all": tlv.parse_all,
    "tlv.parse_single": lambda data: tlv.parse_single(data, 0xFF20),
    "tlv.total_length": tlv.total_length,
    "tlv.index": lambda data: tlv.index(tlv.parse_all(data), required=(0xDF22,)),
}


@pytest.mark.parametrize("name", sorted(TLV_FUNCTIONS))
@hostile(300)
@given(data=st.one_of(st.binary(max_size=300), st.binary(max_size=8).map(lambda b: b"\xdf" + b)))
def test_tlv_on_arbitrary_bytes(name: str, data: bytes) -> None:
    with bounded(f"{name} (arbitrary bytes)"), contextlib.suppress(MalformedResponse):
        TLV_FUNCTIONS[name](data)


@hostile(300)
@given(st.data())
def test_tlv_on_damaged_card_files(files: dict[str, bytes], data: st.DataObject) -> None:
    genuine = files[data.draw(st.sampled_from(sorted(files)))]
    raw = data.draw(damaged(genuine))
    with bounded("tlv.parse_all (damaged card files)"):
        try:
            items = tlv.parse_all(raw)
        except MalformedResponse:
            return
    assert b"".join(item.raw for item in items) == raw


# --- card face, CV certificate ---------------------------------------------------------------


@hostile(400)
@given(st.data())
def test_damaged_card_face_is_refused_with_a_card_error(
    files: dict[str, bytes], anchors: TrustAnchors, data: st.DataObject
) -> None:
    genuine = files["card face"]
    raw = data.draw(st.one_of(damaged(genuine), tlv_value_swaps(genuine)))
    with bounded("card face DF21-DF2A + DF28 check (damaged)"):
        try:
            check_card_face(raw, anchors, files["cv certificate"])
        except CardError:
            return
    # Accepted: only bytes DF28 does not cover may differ (DF21 offsets, DF29, DF2A, order).
    accepted = parse_card_face(raw)
    original = parse_card_face(genuine)
    assert accepted.signed_message == original.signed_message
    assert accepted.photo == original.photo


@hostile(400)
@given(st.data())
def test_damaged_cv_certificate_is_refused_with_a_card_error(
    files: dict[str, bytes], anchors: TrustAnchors, data: st.DataObject
) -> None:
    genuine = files["cv certificate"]
    raw = data.draw(st.one_of(damaged(genuine), tlv_value_swaps(genuine)))
    with bounded("CV certificate 7F21 + signature check (damaged)"):
        try:
            check_cv_certificate(raw, anchors)
        except CardError:
            return
    assert parse_cv_certificate(raw).signed_part == parse_cv_certificate(genuine).signed_part


# --- text AP ----------------------------------------------------------------------------------


@hostile(300)
@given(st.data())
def test_damaged_basic_info_and_my_number(files: dict[str, bytes], data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["basic info", "my number"]))
    genuine = files[name]
    swaps = tlv_value_swaps(genuine) if name == "basic info" else damaged(genuine)
    raw = data.draw(st.one_of(damaged(genuine), swaps, st.binary(max_size=64)))
    parser = parse_basic_info if name == "basic info" else parse_my_number
    with bounded(f"text AP {name} (damaged)"), contextlib.suppress(MalformedResponse):
        parser(raw)


# --- certificates from the card ---------------------------------------------------------------


@hostile(300)
@given(st.data())
def test_kiosk_reads_the_expiry_of_any_certificate_bytes(
    files: dict[str, bytes], data: st.DataObject
) -> None:
    raw = data.draw(st.one_of(damaged(files["auth certificate"]), st.binary(max_size=200)))
    with bounded("kiosk: certificate expiry (flow.adapters.card._not_after)"):
        result = _not_after(raw)
    assert result is None or isinstance(result, dt.date)


@pytest.fixture(scope="module")
def authority(testbed_authority: TestAuthority) -> Authority:
    return Authority(testbed_authority.dir, bytes(32))


@hostile(300)
@given(st.data())
def test_server_checks_any_certificate_bytes(
    authority: Authority, files: dict[str, bytes], data: st.DataObject
) -> None:
    raw = data.draw(st.one_of(damaged(files["auth certificate"]), st.binary(max_size=200)))
    with bounded("server: card certificate check (Authority.verify_card_certificate)"):
        try:
            identity = authority.verify_card_certificate(raw)
        except CardCertificateError as refused:
            assert refused.code in {
                "certificate_malformed",
                "certificate_untrusted",
                "certificate_expired",
                "certificate_revoked",
                "revocation_status_unknown",
            }
            return
    # Accepted: it can only be the genuine certificate (the same card identity).
    assert identity.card_ref == authority.card_ref(files["auth certificate"])


def test_testbed_folder_is_where_the_authority_reads(testbed_authority: TestAuthority) -> None:
    assert Path(testbed_authority.dir, "jpki-auth-ca.crt.pem").exists()


# --- findings of the hostile-input work, fixed: regression tests ----------------------------


def _with_version(certificate: bytes, version: int) -> bytes:
    """The certificate with its [0] EXPLICIT version INTEGER set to ``version``."""
    at = certificate.index(b"\xa0\x03\x02\x01")  # first one: the TBSCertificate's version
    return certificate[: at + 4] + bytes([version]) + certificate[at + 5 :]


def test_server_refuses_a_certificate_with_a_bad_version(
    authority: Authority, files: dict[str, bytes]
) -> None:
    with pytest.raises(CardCertificateError):
        authority.verify_card_certificate(_with_version(files["auth certificate"], 0x3D))


def test_kiosk_reads_no_expiry_from_a_certificate_with_a_bad_version(
    files: dict[str, bytes],
) -> None:
    assert _not_after(_with_version(files["auth certificate"], 0x3D)) is None
