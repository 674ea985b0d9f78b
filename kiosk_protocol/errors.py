"""The one error this package raises: a message that does not follow the protocol."""

from __future__ import annotations


class MessageError(ValueError):
    """A message is malformed: wrong type, missing field, bad encoding or out-of-range value.

    The text names the field and the rule, never the value (values may be secret).
    """
