"""The auth step of the request pipeline: which token an attempt carries.

The transport asks :class:`TokenAuth` for a token before each attempt and
tells it when Feishu rejected one; whether to replay is the retry decision's
call (``lark_async.core.retry.decide``), within the refetch budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark_async.auth.models import TokenKind
from lark_async.auth.tokens import TokenManager
from lark_async.core.errors import ConfigError
from lark_async.core.options import RequestOptions

if TYPE_CHECKING:
    from lark_async.auth.user_tokens import UserTokenManager

_MANAGED = {"tenant": TokenKind.TENANT, "app": TokenKind.APP}


class TokenAuth:
    """Managed tenant/app tokens from a :class:`TokenManager`; user tokens as given, or
    (``as_user=open_id``) from a :class:`UserTokenManager`, refreshed when rejected."""

    __slots__ = ("tokens", "users")

    def __init__(self, tokens: TokenManager, users: UserTokenManager | None = None) -> None:
        self.tokens = tokens
        self.users = users

    async def token(self, app_id: str, opts: RequestOptions) -> str | None:
        kind = _MANAGED.get(opts.auth)
        if kind is not None:
            return await self.tokens.token(app_id, kind)
        if opts.auth == "user":
            if opts.as_user is not None:
                if self.users is None:
                    raise ConfigError("this client manages no user tokens (as_user=)")
                return await self.users.token(app_id, opts.as_user)
            return opts.user_access_token
        return None

    async def rejected(self, app_id: str, opts: RequestOptions, token: str) -> None:
        kind = _MANAGED.get(opts.auth)
        if kind is not None:
            await self.tokens.invalidate(app_id, kind, token)
        elif opts.as_user is not None and self.users is not None:
            await self.users.invalidate(app_id, opts.as_user, token)

    def __repr__(self) -> str:
        return "TokenAuth()"
