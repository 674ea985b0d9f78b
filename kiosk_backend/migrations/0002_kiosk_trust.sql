-- Issue 13: kiosk trust rooted in hardware, revocation on every path, the holder told.
--
-- kiosks.attestation: 'tpm' (keys in the kiosk's TPM, evidence must come with a quote) or
-- 'software' (testbeds only; accepted only by a server started to allow them).
-- kiosks.store_name: where the kiosk stands, for the holder's notification.
ALTER TABLE kiosks ADD COLUMN attestation TEXT NOT NULL DEFAULT 'software';
ALTER TABLE kiosks ADD COLUMN store_name TEXT NOT NULL DEFAULT '';

-- The TPM identity recorded at enrolment. Public keys are TPMT_PUBLIC areas in hex.
CREATE TABLE kiosk_tpm (
    kiosk_id TEXT PRIMARY KEY REFERENCES kiosks (kiosk_id),
    ek_public_sha256 TEXT NOT NULL,
    ek_certificate_sha256 TEXT,
    attestation_public TEXT NOT NULL,
    evidence_public TEXT NOT NULL,
    pcr_selection TEXT NOT NULL,
    pcr_digest TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL
);

-- Every kiosk certificate issued: those that are not a kiosk's current one, and the current
-- one of a disabled kiosk, are in the CRL the TLS server checks.
CREATE TABLE kiosk_certificates (
    serial TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    certificate_sha256 TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    not_after BIGINT NOT NULL
);
CREATE INDEX kiosk_certificates_kiosk ON kiosk_certificates (kiosk_id);

-- The outbox: one row per reset, written in the same database transaction that records the
-- outcome; a delivery worker sends it (retries, at most one delivery per row).
CREATE TABLE holder_notifications (
    notification_id TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL UNIQUE,
    card_ref TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    store_name TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reset_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    delivered_at BIGINT,
    last_error TEXT
);
CREATE INDEX holder_notifications_due ON holder_notifications (delivered_at, next_attempt_at);

-- The reference backend's stand-in for the holder's portal account: the inbox the portal
-- shows, and (optionally) an e-mail address the holder registered there.
CREATE TABLE portal_inbox (
    notification_id TEXT PRIMARY KEY,
    card_ref TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE holder_contacts (
    card_ref TEXT PRIMARY KEY,
    email TEXT NOT NULL
);
