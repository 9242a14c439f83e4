"""Services are typed attributes: mypy (and an IDE) sees ``Messaging``, not ``Any``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SNIPPET = textwrap.dedent(
    """
    from lark_async import LarkClient

    async def main() -> None:
        async with LarkClient(app_id="cli_x", app_secret="s") as lark:
            reveal_type(lark.messaging)
            reveal_type(lark.bitable)
            reveal_type(lark.sheets)
            reveal_type(lark.app("cli_y").messaging)
            reveal_type(lark.app("cli_y").bitable)
            reveal_type(lark.app("cli_y").sheets)
            reveal_type(await lark.request("GET", "/open-apis/x"))
            reveal_type(lark.messaging.send_text_message)
            reveal_type(lark.docs)
            reveal_type(lark.app("cli_y").docs)
            reveal_type(lark.contact)
            reveal_type(lark.app("cli_y").contact)
            reveal_type(lark.user_auth)
            reveal_type(lark.apaas)
    """
)


def test_reveal_type_of_every_builtin_service(tmp_path: Path) -> None:
    src = tmp_path / "uses_services.py"
    src.write_text(SNIPPET)
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(src)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    ).stdout
    revealed = [
        line.split("Revealed type is ", 1)[1] for line in out.splitlines() if "Revealed" in line
    ]
    assert revealed[:6] == [
        '"lark_async.messaging.service.Messaging"',
        '"lark_async.bitable.service.Bitable"',
        '"lark_async.sheets.service.Sheets"',
        '"lark_async.messaging.service.Messaging"',
        '"lark_async.bitable.service.Bitable"',
        '"lark_async.sheets.service.Sheets"',
    ], out
    assert revealed[6] == '"lark_async.core.response.LarkResponse[dict[str, Any]]"', out
    assert revealed[7].startswith('"def (receive_id'), out
    assert revealed[8:10] == ['"lark_async.docs.service.Docs"'] * 2, out
    assert revealed[10:12] == ['"lark_async.contact.service.Contact"'] * 2, out
    assert revealed[12].startswith('"lark_async.user_auth.'), out
    assert revealed[13] == '"lark_async.apaas.service.APaaS"', out
    assert "error:" not in out, out
