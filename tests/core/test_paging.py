"""PageGuard: follows page tokens and refuses a server that loops."""

from __future__ import annotations

import pytest

from lark_async.core.errors import ErrorKind, ServerError
from lark_async.core.paging import REMEMBERED_TOKENS, PageGuard
from lark_async.core.response import LarkResponse


def resp() -> LarkResponse[None]:
    return LarkResponse(ok=True, code=0, msg="ok", request_id="req-9", log_id="log-9")


def test_follows_tokens_and_stops_at_the_last_page() -> None:
    guard = PageGuard("things")
    assert guard.next_token(True, "a") == "a"
    assert guard.next_token(True, "b") == "b"
    assert guard.next_token(False, "ignored") is None
    assert guard.pages == 3


def test_a_repeated_token_is_a_server_error_with_the_last_page_ids() -> None:
    guard = PageGuard("records of table 'tbl1'")
    guard.next_token(True, "a")
    guard.next_token(True, "b")
    with pytest.raises(ServerError) as exc:
        guard.next_token(True, "a", resp())
    err = exc.value
    assert err.kind is ErrorKind.SERVER and not err.retryable
    assert (
        err.message == "records of table 'tbl1': the server repeated page token 'a' after 3 pages"
    )
    assert err.hint is not None and "server-side paging fault" in err.hint
    assert (err.request_id, err.log_id, err.details["pages"]) == ("req-9", "log-9", 3)


@pytest.mark.parametrize("token", [None, ""])
def test_has_more_without_a_token_is_a_server_error(token: str | None) -> None:
    with pytest.raises(ServerError) as exc:
        PageGuard("things").next_token(True, token)
    assert exc.value.message.endswith("has_more but gave no page_token after 1 page")


def test_a_long_token_is_shortened_in_the_message() -> None:
    guard = PageGuard("things")
    long = "x" * 500
    guard.next_token(True, long)
    with pytest.raises(ServerError) as exc:
        guard.next_token(True, long)
    assert len(exc.value.message) < 120 and "..." in exc.value.message


def test_memory_is_bounded() -> None:
    guard = PageGuard("things")
    for i in range(REMEMBERED_TOKENS + 10):
        guard.next_token(True, f"t{i}")
    # the oldest tokens are forgotten, so memory stays constant on a very long listing
    assert guard.next_token(True, "t0") == "t0"
    with pytest.raises(ServerError):
        guard.next_token(True, f"t{REMEMBERED_TOKENS + 9}")
