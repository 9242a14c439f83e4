"""LarkClient: construction, configuration, reprs, from_env, logging options."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from lark_async import FEISHU, LARK, ConfigError, LarkClient
from lark_async.auth.models import AppConfig
from lark_async.core.logging import configure_logging, get_logger
from lark_async.core.secret import Secret
from tests.helpers import APP_ID, APP_SECRET, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"


def test_public_surface() -> None:
    assert FEISHU == "https://open.feishu.cn" and LARK == "https://open.larksuite.com"
    for name in ("request", "app", "from_env", "__aenter__", "__aexit__", "aclose"):
        assert hasattr(LarkClient, name)


def test_repr_never_shows_secrets() -> None:
    lark = LarkClient(
        APP_ID, APP_SECRET, domain=FEISHU, encrypt_key="ek-123456", verification_token="vt-1"
    )
    text = repr(lark) + str(lark) + repr(lark.default_app)
    assert APP_SECRET not in text and "ek-123456" not in text
    cfg = AppConfig(APP_ID, Secret(APP_SECRET))
    assert APP_SECRET not in repr(cfg) and APP_SECRET not in str(cfg)
    assert cfg.app_secret.get_secret_value() == APP_SECRET
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"app_secret": "x"}, "without app_id"),
        ({"app_id": APP_ID}, "no app_secret"),
        ({}, "no app configured"),
        ({"app_id": APP_ID, "app_secret": "x", "domain": "open.feishu.cn"}, "base URL"),
        (
            {"app_id": APP_ID, "app_secret": "x", "domain": "https://open.feishu.cn/open-apis"},
            "base URL",
        ),
        ({"app_id": APP_ID, "app_secret": "x", "max_retries": -1}, "max_retries"),
        ({"app_id": APP_ID, "app_secret": "x", "refresh_fraction": 1.5}, "refresh_fraction"),
        ({"app_id": APP_ID, "app_secret": "x", "token_store": "redis://x"}, "token store"),
        (
            {"app_id": APP_ID, "app_secret": "x", "token_store": "sqlite:///x.db"},
            "LARK_ASYNC_SECRET_KEY",
        ),
    ],
)
def test_bad_configuration_fails_fast_and_clearly(
    kwargs: dict[str, object], needle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LARK_ASYNC_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError) as exc:
        LarkClient(**kwargs)  # type: ignore[arg-type]
    assert needle.lower() in str(exc.value).lower()


async def test_from_env_reads_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    async with emulator() as fake:
        monkeypatch.setenv("LARK_ASYNC_APP_ID", APP_ID)
        monkeypatch.setenv("LARK_ASYNC_APP_SECRET", APP_SECRET)
        monkeypatch.setenv("LARK_ASYNC_DOMAIN", fake.url)
        monkeypatch.setenv("LARK_ASYNC_MAX_RETRIES", "1")
        monkeypatch.setenv("LARK_ASYNC_CLIENT_RATE_LIMIT", "false")
        async with LarkClient.from_env() as lark:
            assert lark.domain == fake.url
            assert lark._transport.config.retry.max_retries == 1
            assert not lark._transport.limiter.enabled
            assert (await lark.request("GET", ECHO)).ok
    configure_logging("DEBUG", "json")


async def test_from_env_with_registry(
    tmp_path: Path, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lark_async.auth.crypto import SecretBox
    from lark_async.auth.registry import AppRegistry

    path = tmp_path / "apps.db"
    async with AppRegistry(path, SecretBox(secret_key)) as reg:
        await reg.add(APP_ID, APP_SECRET, created_by="test")
    async with emulator() as fake:
        monkeypatch.setenv("LARK_ASYNC_SECRET_KEY", secret_key)
        monkeypatch.setenv("LARK_ASYNC_REGISTRY_PATH", str(path))
        monkeypatch.setenv("LARK_ASYNC_DOMAIN", fake.url)
        monkeypatch.setenv("LARK_ASYNC_TOKEN_STORE", f"sqlite:///{tmp_path / 'tokens.db'}")
        async with LarkClient.from_env(log_level="DEBUG", log_format="json") as lark:
            assert (await lark.app(APP_ID).request("GET", ECHO)).ok
            with pytest.raises(ConfigError):
                _ = lark.default_app  # no LARK_ASYNC_APP_ID
            resp = await lark.app("cli_unregistered01").request("GET", ECHO)
            assert isinstance(resp.error, ConfigError) and "apps add" in (resp.error.hint or "")


async def test_unknown_service_is_a_clear_attribute_error() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        with pytest.raises(AttributeError, match="no service named"):
            _ = lark.no_such_service


def test_log_levels_filter_and_formats() -> None:
    buf = io.StringIO()
    configure_logging("WARNING", "json", stream=buf)
    get_logger().info("lark.test", x=1)
    get_logger().warning("lark.test", x=2, app_secret="zzz")
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert [e["x"] for e in lines] == [2]
    assert lines[0]["app_secret"] == "***" and lines[0]["level"] == "warning"

    buf = io.StringIO()
    configure_logging("DEBUG", "console", stream=buf)
    get_logger().debug("lark.test", request_id="abc")
    assert "lark.test" in buf.getvalue() and "request_id=abc" in buf.getvalue()
    with pytest.raises(ValueError):
        configure_logging("LOUD")
    with pytest.raises(ValueError):
        configure_logging("INFO", "xml")  # type: ignore[arg-type]


def test_stdlib_format_goes_through_logging(caplog: pytest.LogCaptureFixture) -> None:
    configure_logging("INFO", "stdlib")
    with caplog.at_level(logging.INFO, logger="lark_async"):
        get_logger().info("lark.test", token="t-secretsecretsecretsecret", n=3)
    text = caplog.text
    assert "lark.test" in text and "n=3" in text and "secretsecret" not in text
