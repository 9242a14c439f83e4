"""``lark.contact`` is a typed attribute: mypy sees ``Contact`` and its answers' types."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = textwrap.dedent(
    """
    from lark_async import LarkClient

    async def main() -> None:
        async with LarkClient(app_id="cli_x", app_secret="s") as lark:
            reveal_type(lark.contact)
            reveal_type(lark.app("cli_y").contact)
            reveal_type((await lark.contact.get_user_by_email("a@b.c")).unwrap())
    """
)


def test_reveal_type_of_contact(tmp_path: Path) -> None:
    src = tmp_path / "uses_contact.py"
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
    assert revealed == [
        '"lark_async.contact.service.Contact"',
        '"lark_async.contact.service.Contact"',
        '"lark_async.contact.models.User | None"',
    ], out
