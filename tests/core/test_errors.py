from __future__ import annotations

import pytest

from lark_async.core.errors import (
    BAD_CREDENTIAL_CODES,
    CODE_TABLE,
    TOKEN_INVALID_CODES,
    CodeInfo,
    ConfigError,
    ErrorKind,
    PermissionDenied,
    RateLimited,
    ServerError,
    UnknownError,
    build_error,
    classify,
    register_codes,
)


def test_every_token_invalid_code_maps_to_token_invalid() -> None:
    for code in TOKEN_INVALID_CODES:
        assert classify(code).kind is ErrorKind.TOKEN_INVALID
        assert classify(code).retryable


def test_bad_credentials_are_config_errors_never_retried() -> None:
    for code in BAD_CREDENTIAL_CODES:
        info = classify(code)
        assert info.kind is ErrorKind.CONFIG_ERROR
        assert not info.retryable
        assert "app_secret" in info.hint


@pytest.mark.parametrize("code", [99991400, 1254290, 90217, 230020])
def test_rate_limit_codes(code: int) -> None:
    err = build_error(code, "slow down", http_status=429)
    assert isinstance(err, RateLimited)
    assert err.retryable
    assert classify(code).not_applied


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


def test_register_codes_extends_table() -> None:
    register_codes({123456789: CodeInfo(ErrorKind.NOT_FOUND, False, "gone")})
    try:
        assert classify(123456789).kind is ErrorKind.NOT_FOUND
    finally:
        CODE_TABLE.pop(123456789)
