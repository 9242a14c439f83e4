"""Fernet encryption of secrets and tokens at rest, with key rotation.

The key comes from ``LARK_ASYNC_SECRET_KEY``: one Fernet key, or several
separated by commas. The first encrypts; all of them decrypt (MultiFernet),
so a new key can be put in front and the rows re-encrypted at leisure.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from lark_async.core.errors import ConfigError

SECRET_KEY_ENV = "LARK_ASYNC_SECRET_KEY"


class DecryptError(Exception):
    """A stored value could not be decrypted with any configured key."""


class SecretBox:
    def __init__(self, keys: str | list[str]) -> None:
        raw = keys.split(",") if isinstance(keys, str) else list(keys)
        raw = [k.strip() for k in raw if k.strip()]
        if not raw:
            raise ConfigError(
                f"{SECRET_KEY_ENV} is empty",
                hint=f"set {SECRET_KEY_ENV} to a Fernet key: lark-async keygen",
            )
        fernets = []
        for i, k in enumerate(raw):
            try:
                fernets.append(Fernet(k.encode()))
            except (ValueError, TypeError):
                raise ConfigError(
                    f"{SECRET_KEY_ENV} key #{i + 1} is not a valid Fernet key",
                    hint="a Fernet key is 32 url-safe base64-encoded bytes; "
                    "make one with: lark-async keygen",
                ) from None
        self._primary = fernets[0]
        self._multi = MultiFernet(fernets)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SecretBox:
        value = (env if env is not None else os.environ).get(SECRET_KEY_ENV)
        if not value:
            raise ConfigError(
                f"{SECRET_KEY_ENV} is not set",
                hint=f"set {SECRET_KEY_ENV} to a Fernet key (make one with: lark-async keygen)",
            )
        return cls(value)

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, plaintext: str) -> str:
        return self._primary.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._multi.decrypt(ciphertext.encode()).decode()
        except (InvalidToken, ValueError, TypeError):
            raise DecryptError(
                "stored value cannot be decrypted with the configured keys"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the primary key."""
        try:
            return self._multi.rotate(ciphertext.encode()).decode()
        except (InvalidToken, ValueError, TypeError):
            raise DecryptError(
                "stored value cannot be decrypted with the configured keys"
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"
