"""Services describe themselves; the catalogue gathers them for the client."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from lark_async.core import service as core_service
from lark_async.core.codes import CORE_CODES
from lark_async.core.errors import CodeInfo, ErrorKind, InvalidParameter
from lark_async.core.ratelimit import Limit
from lark_async.core.service import (
    Service,
    ServiceInfo,
    register_service,
    registered_services,
    resolve_service,
)
from lark_async.services import BUILTIN_SERVICES, builtin_infos, catalog


@pytest.fixture(autouse=True)
def registry() -> Iterator[None]:
    """Only the built-in services registered (other tests register theirs), and restored after."""
    saved = dict(core_service._REGISTRY)
    builtin = {info.name for info in builtin_infos()}
    for name in set(saved) - builtin:
        del core_service._REGISTRY[name]
    core_service._CLASSES.clear()
    yield
    core_service._REGISTRY.clear()
    core_service._REGISTRY.update(saved)
    core_service._CLASSES.clear()


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


# -- codes -------------------------------------------------------------------------------


def test_every_service_code_is_in_the_catalogue() -> None:
    cat = catalog()
    codes = cat.codes
    for info in builtin_infos():
        for code, code_info in info.codes.items():
            assert codes[code] is code_info, (info.name, code)
    for code, code_info in CORE_CODES.items():
        assert codes[code] is code_info
    described = set(CORE_CODES).union(*(info.codes for info in cat.infos))
    assert set(codes) == described  # nothing else


def test_no_two_descriptions_claim_one_code() -> None:
    """One meaning per code: no built-in overrides the core or another built-in."""
    owner: dict[int, str] = dict.fromkeys(CORE_CODES, "core")
    for info in builtin_infos():
        for code in info.codes:
            assert code not in owner, f"{code}: {owner.get(code)} and {info.name}"
            owner[code] = info.name


@pytest.mark.parametrize(
    ("code", "kind", "service"),
    [
        (1254045, ErrorKind.NOT_FOUND, "bitable"),  # once Unknown until bitable.codes was imported
        (1254290, ErrorKind.RATE_LIMITED, "bitable"),
        (1254291, ErrorKind.CONFLICT, "bitable"),
        (1255003, ErrorKind.SERVER, "bitable"),
        (230020, ErrorKind.RATE_LIMITED, "messaging"),
        (300030, ErrorKind.PERMISSION_DENIED, "messaging"),
        (90217, ErrorKind.RATE_LIMITED, "sheets"),
        (1315203, ErrorKind.SERVER, "sheets"),
        (1771005, ErrorKind.SERVER, "docs"),
        (1066002, ErrorKind.SERVER, "docs"),
    ],
)
def test_service_codes_classify_through_the_catalogue(
    code: int, kind: ErrorKind, service: str
) -> None:
    cat = catalog()
    assert cat.codes.classify(code).kind is kind
    info = cat.info(service)
    assert info is not None and code in info.codes


_SNAPSHOT = """
import json, sys
from lark_async.core.errors import classify
from lark_async.services import catalog
CODES = sorted(catalog().codes) + [0, 1, 123456789]
def snap():
    table = catalog().codes
    return {
        "catalog": [[c, s, repr(table.classify(c, s))] for c in CODES for s in (None, 400, 503)],
        "core": [[c, repr(classify(c))] for c in CODES],
    }
before = snap()
import importlib
importlib.import_module(sys.argv[1])
after = snap()
print(json.dumps({"same": before == after, "n": len(CODES)}))
"""


@pytest.mark.parametrize(
    "module",
    [
        "lark_async.messaging",
        "lark_async.messaging.service",
        "lark_async.messaging.codes",
        "lark_async.bitable",
        "lark_async.bitable.codes",
        "lark_async.bitable.bulk",
        "lark_async.sheets",
        "lark_async.sheets.service",
        "lark_async.callbacks",
        "lark_async.callbacks.cards",
        "lark_async.client",
    ],
)
def test_classification_does_not_depend_on_what_was_imported(module: str) -> None:
    code = _SNAPSHOT.replace("sys.argv[1]", repr(module))
    result = json.loads(_run(code))
    assert result["same"] and result["n"] > 200


# -- families and limits --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "family"),
    [
        ("POST", "/open-apis/im/v1/messages", "im"),
        ("GET", "/open-apis/im/v1/chats/oc_1", "im.chat"),
        ("POST", "/open-apis/message/v4/batch_send/", "im"),
        ("POST", "/open-apis/interactive/v1/card/update", "card.update"),
        ("POST", "/open-apis/bitable/v1/apps/a/tables/t/records/batch_create", "bitable.write"),
        ("PUT", "/open-apis/bitable/v1/apps/a/tables/t/records/r", "bitable.write"),
        ("DELETE", "/open-apis/bitable/v1/apps/a/tables/t/records/r", "bitable.write"),
        ("POST", "/open-apis/bitable/v1/apps/a/tables/t/records/search", "bitable.read"),
        ("POST", "/open-apis/bitable/v1/apps/a/tables/t/records/batch_get", "bitable.read"),
        ("GET", "/open-apis/bitable/v1/apps/a/tables/t/records", "bitable.read"),
        ("GET", "/open-apis/bitable/v1/apps/a/tables", "bitable.read"),
        ("POST", "/open-apis/bitable/v1/apps/a/tables/t/fields", "bitable.schema"),
        ("POST", "/open-apis/docx/v1/documents", "docx.create"),
        ("PATCH", "/open-apis/docx/v1/documents/d/blocks/b", "docx.write"),
        ("GET", "/open-apis/docx/v1/documents/d", "docx.read"),
        ("PUT", "/open-apis/sheets/v2/spreadsheets/s/values", "sheets"),
        ("POST", "/open-apis/sheets/v3/spreadsheets", "sheets.v3.write"),
        ("PATCH", "/open-apis/sheets/v3/spreadsheets/s", "sheets.v3.write"),
        ("GET", "/open-apis/sheets/v3/spreadsheets/s/sheets/query", "sheets.v3"),
        ("POST", "/open-apis/drive/v1/medias/upload_all", "drive.media"),
        ("POST", "/open-apis/drive/v1/permissions/t/members", "drive.permission_write"),
        ("GET", "/open-apis/drive/v2/permissions/t/public", "drive.permission_read"),
        ("GET", "/open-apis/drive/v1/files", "default"),
        ("GET", "/open-apis/contact/v3/users/u", "contact"),
        ("POST", "/open-apis/auth/v3/tenant_access_token/internal", "auth"),
        ("POST", "/open-apis/authen/v1/oidc/access_token", "auth"),
        ("POST", "/open-apis/apaas/v1/applications/a/objects/o/records", "apaas"),
        ("POST", "/open-apis/apaas/v1/applications/a/flows/f/execute", "apaas.flow"),
        ("POST", "/open-apis/aily/v1/apps/a/skills/s/start", "aily.run"),
        ("POST", "/open-apis/aily/v1/sessions/s/runs", "aily.run"),
        ("GET", "/open-apis/aily/v1/sessions/s/runs/r", "aily"),
        ("POST", "/open-apis/aily/v1/sessions/s/runs/r/cancel", "aily"),
        ("GET", "/open-apis/calendar/v4/calendars", "default"),
    ],
)
def test_family_of(method: str, path: str, family: str) -> None:
    cat = catalog()
    assert cat.family_of(method, path) == family
    assert cat.family_of(method, path) == family  # from the memo, the same


def test_limits_are_the_documented_table() -> None:
    tier4 = (Limit(50), Limit(1000, 60.0))
    assert dict(catalog().limits) == {
        "auth": tier4,
        "im": tier4,
        "im.chat": tier4,
        "card.update": tier4,
        "bitable.write": (Limit(50),),
        "bitable.read": (Limit(20),),
        "bitable.schema": (Limit(10),),
        "sheets": (Limit(100),),
        "sheets.v3": (Limit(100, 60.0),),
        "sheets.v3.write": (Limit(20, 60.0),),
        "docx.create": (Limit(3),),
        "docx.read": (Limit(5),),
        "docx.write": (Limit(3),),
        "drive.media": (Limit(5),),
        "drive.permission_read": tier4,
        "drive.permission_write": (Limit(100, 60.0),),
        "contact": tier4,
        "apaas": (Limit(10),),
        "apaas.flow": (Limit(100, 60.0),),
        "aily": tier4,
        "aily.run": (Limit(100, 60.0),),
        "default": tier4,
    }


def test_every_family_a_path_can_map_to_has_a_limit() -> None:
    cat = catalog()
    for info in builtin_infos():
        for _, family in info.prefixes:
            assert family in cat.limits, (info.name, family)


# -- services --------------------------------------------------------------------------


def test_built_in_classes_resolve_lazily() -> None:
    from lark_async.bitable import Bitable
    from lark_async.docs import Docs
    from lark_async.messaging import Messaging
    from lark_async.sheets import Sheets

    cat = catalog()
    assert cat.service_class("messaging") is Messaging
    assert cat.service_class("bitable") is Bitable
    assert cat.service_class("sheets") is Sheets
    assert cat.service_class("docs") is Docs
    assert cat.service_class("nope") is None
    assert cat.service_class("auth") is None  # endpoints only, no class
    assert {"messaging", "bitable", "sheets", "docs", "contact", "apaas"} <= set(
        registered_services()
    )
    assert resolve_service("messaging") is Messaging


class Calendar(Service):
    name = "calendar"


def test_a_users_description_joins_the_catalogue() -> None:
    info = ServiceInfo(
        "calendar",
        Calendar,
        codes={191001: CodeInfo(ErrorKind.NOT_FOUND, False, "no such calendar")},
        limits={"calendar": (10, 1.0), "calendar.write": [(5, 1.0), (100, 60.0)]},
        prefixes=(("/open-apis/calendar/", "calendar"),),
        family_of=lambda method, path: (
            "calendar.write"
            if path.startswith("/open-apis/calendar/") and method != "GET"
            else None
        ),
    )
    before = catalog()
    assert register_service(info) is info
    cat = catalog()
    assert cat.codes.classify(191001).kind is ErrorKind.NOT_FOUND
    assert before.codes.classify(191001).kind is ErrorKind.UNKNOWN  # made before: a snapshot
    assert cat.limits["calendar"] == (Limit(10, 1.0),)
    assert cat.limits["calendar.write"] == (Limit(5, 1.0), Limit(100, 60.0))
    assert cat.family_of("GET", "/open-apis/calendar/v4/calendars") == "calendar"
    assert cat.family_of("POST", "/open-apis/calendar/v4/calendars") == "calendar.write"
    assert cat.family_of("POST", "/open-apis/im/v1/messages") == "im"  # others untouched
    assert cat.service_class("calendar") is Calendar
    assert before.service_class("calendar") is Calendar  # classes come from the live registry


def test_extra_descriptions_and_the_old_registration_form() -> None:
    register_service("calendar", "tests.test_services:Calendar")
    assert registered_services()["calendar"] == "tests.test_services:Calendar"
    assert resolve_service("calendar") is Calendar
    extra = ServiceInfo(
        "approval",
        "tests.test_services:Calendar",
        codes={1390001: CodeInfo(ErrorKind.INVALID_PARAMETER, False, "bad approval")},
        prefixes=(("/open-apis/approval/", "approval"),),
    )
    cat = catalog([extra])
    assert cat.codes.classify(1390001).kind is ErrorKind.INVALID_PARAMETER
    assert cat.family_of("GET", "/open-apis/approval/v4/instances") == "approval"
    assert cat.limits.get("approval") is None  # no limit of its own: "default" applies
    assert cat.service_class("approval") is Calendar
    assert catalog().codes.classify(1390001).kind is ErrorKind.UNKNOWN  # only where passed


def test_a_users_service_may_replace_a_built_in_name() -> None:
    from lark_async.messaging.meta import IM_CODES

    register_service("messaging", Calendar)
    cat = catalog()
    assert cat.service_class("messaging") is Calendar
    assert all(code in cat.codes for code in IM_CODES)  # the built-in's codes stay


def test_descriptions_are_checked_and_frozen() -> None:
    with pytest.raises(ValueError, match="identifier"):
        ServiceInfo("my-service")
    with pytest.raises(ValueError, match="module:Class"):
        ServiceInfo("svc", "just.a.module")
    with pytest.raises(ValueError, match="starts with '/'"):
        ServiceInfo("svc", prefixes=(("open-apis/x", "x"),))
    with pytest.raises(ValueError):
        ServiceInfo("svc", limits={"x": (0, 1.0)})
    with pytest.raises(InvalidParameter, match="codes"):
        ServiceInfo("svc", codes={"1": CodeInfo(ErrorKind.SERVER, True, "x")})  # type: ignore[dict-item]
    codes = {1: CodeInfo(ErrorKind.SERVER, True, "x")}
    info = ServiceInfo("svc", codes=codes)
    codes[2] = CodeInfo(ErrorKind.SERVER, True, "y")
    assert 2 not in info.codes  # copied
    with pytest.raises(TypeError):
        info.codes[3] = codes[1]  # type: ignore[index]
    with pytest.raises(AttributeError):
        info.name = "other"  # type: ignore[misc]
    with pytest.raises(ValueError):
        register_service(ServiceInfo("codes_only"))
    with pytest.raises(InvalidParameter, match="service"):
        register_service("svc")  # type: ignore[call-overload]


def test_the_built_in_list_names_each_description() -> None:
    assert [info.name for info in builtin_infos()] == list(BUILTIN_SERVICES)


# -- import cost -----------------------------------------------------------------------


@pytest.mark.parametrize("service", ["messaging", "bitable", "sheets"])
def test_a_meta_module_is_cheap(service: str) -> None:
    code = (
        f"import sys; import lark_async.{service}.meta; "
        "heavy = ('pydantic', 'aiohttp', 'structlog', 'filetype', 'aiolimiter', "
        f"'lark_async.{service}.service', 'lark_async.{service}.models'); "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    assert _run(code).strip() == ""


def test_the_catalogue_imports_no_service() -> None:
    code = (
        "import sys; from lark_async.services import catalog; c = catalog(); "
        "c.family_of('GET', '/open-apis/im/v1/messages'); "
        "loaded = [m for m in sys.modules if m.startswith('lark_async.') and not m.endswith("
        "'.meta') and m.split('.')[1] not in ('core', 'services', 'endpoints', '_domains') "
        "and m.count('.') > 1] + [m for m in ('pydantic', 'aiohttp') if m in sys.modules]; "
        "print(','.join(loaded))"
    )
    assert _run(code).strip() == ""


def test_importing_messaging_imports_no_other_service() -> None:
    """FR-070: a user can import one service without the others."""
    code = (
        "import sys; import lark_async.messaging; from lark_async.messaging import Messaging, Card; "
        "others = ('lark_async.bitable', 'lark_async.sheets', 'lark_async.callbacks', "
        "'lark_async.services', 'lark_async.endpoints', 'lark_async.apaas', 'lark_async.docs'); "
        "print(','.join(m for m in sys.modules if m.startswith(others)))"
    )
    assert _run(code).strip() == ""


@pytest.mark.parametrize("package", ["messaging", "bitable", "sheets", "docs"])
def test_every_exported_name_still_imports(package: str) -> None:
    import importlib

    module = importlib.import_module(f"lark_async.{package}")
    for name in module.__all__:
        assert getattr(module, name) is not None, name
        assert name in dir(module)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


class _Closing(Service):
    name = "closing"
    closed: list[str] = []  # noqa: RUF012

    async def aclose(self) -> None:
        _Closing.closed.append(self.app_id)
        if self.app_id == "cli_close_fails01":
            raise RuntimeError("store down")


async def test_client_aclose_closes_every_service_built_even_when_one_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from lark_async import LarkClient

    register_service("closing", _Closing)
    _Closing.closed.clear()
    lark = LarkClient("cli_close_fails01", "secret-one", domain="http://127.0.0.1:9")
    for app_id in ("cli_close_fails01", "cli_close_works01"):
        assert isinstance(lark.app(app_id).service("closing"), _Closing)
    with caplog.at_level("WARNING", logger="lark_async"):
        await lark.aclose()
    assert sorted(_Closing.closed) == ["cli_close_fails01", "cli_close_works01"]
    assert "lark.client.service_close_failed" in caplog.text
    assert "store down" not in caplog.text  # the error's type, not its text (may hold a DSN)
