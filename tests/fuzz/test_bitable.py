"""``lark.bitable``: every public method, one bad argument at a time.

Records, batches, searches (iterators: the arguments are checked when the
iterator is made, before the first page), schema listings and the bulk writers
with their ``**options``. Each call must work or raise a ``LarkError`` naming
the bad argument, and a call that raises must have sent nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import example, given

from lark_async import LarkClient
from lark_async.bitable import Bitable, BulkOptions, F
from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter
from lark_async.testing import FakeLark
from tests.fuzz.service_surface import (
    NASTIES,
    bad_values,
    base_kwargs,
    cases,
    missing_bases,
    public_methods,
    run,
)
from tests.helpers import client_for, emulator

METHODS = public_methods(Bitable)
FIELDS = [
    {"field_name": "Name", "type": 1},
    {"field_name": "Age", "type": 2},
    {"field_name": "Active", "type": 7},
]
BULK_OPTIONS = (*(f.name for f in dataclasses.fields(BulkOptions)), "no_such_option")
SEARCH_OPTIONS = (
    "sort",
    "field_names",
    "view_id",
    "automatic_fields",
    "page_size",
    "max_items",
    "user_id_type",
    "filter",
    "no_such_option",
)
VAR_KEYWORD = {
    "bulk_create": BULK_OPTIONS,
    "bulk_update": BULK_OPTIONS,
    "bulk_upsert": BULK_OPTIONS,
    "bulk_delete": BULK_OPTIONS,
    "bulk_writer": BULK_OPTIONS,
    "query_records": SEARCH_OPTIONS,
}


@dataclass
class Env:
    fake: FakeLark
    lark: LarkClient
    app_token: str
    table_id: str
    record_id: str

    @property
    def bitable(self) -> Bitable:
        service = self.lark.bitable
        assert isinstance(service, Bitable)
        return service


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    from lark_async.testing.bitable import BitableEmulator

    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        bt = BitableEmulator.of(fake)
        app_token = bt.create_app(name="Fuzz")
        table_id = bt.create_table(app_token, name="People", fields=FIELDS)
        made = await lark.bitable.create_record(app_token, table_id, {"Name": "Ada"})
        assert made.data is not None
        fake.journal.clear()
        yield Env(fake, lark, app_token, table_id, made.data.record_id)


def bases(env: Env) -> dict[str, Any]:
    """A valid value for each argument name."""
    return {
        "app_token": env.app_token,
        "table_id": env.table_id,
        "record_id": env.record_id,
        "fields": {"Name": "Bo", "Age": 3},
        "records": [{"Name": "Cy"}],
        "record_ids": [env.record_id],
        "rows": [{"Name": "Di"}],
        "key": "Name",
    }


def overrides(env: Env) -> dict[str, dict[str, Any]]:
    """Per-method bases where the name alone is not enough."""
    pairs = [(env.record_id, {"Age": 4})]
    return {
        "batch_update_records": {"records": pairs},
        "bulk_update": {"rows": pairs},
        "query_records": {"filters": F("Name").is_("Ada")},
    }


def test_every_required_argument_has_a_valid_base() -> None:
    dummy = Env(None, None, "app", "tbl", "rec")  # type: ignore[arg-type]
    assert missing_bases(METHODS, bases(dummy), overrides(dummy)) == []


def _nasty_examples(test: Any) -> Any:
    for value in reversed(NASTIES):
        test = example(bad=value)(test)
    return test


@pytest.mark.parametrize(("method", "arg"), cases(METHODS, VAR_KEYWORD))
@_nasty_examples
@given(bad=bad_values)
async def test_bad_argument_is_refused_before_sending(
    env: Env, method: str, arg: str, bad: Any
) -> None:
    service = env.bitable
    kwargs = base_kwargs(METHODS[method], bases(env), overrides(env).get(method, {}))
    kwargs[arg] = bad
    await run(lambda: getattr(service, method)(**kwargs), env.fake.journal, arg)


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda b, e: b.create_record(e.app_token, e.table_id, {"Age": float("nan")}), "fields"),
        (lambda b, e: b.create_record(e.app_token, e.table_id, {"Name": {1, 2}}), "fields"),
        (lambda b, e: b.create_record(e.app_token, e.table_id, {"Name": "a\ud800"}), "fields"),
        (lambda b, e: b.create_record(e.app_token, e.table_id, {"Age": 2**70}), "fields"),
        (lambda b, e: b.search_records(e.app_token, e.table_id, sort=5), "sort"),
    ],
)
async def test_reproduced_gaps_are_typed(env: Env, call: Any, arg: str) -> None:
    """Non-JSON field values (orjson TypeError) and sort_spec(5) (TypeError) from issue #10."""
    with pytest.raises(InvalidParameter, match=arg):
        result = call(env.bitable, env)
        if hasattr(result, "__await__"):
            await result
    assert len(env.fake.journal) == 0
