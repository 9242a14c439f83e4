"""What the Bitable emulator modules share: the route table, the state, ids and error answers.

The state holds bases, tables, fields and records for one ``FakeLark``
(``fake.state(BitableState)``). Codes and HTTP statuses follow the Feishu Bitable docs:
Bitable's own 1254xxx codes answer HTTP 200 unless the contract notes another
status; request-schema violations (page_size out of range, an operator outside
the enum…) answer HTTP 400 code 99992402 with ``field_violations``, as the
gateway does for every OpenAPI.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import RouteTable

#: Every Bitable route accepts tenant and user tokens (Feishu Bitable docs); handlers name
#: their rate-limit family: record writes 50/s, reads 20/s per app (Feishu rate-limit docs).
routes = RouteTable("bitable", family="bitable.read")
WRITE_FAMILY = "bitable.write"
READ_FAMILY = "bitable.read"

BASE_PATH = "/open-apis/bitable/v1/apps/{app_token}"
TABLE_PATH = BASE_PATH + "/tables/{table_id}"
RECORDS_PATH = TABLE_PATH + "/records"

MAX_BATCH_WRITE = 1000  # batch_create / batch_update (Feishu Bitable docs)
MAX_BATCH_DELETE = 500
MAX_BATCH_GET = 100
MAX_RECORD_PAGE = 500  # search and legacy list
MAX_SCHEMA_PAGE = 100  # tables and fields listing
DEFAULT_PAGE_SIZE = 20
MAX_FIELD_NAMES = 200
MAX_SORT_KEYS = 100
CLIENT_TOKEN_WINDOW = 24 * 3600.0  # long enough for any retry loop a client runs
RESPONSE_LIMIT = 10 * 1024 * 1024  # bytes of records in one answer before 1254030
SEARCH_CACHE_SIZE = 16

# --- codes (Feishu Bitable docs) --------------------------------------------------------------
WRONG_REQUEST_JSON = 1254000
WRONG_REQUEST_BODY = 1254001
WRONG_BASE_TOKEN = 1254003
WRONG_TABLE_ID = 1254004
WRONG_VIEW_ID = 1254005
WRONG_RECORD_ID = 1254006
FIELD_TYPE_MISMATCH = 1254015
TOO_LARGE_RESPONSE = 1254030
INVALID_CLIENT_TOKEN = 1254037
BASE_NOT_FOUND = 1254040
TABLE_NOT_FOUND = 1254041
VIEW_NOT_FOUND = 1254042
RECORD_NOT_FOUND = 1254043
FIELD_NAME_NOT_FOUND = 1254045
TEXT_CONV = 1254060
NUMBER_CONV = 1254061
SINGLE_SELECT_CONV = 1254062
MULTI_SELECT_CONV = 1254063
DATETIME_CONV = 1254064
CHECKBOX_CONV = 1254065
USER_CONV = 1254066
LINK_CONV = 1254067
URL_CONV = 1254068
ATTACHMENT_CONV = 1254069
PHONE_CONV = 1254072
DUPLEX_LINK_CONV = 1254074
BATCH_TOO_LARGE = 1254104
ATTACH_EXCEED_LIMIT = 1254106
FILTER_TOO_LONG = 1254107
SORT_TOO_LONG = 1254108
TOO_LARGE_CELL = 1254130
WRITE_CONFLICT = 1254291
CLIENT_TOKEN_CONFLICT = 1255006
FIELD_VALIDATION = 99992402

_NAMES: dict[int, str] = {
    WRONG_REQUEST_JSON: "WrongRequestJson",
    WRONG_REQUEST_BODY: "WrongRequestBody",
    WRONG_BASE_TOKEN: "WrongBaseToken",
    WRONG_TABLE_ID: "WrongTableId",
    WRONG_VIEW_ID: "WrongViewId",
    WRONG_RECORD_ID: "WrongRecordId",
    FIELD_TYPE_MISMATCH: "field type and value do not match",
    TOO_LARGE_RESPONSE: "TooLargeResponse",
    INVALID_CLIENT_TOKEN: "invalid client token",
    BASE_NOT_FOUND: "BaseTokenNotFound",
    TABLE_NOT_FOUND: "TableIdNotFound",
    VIEW_NOT_FOUND: "ViewIdNotFound",
    RECORD_NOT_FOUND: "RecordIdNotFound",
    FIELD_NAME_NOT_FOUND: "FieldNameNotFound",
    TEXT_CONV: "TextFieldConvFail",
    NUMBER_CONV: "NumberFieldConvFail",
    SINGLE_SELECT_CONV: "SingleSelectFieldConvFail",
    MULTI_SELECT_CONV: "MultiSelectFieldConvFail",
    DATETIME_CONV: "DatetimeFieldConvFail",
    CHECKBOX_CONV: "CheckboxFieldConvFail",
    USER_CONV: "UserFieldConvFail",
    LINK_CONV: "LinkFieldConvFail",
    URL_CONV: "URLFieldConvFail",
    ATTACHMENT_CONV: "AttachFieldConvFail",
    PHONE_CONV: "PhoneFieldConvFail",
    DUPLEX_LINK_CONV: "DuplexLinkFieldConvFail",
    BATCH_TOO_LARGE: "RecordAddOnceExceedLimit",
    ATTACH_EXCEED_LIMIT: "AttachExceedLimit",
    FILTER_TOO_LONG: "filter is too long",
    SORT_TOO_LONG: "sort is too long",
    TOO_LARGE_CELL: "TooLargeCell",
    WRITE_CONFLICT: "Write conflict",
    CLIENT_TOKEN_CONFLICT: "client token conflict",
}

#: Codes whose pages document a status other than HTTP 200 (Feishu Bitable docs).
_STATUS: dict[int, int] = {
    FIELD_TYPE_MISMATCH: 400,
    INVALID_CLIENT_TOKEN: 400,
    CLIENT_TOKEN_CONFLICT: 400,
}


def bitable_error(code: int, detail: str | None = None) -> FakeError:
    """A Bitable error: its documented name, ``detail`` after it, its documented status."""
    name = _NAMES.get(code, "request failed")
    return FakeError(code, f"{name}: {detail}" if detail else name, status=_STATUS.get(code, 200))


def field_violation(name: str, value: Any, description: str) -> FakeError:
    """HTTP 400 99992402: a parameter outside the documented schema (type, enum, range)."""
    shown = value if isinstance(value, str) else repr(value)
    return FakeError(
        FIELD_VALIDATION,
        f"field validation failed: {name}",
        error={
            "field_violations": [{"field": name, "value": shown[:200], "description": description}]
        },
    )


# --- ids --------------------------------------------------------------------------------
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


_RANDOM = random.Random()  # ids need uniqueness, not secrecy: the fast generator will do


def new_id(prefix: str, length: int) -> str:
    """``prefix`` + ``length`` random base-62 characters (Feishu's ids are alphanumeric)."""
    return prefix + "".join(_RANDOM.choices(_ALPHABET, k=length))


# --- state ------------------------------------------------------------------------------
@dataclass(slots=True)
class Field:
    """One column; ``property`` is returned as the API's ``property`` object."""

    field_id: str
    name: str
    type: int
    ui_type: str
    property: dict[str, Any] | None = None
    is_primary: bool = False
    description: str = ""


@dataclass(slots=True)
class Record:
    """One row. ``values`` maps field_id to the stored (write-form) value."""

    record_id: str
    seq: int
    values: dict[str, Any]
    created_time: int
    last_modified_time: int
    created_by: str | None
    last_modified_by: str | None
    auto_number: int


@dataclass(slots=True)
class TokenUse:
    """What a client_token produced: the request's fingerprint and the answer's ``data``."""

    fingerprint: str
    data: dict[str, Any]
    time: float


@dataclass
class Table:
    table_id: str
    name: str
    fields: dict[str, Field] = field(default_factory=dict)
    by_name: dict[str, Field] = field(default_factory=dict)
    views: list[str] = field(default_factory=list)
    records: dict[str, Record] = field(default_factory=dict)
    revision: int = 1
    #: bumped by every record change; search results are cached per version
    version: int = 0
    next_seq: int = 1
    next_auto_number: int = 1
    #: held by one record write at a time (Feishu rate-limit docs: else 1254291)
    busy: bool = False
    client_tokens: OrderedDict[str, TokenUse] = field(default_factory=OrderedDict)
    search_cache: OrderedDict[str, tuple[int, list[str], list[int]]] = field(
        default_factory=OrderedDict
    )

    def add_field(self, f: Field) -> None:
        self.fields[f.field_id] = f
        self.by_name[f.name] = f

    def touch(self) -> None:
        self.version += 1


@dataclass
class Base:
    app_token: str
    name: str
    time_zone: str
    tables: dict[str, Table] = field(default_factory=dict)
    #: the longest text written so far: while it is short, no answer can grow too large
    longest_text: int = 0


@dataclass
class BitableState:
    """Every base of one emulator, plus the write-slot settings and counters."""

    bases: dict[str, Base] = field(default_factory=dict)
    write_latency: float = 0.0
    write_conflicts: int = 0
    write_calls: int = 0
    #: writes still holding a table after their client went away (kept so they finish)
    pending: set[asyncio.Task[Any]] = field(default_factory=set)


# --- lookups ----------------------------------------------------------------------------
def find_base(req: FakeRequest) -> Base:
    app_token = req.params["app_token"]
    base = req.state(BitableState).bases.get(app_token)
    if base is None:
        if len(app_token) > 100:
            raise bitable_error(WRONG_BASE_TOKEN, "app_token is longer than 100 characters")
        raise bitable_error(BASE_NOT_FOUND, f"no base {app_token}")
    return base


def find_table(req: FakeRequest) -> Table:
    base = find_base(req)
    table_id = req.params["table_id"]
    table = base.tables.get(table_id)
    if table is None:
        if not table_id.startswith("tbl") or len(table_id) > 50:
            raise bitable_error(WRONG_TABLE_ID, f"{table_id} is not a table id (tbl...)")
        raise bitable_error(TABLE_NOT_FOUND, f"no table {table_id} in this base")
    return table


def check_view(table: Table, view_id: Any) -> None:
    """A ``view_id`` must name one of the table's views (views filter nothing here)."""
    if view_id is None or view_id == "":
        return
    if not isinstance(view_id, str) or not view_id.startswith("vew"):
        raise bitable_error(WRONG_VIEW_ID, f"{view_id!r} is not a view id (vew...)")
    if view_id not in table.views:
        raise bitable_error(VIEW_NOT_FOUND, f"no view {view_id} in this table")


def body_of(req: FakeRequest) -> dict[str, Any]:
    """The JSON body as an object; 1254000 when not JSON, 1254001 when not an object."""
    if req.json_invalid:
        raise bitable_error(WRONG_REQUEST_JSON, "the body is not valid JSON")
    if req.json is None:
        return {}
    if not isinstance(req.json, dict):
        raise bitable_error(WRONG_REQUEST_BODY, "the body must be a JSON object")
    return req.json


def user_id_type(req: FakeRequest) -> str:
    value = req.query.get("user_id_type") or "open_id"
    if value not in ("open_id", "union_id", "user_id"):
        raise field_violation("user_id_type", value, "one of open_id, union_id, user_id")
    return value


def flag(req: FakeRequest, name: str) -> bool:
    """A boolean query parameter (``true``/``false``); anything else is a schema violation."""
    raw = req.query.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise field_violation(name, raw, "must be true or false")


def page_size(raw: Any, limit: int, name: str = "page_size") -> int:
    """``page_size`` from a query string or a JSON body: 1..limit, default 20."""
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= limit:
        raise field_violation(name, raw, f"must be an integer in 1..{limit}")
    return raw


# --- page tokens: opaque to clients, a position only this module decodes ----------------
def encode_page_token(scope: str, kind: str, position: int) -> str:
    raw = f"{scope}|{kind}|{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(raw: str | None, scope: str) -> tuple[str, int] | None:
    """(kind, position) of a token this table issued; None for no token; 99992402 otherwise."""
    if raw is None or raw == "":
        return None
    try:
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    parts = decoded.split("|")
    if len(parts) != 3 or parts[0] != scope or not parts[2].isdigit():
        raise field_violation("page_token", raw, "not a page_token this list returned")
    return parts[1], int(parts[2])
