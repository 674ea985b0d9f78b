"""Every refusal the issue lists, over real mutual TLS against the real server and database."""

from __future__ import annotations

import base64
import datetime as dt
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from kiosk_backend.enrollment import set_kiosk_enabled
from kiosk_backend.operator_pki import OperatorPki
from kiosk_backend.policy import Policy
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_protocol.messages import Liveness
from kiosk_protocol.signing import card_proof_digest_info, sign_face_evidence
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card import layout
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, Steps, error_code, new_key
from tests.helpers.virtual_card import TEST_PINS, TestCard

BackendFactory = Callable[..., RunningBackend]


def _sign_pin(card: VirtualCard) -> tuple[str, int]:
    state = card.card_file.pins[(Ap.JPKI, layout.JPKI_SIGN_PIN)]
    return state.value, state.tries_left


def _ready_for_command(steps: Steps, driver: CardDriver) -> str:
    tx, nonce = steps.begin_ok()
    assert steps.prove_with(tx, nonce, driver).status_code == 200
    assert steps.face(tx).status_code == 200
    return tx


# --- who may talk to the server -----------------------------------------------------------


def test_no_client_certificate_is_refused_at_the_handshake(backend: RunningBackend) -> None:
    context = ssl.create_default_context(cafile=str(backend.server.pki.ca_certificate_path))
    with (
        httpx.Client(base_url=backend.url, verify=context) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.get("/health")
    # The server thread counts the failed handshake after the client has seen it fail.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if backend.server.metrics.tls_failures_total() == 1:
            break
        time.sleep(0.02)
    assert backend.server.metrics.tls_failures_total() == 1
    assert 'kiosk_backend_tls_handshake_failures_total{reason="no_certificate"} 1.0' in (
        backend.server.metrics.render()
    )


def test_client_certificate_from_another_ca_is_refused(
    backend: RunningBackend, tmp_path: Path
) -> None:
    stranger = OperatorPki(tmp_path / "other-operator")
    stranger.ensure()
    paths = stranger.write_kiosk_bundle(stranger.issue_kiosk("kiosk-1"), tmp_path / "stranger")
    context = ssl.create_default_context(cafile=str(backend.server.pki.ca_certificate_path))
    context.load_cert_chain(str(paths["certificate"]), str(paths["key"]))
    with (
        httpx.Client(base_url=backend.url, verify=context) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.post("/v1/transactions", json={"idempotency_key": new_key()})


def test_unknown_kiosk_is_refused(backend: RunningBackend, tmp_path: Path) -> None:
    pki = backend.server.pki
    paths = pki.write_kiosk_bundle(pki.issue_kiosk("ghost-kiosk"), tmp_path / "ghost")
    context = ssl.create_default_context(cafile=str(pki.ca_certificate_path))
    context.load_cert_chain(str(paths["certificate"]), str(paths["key"]))
    with httpx.Client(base_url=backend.url, verify=context) as client:
        response = client.post("/v1/transactions", json={"idempotency_key": new_key()})
    assert response.status_code == 403
    assert error_code(response) == "unknown_kiosk"


def test_a_replaced_kiosk_certificate_stops_working(backend: RunningBackend) -> None:
    old = backend.http("kiosk-1")
    backend.enroll("kiosk-1")  # re-enrolment issues a new certificate
    response = old.post("/v1/transactions", json={"idempotency_key": new_key()})
    old.close()
    assert error_code(response) == "unknown_kiosk"


def test_disabled_kiosk_is_refused_until_enabled(backend: RunningBackend, steps: Steps) -> None:
    set_kiosk_enabled(backend.server.database, "kiosk-1", False)
    response = steps.begin()
    assert (response.status_code, error_code(response)) == (403, "kiosk_disabled")
    set_kiosk_enabled(backend.server.database, "kiosk-1", True)
    assert steps.begin().status_code == 201


def test_another_kiosk_cannot_see_or_drive_my_transaction(
    backend: RunningBackend, steps: Steps
) -> None:
    tx, _ = steps.begin_ok()
    other = Steps(backend, "kiosk-2")
    try:
        assert other.http.get(f"/v1/transactions/{tx}").status_code == 404
        assert error_code(other.face(tx)) == "unknown_transaction"
    finally:
        other.close()


# --- the card's proof -----------------------------------------------------------------------


def _card(
    issue_test_card: Callable[..., TestCard], tmp_path: Path, **options: object
) -> VirtualCard:
    issued = issue_test_card(**options)
    return VirtualCard.from_path(issued.copy_to(tmp_path / "other.card.json"))


def test_expired_card_certificate_is_refused(
    steps: Steps, issue_test_card: Callable[..., TestCard], tmp_path: Path
) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    card = _card(issue_test_card, tmp_path, cert_not_after=past)
    tx, nonce = steps.begin_ok()
    response = steps.prove_with(tx, nonce, CardDriver(card))
    assert (response.status_code, error_code(response)) == (422, "certificate_expired")
    assert steps.status(tx)["outcome"] == "card_rejected"


def test_revoked_card_certificate_is_refused(
    steps: Steps,
    issue_test_card: Callable[..., TestCard],
    testbed_authority: TestAuthority,
    tmp_path: Path,
) -> None:
    issued = issue_test_card()
    card = VirtualCard.from_path(issued.copy_to(tmp_path / "revoked.card.json"))
    tx, nonce = steps.begin_ok()
    assert steps.prove_with(tx, nonce, CardDriver(card)).status_code == 200
    testbed_authority.revoke(issued.issued.card_id, "auth")  # the CRL is re-read on change
    tx, nonce = steps.begin_ok()
    response = steps.prove_with(tx, nonce, CardDriver(card))
    assert (response.status_code, error_code(response)) == (422, "certificate_revoked")


def test_certificate_not_from_the_jpki_ca_is_refused(steps: Steps) -> None:
    key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forged")])
    now = dt.datetime.now(dt.UTC)
    forged = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    tx, nonce = steps.begin_ok()
    payload_signature = key.sign(
        card_proof_digest_info(tx, nonce, "kiosk-1")[19:],
        padding.PKCS1v15(),
        Prehashed(hashes.SHA256()),
    )
    response = steps.card_proof(tx, forged.public_bytes(Encoding.DER), payload_signature)
    assert (response.status_code, error_code(response)) == (422, "certificate_untrusted")


def test_bad_card_signature_is_refused(steps: Steps, driver: CardDriver) -> None:
    tx, nonce = steps.begin_ok()
    driver.select_jpki()
    driver.verify_auth_pin(TEST_PINS["auth_pin"])
    certificate = driver.read_auth_certificate()
    wrong = driver.sign_with_auth_key(card_proof_digest_info(tx, nonce, "some-other-kiosk"))
    response = steps.card_proof(tx, certificate, wrong)
    assert (response.status_code, error_code(response)) == (422, "bad_card_signature")
    assert steps.status(tx)["outcome"] == "card_proof_invalid"
    # charged to nobody's card: whoever holds a certificate may present it
    assert steps.backend.rows(
        "SELECT card_ref FROM transactions WHERE transaction_id = ?", (tx,)
    ) == [(None,)]


def test_replayed_nonce_is_refused(steps: Steps, driver: CardDriver) -> None:
    first_tx, first_nonce = steps.begin_ok()
    driver.select_jpki()
    driver.verify_auth_pin(TEST_PINS["auth_pin"])
    certificate = driver.read_auth_certificate()
    signature = driver.sign_with_auth_key(card_proof_digest_info(first_tx, first_nonce, "kiosk-1"))
    chip = steps.chip_sign(first_tx, driver)
    assert steps.card_proof(first_tx, certificate, signature, chip_signature=chip).status_code == (
        200
    )
    # The same proof again, in the same transaction: a replay.
    again = steps.card_proof(first_tx, certificate, signature, chip_signature=chip)
    assert (again.status_code, error_code(again)) == (409, "out_of_order")
    # The old proof in a new transaction (new nonce): it does not verify.
    second_tx, _ = steps.begin_ok()
    moved = steps.card_proof(second_tx, certificate, signature, chip_signature=chip)
    assert (moved.status_code, error_code(moved)) == (422, "bad_card_signature")


# --- one card, one chip ---------------------------------------------------------------------


def _proofs(steps: Steps, tx: str, nonce: bytes, driver: CardDriver) -> tuple[bytes, bytes]:
    """(auth certificate, card proof) of the card in ``driver`` for this transaction."""
    driver.select_jpki()
    driver.verify_auth_pin(TEST_PINS["auth_pin"])
    certificate = driver.read_auth_certificate()
    return certificate, driver.sign_with_auth_key(card_proof_digest_info(tx, nonce, "kiosk-1"))


def test_chip_of_another_card_is_a_binding_mismatch(
    steps: Steps,
    driver: CardDriver,
    issue_test_card: Callable[..., TestCard],
    tmp_path: Path,
) -> None:
    """A spliced card: the JPKI AP of one card, the chip of another. The backend checks the
    chip proof against the chip key the authority issued with the certificate."""
    other = CardDriver(_card(issue_test_card, tmp_path))
    tx, nonce = steps.begin_ok()
    certificate, signature = _proofs(steps, tx, nonce, driver)
    foreign_chip = steps.chip_sign(tx, other)
    response = steps.card_proof(tx, certificate, signature, chip_signature=foreign_chip)
    assert (response.status_code, error_code(response)) == (422, "card_binding_mismatch")
    assert response.json()["error"]["kind"] == "card"
    assert steps.status(tx)["outcome"] == "card_binding_mismatch"
    # the card proved its key and PIN: this failure is the card's (card_ref kept)
    (card_ref,) = steps.backend.rows(
        "SELECT card_ref FROM transactions WHERE transaction_id = ?", (tx,)
    )[0]
    assert card_ref is not None


def test_replayed_chip_answer_is_a_binding_mismatch(steps: Steps, driver: CardDriver) -> None:
    """The chip's signature from an earlier transaction (another chip nonce) is worthless."""
    first_tx, first_nonce = steps.begin_ok()
    recorded = steps.chip_sign(first_tx, driver)
    tx, nonce = steps.begin_ok()
    certificate, signature = _proofs(steps, tx, nonce, driver)
    response = steps.card_proof(tx, certificate, signature, chip_signature=recorded)
    assert (response.status_code, error_code(response)) == (422, "card_binding_mismatch")
    # the genuine chip answer for this transaction passes
    tx, nonce = steps.begin_ok()
    certificate, signature = _proofs(steps, tx, nonce, driver)
    fresh = steps.chip_sign(tx, driver)
    assert steps.card_proof(tx, certificate, signature, chip_signature=fresh).status_code == 200
    del first_nonce


def test_card_the_authority_never_bound_is_refused(
    steps: Steps, testbed_authority: TestAuthority
) -> None:
    """A certificate from the JPKI auth CA without an issuance record (no chip, no card face
    registered for it) cannot be checked for one-card binding: refused, charged to no card."""
    key = rsa.generate_private_key(65537, 2048)
    ca_key = serialization.load_pem_private_key(
        testbed_authority.auth_ca_key_path.read_bytes(), None
    )
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    now = dt.datetime.now(dt.UTC)
    unbound = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unbound")]))
        .issuer_name(testbed_authority.auth_ca_certificate().subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    tx, nonce = steps.begin_ok()
    proof = key.sign(
        card_proof_digest_info(tx, nonce, "kiosk-1")[19:],
        padding.PKCS1v15(),
        Prehashed(hashes.SHA256()),
    )
    response = steps.card_proof(tx, unbound.public_bytes(Encoding.DER), proof)
    assert (response.status_code, error_code(response)) == (422, "card_not_registered")
    assert steps.status(tx)["outcome"] == "card_rejected"


@pytest.mark.parametrize("which", ["card_face_sha256", "chip_key_sha256"])
def test_face_evidence_for_another_card_face_is_a_binding_mismatch(
    steps: Steps, driver: CardDriver, which: str
) -> None:
    """Evidence names the card face (and chip key) the photo came from; the backend takes it
    only for the ones registered with the certificate that proved the transaction."""
    tx, nonce = steps.begin_ok()
    assert steps.prove_with(tx, nonce, driver).status_code == 200
    response = steps.face(tx, steps.evidence(tx, **{which: "ab" * 32}))
    assert (response.status_code, error_code(response)) == (422, "card_binding_mismatch")
    assert steps.status(tx)["outcome"] == "card_binding_mismatch"
    late = steps.face(tx)
    assert error_code(late) == "transaction_closed"


def test_forged_proofs_count_against_the_kiosk_not_the_card(
    make_backend: BackendFactory, driver: CardDriver, virtual_card: VirtualCard
) -> None:
    """A fake holding only a victim's (public) auth certificate, tried again and again: the
    kiosk that presents the forged proofs is flagged and refused; the victim's card, with
    its real key and PIN, goes through at once, at this kiosk below the limit and at any
    other kiosk after it."""
    backend = make_backend(Policy(card_max_failures=1, kiosk_max_invalid_proofs=3))
    forger, honest = Steps(backend, "kiosk-1"), Steps(backend, "kiosk-2")
    other_key = rsa.generate_private_key(65537, 2048)
    try:
        driver.select_jpki()
        certificate = driver.read_auth_certificate()
        for attempt in range(3):
            tx, nonce = forger.begin_ok()
            forged = other_key.sign(
                card_proof_digest_info(tx, nonce, "kiosk-1")[19:],
                padding.PKCS1v15(),
                Prehashed(hashes.SHA256()),
            )
            response = forger.card_proof(tx, certificate, forged)
            assert error_code(response) == "bad_card_signature", attempt
            assert forger.status(tx)["outcome"] == "card_proof_invalid"
            if attempt == 1:  # below the kiosk's limit the owner passes right here
                tx, nonce = forger.begin_ok()
                assert forger.prove_with(tx, nonce, driver).status_code == 200
                forger.http.post(f"/v1/transactions/{tx}/abort",
                                 json={"idempotency_key": new_key(), "reason": "timeout"})
        refused = forger.begin()
        assert (refused.status_code, error_code(refused)) == (429, "kiosk_flagged")
        (flagged,) = backend.rows("SELECT flagged_at FROM kiosks WHERE kiosk_id = 'kiosk-1'")[0]
        assert flagged is not None
        tx, nonce = honest.begin_ok()
        assert honest.prove_with(tx, nonce, driver).status_code == 200
        assert honest.face(tx).status_code == 200
        # the flag stays until staff enable the kiosk again; the limit ends with its window
        backend.clock.advance(Policy().kiosk_invalid_proof_window_seconds + 1)
        assert forger.begin().status_code == 201
        assert backend.rows("SELECT flagged_at FROM kiosks WHERE kiosk_id = 'kiosk-1'") == [
            (flagged,)
        ]
        set_kiosk_enabled(backend.server.database, "kiosk-1", True)
        assert backend.rows("SELECT flagged_at FROM kiosks WHERE kiosk_id = 'kiosk-1'") == [
            (None,)
        ]
    finally:
        forger.close()
        honest.close()
    del virtual_card


def test_staff_enabling_a_flagged_kiosk_lets_it_serve_at_once(
    make_backend: BackendFactory, driver: CardDriver, virtual_card: VirtualCard
) -> None:
    """The proofs that flagged the kiosk stop counting once staff have checked it and enabled
    it again; new failed proofs count afresh."""
    backend = make_backend(Policy(kiosk_max_invalid_proofs=2))
    kiosk = Steps(backend, "kiosk-1")
    other_key = rsa.generate_private_key(65537, 2048)

    def forge(begun: tuple[str, bytes] | None = None) -> None:
        tx, nonce = begun or kiosk.begin_ok()
        forged = other_key.sign(
            card_proof_digest_info(tx, nonce, "kiosk-1")[19:],
            padding.PKCS1v15(),
            Prehashed(hashes.SHA256()),
        )
        assert error_code(kiosk.card_proof(tx, certificate, forged)) == "bad_card_signature"

    try:
        driver.select_jpki()
        certificate = driver.read_auth_certificate()
        kept_open = kiosk.begin_ok()
        forge()
        forge()
        assert error_code(kiosk.begin()) == "kiosk_flagged"
        backend.clock.advance(1)  # staff come by a moment later
        set_kiosk_enabled(backend.server.database, "kiosk-1", True, now=backend.clock())
        backend.clock.advance(1)
        tx, nonce = kiosk.begin_ok()
        assert kiosk.prove_with(tx, nonce, driver).status_code == 200
        kiosk.http.post(f"/v1/transactions/{tx}/abort",
                        json={"idempotency_key": new_key(), "reason": "timeout"})
        forge(kept_open)  # begun before staff came, failed after: it counts
        forge()
        assert error_code(kiosk.begin()) == "kiosk_flagged"
    finally:
        kiosk.close()
    del virtual_card


# --- the reset command and the card's answer ------------------------------------------------


def test_altered_reset_command_is_refused_by_the_card(
    steps: Steps, driver: CardDriver, virtual_card: VirtualCard
) -> None:
    tx = _ready_for_command(steps, driver)
    challenge = driver.get_challenge()
    apdu = bytearray(
        base64.b64decode(steps.reset_command(tx, "ALTERED1", challenge).json()["apdu"])
    )
    apdu[8] ^= 0x01  # one bit of the encrypted PIN
    answer = virtual_card.process(bytes(apdu))
    assert answer == b"\x69\x88"
    assert _sign_pin(virtual_card) == (TEST_PINS["sign_pin"], 5)
    closed = steps.card_answer(tx, answer).json()
    # a plain status word carries no MAC: the server cannot tell it from a forged one, so it
    # never records "nothing changed" for it
    assert closed["outcome"] == "unconfirmed"


def test_replayed_reset_command_is_refused_by_the_card(
    steps: Steps, driver: CardDriver, virtual_card: VirtualCard
) -> None:
    tx = _ready_for_command(steps, driver)
    challenge = driver.get_challenge()
    body = steps.reset_command_body(tx, "FIRSTPIN1", challenge)
    first = steps.post_body(tx, "reset-command", body)
    apdu = base64.b64decode(first.json()["apdu"])
    # A retry (same idempotency key, same body) returns the very same command.
    for _ in range(2):
        repeated = steps.post_body(tx, "reset-command", body)
        assert repeated.headers.get("Idempotent-Replayed") == "true"
        assert base64.b64decode(repeated.json()["apdu"]) == apdu
    answer = virtual_card.process(apdu)
    assert steps.card_answer(tx, answer).json()["outcome"] == "pin_reset"
    assert _sign_pin(virtual_card) == ("FIRSTPIN1", 5)
    # Replayed without a fresh challenge, and after a new challenge: refused both times.
    driver.select_jpki()
    assert virtual_card.process(apdu) == b"\x69\x85"
    driver.get_challenge()
    assert virtual_card.process(apdu) == b"\x69\x88"
    assert _sign_pin(virtual_card) == ("FIRSTPIN1", 5)
    # The server's transaction is closed: nothing more to submit.
    late = steps.card_answer(tx, answer)
    assert (late.status_code, error_code(late)) == (409, "transaction_closed")


def test_a_forged_card_answer_is_not_believed(steps: Steps, driver: CardDriver) -> None:
    tx = _ready_for_command(steps, driver)
    steps.reset_command(tx, "FORGED11", driver.get_challenge())
    forged = bytes.fromhex("99029000") + bytes.fromhex("8e08") + bytes(8) + b"\x90\x00"
    assert steps.card_answer(tx, forged).json()["outcome"] == "unconfirmed"


@pytest.mark.parametrize("forged", ["6985", "6988", "6A80", "9000", "6F00", "63C0"])
def test_a_plain_status_word_after_a_real_reset_is_unconfirmed(
    steps: Steps, driver: CardDriver, virtual_card: VirtualCard, forged: str
) -> None:
    """The card did set the PIN, but the kiosk hands the server a plain status word in place
    of the card's MAC'd answer: only "unconfirmed" may be recorded, never "nothing changed"."""
    tx = _ready_for_command(steps, driver)
    apdu = base64.b64decode(
        steps.reset_command(tx, "REALRESET1", driver.get_challenge()).json()["apdu"]
    )
    genuine = virtual_card.process(apdu)
    assert _sign_pin(virtual_card) == ("REALRESET1", 5)  # the card acted
    closed = steps.card_answer(tx, bytes.fromhex(forged)).json()
    assert closed["outcome"] == "unconfirmed"
    assert backend_outcome(steps, tx) == "unconfirmed"
    del genuine


def backend_outcome(steps: Steps, tx: str) -> str:
    rows = steps.backend.rows("SELECT outcome FROM transactions WHERE transaction_id = ?", (tx,))
    return str(rows[0][0])


@pytest.mark.parametrize("bad", ["bad pin", "ABCDEFGH", "12345678", "AB12", "A1" * 9])
def test_new_pin_in_a_bad_format_is_refused(
    backend: RunningBackend, steps: Steps, driver: CardDriver, bad: str
) -> None:
    """The signature-PIN rules (6-16 of A-Z0-9 with a letter and a digit) are the server's
    too, not only the kiosk's screens."""
    from kiosk_protocol import pin_envelope

    tx = _ready_for_command(steps, driver)
    original = pin_envelope.is_valid_signature_pin
    pin_envelope.is_valid_signature_pin = lambda pin: True  # let the kiosk side send it
    try:
        response = steps.reset_command(tx, bad, driver.get_challenge())
    finally:
        pin_envelope.is_valid_signature_pin = original
    assert (response.status_code, error_code(response)) == (400, "new_pin_format")
    assert steps.status(tx)["state"] == "awaiting_reset_request"


# --- policy ---------------------------------------------------------------------------------


def test_card_rate_limit(make_backend: BackendFactory, driver: CardDriver) -> None:
    backend = make_backend(Policy(card_max_transactions=1))
    steps = Steps(backend)
    try:
        tx, nonce = steps.begin_ok()
        assert steps.prove_with(tx, nonce, driver).status_code == 200
        tx, nonce = steps.begin_ok()
        response = steps.prove_with(tx, nonce, driver)
        assert (response.status_code, error_code(response)) == (429, "card_rate_limited")
        assert steps.status(tx)["outcome"] == "refused_by_policy"
    finally:
        steps.close()


def test_card_locked_after_failed_face_checks(
    make_backend: BackendFactory, driver: CardDriver
) -> None:
    backend = make_backend(Policy(card_max_failures=1))
    steps = Steps(backend)
    try:
        tx, nonce = steps.begin_ok()
        assert steps.prove_with(tx, nonce, driver).status_code == 200
        failed = steps.face(tx, steps.evidence(tx, matched=False, score_ppm=800_000))
        assert (failed.status_code, error_code(failed)) == (403, "face_check_failed")
        tx, nonce = steps.begin_ok()
        response = steps.prove_with(tx, nonce, driver)
        assert (response.status_code, error_code(response)) == (429, "card_locked")
    finally:
        steps.close()


def test_kiosk_rate_limit(make_backend: BackendFactory) -> None:
    backend = make_backend(Policy(kiosk_max_transactions=2, kiosk_window_seconds=60))
    steps = Steps(backend)
    try:
        assert steps.begin().status_code == 201
        assert steps.begin().status_code == 201
        response = steps.begin()
        assert (response.status_code, error_code(response)) == (429, "kiosk_rate_limited")
        backend.clock.advance(61)
        assert steps.begin().status_code == 201
    finally:
        steps.close()


def test_transaction_expired(backend: RunningBackend, steps: Steps, driver: CardDriver) -> None:
    tx, nonce = steps.begin_ok()
    backend.clock.advance(Policy().transaction_ttl_seconds + 1)
    response = steps.prove_with(tx, nonce, driver)
    assert (response.status_code, error_code(response)) == (410, "transaction_expired")
    assert steps.status(tx)["outcome"] == "expired"


def test_unanswered_command_ends_unconfirmed_after_the_grace_time(
    backend: RunningBackend, steps: Steps, driver: CardDriver
) -> None:
    tx = _ready_for_command(steps, driver)
    steps.reset_command(tx, "NEVERSENT1", driver.get_challenge())
    policy = Policy()
    backend.clock.advance(policy.transaction_ttl_seconds + policy.answer_grace_seconds + 1)
    assert backend.server.api.sweep() == [tx]
    assert steps.status(tx)["outcome"] == "unconfirmed"


def test_outside_service_hours(make_backend: BackendFactory) -> None:
    now = dt.datetime.now().astimezone()
    start = (now + dt.timedelta(hours=2)).strftime("%H:%M")
    end = (now + dt.timedelta(hours=3)).strftime("%H:%M")
    backend = make_backend(Policy(service_hours=f"{start}-{end}"))
    steps = Steps(backend)
    try:
        response = steps.begin()
        assert (response.status_code, error_code(response)) == (403, "outside_service_hours")
    finally:
        steps.close()


def test_insufficient_face_evidence_closes_the_transaction(
    steps: Steps, driver: CardDriver
) -> None:
    tx, nonce = steps.begin_ok()
    assert steps.prove_with(tx, nonce, driver).status_code == 200
    weak = steps.evidence(tx, liveness=Liveness.FAILED)
    response = steps.face(tx, weak)
    assert (response.status_code, error_code(response)) == (403, "face_check_failed")
    assert steps.status(tx)["outcome"] == "face_check_failed"
    recorded = steps.backend.rows(
        "SELECT identity_check FROM transactions WHERE transaction_id = ?", (tx,)
    )
    assert recorded == [("card+pin+face",)]


def test_face_evidence_must_be_signed_by_this_kiosk_for_this_transaction(
    steps: Steps, driver: CardDriver
) -> None:
    tx, nonce = steps.begin_ok()
    assert steps.prove_with(tx, nonce, driver).status_code == 200
    evidence = steps.evidence(tx)
    other_key = ec.generate_private_key(ec.SECP256R1())
    response = steps.http.post(
        f"/v1/transactions/{tx}/face-evidence",
        json={
            "idempotency_key": new_key(),
            "evidence": evidence.to_json(),
            "signature": base64.b64encode(sign_face_evidence(other_key, evidence)).decode(),
        },
    )
    assert (response.status_code, error_code(response)) == (400, "bad_kiosk_signature")
    other_tx, _ = steps.begin_ok()
    mismatch = steps.face(tx, steps.evidence(other_tx))
    assert error_code(mismatch) == "evidence_mismatch"
    assert steps.face(tx).status_code == 200  # still open, the right evidence passes


# --- order and idempotency ------------------------------------------------------------------


def test_out_of_order_calls_are_refused(steps: Steps, driver: CardDriver) -> None:
    tx, _ = steps.begin_ok()
    early_face = steps.face(tx)
    assert (early_face.status_code, error_code(early_face)) == (409, "out_of_order")
    early_command = steps.reset_command(tx, "EARLY123", bytes(16))
    assert error_code(early_command) == "out_of_order"
    early_answer = steps.card_answer(tx, b"\x90\x00")
    assert error_code(early_answer) == "out_of_order"


def test_idempotency_keys(steps: Steps) -> None:
    key = new_key()
    first = steps.http.post("/v1/transactions", json={"idempotency_key": key})
    again = steps.http.post("/v1/transactions", json={"idempotency_key": key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    tx = first.json()["transaction_id"]
    reused = steps.http.post(
        f"/v1/transactions/{tx}/abort", json={"idempotency_key": key, "reason": "timeout"}
    )
    assert (reused.status_code, error_code(reused)) == (422, "idempotency_key_reused")


def test_malformed_requests_are_refused_cleanly(steps: Steps) -> None:
    bad_json = steps.http.post(
        "/v1/transactions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (bad_json.status_code, error_code(bad_json)) == (400, "malformed")
    short_key = steps.http.post("/v1/transactions", json={"idempotency_key": "x"})
    assert error_code(short_key) == "malformed"
    tx, _ = steps.begin_ok()
    bad_b64 = steps.http.post(
        f"/v1/transactions/{tx}/card-proof",
        json={"idempotency_key": new_key(), "auth_certificate": "%%%", "signature": "AA=="},
    )
    assert error_code(bad_b64) == "malformed"
    assert steps.http.get("/v1/nothing").status_code == 404


def test_abort(steps: Steps) -> None:
    tx, _ = steps.begin_ok()
    response = steps.http.post(
        f"/v1/transactions/{tx}/abort",
        json={"idempotency_key": new_key(), "reason": "resident_cancelled"},
    )
    assert response.json()["outcome"] == "aborted"
    assert error_code(steps.face(tx)) == "transaction_closed"


def test_old_stored_replies_are_forgotten_by_the_sweeper(
    backend: RunningBackend, steps: Steps
) -> None:
    steps.begin_ok()
    assert backend.rows("SELECT COUNT(*) FROM idempotency") == [(1,)]
    backend.clock.advance(Policy().idempotency_retention_seconds + 1)
    backend.server.api.sweep()
    assert backend.rows("SELECT COUNT(*) FROM idempotency") == [(0,)]
    assert backend.rows("SELECT outcome FROM transactions") == [("expired",)]


def test_metrics_count_each_closed_transaction_once(backend: RunningBackend, steps: Steps) -> None:
    tx, _ = steps.begin_ok()
    steps.http.post(
        f"/v1/transactions/{tx}/abort", json={"idempotency_key": new_key(), "reason": "timeout"}
    )
    for _ in range(3):
        assert error_code(steps.face(tx)) == "transaction_closed"
    metrics = backend.server.metrics.render()
    assert 'kiosk_backend_transactions_closed_total{outcome="aborted"} 1.0' in metrics
