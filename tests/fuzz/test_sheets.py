"""``lark.sheets``: every public method, one bad argument at a time.

Each argument of each public method (found with ``dir``) is replaced by a bad
value while the others stay valid; the call must work or raise a ``LarkError``
naming that argument, and a call that raises must have sent nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import example, given

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter
from lark_async.sheets import CellStyle, Sheets
from lark_async.testing import FakeLark, SheetsEmulator
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

METHODS = public_methods(Sheets)


@dataclass
class Env:
    fake: FakeLark
    lark: LarkClient
    token: str
    sid: str

    @property
    def sheets(self) -> Sheets:
        service = self.lark.sheets
        assert isinstance(service, Sheets)
        return service


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        sh = SheetsEmulator.of(fake)
        token = sh.create_spreadsheet("Fuzz", [("Sheet1", 50, 10)])
        yield Env(fake, lark, token, sh.sheet_id(token, "Sheet1"))


def bases(env: Env) -> dict[str, Any]:
    """A valid value for each argument name."""
    box = f"{env.sid}!A1:B2"
    return {
        "spreadsheet_token": env.token,
        "sheet_id": env.sid,
        "range": box,
        "ranges": [box],
        "values": [[1, "two"], [3.5, None]],
        "data": {box: [[1, 2], [3, 4]]},
        "style": CellStyle(bold=True),
        "items": [(box, CellStyle(italic=True))],
        "dimension": "ROWS",
        "start": 1,
        "start_col": "A",
        "start_row": 1,
        "width": 120,
        "height": 30,
    }


def overrides(env: Env) -> dict[str, dict[str, Any]]:
    return {"update_dimension": {"fixed_size": 40}}


def test_every_required_argument_has_a_valid_base() -> None:
    dummy = Env(None, None, "shtcn", "sid")  # type: ignore[arg-type]
    assert missing_bases(METHODS, bases(dummy), overrides(dummy)) == []


def _nasty_examples(test: Any) -> Any:
    for value in reversed(NASTIES):
        test = example(bad=value)(test)
    return test


@pytest.mark.parametrize(("method", "arg"), cases(METHODS))
@_nasty_examples
@given(bad=bad_values)
async def test_bad_argument_is_refused_before_sending(
    env: Env, method: str, arg: str, bad: Any
) -> None:
    service = env.sheets
    kwargs = base_kwargs(METHODS[method], bases(env), overrides(env).get(method, {}))
    kwargs[arg] = bad
    await run(lambda: getattr(service, method)(**kwargs), env.fake.journal, arg)


@pytest.mark.parametrize(
    ("values", "arg"),
    [
        ([[{"type": "formula", "text": float("nan")}]], "values"),
        ([["a\ud800"]], "values"),
        ([[2**70]], "values"),
        ([[{"k": {1, 2}}]], "values"),
    ],
)
async def test_cells_that_json_cannot_carry_are_refused(env: Env, values: Any, arg: str) -> None:
    with pytest.raises(InvalidParameter, match=arg):
        await env.sheets.update_sheet_data(env.token, f"{env.sid}!A1", values)
    assert len(env.fake.journal) == 0
