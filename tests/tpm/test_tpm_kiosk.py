"""A kiosk whose keys live in its TPM (swtpm here): what the backend accepts and refuses.

- A genuine reset goes through, and the holder is told exactly once.
- Copied key files with a stolen card and its PIN reset nothing: another TPM cannot load the
  blobs, and evidence signed by any other key or quoted by any other TPM is refused.
- Evidence signed outside the TPM, with a missing or replayed quote, or after a PCR change is
  refused, and the transaction is closed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.backend_client import BackendClient
from kiosk.backend_client.client import FaceReport, Transaction
from kiosk.backend_client.errors import KioskIntegrityError, RefusedByPolicyError
from kiosk.tpm import KioskTpm, TpmError
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_protocol.messages import FaceEvidence, FaceEvidenceRequest, Liveness, TpmQuote
from kiosk_protocol.signing import face_evidence_payload
from kiosk_protocol.tpm import quote_qualifying_data
from kiosk_testbed.card import layout
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import new_key
from tests.helpers.virtual_card import TEST_PINS
from tests.tpm.conftest import STORE, TpmKiosk


def _good_face(driver: CardDriver) -> FaceReport:
    """A passed face check against the card's own card face (its digests, as the kiosk reads
    and names them)."""
    face, chip = driver.card.card_face_digests()  # type: ignore[attr-defined]
    return FaceReport(matched=True, live=True, score=0.4, threshold=0.55, frames=5,
                      model_version="test/1", card_face_sha256=face, chip_key_sha256=chip)
SIGN = (Ap.JPKI, layout.JPKI_SIGN_PIN)


def _prove_card(client: BackendClient, driver: CardDriver) -> Transaction:
    transaction = client.begin()
    driver.select_jpki()
    driver.verify_auth_pin(TEST_PINS["auth_pin"])
    certificate = driver.read_auth_certificate()
    signature = driver.sign_with_auth_key(transaction.to_sign)
    chip_signature = driver.sign_with_chip_key(transaction.chip_to_sign)
    client.prove_card(transaction, certificate, signature, chip_signature)
    return transaction


def _evidence(kiosk: TpmKiosk, transaction: Transaction, driver: CardDriver) -> FaceEvidence:
    face = _good_face(driver)
    return FaceEvidence(transaction.transaction_id, kiosk.kiosk_id, True, 400_000, 550_000, 5,
                        Liveness.PASSED, "test/1", face.card_face_sha256, face.chip_key_sha256)


def _post_face(kiosk: TpmKiosk, transaction: Transaction, request: FaceEvidenceRequest
               ) -> tuple[int, dict[str, object]]:
    reply = kiosk.backend.server.api.handle(
        "POST", f"/v1/transactions/{transaction.transaction_id}/face-evidence",
        __import__("json").dumps(request.to_json()).encode(), kiosk.certificate_der)
    assert isinstance(reply.body, dict)
    return reply.status, reply.body


def _outcome(kiosk: TpmKiosk, transaction: Transaction) -> str | None:
    rows = kiosk.backend.rows("SELECT outcome FROM transactions WHERE transaction_id = ?",
                              (transaction.transaction_id,))
    return rows[0][0]


def _reset_is_refused(client: BackendClient, transaction: Transaction, driver: CardDriver
                      ) -> None:
    with pytest.raises(Exception) as refused:
        client.request_reset_command(transaction, bytearray(b"THIEF123"), driver.get_challenge())
    assert "transaction_closed" in str(refused.value) or "closed" in str(refused.value)


def test_a_tpm_kiosk_resets_and_the_holder_is_told_once(
        tpm_kiosk: TpmKiosk, driver: CardDriver, virtual_card: VirtualCard) -> None:
    with tpm_kiosk.client() as client:
        transaction = _prove_card(client, driver)
        client.report_face(transaction, _good_face(driver))
        driver.select_jpki()
        apdu = client.request_reset_command(transaction, bytearray(b"OWNER2026"),
                                            driver.get_challenge())
        status = client.confirm(transaction, driver.relay(apdu))
    assert status.outcome is not None and status.outcome.value == "pin_reset"
    assert virtual_card.card_file.pins[SIGN].value == "OWNER2026"
    notifier = tpm_kiosk.backend.server.notifier
    assert notifier.deliver_due() == 1
    assert notifier.deliver_due() == 0  # delivered: never again
    inbox = tpm_kiosk.backend.rows("SELECT subject, body FROM portal_inbox")
    assert len(inbox) == 1
    subject, body = inbox[0]
    assert "reset" in subject and STORE in body and "0120-95-0178" in body
    assert "OWNER2026" not in body and TEST_PINS["auth_pin"] not in body


def test_copied_key_files_and_a_stolen_card_reset_nothing(
        tpm_kiosk: TpmKiosk, driver: CardDriver, virtual_card: VirtualCard, other_tpm: str,
        tmp_path: Path) -> None:
    stolen = tmp_path / "stolen"
    shutil.copytree(tpm_kiosk.tpm.folder, stolen)
    # On the thief's machine, its own TPM cannot use the blobs: they are wrapped by the
    # kiosk's TPM's storage key.
    with pytest.raises(TpmError):
        KioskTpm(other_tpm, stolen).sign_evidence(b"anything", bytes(32))
    before = virtual_card.card_file.pins[SIGN].value
    # The thief speaks the protocol with the stolen certificate, card and PIN, and signs the
    # evidence with keys of its own (a software key; a quote from its own TPM's AK).
    with tpm_kiosk.client() as client:
        transaction = _prove_card(client, driver)
        evidence = _evidence(tpm_kiosk, transaction, driver)
        payload = face_evidence_payload(evidence)
        own_key = ec.generate_private_key(ec.SECP256R1())
        thief_tpm = KioskTpm(other_tpm, tmp_path / "thief-keys")
        thief_tpm.create_keys()
        signature, attest, quote_signature = thief_tpm.sign_evidence(
            payload, quote_qualifying_data(transaction.transaction_id, transaction.nonce, payload))
        for forged in (
            FaceEvidenceRequest(new_key(), evidence, signature, TpmQuote(attest, quote_signature)),
            FaceEvidenceRequest(new_key(), evidence,
                                own_key.sign(payload, ec.ECDSA(hashes.SHA256())),
                                TpmQuote(attest, quote_signature)),
        ):
            status, body = _post_face(tpm_kiosk, transaction, forged)
            assert status >= 400, body
        assert _outcome(tpm_kiosk, transaction) == "refused_by_policy"
        _reset_is_refused(client, transaction, driver)
    assert virtual_card.card_file.pins[SIGN].value == before


@pytest.mark.parametrize("forgery", ["software signature", "no quote", "quote of another nonce"])
def test_evidence_not_signed_and_quoted_by_this_tpm_is_refused(
        tpm_kiosk: TpmKiosk, driver: CardDriver, forgery: str) -> None:
    with tpm_kiosk.client() as client:
        transaction = _prove_card(client, driver)
        evidence = _evidence(tpm_kiosk, transaction, driver)
        payload = face_evidence_payload(evidence)
        good = quote_qualifying_data(transaction.transaction_id, transaction.nonce, payload)
        other = quote_qualifying_data(transaction.transaction_id, bytes(32), payload)
        signature, attest, quote_signature = tpm_kiosk.tpm.sign_evidence(
            payload, other if forgery == "quote of another nonce" else good)
        quote: TpmQuote | None = TpmQuote(attest, quote_signature)
        if forgery == "software signature":
            signature = ec.generate_private_key(ec.SECP256R1()).sign(
                payload, ec.ECDSA(hashes.SHA256()))
        if forgery == "no quote":
            quote = None
        status, body = _post_face(tpm_kiosk, transaction,
                                  FaceEvidenceRequest(new_key(), evidence, signature, quote))
        assert status == 403, body
        assert body["error"]["code"] == "kiosk_attestation_failed"  # type: ignore[index]
        assert _outcome(tpm_kiosk, transaction) == "refused_by_policy"
        _reset_is_refused(client, transaction, driver)


def test_after_a_pcr_change_the_tpm_signs_nothing_and_old_signatures_fail(
        tpm_kiosk: TpmKiosk, driver: CardDriver) -> None:
    with tpm_kiosk.client() as client:
        transaction = _prove_card(client, driver)
        evidence = _evidence(tpm_kiosk, transaction, driver)
        payload = face_evidence_payload(evidence)
        qualifying = quote_qualifying_data(transaction.transaction_id, transaction.nonce,
                                           payload)
        signed_before, _, _ = tpm_kiosk.tpm.sign_evidence(payload, qualifying)
        tpm_kiosk.tpm.extend_pcr(16, b"something else was booted")
        try:
            with pytest.raises(KioskIntegrityError, match="measured state"):
                client.report_face(transaction, _good_face(driver))
            # The AK still quotes, but the quote shows the changed state: refused.
            attest, quote_signature = _quote_only(tpm_kiosk, qualifying)
            status, body = _post_face(tpm_kiosk, transaction, FaceEvidenceRequest(
                new_key(), evidence, signed_before, TpmQuote(attest, quote_signature)))
            assert status == 403, body
            assert _outcome(tpm_kiosk, transaction) == "refused_by_policy"
        finally:
            tpm_kiosk.tpm.reset_pcr(16)
    # Back in the enrolled state, the kiosk works again.
    with tpm_kiosk.client() as client:
        client.report_face(_prove_card(client, driver), _good_face(driver))


def _quote_only(kiosk: TpmKiosk, qualifying: bytes) -> tuple[bytes, bytes]:
    """A quote by the kiosk's AK of the current PCRs (the AK is not PCR-bound)."""
    from tpm2_pytss import ESAPI, TPM2B_DATA, TCTILdr
    from tpm2_pytss.tsskey import TSSPrivKey

    key = TSSPrivKey.from_pem((kiosk.tpm.folder / "attestation.key").read_bytes())
    link = TCTILdr.parse(kiosk.tpm.tcti)
    esapi = ESAPI(link)
    try:
        handle = key.load(esapi)
        quoted, signature = esapi.quote(handle, kiosk.tpm.selection().text(),
                                        TPM2B_DATA(qualifying))
        esapi.flush_context(handle)
    finally:
        esapi.close()
        link.close()
    return quoted.marshal()[2:], signature.marshal()


def test_a_software_kiosk_is_refused_unless_the_server_allows_it(
        tpm_kiosk: TpmKiosk, driver: CardDriver) -> None:
    from kiosk_backend.enrollment import enroll_kiosk

    backend = tpm_kiosk.backend
    paths = enroll_kiosk(backend.server.pki, backend.server.database, "soft-1",
                         backend.folder / "soft")
    backend.server.service.allow_software_kiosks = False
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = x509.load_pem_x509_certificate(paths["certificate"].read_bytes()).public_bytes(
        serialization.Encoding.DER)
    soft = TpmKiosk("soft-1", tpm_kiosk.tpm, backend.folder / "soft", der, backend)
    config = soft.config()
    config = type(config)(**{**config.__dict__, "client_key": paths["key"]})
    with BackendClient(config, transport=soft.transport()) as client:
        transaction = _prove_card(client, driver)
        with pytest.raises(RefusedByPolicyError, match="kiosk_attestation_required"):
            client.report_face(transaction, _good_face(driver))
