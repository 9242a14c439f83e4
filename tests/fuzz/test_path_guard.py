"""The path guard: the token is only ever sent to a path that stays under /open-apis/.

``lark.request("GET", "/open-apis/../x")`` used to go out with the tenant token
attached; so did ``%2e%2e`` and friends. Now every spelling of a dot segment,
an empty segment or a backslash is refused before sending, naming ``path``.
"""

from __future__ import annotations

import posixpath
from collections.abc import AsyncIterator
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async import LarkClient
from lark_async.core.errors import InvalidParameter
from lark_async.core.options import RequestOptions, check_path
from lark_async.testing import FakeLark
from tests.helpers import client_for, emulator

REFUSED = [
    "/open-apis/../x",
    "/open-apis/..",
    "/open-apis/im/v1/../../auth/v3/tenant_access_token/internal",
    "/open-apis/./x",
    "/open-apis/x/.",
    "/open-apis/x/..",
    "/open-apis/%2e%2e/x",
    "/open-apis/%2E%2E/x",
    "/open-apis/%2e%2E/x",
    "/open-apis/.%2e/x",
    "/open-apis/%2e./x",
    "/open-apis/%2e/x",
    "/open-apis/%252e%252e/x",
    "/open-apis/%25252e%25252e/x",
    "/open-apis/x%2f..%2fy",
    "/open-apis/x%2F%2E%2E%2Fy",
    "/open-apis/..\\x",
    "/open-apis/x\\..\\..\\y",
    "/open-apis/x%5c..%5cy",
    "/open-apis/x%5C%2e%2e%5Cy",
    "/open-apis//x",
    "/open-apis/x//y",
    "/open-apis/x/%2f/y",
    "/open-apis/x\\y",
    "/open-apis/x\ny",
    "/open-apis/x%0ay",
    "/open-apis/x%00y",
    "/open-apis/\ud800",
    "/open-apis/%2525252525252e",  # more encodings than anyone means
    "/open-apis",
    "/x/open-apis/y",
    "open-apis/x",
    "https://evil.example/open-apis/x",
    "",
]

ACCEPTED = [
    "/open-apis/im/v1/messages",
    "/open-apis/message/v4/batch_send/",  # a trailing slash is a real endpoint
    "/open-apis/sheets/v2/spreadsheets/shtx/values/Sheet1%21A1%3AB2",
    "/open-apis/sheets/v2/spreadsheets/shtx/values/%E5%B7%A5%E4%BD%9C%E8%A1%A8!A1:B2",
    "/open-apis/sheets/v2/spreadsheets/shtx/values/100%25",
    "/open-apis/x/..y/...",  # not dot segments
    "/open-apis/x/.hidden",
    "/open-apis/x?path=../../y",  # the query is not the path
    "/open-apis/x?a=1#frag",
    "/open-apis/飞书/v1",
]


@pytest.mark.parametrize("path", REFUSED)
def test_paths_that_leave_open_apis_are_refused(path: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        RequestOptions.build("GET", path)
    assert "path" in str(info.value)
    assert info.value.details["argument"] == "path"


@pytest.mark.parametrize("path", ACCEPTED)
def test_ordinary_paths_pass_unchanged(path: str) -> None:
    assert RequestOptions.build("GET", path).path == path


@pytest.fixture
async def fake() -> AsyncIterator[FakeLark]:
    async with emulator() as running:
        yield running


@pytest.fixture
async def lark(fake: FakeLark) -> AsyncIterator[LarkClient]:
    async with client_for(fake) as client:
        yield client


@pytest.mark.parametrize(
    "path", ["/open-apis/../x", "/open-apis/%2e%2e/x", "/open-apis/%252E%252E/x", "/open-apis//x"]
)
async def test_a_refused_path_sends_nothing_not_even_a_token_fetch(
    path: str, fake: FakeLark, lark: LarkClient
) -> None:
    with pytest.raises(InvalidParameter, match="path"):
        await lark.request("GET", path)
    assert len(fake.journal) == 0


# -- property: whatever is accepted resolves under /open-apis/ -------------------

PIECES = [
    "..",
    ".",
    "%2e%2e",
    "%2E%2e",
    "%2e",
    "%252e%252e",
    "%2f",
    "%5c",
    "\\",
    "",
    "x",
    "v1",
    "%25",
]


def _fully_decoded(path: str) -> str:
    for _ in range(10):
        once = unquote(path)
        if once == path:
            break
        path = once
    return path


@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6))
def test_no_accepted_path_resolves_outside_open_apis_or_elsewhere_in_it(pieces: list[str]) -> None:
    path = "/open-apis/" + "/".join(pieces)
    try:
        check_path(path)
    except InvalidParameter as err:
        assert err.details["argument"] == "path"
        return
    decoded = _fully_decoded(path.partition("?")[0]).replace("\\", "/")
    # What a server normalising the path would reach is exactly what was written.
    resolved = posixpath.normpath(decoded)
    assert resolved == decoded.removesuffix("/"), (path, resolved)
    assert resolved == "/open-apis" or resolved.startswith("/open-apis/")
