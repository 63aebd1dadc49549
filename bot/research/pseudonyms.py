"""Pseudonyms: a keyed hash that stands for a respondent in every export.

HMAC-SHA256 of ``channel:external_id`` with a random 256-bit key made once per installation and
kept in the database's ``meta`` table. The same person gets the same pseudonym in every export of
this installation (so exports can be joined), but without the key nobody can test a guessed
Telegram id against it — a plain hash of a Telegram id could be reversed by trying every id.

>>> from bot.store import Store
>>> p = Pseudonyms(Store.open(":memory:"))
>>> name = p("telegram", "123456789")
>>> name.startswith("R-") and len(name) == 18 and name == p("telegram", "123456789")
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from bot.store import Store

KEY_NAME = "pseudonym_key"
PREFIX = "R-"
HEX_CHARS = 16  # 64 bits: no collision in any realistic number of respondents
CACHE_SIZE = 4096


def installation_key(store: Store) -> bytes:
    """The installation's pseudonym key, made on first use and kept in ``meta``."""
    value = store.meta(KEY_NAME, lambda: secrets.token_hex(32))
    assert value is not None
    return bytes.fromhex(value)


class Pseudonyms:
    """Turns (channel, external id) into a stable pseudonym such as ``R-3f9a0c1d2e4b5a6c``."""

    def __init__(self, store: Store) -> None:
        self._key = installation_key(store)
        # The keyed HMAC, copied for each respondent: the key's padding is hashed once, not
        # once per respondent (an export of a large study makes one pseudonym per session).
        self._keyed = hmac.new(self._key, digestmod=hashlib.sha256)
        self._cache: dict[tuple[str, str], str] = {}

    def __call__(self, channel: str, external_id: str) -> str:
        """The pseudonym of one respondent."""
        key = (channel, str(external_id))
        found = self._cache.get(key)
        if found is None:
            mac = self._keyed.copy()
            mac.update(f"{channel}:{external_id}".encode())
            digest = mac.hexdigest()
            found = PREFIX + digest[:HEX_CHARS]
            if len(self._cache) >= CACHE_SIZE:  # bounded: memory must not grow with the study
                self._cache.clear()
            self._cache[key] = found
        return found
