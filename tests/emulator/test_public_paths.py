"""The emulator's documented import paths keep working, whatever its modules are called inside."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pytest

import lark_async.testing

# Module -> names that docs/, README.md or benchmarks/ import from it.
DOCUMENTED: dict[str, tuple[str, ...]] = {
    "lark_async.testing": tuple(lark_async.testing.__all__),
    "lark_async.testing.im": ("ImEmulator", "ImState", "routes"),
    "lark_async.testing.bitable": ("BitableEmulator", "BitableState", "routes"),
    "lark_async.testing.sheets": ("SheetsEmulator", "SheetsState", "routes"),
    "lark_async.testing.callbacks": ("CallbackSender", "click", "subscribe", "signing"),
    "lark_async.testing.signing": (
        "NONCE_HEADER",
        "SIGNATURE_HEADER",
        "TIMESTAMP_HEADER",
        "card_action_event",
        "encrypt",
        "im_message_event",
        "legacy_card_action",
        "sign_card_v1",
        "sign_event",
        "signed_request",
        "url_verification",
    ),
    "lark_async.testing.request": ("FakeRequest",),
    "lark_async.testing.routing": ("TENANT_ONLY", "USER_ONLY", "DEFAULT_AUTH", "RouteTable"),
}

# Where each re-exporting path's names really live: the same objects, not copies.
HOMES = {
    "lark_async.testing.signing": "lark_async.testing.callbacks.signing",
    "lark_async.testing.request": "lark_async.testing.server.request",
    "lark_async.testing.routing": "lark_async.testing.server.routing",
}


@pytest.mark.parametrize(("path", "names"), list(DOCUMENTED.items()))
def test_documented_names_import(path: str, names: tuple[str, ...]) -> None:
    module = importlib.import_module(path)
    missing = [name for name in names if not hasattr(module, name)]
    assert missing == []
    home = HOMES.get(path)
    if home is not None:
        real = importlib.import_module(home)
        assert all(getattr(module, name) is getattr(real, name) for name in names)


def test_the_pytest_plugin_entry_point_loads() -> None:
    [plugin] = [ep for ep in entry_points(group="pytest11") if ep.name == "lark_async"]
    assert plugin.value == "lark_async.testing.pytest_plugin"
    assert hasattr(plugin.load(), "fake_lark")
