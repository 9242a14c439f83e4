"""The user-authorisation part of ``make demo``: a card, the user approves, calls as the user.

The emulator plays the user on the authorisation page. The demo sends the card,
completes the redirect through the aiohttp handler's logic, makes 20 calls as
the user at once with a token Feishu ended early (one refresh, each call
replayed once), revokes the grant and shows the re-authorisation error with
its fresh link.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from rich.console import Console

from lark_async.client import LarkClient
from lark_async.testing import ImEmulator
from lark_async.user_auth import ReauthorizationRequired, card_url
from lark_async.user_auth.web import answer

REDIRECT = "https://app.example/lark/oauth"
ECHO = "/open-apis/emulator/v1/echo"


async def demo(fake: Any, lark: LarkClient, console: Console) -> dict[str, str]:
    """Run the walk-through; returns summary rows (step -> result)."""
    user = ImEmulator.of(fake).add_user(name="王五 Wang Wu")["open_id"]
    summary: dict[str, str] = {}

    console.rule("[bold]User authorisation: a card to the user")
    session = await lark.user_auth.start_session(
        user, method="card", redirect_uri=REDIRECT, scopes=["docs:doc", "bitable:app"]
    )
    (card,) = ImEmulator.of(fake).messages(receive_id=user)
    url = card_url(card["body"]["content"])
    console.print(f"card {session.message_id} sent; the button opens {urlsplit(url or '').path}")
    redirect = fake.oauth.approve(url, user)  # the user clicks "Authorise"
    query = dict(parse_qsl(urlsplit(redirect).query))
    status, _page = await answer(lark, query)  # what the redirect handler does
    state = await lark.user_auth.session(session.session_id)
    assert state is not None
    console.print(f"redirect handler answered HTTP {status}; session {state.status}")
    summary["user_auth: card flow"] = f"HTTP {status}, session {state.status}"

    console.rule("[bold]Calls as the user, refreshed once")
    token = await lark.user_auth.token(user)
    fake.apps.lookup(token).expires_at = fake.now()  # Feishu ends it early: 99991668
    results = await asyncio.gather(*(lark.request("GET", ECHO, as_user=user) for _ in range(20)))
    ok = sum(r.ok for r in results)
    console.print(f"{ok}/20 calls as the user; refreshes: {fake.oauth.refreshes()}")
    summary["user_auth: as_user"] = f"{ok}/20 ok, {fake.oauth.refreshes()} refresh"

    console.rule("[bold]The user revokes: re-authorise")
    fake.oauth.revoke(user)
    resp = await lark.request("GET", ECHO, as_user=user)
    err = resp.error
    fresh = isinstance(err, ReauthorizationRequired) and bool(err.auth_url)
    console.print(f"{type(err).__name__}: a fresh link is {'attached' if fresh else 'missing'}")
    summary["user_auth: revoked"] = f"{type(err).__name__}, fresh link: {fresh}"
    return summary
