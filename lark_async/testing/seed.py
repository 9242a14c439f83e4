"""Seeding helpers: put tables, sheets, people and chats in an emulator in one call.

    table = seed_table(fake, {"Name": TEXT, "Score": NUMBER}, [{"Name": "Ann", "Score": 7}])
    sheet = seed_sheet(fake, [["Name", "Score"], ["Ann", 7]])
    ann = seed_user(fake, "Ann", email="ann@example.com")
    chat = seed_chat(fake, "ops", members=[ann])

Each takes a running :class:`FakeLark` or a :class:`ThreadedFakeLark` (then the
seeding runs on the emulator's thread) and returns what a test needs to call the
API: tokens and ids. Bad seeds are ValueErrors, raised at once. They are thin:
``BitableEmulator``, ``SheetsEmulator`` and ``ContactEmulator`` do the work and
have more options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lark_async.testing.bitable.emulator import BitableEmulator
from lark_async.testing.contact.emulator import ContactEmulator
from lark_async.testing.contact.state import ROOT
from lark_async.testing.im.emulator import ImEmulator
from lark_async.testing.server.fake_lark import FakeLark
from lark_async.testing.sheets.emulator import SheetsEmulator
from lark_async.testing.sheets.state import DEFAULT_COLS, DEFAULT_ROWS
from lark_async.testing.threaded import ThreadedFakeLark

__all__ = [
    "CHECKBOX",
    "DATE",
    "MULTI_SELECT",
    "NUMBER",
    "PERSON",
    "SINGLE_SELECT",
    "TEXT",
    "URL",
    "SeededSheet",
    "SeededTable",
    "SeededUser",
    "seed_chat",
    "seed_department",
    "seed_records",
    "seed_sheet",
    "seed_table",
    "seed_user",
    "seed_users",
]

#: Bitable field types for ``seed_table``'s ``{name: type}`` shorthand.
TEXT, NUMBER, SINGLE_SELECT, MULTI_SELECT, DATE, CHECKBOX, PERSON, URL = 1, 2, 3, 4, 5, 7, 11, 15

Emulator = FakeLark | ThreadedFakeLark
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SeededTable:
    """A seeded Bitable table: ``app_token`` and ``table_id`` are what the API takes."""

    app_token: str
    table_id: str
    #: field name -> ``fld`` id
    field_ids: dict[str, str] = field(default_factory=dict)
    #: the seeded records' ids, in the order given
    record_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SeededSheet:
    """A seeded spreadsheet: its token, the sheet's id and the range the values fill."""

    spreadsheet_token: str
    sheet_id: str
    #: e.g. ``"Q7PlXT!A1:B2"``; the sheet alone (``"Q7PlXT"``) when no values were given
    value_range: str


@dataclass(frozen=True, slots=True)
class SeededUser:
    """A seeded person; ``open_id`` is theirs in the app it was asked for (default: the first)."""

    name: str
    union_id: str
    open_id: str
    user_id: str
    email: str | None = None
    mobile: str | None = None


def _on(fake: Emulator, fn: Callable[[FakeLark], T]) -> T:
    """Run ``fn(emulator)`` where it is safe: the emulator's own thread for a threaded one."""
    if isinstance(fake, ThreadedFakeLark):
        inner = fake.fake
        return fake.call(fn, inner)
    if not isinstance(fake, FakeLark):
        raise TypeError(f"fake must be a FakeLark or ThreadedFakeLark, not {type(fake).__name__}")
    return fn(fake)


# --- Bitable ------------------------------------------------------------------------------
def seed_table(
    fake: Emulator,
    fields: Mapping[str, int] | Sequence[Mapping[str, Any]],
    records: Iterable[Mapping[str, Any]] = (),
    *,
    name: str = "Table",
    app_token: str | None = None,
    base_name: str = "Base",
    time_zone: str = "Asia/Shanghai",
) -> SeededTable:
    """A Bitable table with ``fields`` and ``records``, in a new base or in ``app_token``'s.

    ``fields``: ``{name: type}`` (``TEXT``, ``NUMBER``...) or field specs
    ``{"field_name", "type", "property"?}`` (select options, links); the first
    field is the primary one. ``records``: ``{field_name: value}`` as a write
    sends them. A new base gets ``app_token`` (or a random one) and ``time_zone``.
    """
    specs: list[Mapping[str, Any]]
    if isinstance(fields, Mapping):
        specs = [{"field_name": n, "type": t} for n, t in fields.items()]
    else:
        specs = list(fields)
    rows = list(records)

    def seed(f: FakeLark) -> SeededTable:
        bitable = BitableEmulator.of(f)
        token = app_token
        if token is None or token not in bitable.state.bases:
            token = bitable.create_app(base_name, token, time_zone=time_zone)
        table_id = bitable.create_table(token, name, specs)
        ids = bitable.add_records(token, table_id, rows)
        field_ids = {n: info["field_id"] for n, info in bitable.fields(token, table_id).items()}
        return SeededTable(token, table_id, field_ids, ids)

    return _on(fake, seed)


def seed_records(
    fake: Emulator, table: SeededTable, records: Iterable[Mapping[str, Any]]
) -> list[str]:
    """More records in a seeded table; their ids (``table.record_ids`` is not changed)."""
    rows = list(records)
    return _on(
        fake, lambda f: BitableEmulator.of(f).add_records(table.app_token, table.table_id, rows)
    )


# --- Sheets -------------------------------------------------------------------------------
def seed_sheet(
    fake: Emulator,
    values: Sequence[Sequence[Any]] = (),
    *,
    title: str = "Spreadsheet",
    sheet: str = "Sheet1",
    start: str = "A1",
    rows: int = DEFAULT_ROWS,
    cols: int = DEFAULT_COLS,
) -> SeededSheet:
    """A spreadsheet whose sheet ``sheet`` holds ``values`` (rows of cells) from ``start``.

    Cells are strings, numbers, booleans, ``None`` or typed objects (formulas,
    links), as a write takes them; the grid (``rows`` × ``cols``) grows to fit.
    """
    grid = [list(row) for row in values]

    def seed(f: FakeLark) -> SeededSheet:
        sheets = SheetsEmulator.of(f)
        token = sheets.create_spreadsheet(title, [(sheet, rows, cols)])
        sheet_id = sheets.sheet_id(token, sheet)
        filled = sheets.set_values(token, f"{sheet_id}!{start}", grid) if grid else sheet_id
        return SeededSheet(token, sheet_id, filled)

    return _on(fake, seed)


# --- Contact ------------------------------------------------------------------------------
def seed_department(fake: Emulator, name: str, *, parent: str = ROOT) -> str:
    """A department under ``parent`` (``"0"``: the root); its ``od-`` open_department_id."""
    return _on(fake, lambda f: ContactEmulator.of(f).add_department(name, parent=parent))


def seed_user(
    fake: Emulator,
    name: str,
    *,
    email: str | None = None,
    mobile: str | None = None,
    departments: Iterable[str] = (ROOT,),
    app_id: str | None = None,
    **profile: Any,
) -> SeededUser:
    """A person the contact and IM endpoints know (messages to their open_id arrive).

    ``departments``: open_department_ids (``seed_department``); ``profile``: more
    of ``ContactEmulator.add_user``'s fields (``job_title``, ``employee_no``...).
    ``app_id``: whose open_id to return (default: the emulator's first app).
    """
    depts = list(departments)

    def seed(f: FakeLark) -> SeededUser:
        contact = ContactEmulator.of(f)
        union_id = contact.add_user(name, email=email, mobile=mobile, departments=depts, **profile)
        person = contact.person(union_id)
        return SeededUser(
            name=name,
            union_id=union_id,
            open_id=contact.open_id(union_id, app_id),
            user_id=person.user_id,
            email=email,
            mobile=mobile,
        )

    return _on(fake, seed)


def seed_users(
    fake: Emulator, n: int, *, department: str = ROOT, domain: str = "example.com"
) -> list[SeededUser]:
    """``n`` people ``user i`` with emails ``user{i}@<domain>`` (``i`` counts on across calls)."""

    def seed(f: FakeLark) -> list[SeededUser]:
        contact = ContactEmulator.of(f)
        out = []
        for union_id in contact.seed_users(n, department=department, domain=domain):
            p = contact.person(union_id)
            out.append(
                SeededUser(
                    p.name, union_id, contact.open_id(union_id), p.user_id, p.email, p.mobile
                )
            )
        return out

    return _on(fake, seed)


# --- chats --------------------------------------------------------------------------------
def seed_chat(
    fake: Emulator,
    name: str,
    *,
    members: Iterable[SeededUser | str] = (),
    bot_in_chat: bool = True,
) -> str:
    """A group chat with ``members`` (seeded users or open_ids); its ``oc_`` chat_id.

    ``bot_in_chat=False``: the app's bot is not in it, so sends answer 230002.
    """
    ids = [m.open_id if isinstance(m, SeededUser) else m for m in members]

    def seed(f: FakeLark) -> str:
        # A chat of people the emulator does not know would let a test pass that Feishu fails.
        known = {user.open_id for user in ImEmulator.of(f).state.users}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(
                f"members: no user with open_id {unknown[0]!r} (seed_user() them first)"
            )
        return ContactEmulator.of(f).add_chat(name, members=ids, bot_in_chat=bot_in_chat)

    return _on(fake, seed)
