"""Self-service kiosk that resets the signature-certificate PIN of a My Number card."""

__version__ = "0.1.0"
