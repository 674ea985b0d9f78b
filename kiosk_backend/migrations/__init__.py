"""Numbered SQL migrations, applied in order by kiosk_backend.migrator."""
