from __future__ import annotations

import pytest

from lark_async.core.codes import CORE_CODES, CodeTable
from lark_async.core.errors import (
    BAD_CREDENTIAL_CODES,
    CODE_TABLE,
    TOKEN_INVALID_CODES,
    CodeInfo,
    ConfigError,
    ErrorKind,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    UnknownError,
    build_error,
    classify,
)


def test_every_token_invalid_code_maps_to_token_invalid() -> None:
    for code in TOKEN_INVALID_CODES:
        assert classify(code).kind is ErrorKind.TOKEN_INVALID
        assert classify(code).retryable


def test_token_invalid_codes_are_derived_from_the_table() -> None:
    expected = {99991661, 99991663, 99991664, 99991665, 99991668, 99991671, 99991677, 20005, 20006}
    assert TOKEN_INVALID_CODES == CORE_CODES.token_invalid_codes == expected
    # 99991669 (the user's refresh token is bad) is TokenInvalid but no refetch can help
    assert classify(99991669).kind is ErrorKind.TOKEN_INVALID and 99991669 not in expected
    table = CORE_CODES.merged({424242: CodeInfo(ErrorKind.TOKEN_INVALID, True, "svc token")})
    assert 424242 in table.token_invalid_codes and 424242 not in TOKEN_INVALID_CODES


def test_bad_credentials_are_config_errors_never_retried() -> None:
    for code in BAD_CREDENTIAL_CODES:
        info = classify(code)
        assert info.kind is ErrorKind.CONFIG_ERROR
        assert not info.retryable
        assert "app_secret" in info.hint


@pytest.mark.parametrize("code", [99991400, 99991402])
def test_gateway_rate_limit_codes(code: int) -> None:
    err = build_error(code, "slow down", http_status=429)
    assert isinstance(err, RateLimited)
    assert err.retryable
    assert classify(code).not_applied


def test_a_429_without_a_known_code_is_a_rate_limit() -> None:
    info = classify(987654321, 429)
    assert info.kind is ErrorKind.RATE_LIMITED and info.retryable and info.not_applied


def test_unknown_code_is_unknown_not_a_crash() -> None:
    err = build_error(987654321, "brand new", http_status=400)
    assert isinstance(err, UnknownError)
    assert err.kind is ErrorKind.UNKNOWN
    assert not err.retryable
    assert err.hint


def test_unknown_code_with_5xx_is_transient_server_error() -> None:
    err = build_error(987654321, "boom", http_status=503)
    assert isinstance(err, ServerError)
    assert err.retryable


def test_permission_denied_lists_missing_scopes() -> None:
    err = build_error(
        99991672,
        "Access denied. One of the following scopes is required: [im:message]",
        http_status=400,
        error_body={
            "permission_violations": [{"type": "action_scope_required", "subject": "im:message"}],
            "log_id": "LOG1",
        },
    )
    assert isinstance(err, PermissionDenied)
    assert err.missing_scopes == ["im:message"]
    assert "im:message" in (err.hint or "")
    assert err.log_id == "LOG1"


def test_field_violations_in_hint() -> None:
    err = build_error(
        99992402,
        "bad",
        error_body={"field_violations": [{"field": "receive_id", "description": "empty"}]},
    )
    assert "receive_id" in (err.hint or "")
    assert err.field_violations[0]["field"] == "receive_id"


def test_str_and_repr_are_informative() -> None:
    err = ConfigError("no app", code=10014, hint="check it", request_id="rid", log_id="lid")
    text = str(err)
    assert "ConfigError" in text and "10014" in text and "check it" in text and "rid" in text
    assert "ConfigError" in repr(err)


@pytest.mark.parametrize("code", [1254045, 1254290, 90217, 230020, 11232, 1771001, 1061001])
def test_the_core_table_holds_no_service_codes(code: int) -> None:
    assert code not in CORE_CODES
    assert classify(code).kind is ErrorKind.UNKNOWN


def test_code_tables_are_immutable_and_merge_later_wins() -> None:
    gone = CodeInfo(ErrorKind.NOT_FOUND, False, "gone")
    table = CodeTable({1: gone}, {1: CodeInfo(ErrorKind.CONFLICT, False, "busy"), 2: gone})
    assert table.classify(1).kind is ErrorKind.CONFLICT and table[2] is gone
    assert len(table) == 2 and set(table) == {1, 2} and 3 not in table
    merged = table.merged({2: CodeInfo(ErrorKind.SERVER, True, "later")})
    assert merged.classify(2).kind is ErrorKind.SERVER and table.classify(2) is gone
    err = merged.build_error(1, "m", http_status=409, request_id="r", log_id="l")
    assert err.kind is ErrorKind.CONFLICT and err.request_id == "r" and err.log_id == "l"
    with pytest.raises(TypeError):
        table[3] = gone  # type: ignore[index]
    with pytest.raises(TypeError):
        CODE_TABLE[3] = gone  # type: ignore[index]
    with pytest.raises(InvalidParameter, match="tables"):
        CodeTable({"1": gone})  # type: ignore[dict-item]


def test_module_level_classify_is_the_core_table() -> None:
    assert dict(CODE_TABLE) == dict(CORE_CODES)
    assert all(classify(code) is info for code, info in CORE_CODES.items())
    err = build_error(99992351, "no such user")
    assert isinstance(err, NotFound)


def test_register_codes_is_gone() -> None:
    import lark_async.core.errors as errors

    assert not hasattr(errors, "register_codes")
