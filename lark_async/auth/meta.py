"""The OAuth v2 token endpoint's codes (Feishu authentication docs): data only."""

from __future__ import annotations

from lark_async.core.errors import CodeInfo, ErrorKind


def _codes() -> dict[int, CodeInfo]:
    k = ErrorKind
    again = "the user must authorise again (start a new authorisation session)"
    return {
        20001: CodeInfo(k.INVALID_PARAMETER, False, "a required OAuth parameter is missing"),
        20002: CodeInfo(k.CONFIG_ERROR, False, "client secret invalid: check app_secret"),
        20003: CodeInfo(k.INVALID_PARAMETER, False, "authorisation code not found or used"),
        20004: CodeInfo(k.INVALID_PARAMETER, False, "authorisation code expired (5 minutes)"),
        20008: CodeInfo(k.NOT_FOUND, False, "the user does not exist"),
        20009: CodeInfo(k.CONFIG_ERROR, False, "the app is not installed in the user's tenant"),
        20010: CodeInfo(k.PERMISSION_DENIED, False, "the user may not use this app"),
        20024: CodeInfo(k.TOKEN_INVALID, False, "code or refresh token of another app; " + again),
        20026: CodeInfo(k.TOKEN_INVALID, False, "refresh token invalid; " + again),
        20036: CodeInfo(k.INVALID_PARAMETER, False, "unsupported grant_type"),
        20037: CodeInfo(k.TOKEN_INVALID, False, "refresh token expired; " + again),
        20048: CodeInfo(k.CONFIG_ERROR, False, "the app does not exist: check app_id"),
        20049: CodeInfo(k.INVALID_PARAMETER, False, "PKCE verification failed"),
        20050: CodeInfo(k.SERVER, True, "Feishu OAuth server error; retry"),
        20064: CodeInfo(k.TOKEN_INVALID, False, "refresh token revoked; " + again),
        20065: CodeInfo(k.INVALID_PARAMETER, False, "authorisation code already used"),
        20071: CodeInfo(
            k.INVALID_PARAMETER, False, "redirect_uri does not match the authorisation"
        ),
        20072: CodeInfo(k.SERVER, True, "OAuth temporarily unavailable; retry"),
        20073: CodeInfo(k.TOKEN_INVALID, False, "refresh token already used; " + again),
        20074: CodeInfo(
            k.CONFIG_ERROR,
            False,
            "enable 'refresh user_access_token' in the app's security settings",
        ),
    }


#: Codes of the OAuth token endpoint, for the client's code table (see lark_async.endpoints).
OAUTH_CODES = _codes()
#: A refresh answered with one of these ends the grant: the user must authorise again.
GRANT_ENDED = frozenset({20024, 20026, 20037, 20064, 20073})
#: An exchange answered with one of these: the code is spent or stale; start again.
CODE_SPENT = frozenset({20003, 20004, 20065})
