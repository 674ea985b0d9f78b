"""Talking to My Number cards: transports, the APDU channel, one session per application.

Layers (yubikit-style: protocol apart from transport):
- ``transport``  ``Transport`` protocol (``transmit(apdu) -> (data, sw)``, ``close()``,
  context manager), ``CountingTransport``; ``scripted.ScriptedTransport`` replays
  (command, response) scripts for unit tests.
- ``pcsc``       the only pyscard user: ``PcscTransport(reader)`` (exclusive, T=0/T=1,
  powers the card off on close), ``list_readers()``, ``ReaderWatcher(callback)`` delivering
  ``events.*`` from a background thread.
- ``apdu``       ``CommandApdu`` (short/extended), ``SW``, ``CardChannel`` (61xx/6Cxx,
  SELECT, whole-EF READ BINARY by short file id with one extended Le, bounded loops).
- ``tlv``        strict BER-TLV. ``errors``: ``CardError`` and its typed subclasses.
- ``traffic``    the TRAFFIC log level (5) with redaction (PINs, My Number never logged).
- ``pin``        ``PinStatus`` by empty VERIFY, VERIFY with typed outcomes.
- ``jpki``       ``JpkiSession``: certificates, PIN status/verify, ``sign_with_auth_key``,
  ``get_challenge``, ``relay`` (the backend's admin command).
- ``text_ap``    ``TextApSession``: My Number (bytearray), basic 4 info.
- ``card_info``  ``CardInfoSession``: 照合番号A/B, card face, CV certificate, DF28 and chip
  authentication -> ``TrustedCardFace``; ``TrustAnchors``; ``build_check_code_b``.
- ``era``        Gregorian -> Japanese era dates (for 照合番号B).
- ``card``       ``MyNumberCard.recognize(transport)`` (by SELECT of the three APs),
  ``read_retry_counters()``, ``snapshot()`` for card-swap detection.
- ``benchmark``  ``run_card_benchmark(transport_factory, text_pin=...)`` (``kiosk card-bench``).

Typical use::

    with PcscTransport(reader) as transport:
        card = MyNumberCard.recognize(transport)
        counters = card.read_retry_counters()
        card.jpki.verify_pin(JpkiPin.AUTH, pin)      # pin: bytearray, wiped by the caller
        signature = card.jpki.sign_with_auth_key(digest_info)

See docs/card-reader.md and docs/card-profile.md.
"""
