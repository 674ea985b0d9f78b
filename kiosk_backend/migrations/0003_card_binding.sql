-- One card, one chip (docs/card-profile.md §6, docs/protocol.md §4.2): a second nonce per
-- transaction for the chip's proof, and a flag on a kiosk that presented card proofs which
-- did not verify (for staff; set once the policy's limit is reached, cleared by enable-kiosk).

ALTER TABLE transactions ADD COLUMN chip_nonce TEXT;

CREATE UNIQUE INDEX transactions_chip_nonce ON transactions (chip_nonce);

ALTER TABLE kiosks ADD COLUMN flagged_at BIGINT;

CREATE INDEX transactions_kiosk_outcome ON transactions (kiosk_id, outcome, created_at);

-- Before this version a card proof that did not verify closed as card_rejected WITH the
-- certificate's card_ref (the only card_rejected that kept one), so it counted against the
-- card a forger had merely copied the certificate of. Count those against the kiosk instead.
UPDATE transactions SET outcome = 'card_proof_invalid', card_ref = NULL
    WHERE outcome = 'card_rejected' AND card_ref IS NOT NULL
