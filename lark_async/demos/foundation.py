"""The foundation part of ``make demo``: tokens, the registry, retries and errors.

Starts the emulator on 127.0.0.1, registers an app in a SQLite registry,
fetches and persists a token (SQLite store), shows a refresh-ahead, a retried
call and clear errors. Time is simulated (one clock shared by client and
emulator) so a two-hour token lifetime takes no time.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from lark_async.auth.crypto import SecretBox
from lark_async.auth.registry import AppRegistry
from lark_async.client import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.testing import FakeLark

APP_ID = "cli_demo0000000001"
APP_SECRET = "demo-app-secret-0001"
ECHO = "/open-apis/emulator/v1/echo"


async def demo(workdir: Path, console: Console) -> dict[str, str]:
    """Steps 1 to 7, against an emulator on simulated time; returns summary rows."""

    def step(title: str) -> None:
        console.rule(f"[bold]{title}")

    summary: dict[str, str] = {}
    key = os.environ.get("LARK_ASYNC_SECRET_KEY") or SecretBox.generate_key()
    box = SecretBox(key)
    clock = FakeClock()
    async with FakeLark(time_func=clock.time, token_lifetime=7200) as fake:
        fake.add_app(APP_ID, APP_SECRET)
        console.print(f"emulator listening on [cyan]{fake.url}[/]")

        step("1. register the app in the SQLite registry (secret Fernet-encrypted)")
        registry_path = workdir / "apps.sqlite3"
        async with AppRegistry(registry_path, box) as reg:
            if await reg.find(APP_ID) is None:
                await reg.add(APP_ID, APP_SECRET, name="Demo app", created_by="demo")
            apps = await reg.list()
        console.print(
            f"registry {registry_path}: {[a.app_id for a in apps]} (secret never printed)"
        )
        summary["registry"] = f"{len(apps)} app(s) in {registry_path.name}"

        store_url = f"sqlite:///{workdir / 'tokens.sqlite3'}"
        lark = LarkClient(
            registry=registry_path,
            secret_key=key,
            token_store=store_url,
            domain=fake.url,
            clock=clock,
        )
        async with lark:
            app = lark.app(APP_ID)

            step("2. first call: the token is fetched lazily and persisted")
            resp = await app.request("GET", ECHO, params={"hello": "world"})
            console.print(
                f"ok={resp.ok} request_id={resp.request_id} log_id={resp.log_id} "
                f"token fetches={fake.token_fetches(APP_ID)}"
            )
            summary["first call"] = f"ok, {fake.token_fetches(APP_ID)} token fetch"

            step("3. a restarted client reuses the stored token")
            async with LarkClient(
                registry=registry_path,
                secret_key=key,
                token_store=store_url,
                domain=fake.url,
                clock=clock,
            ) as again:
                await again.app(APP_ID).request("GET", ECHO)
            console.print(f"token fetches still {fake.token_fetches(APP_ID)}")
            summary["restart"] = f"token reused ({fake.token_fetches(APP_ID)} fetch in total)"

            step("4. refresh-ahead: 700 s before expiry, calls go on, one refresh runs")
            clock.advance(7200 - 700)
            results = await asyncio.gather(*(app.request("GET", ECHO) for _ in range(20)))
            await asyncio.sleep(0.2)
            console.print(
                f"20 calls ok={all(r.ok for r in results)}; token fetches now "
                f"{fake.token_fetches(APP_ID)} (one background refresh)"
            )
            summary["refresh-ahead"] = f"20 calls served, {fake.token_fetches(APP_ID) - 1} refresh"

            step("5. a retried call: two HTTP 500s, then success")
            fake.faults.fail(f"GET {ECHO}", times=2, status=500, code=1500, msg="internal error")
            before = len(clock.sleeps)
            resp = await app.request("GET", ECHO)
            waits = ", ".join(f"{s:.2f}s" for s in clock.sleeps[before:])
            console.print(f"ok={resp.ok} after {resp.attempts} attempts; backoff waits {waits}")
            summary["retry"] = f"ok after {resp.attempts} attempts (backoff {waits})"

            step("6. a revoked token is dropped, refetched and the call replayed")
            fake.revoke_tokens(APP_ID)
            resp = await app.request("GET", ECHO)
            console.print(f"ok={resp.ok}; token fetches {fake.token_fetches(APP_ID)}")
            summary["revoked token"] = "replayed with a fresh token"

            step("7. clear errors")
            fake.faults.fail(
                f"GET {ECHO}",
                times=1,
                status=400,
                code=99991672,
                msg="Access denied. One of the following scopes is required: [im:message]",
                error={
                    "permission_violations": [
                        {"type": "action_scope_required", "subject": "im:message"}
                    ]
                },
            )
            denied = await app.request("GET", ECHO)
            console.print(f"[red]{escape(str(denied.error))}[/]")
            bad = LarkClient(APP_ID, "not-the-secret", domain=fake.url, clock=clock)
            async with bad:
                wrong = await bad.request("GET", ECHO)
            console.print(f"[red]{escape(str(wrong.error))}[/]")
            try:
                await app.request("GET", "/not-an-api")
            except Exception as exc:
                console.print(f"[red]{escape(str(exc))}[/] (raised before any request)")
            summary["errors"] = "PermissionDenied with scope, ConfigError for a wrong secret"
    return summary
