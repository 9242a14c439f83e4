"""IM error codes: their kinds in the client's table, and per-endpoint meanings."""

from __future__ import annotations

import pytest

from lark_async.core.errors import ErrorKind, InvalidParameter, OutcomeUnknown, PermissionDenied
from lark_async.core.response import LarkResponse
from lark_async.messaging import codes
from lark_async.messaging.meta import IM_CODES
from lark_async.services import catalog

build_error = catalog().codes.build_error


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (230013, ErrorKind.PERMISSION_DENIED),
        (232009, ErrorKind.NOT_FOUND),
        (230025, ErrorKind.INVALID_PARAMETER),
        (230072, ErrorKind.QUOTA_EXCEEDED),
        (230031, ErrorKind.PERMISSION_DENIED),
        (234006, ErrorKind.INVALID_PARAMETER),
        (300040, ErrorKind.QUOTA_EXCEEDED),
        (232096, ErrorKind.SERVER),
        (230020, ErrorKind.RATE_LIMITED),
        (11232, ErrorKind.RATE_LIMITED),
        (11247, ErrorKind.QUOTA_EXCEEDED),
    ],
)
def test_im_codes_are_in_the_clients_table(code: int, kind: ErrorKind) -> None:
    err = build_error(code, "m", http_status=400)
    assert err.kind is kind
    assert err.hint
    assert IM_CODES[code].kind is kind and codes.IM_CODES is IM_CODES


def test_card_update_codes_serve_both_callers() -> None:
    """lark.messaging and the callbacks' CardUpdate both update cards with a token."""
    for code in (300030, 300040):
        hint = build_error(code, "m").hint or ""
        assert "update_card(message_id" in hint and "via='patch'" in hint
    assert "open_ids" in (build_error(300090, "m").hint or "")


def _failed(code: int) -> LarkResponse[dict[str, object]]:
    return LarkResponse.failure(build_error(code, "m", http_status=400), request_id="r1")


@pytest.mark.parametrize(
    ("code", "endpoint", "cls", "fragment"),
    [
        (230071, "edit", PermissionDenied, "only the sender"),
        (230071, "reply", InvalidParameter, "reply_in_thread=False"),
        (230075, "edit", PermissionDenied, "edit window"),
        (230075, "send", InvalidParameter, "encrypted"),
        (10003, "batch_send", InvalidParameter, "batch_send rejected"),
    ],
)
def test_the_endpoint_decides_what_a_shared_number_means(
    code: int, endpoint: codes.Endpoint, cls: type, fragment: str
) -> None:
    resp = _failed(code)
    codes.refine(resp, endpoint)
    assert isinstance(resp.error, cls)
    assert resp.error is not None
    assert fragment in (resp.error.hint or "")
    assert resp.error.code == code and resp.error.request_id == "r1"


def test_refine_leaves_other_errors_alone() -> None:
    resp = _failed(230013)
    before = resp.error
    codes.refine(resp, "edit")
    assert resp.error is before
    unknown = LarkResponse.failure(
        OutcomeUnknown("lost", kind=ErrorKind.NETWORK, code=10003), request_id="r"
    )
    codes.refine(unknown, "batch_send")  # still "may have happened": keep that
    assert isinstance(unknown.error, OutcomeUnknown)
    ok: LarkResponse[dict[str, object]] = LarkResponse(ok=True, code=0, msg="", request_id="r")
    codes.refine(ok, "send")
    assert ok.error is None
