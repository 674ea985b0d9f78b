"""A throw-away PostgreSQL schema, so test and benchmark runs never collide.

`fresh_schema(url)` creates `<prefix>_<random>` and returns a URL whose connections use it
(libpq `options=-csearch_path=...`), and a function that drops it again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def url_with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query) if name != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def fresh_schema(url: str, prefix: str = "kiosk_run") -> tuple[str, Callable[[], None]]:
    import psycopg

    schema = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    return url_with_search_path(url, schema), drop
