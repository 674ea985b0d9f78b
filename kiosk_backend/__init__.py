"""The reference backend playing the issuing authority (`kiosk-backend`); see docs/backend.md."""
