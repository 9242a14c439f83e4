"""Fernet encryption of secrets and tokens at rest, with key rotation.

The key comes from ``LARK_ASYNC_SECRET_KEY``: one Fernet key, or several
separated by commas. The first encrypts; all of them decrypt (MultiFernet),
so a new key can be put in front and the rows re-encrypted at leisure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from lark_async.core.checks import bad_argument, check_text
from lark_async.core.errors import ConfigError

SECRET_KEY_ENV = "LARK_ASYNC_SECRET_KEY"


class DecryptError(ConfigError):
    """A stored value could not be decrypted with any configured key (the key is wrong)."""


class SecretBox:
    def __init__(self, keys: str | list[str]) -> None:
        if isinstance(keys, str):
            raw = check_text(keys, "keys", error=ConfigError).split(",")
        elif isinstance(keys, list | tuple):
            raw = [check_text(k, "keys", error=ConfigError) for k in keys]
        else:
            raise bad_argument(
                "keys",
                f"must be a str or a list of str, not {type(keys).__name__}",
                error=ConfigError,
            )
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
    def from_env(cls, env: Mapping[str, str] | None = None) -> SecretBox:
        if env is not None and not isinstance(env, Mapping):
            raise bad_argument(
                "env", f"must be a mapping, not {type(env).__name__}", error=ConfigError
            )
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
        return self._primary.encrypt(check_text(plaintext, "plaintext").encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        check_text(ciphertext, "ciphertext")
        try:
            return self._multi.decrypt(ciphertext.encode()).decode()
        except (InvalidToken, ValueError, TypeError):
            raise DecryptError(
                "stored value cannot be decrypted with the configured keys"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the primary key."""
        check_text(ciphertext, "ciphertext")
        try:
            return self._multi.rotate(ciphertext.encode()).decode()
        except (InvalidToken, ValueError, TypeError):
            raise DecryptError(
                "stored value cannot be decrypted with the configured keys"
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"
