"""User authorisation (``lark.user_auth``): card and link flows, user tokens.

    session = await lark.user_auth.start_session("ou_...", method="card",
                                                  redirect_uri="https://app.example/oauth")
    # the user clicks, approves; the redirect handler calls complete(code, state)
    await lark.request("GET", "/open-apis/...", as_user="ou_...")

See docs/user-auth.md. The token manager and stores are in ``lark_async.auth``.
"""

from lark_async.auth.user_models import (
    AuthSessionInvalid,
    ReauthorizationRequired,
    UserAuthSession,
    UserGrant,
    UserTokenStoreError,
)
from lark_async.user_auth.card import authorisation_card, card_url
from lark_async.user_auth.service import UserAuth
from lark_async.user_auth.web import RedirectASGI, aiohttp_redirect_handler

__all__ = [
    "AuthSessionInvalid",
    "ReauthorizationRequired",
    "RedirectASGI",
    "UserAuth",
    "UserAuthSession",
    "UserGrant",
    "UserTokenStoreError",
    "aiohttp_redirect_handler",
    "authorisation_card",
    "card_url",
]
