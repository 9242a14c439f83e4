"""The docs, the README and the docstrings cite only what a reader can open.

Facts about Feishu cite its public docs (``docs/feishu-references.md``), never
notes or specs kept outside this repository. This fails on such a citation and
names the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What a citation of a file outside the repository looks like.
FORBIDDEN = re.compile(
    r"CONTRACT(?:\.md)?\b"  # the API contract notes
    r"|DESIGN\.md"  # the design notes
    r"|\b(?:FR|SC)-\d{3}\b"  # requirement / success-criterion numbers of the spec
    r"|§\s*\d"  # section numbers of the contract
    r"|/work/shared|\bshared/(?:api|spec)/"  # the directory they live in
    r"|\bapi/vectors\.json"
)


def cited_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
    files += sorted((ROOT / "lark_async").rglob("*.py"))
    return [f for f in files if f.is_file()]


def test_no_citation_of_files_outside_the_repository() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
        for path in cited_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert not found, "cite public sources instead:\n" + "\n".join(found)


def test_the_pattern_catches_each_form() -> None:
    for cited in (
        "(CONTRACT §9.3)",
        "see api/CONTRACT.md",
        "as DESIGN.md says",
        "(FR-004)",
        "SC-013: 50 callers",
        "per §4.8",
        "/work/shared/spec/lark-service-core.md",
        "api/vectors.json",
    ):
        assert FORBIDDEN.search(cited), cited
    for fine in ("lark_async.shared", "tests/shared/child.py", "lark_async/shared/db.py", "FR-0"):
        assert not FORBIDDEN.search(fine), fine
