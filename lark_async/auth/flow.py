"""The auth step of the request pipeline: which token an attempt carries.

The transport asks :class:`TokenAuth` for a token before each attempt and
tells it when Feishu rejected one; whether to replay is the retry decision's
call (``lark_async.core.retry.decide``), within the refetch budget.
"""

from __future__ import annotations

from lark_async.auth.models import TokenKind
from lark_async.auth.tokens import TokenManager
from lark_async.core.options import RequestOptions

_MANAGED = {"tenant": TokenKind.TENANT, "app": TokenKind.APP}


class TokenAuth:
    """Managed tenant/app tokens from a :class:`TokenManager`; user tokens as given."""

    __slots__ = ("tokens",)

    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    async def token(self, app_id: str, opts: RequestOptions) -> str | None:
        kind = _MANAGED.get(opts.auth)
        if kind is not None:
            return await self.tokens.token(app_id, kind)
        if opts.auth == "user":
            return opts.user_access_token
        return None

    async def rejected(self, app_id: str, opts: RequestOptions, token: str) -> None:
        kind = _MANAGED.get(opts.auth)
        if kind is not None:
            await self.tokens.invalidate(app_id, kind, token)

    def __repr__(self) -> str:
        return "TokenAuth()"
