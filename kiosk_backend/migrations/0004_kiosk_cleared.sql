-- When staff last enabled a kiosk (enable-kiosk): card proofs that failed before it no longer
-- count towards the kiosk's limit, so a kiosk staff have checked serves again at once instead
-- of staying refused until the proofs leave the policy's window.

ALTER TABLE kiosks ADD COLUMN cleared_at BIGINT
