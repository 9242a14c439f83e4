"""lark_async.core's public constructors and functions over generated bad values."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.core.codes import CORE_CODES, CodeTable
from lark_async.core.errors import CodeInfo, ConfigError, ErrorKind, LarkError
from lark_async.core.logging import configure_logging
from lark_async.core.options import RequestOptions, Timeouts
from lark_async.core.ratelimit import ClientRateLimiter, Limit, Pace
from lark_async.core.secret import Secret
from tests.conftest import SUITE_LOG
from tests.fuzz.checks import typed_or_ok
from tests.fuzz.values import anything, strings


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    configure_logging("DEBUG", "json", stream=SUITE_LOG)


@pytest.mark.parametrize("arg", ["connect", "read", "total"])
@given(value=anything())
def test_timeouts(arg: str, value: Any) -> None:
    made = typed_or_ok(lambda: Timeouts(**{arg: value}), arg)
    if isinstance(made, Timeouts) and value is not None:
        assert value > 0  # zero or negative would mean "no bound" downstream


@given(value=anything())
def test_timeouts_of(value: Any) -> None:
    typed_or_ok(lambda: Timeouts.of(value, Timeouts()), "timeout")


@pytest.mark.parametrize("arg", ["rate", "period"])
@given(value=anything())
def test_limit(arg: str, value: Any) -> None:
    kwargs = {"rate": 5, "period": 1.0, arg: value}
    typed_or_ok(lambda: Limit(**kwargs), arg)


@pytest.mark.parametrize("arg", ["key", "interval"])
@given(value=anything())
def test_pace(arg: str, value: Any) -> None:
    kwargs = {"key": "im:chat:oc_1", "interval": 0.2, arg: value}
    typed_or_ok(lambda: Pace(**kwargs), arg)


@pytest.mark.parametrize(
    "arg", ["limits", "defaults", "enabled", "headroom", "clock", "max_pace_keys"]
)
@given(value=anything())
def test_client_rate_limiter(arg: str, value: Any) -> None:
    made = typed_or_ok(lambda: ClientRateLimiter(**{arg: value}), arg)
    if isinstance(made, ClientRateLimiter):
        made.reserve("cli_x", "default")  # a limiter that was built can be used


@given(
    family=st.one_of(st.none(), st.integers(), st.floats(), st.binary(), strings()), spec=anything()
)
def test_client_rate_limiter_families(family: Any, spec: Any) -> None:
    made = typed_or_ok(lambda: ClientRateLimiter({family: spec}), "limits")
    if isinstance(made, ClientRateLimiter):
        made.reserve("cli_x", family)


@given(table=anything())
def test_code_table(table: Any) -> None:
    made = typed_or_ok(lambda: CodeTable(table), "tables")
    if isinstance(made, CodeTable):
        typed_or_ok(lambda: made.merged(table), "tables")


@given(code=anything(), status=anything())
def test_code_table_classify_never_raises_for_ints(code: Any, status: Any) -> None:
    info = typed_or_ok(lambda: CORE_CODES.classify(code, status))
    if isinstance(code, int) and (status is None or isinstance(status, int)):
        assert isinstance(info, CodeInfo)


@pytest.mark.parametrize(
    "arg", ["code", "msg", "http_status", "error_body", "request_id", "log_id"]
)
@given(value=anything())
def test_code_table_build_error(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"code": 99991663, "msg": "token invalid", arg: value}
    err = typed_or_ok(lambda: CORE_CODES.build_error(**kwargs), arg)
    assert isinstance(err, LarkError)
    assert str(err) and repr(err)  # an error that was built can be shown


@given(value=anything())
def test_secret(value: Any) -> None:
    made = typed_or_ok(lambda: Secret(value), "value")
    if isinstance(made, Secret):
        assert made.get_secret_value() == value


def test_secret_refuses_pickling_but_copies() -> None:
    from lark_async.auth.models import AppConfig

    config = AppConfig(
        app_id="cli_a1b2c3",
        app_secret=Secret("the-app-secret"),
        encrypt_key=Secret("the-encrypt-key"),
        verification_token=Secret("the-verification-token"),
    )
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(ConfigError, match="pickle") as info:
            pickle.dumps(config, protocol=protocol)
        assert isinstance(info.value, TypeError)  # what pickle raises for unpicklables
        assert "the-app-secret" not in str(info.value)
    assert copy.deepcopy(config) == config
    assert copy.copy(config.app_secret) is config.app_secret


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("arg", ["level", "fmt", "stream"])
@given(value=anything())
def test_configure_logging(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"level": "INFO", "fmt": "stdlib", arg: value}
    typed_or_ok(lambda: configure_logging(**kwargs), arg)


@given(method=anything(), path=anything())
def test_request_options_method_and_path(method: Any, path: Any) -> None:
    typed_or_ok(lambda: RequestOptions.build(method, "/open-apis/x"), "method")
    typed_or_ok(lambda: RequestOptions.build("GET", path), "path")


@given(kind=st.sampled_from(list(ErrorKind)))
def test_error_kinds_have_classes(kind: ErrorKind) -> None:
    from lark_async.core.errors import error_class

    assert issubclass(error_class(kind), LarkError)


SERVICE_INFO_ARGS = ["name", "service", "codes", "limits", "prefixes", "family_of"]


@pytest.mark.parametrize("arg", SERVICE_INFO_ARGS)
@given(value=anything())
def test_service_info(arg: str, value: Any) -> None:
    from lark_async.core.service import ServiceInfo

    kwargs: dict[str, Any] = {"name": "calendar", "service": "my_pkg.calendar:Calendar", arg: value}
    typed_or_ok(lambda: ServiceInfo(**kwargs), arg)


@given(name=anything(), service=anything())
def test_register_service(name: Any, service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from lark_async.core import service as service_module

    # Whatever gets registered here is gone after the test.
    monkeypatch.setattr(service_module, "_REGISTRY", dict(service_module._REGISTRY))
    monkeypatch.setattr(service_module, "_CLASSES", dict(service_module._CLASSES))
    outcome = typed_or_ok(lambda: service_module.register_service(name, service))
    if isinstance(outcome, LarkError):
        assert "name" in str(outcome) or "service" in str(outcome)


@given(ctx=anything())
def test_service_needs_an_app_context(ctx: Any) -> None:
    from lark_async.core.service import Service

    typed_or_ok(lambda: Service(ctx), "ctx")
