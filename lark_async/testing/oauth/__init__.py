"""The user OAuth emulator: authorisation page, v2 token endpoint, user info (Feishu auth docs).

    oauth = OAuthEmulator.of(fake)          # or fake.oauth
    redirect = oauth.approve(session.url, "ou_...")   # the user says yes
    oauth.revoke("ou_...")                  # the grant is withdrawn

Refresh tokens are single use (a reused one gets 20073, a revoked grant 20064),
the previous access token keeps a one-minute grace after a refresh.
"""

from lark_async.testing.oauth import routes as _routes
from lark_async.testing.oauth.emulator import OAuthEmulator
from lark_async.testing.oauth.state import OAuthState, routes

__all__ = ["OAuthEmulator", "OAuthState", "routes"]
_ROUTE_MODULES = (_routes,)
