"""Every ```python block in docs/*.md and README.md runs, and every page is in the index.

Each block is a complete script. It runs in its own interpreter (``sys.executable
-c``), in an empty temporary directory, with ``PYTHONPATH`` set to the repo root,
and must exit with status 0 within 60 s. Blocks whose fence says ``python notest``
are skipped (they need real Feishu hosts, a real registry, ...). Tests are named
``<file>:<line of the opening fence>``; a failure shows the code, stdout and stderr,
with traceback lines mapped back to lines of the Markdown file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
INDEX = DOCS / "index.md"
TIMEOUT = 60.0

# An opening fence: up to any indentation (fences may sit inside list items),
# three or more backticks or tildes, then the info string.
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_TRACEBACK_LINE = re.compile(r'File "<string>", line (\d+)')
# Inline links and reference definitions: [text](target) and [label]: target
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?[^)]*\)|^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$", re.M)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int  # 1-based line of the opening fence
    info: str  # the info string, e.g. "python" or "python notest"
    code: str

    @property
    def name(self) -> str:
        try:
            shown = self.path.relative_to(ROOT).as_posix()
        except ValueError:
            shown = self.path.name
        return f"{shown}:{self.line}"

    @property
    def runnable(self) -> bool:
        words = self.info.split()
        return bool(words) and words[0].lower() == "python" and "notest" not in words[1:]


def fenced_blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path``, CommonMark-style (an unclosed fence runs to the end)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _OPEN.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent = len(opening["indent"].expandtabs(4))
        fence = opening["fence"]
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            body.append(_dedent(lines[i], indent))
            i += 1
        blocks.append(Block(path, start + 1, opening["info"].strip(), "\n".join(body) + "\n"))
        i += 1  # past the closing fence
    return blocks


def _dedent(line: str, indent: int) -> str:
    """Remove up to ``indent`` columns of leading whitespace (a fence inside a list item)."""
    expanded = line.expandtabs(4)
    strip = min(indent, len(expanded) - len(expanded.lstrip(" ")))
    return expanded[strip:]


def doc_files() -> list[Path]:
    files = sorted(DOCS.glob("*.md"))
    readme = ROOT / "README.md"
    if readme.is_file():
        files.append(readme)
    return files


def runnable_blocks() -> list[Block]:
    return [b for path in doc_files() for b in fenced_blocks(path) if b.runnable]


def _child_env() -> dict[str, str]:
    """The test's environment without the developer's lark-async settings.

    A block must say everything it needs; a stray ``LARK_ASYNC_*`` variable
    (a real registry, a real token store) must not change what it does.
    ``LARK_ASYNC_TEST_*`` (test server addresses) pass through.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LARK_ASYNC_") or k.startswith("LARK_ASYNC_TEST_")
    }
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _report(block: Block, headline: str, stdout: str, stderr: str) -> str:
    def where(match: re.Match[str]) -> str:
        return f"{match.group(0)} [{block.path.name}:{block.line + int(match.group(1))}]"

    numbered = "\n".join(
        f"{block.line + n:5d}  {text}" for n, text in enumerate(block.code.splitlines(), start=1)
    )
    return (
        f"{block.name}: {headline}\n"
        f"--- code (numbered as in {block.path.name}) ---\n{numbered}\n"
        f"--- stdout ---\n{stdout}\n"
        f"--- stderr ---\n{_TRACEBACK_LINE.sub(where, stderr)}"
    )


def _text(out: str | bytes | None) -> str:
    if out is None:
        return ""
    return out.decode("utf-8", "replace") if isinstance(out, bytes) else out


@pytest.mark.parametrize("block", [pytest.param(b, id=b.name) for b in runnable_blocks()])
def test_doc_example_runs(block: Block, tmp_path: Path) -> None:
    try:
        proc = subprocess.run(
            [sys.executable, "-c", block.code],
            cwd=tmp_path,
            env=_child_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            _report(
                block, f"still running after {TIMEOUT:g} s", _text(exc.stdout), _text(exc.stderr)
            ),
            pytrace=False,
        )
    if proc.returncode != 0:
        pytest.fail(
            _report(block, f"exited with status {proc.returncode}", proc.stdout, proc.stderr),
            pytrace=False,
        )


def linked_pages(markdown: str) -> set[str]:
    """File names of the local .md pages a Markdown text links to (anchors dropped)."""
    names = set()
    for inline, reference in _LINK.findall(markdown):
        target = (inline or reference).split("#", 1)[0]
        if not target.endswith(".md") or "://" in target:
            continue
        names.add(os.path.normpath(target).replace(os.sep, "/").removeprefix("./"))
    return names


def test_every_docs_page_is_linked_from_the_index() -> None:
    assert INDEX.is_file(), "docs/index.md is missing"
    linked = linked_pages(INDEX.read_text(encoding="utf-8"))
    pages = {p.name for p in DOCS.glob("*.md")} - {INDEX.name}
    missing = sorted(pages - linked)
    assert not missing, f"docs/index.md does not link to: {', '.join(missing)}"


def test_the_collector_reads_fences(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n"
        "```python\nprint(1)\n```\n"
        "```python notest\nawait nope()\n```\n"
        "- item\n\n  ```python\n  x = 1\n  assert x\n  ```\n"
        "````markdown\n```python\ninside()\n```\n````\n"
        "~~~python\nprint(2)\n~~~\n"
        "```console\n$ make test\n```\n",
        encoding="utf-8",
    )
    blocks = fenced_blocks(page)
    assert [(b.line, b.info) for b in blocks] == [
        (2, "python"),
        (5, "python notest"),
        (10, "python"),
        (14, "markdown"),
        (19, "python"),
        (22, "console"),
    ]
    assert blocks[2].code == "x = 1\nassert x\n"
    assert blocks[3].code == "```python\ninside()\n```\n"
    assert [b.runnable for b in blocks] == [True, False, True, False, True, False]
    assert linked_pages("[a](a.md) [b](./b.md#x) [c](https://x/c.md)\n[d]: d.md\n") == {
        "a.md",
        "b.md",
        "d.md",
    }
