-- Kiosks enrolled by the operator, their live transactions, and idempotent replies.
-- Times are milliseconds since the Unix epoch (UTC). No personal data: a card appears
-- only as card_ref, a keyed hash of its auth certificate, used for rate limits.

CREATE TABLE kiosks (
    kiosk_id TEXT PRIMARY KEY,
    certificate_sha256 TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    enrolled_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE transactions (
    transaction_id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL REFERENCES kiosks (kiosk_id),
    nonce TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    outcome TEXT,
    identity_check TEXT,
    card_ref TEXT,
    -- Needed only while the transaction is open (to derive the card's session keys);
    -- set to NULL when it closes.
    card_serial TEXT,
    card_challenge TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT
);

CREATE INDEX transactions_kiosk_created ON transactions (kiosk_id, created_at);
CREATE INDEX transactions_card_created ON transactions (card_ref, created_at);
CREATE INDEX transactions_open_expiry ON transactions (state, expires_at);

CREATE TABLE idempotency (
    kiosk_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    operation TEXT NOT NULL,
    transaction_id TEXT,
    request_sha256 TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, idempotency_key)
);
