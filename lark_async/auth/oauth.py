"""OAuth 2.0 pieces of user authorisation: the authorise URL, PKCE, a signed state.

Nothing here does I/O. The state is ``<payload>.<signature>``: the payload
names the app, the session and its expiry; the signature is an HMAC-SHA256
keyed with the app secret, so every process serving the app can check it and
nobody else can make one. The PKCE verifier is derived from the same key and
the session id, so it is never stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

# The v2 token endpoint's codes live in a data-only module the catalogue can import.
from lark_async.auth.meta import CODE_SPENT as CODE_SPENT  # noqa: PLC0414
from lark_async.auth.meta import GRANT_ENDED as GRANT_ENDED  # noqa: PLC0414
from lark_async.auth.meta import OAUTH_CODES as OAUTH_CODES  # noqa: PLC0414
from lark_async.auth.user_models import AuthSessionInvalid

AUTHORIZE_PATH = "/open-apis/authen/v1/authorize"
TOKEN_PATH = "/open-apis/authen/v2/oauth/token"
USER_INFO_PATH = "/open-apis/authen/v1/user_info"
ACCOUNTS_FEISHU = "https://accounts.feishu.cn"
ACCOUNTS_LARK = "https://accounts.larksuite.com"
OFFLINE_ACCESS = "offline_access"
MAX_SCOPES = 50
_MAX_STATE = 1024


def accounts_url_for(domain: str) -> str:
    """The accounts host of a domain: Feishu's, Lark's, or (emulator, proxy) the domain itself."""
    if "open.feishu.cn" in domain:
        return ACCOUNTS_FEISHU
    if "open.larksuite.com" in domain:
        return ACCOUNTS_LARK
    return domain.rstrip("/")


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(app_secret: str, purpose: str) -> bytes:
    return hmac.new(app_secret.encode(), f"lark_async:{purpose}".encode(), hashlib.sha256).digest()


def code_verifier(app_secret: str, session_id: str) -> str:
    """The PKCE verifier of a session (43 characters of [A-Za-z0-9_-])."""
    mac = hmac.new(_key(app_secret, "pkce"), session_id.encode(), hashlib.sha256).digest()
    return _b64(mac)


def code_challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


@dataclass(frozen=True, slots=True)
class StateClaims:
    app_id: str
    session_id: str
    expires_at: float


def sign_state(app_secret: str, claims: StateClaims) -> str:
    payload = _b64(json.dumps([claims.app_id, claims.session_id, claims.expires_at]).encode())
    sig = hmac.new(_key(app_secret, "state"), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(sig)}"


def peek_state(state: str) -> StateClaims:
    """The claims of a state, unchecked (to find its app); AuthSessionInvalid if malformed."""
    if not isinstance(state, str) or not state or len(state) > _MAX_STATE:
        raise AuthSessionInvalid("the state is missing or malformed", reason="malformed")
    payload, _, _sig = state.partition(".")
    try:
        app_id, session_id, expires_at = json.loads(_unb64(payload))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise AuthSessionInvalid("the state is missing or malformed", reason="malformed") from None
    if (
        not isinstance(app_id, str)
        or not isinstance(session_id, str)
        or isinstance(expires_at, bool)
        or not isinstance(expires_at, (int, float))
    ):
        raise AuthSessionInvalid("the state is missing or malformed", reason="malformed")
    return StateClaims(app_id, session_id, float(expires_at))


def verify_state(app_secret: str, state: str) -> StateClaims:
    """The claims of a state this app signed; AuthSessionInvalid otherwise (not expiry)."""
    claims = peek_state(state)
    payload, _, sig = state.partition(".")
    want = hmac.new(_key(app_secret, "state"), payload.encode(), hashlib.sha256).digest()
    try:
        given = _unb64(sig)
    except ValueError:
        given = b""
    if not hmac.compare_digest(want, given):
        raise AuthSessionInvalid("the state was not issued by this app", reason="forged")
    return claims


def with_offline_access(scopes: tuple[str, ...]) -> tuple[str, ...]:
    """The scopes, de-duplicated in order, with ``offline_access`` so a refresh token is issued."""
    out = list(dict.fromkeys(scopes))
    if OFFLINE_ACCESS not in out:
        out.append(OFFLINE_ACCESS)
    return tuple(out)


def authorize_url(
    accounts_url: str,
    *,
    app_id: str,
    redirect_uri: str,
    scopes: tuple[str, ...],
    state: str,
    challenge: str,
) -> str:
    query = {
        "client_id": app_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{accounts_url.rstrip('/')}{AUTHORIZE_PATH}?{urlencode(query)}"
