"""The transaction's secrets: named bytearrays, wiped when no step needs them any more."""

from __future__ import annotations

from collections.abc import Iterable


def wipe(buffer: bytearray) -> None:
    """Overwrite a buffer with zeros in place (then empty it)."""
    buffer[:] = bytes(len(buffer))
    buffer.clear()


class SecretStore:
    """Holds the flow's secrets by name. Secrets lent to running work are wiped when it returns.

    ``repr`` shows only names, never contents.
    """

    def __init__(self) -> None:
        self._secrets: dict[str, bytearray] = {}
        self._lent: dict[str, int] = {}
        self._doomed: list[bytearray] = []

    def put(self, name: str, value: bytearray) -> None:
        """Take ownership of ``value`` (the caller must not use it afterwards)."""
        old = self._secrets.pop(name, None)
        if old is not None and old is not value:
            self._retire(name, old)
        self._secrets[name] = value

    def get(self, name: str) -> bytearray | None:
        return self._secrets.get(name)

    def has(self, name: str) -> bool:
        return name in self._secrets

    def lend(self, name: str) -> None:
        """Mark a secret as in use by running work: wiping it is deferred until ``give_back``."""
        self._lent[name] = self._lent.get(name, 0) + 1

    def give_back(self, name: str) -> None:
        count = self._lent.get(name, 0) - 1
        if count <= 0:
            self._lent.pop(name, None)
        else:
            self._lent[name] = count
        self._flush_doomed()

    def keep_only(self, names: Iterable[str]) -> None:
        """Wipe every secret whose name is not in ``names``."""
        keep = set(names)
        for name in [n for n in self._secrets if n not in keep]:
            self._retire(name, self._secrets.pop(name))

    def wipe_all(self) -> None:
        self.keep_only(())

    def _retire(self, name: str, value: bytearray) -> None:
        if name in self._lent:
            self._doomed.append(value)
        else:
            wipe(value)

    def _flush_doomed(self) -> None:
        if not self._lent:
            for value in self._doomed:
                wipe(value)
            self._doomed.clear()

    def __repr__(self) -> str:
        return f"SecretStore(names={sorted(self._secrets)})"
