"""lark.docs with bad input: our own typed error naming the argument, before any I/O.

The client points at a closed port: a call that sent anything would come back
as a NetworkError instead of the InvalidParameter these tests expect.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from lark_async import LarkClient
from lark_async.core.errors import InvalidParameter
from lark_async.docs import Bullet, Code, Heading, Table, Text, text
from lark_async.docs.append import plan
from lark_async.docs.permissions import infer_member_type
from tests.fuzz.checks import typed_or_ok

_VALID_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
GOOD = "doxcnAbCdEfGhIjKlMnOpQrStUv"
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
bad_ids = anything.filter(lambda v: not (isinstance(v, str) and _VALID_ID.fullmatch(v)))


def _run(coro: Any) -> Any:
    async def main() -> Any:
        async with LarkClient("cli_fuzz_docs_0001", "secret", domain="http://127.0.0.1:9") as lark:
            return await coro(lark)

    return asyncio.run(main())


def _refused(coro: Any, arg: str) -> None:
    try:
        _run(coro)
    except InvalidParameter as err:
        assert arg in str(err), f"the error does not name {arg!r}: {err}"
    else:
        raise AssertionError(f"{arg}: accepted")


@given(bad_ids)
def test_bad_document_ids(value: Any) -> None:
    _refused(lambda lark: lark.docs.append_content(value, ["x"]), "document_id")
    _refused(lambda lark: lark.docs.get_document_content(value), "document_id")
    _refused(lambda lark: lark.docs.update_block(GOOD, value, "x"), "block_id")
    _refused(lambda lark: lark.docs.download_doc_media(value, "/tmp/x"), "file_token")


@given(anything)
def test_bad_index_and_revision(value: Any) -> None:
    assume(not (isinstance(value, int) and not isinstance(value, bool) and value >= -1))
    if value is not None:  # None: at the end
        _refused(lambda lark: lark.docs.append_content(GOOD, ["x"], index=value), "index")
    _refused(
        lambda lark: lark.docs.update_block(GOOD, GOOD, "x", document_revision_id=value),
        "document_revision_id",
    )


@given(anything, anything)
def test_bad_permission_arguments(member: Any, perm: Any) -> None:
    assume(perm not in ("view", "edit", "full_access"))
    _refused(lambda lark: lark.docs.grant_permission(GOOD, "ou_x", perm), "perm")
    if not isinstance(member, str) or not member.strip() or "/" in member:
        _refused(lambda lark: lark.docs.revoke_permission(GOOD, member), "member_id")
    elif len(member) <= 256:
        typed_or_ok(lambda: infer_member_type(member, None), "member_type")


@given(anything)
def test_bad_media_sources(source: Any) -> None:
    assume(not isinstance(source, bytes | str) or source in (b"", ""))
    try:
        _run(lambda lark: lark.docs.upload_doc_media(GOOD, source, "file"))
    except InvalidParameter as err:
        assert "path_or_bytes" in str(err) or "empty" in str(err), err
    else:
        raise AssertionError("accepted")


@given(st.lists(anything, max_size=4), st.integers(min_value=-3, max_value=12))
def test_builders_take_anything(items: list[Any], level: int) -> None:
    typed_or_ok(lambda: plan([Text(*items)]))
    typed_or_ok(lambda: plan([Heading(level, "h")]), "level")
    typed_or_ok(lambda: plan([Bullet("x", children=items)]))
    typed_or_ok(lambda: plan(items))
    typed_or_ok(lambda: plan([Code("x", language=items[0] if items else "nope")]))
    typed_or_ok(lambda: plan([Table(items)]))
    typed_or_ok(lambda: plan([Text(text("t", text_color=level, link=str(items)))]))
