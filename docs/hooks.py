"""mkdocs hooks: show ``python notest`` fences as plain ``python`` code.

The word ``notest`` tells ``tests/test_docs_examples.py`` not to run a block;
Markdown's fence parser takes one language word only, so it goes before rendering.
"""

from __future__ import annotations

import re
from typing import Any

_NOTEST = re.compile(r"^(\s*(?:`{3,}|~{3,})\s*python)\s+notest\b", re.MULTILINE)


def on_page_markdown(markdown: str, **_: Any) -> str:
    return _NOTEST.sub(r"\1", markdown)
