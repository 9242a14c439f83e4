"""Reading values: one range, several ranges, or a stream of row blocks (Feishu Sheets docs).

A range Feishu finds too large to answer (90221, over 10 MB) is read again
in row blocks, halving until they fit, and joined.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias
from urllib.parse import quote

from lark_async.core.errors import InvalidParameter
from lark_async.core.response import LarkResponse
from lark_async.sheets.base import V2, SheetsBase, with_progress
from lark_async.sheets.codes import TOO_LARGE_RESPONSE
from lark_async.sheets.models import BatchSheetValues, SheetValues, ValueRange
from lark_async.sheets.ranges import RangeLike, SheetRange, check_spreadsheet_token

DEFAULT_BLOCK_ROWS = 1_000

ValueRenderOption: TypeAlias = Literal["ToString", "Formula", "FormattedValue", "UnformattedValue"]
DateTimeRenderOption: TypeAlias = Literal["FormattedString"]
UserIdType: TypeAlias = Literal["open_id", "union_id"]

_VALUE_RENDER = ("ToString", "Formula", "FormattedValue", "UnformattedValue")
_USER_ID_TYPES = ("open_id", "union_id")


@dataclass(frozen=True, slots=True)
class RowBlock:
    """One block of rows from :meth:`Sheets.iter_sheet_data`.

    ``values`` is exactly ``range.row_count`` rows of ``range.col_count`` cells
    (``None`` for empty cells).
    """

    range: SheetRange
    values: list[list[Any]]
    revision: int

    @property
    def start_row(self) -> int:
        return self.range.top_left[0]


class ReadCalls(SheetsBase):
    """Reading values (v2)."""

    async def get_sheet_data(
        self,
        spreadsheet_token: str,
        range: RangeLike,
        *,
        value_render_option: ValueRenderOption | None = None,
        date_time_render_option: DateTimeRenderOption | None = None,
        user_id_type: UserIdType | None = None,
    ) -> LarkResponse[SheetValues]:
        """The cells of ``range`` (``"sheet!A1:C3"``, ``"sheet!A:C"``, ``"sheet"``…).

        If Feishu answers that the result is too large (90221, over 10 MB), the
        range is read again in row blocks (halving until they fit) and joined;
        ``data.requests`` says how many reads it took. A joined answer is
        exactly the rows of the range, padded with ``None``; for an open-ended
        range the sheet's size closes it and trailing empty rows are dropped.
        """
        token = check_spreadsheet_token(spreadsheet_token)
        rng = SheetRange.coerce(range)
        params = _read_params(value_render_option, date_time_render_option, user_id_type)
        first = await self._read(token, rng, params)
        if first.code != TOO_LARGE_RESPONSE:
            return first
        bounded = await self._bound(token, rng)
        if isinstance(bounded, LarkResponse):
            return bounded.with_data(None)
        rows = bounded.row_count or 1
        values: list[list[Any]] = []
        revision = 0
        requests = 1
        last: LarkResponse[SheetValues] = first
        async for part, resp in self._row_blocks(token, bounded, params, (rows + 1) // 2):
            last = resp
            if not resp.ok or resp.data is None:
                return with_progress(resp, read_rows=len(values), failed_range=str(part))
            requests += resp.data.requests
            revision = max(revision, resp.data.revision)
            values.extend(resp.data.values)
        if rng.end_row is None:
            while values and all(cell is None for cell in values[-1]):
                values.pop()
        return last.with_data(
            SheetValues(
                revision=revision,
                spreadsheet_token=token,
                value_range=ValueRange(range=str(bounded), values=values, revision=revision),
                requests=requests,
            )
        )

    def iter_sheet_data(
        self,
        spreadsheet_token: str,
        range: RangeLike,
        *,
        block_rows: int = DEFAULT_BLOCK_ROWS,
        value_render_option: ValueRenderOption | None = None,
        date_time_render_option: DateTimeRenderOption | None = None,
        user_id_type: UserIdType | None = None,
    ) -> AsyncIterator[RowBlock]:
        """Stream a large range as :class:`RowBlock` s of ``block_rows`` rows.

        Only one block is in memory at a time. An open-ended range is closed at
        the sheet's size first (one ``get_sheet`` call). A block answered 90221
        is halved, and later blocks keep the smaller size. A failure raises the
        typed ``LarkError`` from the iteration.
        """
        token = check_spreadsheet_token(spreadsheet_token)
        rng = SheetRange.coerce(range)
        params = _read_params(value_render_option, date_time_render_option, user_id_type)
        if isinstance(block_rows, bool) or not isinstance(block_rows, int) or block_rows < 1:
            raise InvalidParameter(
                f"block_rows must be a positive int, got {block_rows!r}",
                hint="block_rows: rows per read, e.g. 1000",
            )
        return self._stream(token, rng, params, block_rows)

    async def _stream(
        self, token: str, rng: SheetRange, params: dict[str, str], block_rows: int
    ) -> AsyncIterator[RowBlock]:
        bounded = await self._bound(token, rng)
        if isinstance(bounded, LarkResponse):
            bounded.unwrap()
            return
        async for part, resp in self._row_blocks(token, bounded, params, block_rows):
            data = resp.unwrap()
            yield RowBlock(part, data.values, data.revision)

    async def batch_get_sheet_data(
        self,
        spreadsheet_token: str,
        ranges: Sequence[RangeLike],
        *,
        value_render_option: ValueRenderOption | None = None,
        date_time_render_option: DateTimeRenderOption | None = None,
        user_id_type: UserIdType | None = None,
    ) -> LarkResponse[BatchSheetValues]:
        """Several ranges in one read; ``value_ranges[i]`` answers ``ranges[i]``.

        If the whole answer is too large (90221), each range is read on its own
        (and split further if needed).
        """
        token = check_spreadsheet_token(spreadsheet_token)
        if isinstance(ranges, (str, SheetRange)) or not isinstance(ranges, Sequence) or not ranges:
            raise InvalidParameter(
                "ranges must be a non-empty list of ranges",
                hint="ranges: e.g. ['0bdf12!A1:B2', '0bdf12!D1:D9']",
            )
        rngs = [SheetRange.coerce(r, name=f"ranges[{i}]") for i, r in enumerate(ranges)]
        params = _read_params(value_render_option, date_time_render_option, user_id_type)
        params["ranges"] = ",".join(str(r) for r in rngs)
        resp = await self._call(
            BatchSheetValues, "GET", f"{V2}/{token}/values_batch_get", params=params
        )
        if resp.code != TOO_LARGE_RESPONSE:
            return resp
        del params["ranges"]
        out: list[ValueRange] = []
        requests, revision, cells = 1, 0, 0
        last: LarkResponse[SheetValues] | None = None
        for rng in rngs:
            one = await self.get_sheet_data(token, rng, **_as_kwargs(params))
            if not one.ok or one.data is None:
                return with_progress(one, read_ranges=len(out), failed_range=str(rng))
            last = one
            requests += one.data.requests
            revision = max(revision, one.data.revision)
            cells += sum(len(row) for row in one.data.values)
            out.append(one.data.value_range)
        assert last is not None
        return last.with_data(
            BatchSheetValues(
                revision=revision,
                spreadsheet_token=token,
                total_cells=cells,
                value_ranges=out,
                requests=requests,
            )
        )

    async def _read(
        self, token: str, rng: SheetRange, params: dict[str, str]
    ) -> LarkResponse[SheetValues]:
        # The range sits in the path; quote "!" and ":" as the API page asks.
        path = f"{V2}/{token}/values/{quote(str(rng), safe='')}"
        return await self._call(SheetValues, "GET", path, params=params or None)

    async def _read_box(
        self, token: str, part: SheetRange, params: dict[str, str]
    ) -> LarkResponse[SheetValues]:
        """Read a box padded to its full size; one row too large is read in column halves."""
        resp = await self._read(token, part, params)
        rows, cols = part.row_count or 0, part.col_count or 0
        if resp.code == TOO_LARGE_RESPONSE and rows == 1:
            halves = part.halves()
            if halves is not None:
                left = await self._read_box(token, halves[0], params)
                if not left.ok or left.data is None:
                    return left
                right = await self._read_box(token, halves[1], params)
                if not right.ok or right.data is None:
                    return right
                row = left.data.values[0] + right.data.values[0]
                rev = max(left.data.revision, right.data.revision)
                return right.with_data(
                    SheetValues(
                        revision=rev,
                        spreadsheet_token=token,
                        value_range=ValueRange(range=str(part), values=[row], revision=rev),
                        requests=1 + left.data.requests + right.data.requests,
                    )
                )
        if resp.ok and resp.data is not None:
            resp.data.value_range.values = _pad(resp.data.values, rows, cols)
        return resp

    async def _row_blocks(
        self, token: str, bounded: SheetRange, params: dict[str, str], step: int
    ) -> AsyncIterator[tuple[SheetRange, LarkResponse[SheetValues]]]:
        """Read ``bounded`` in row blocks of ``step``, halving on 90221; stop after a failure."""
        total, cols = bounded.row_count or 0, bounded.col_count or 0
        offset = refused = 0
        while offset < total:
            n = min(step, total - offset)
            part = bounded.sub(offset, 0, n, cols)
            resp = await self._read_box(token, part, params)
            if resp.code == TOO_LARGE_RESPONSE and n > 1:
                step = (n + 1) // 2
                refused += 1
                continue
            if resp.data is not None:
                # Refused attempts count towards the block that finally answered.
                resp.data.requests += refused
                refused = 0
            yield part, resp
            if not resp.ok:
                return
            offset += n


def _read_params(
    value_render_option: str | None, date_time_render_option: str | None, user_id_type: str | None
) -> dict[str, str]:
    params: dict[str, str] = {}
    if value_render_option is not None:
        if value_render_option not in _VALUE_RENDER:
            raise InvalidParameter(
                f"value_render_option must be one of {', '.join(_VALUE_RENDER)}, "
                f"got {value_render_option!r}",
                hint="value_render_option: e.g. 'FormattedValue'",
            )
        params["valueRenderOption"] = value_render_option
    if date_time_render_option is not None:
        if date_time_render_option != "FormattedString":
            raise InvalidParameter(
                "date_time_render_option must be 'FormattedString', "
                f"got {date_time_render_option!r}",
                hint="date_time_render_option: omit it to get serial day numbers",
            )
        params["dateTimeRenderOption"] = date_time_render_option
    if user_id_type is not None:
        if user_id_type not in _USER_ID_TYPES:
            raise InvalidParameter(
                f"user_id_type must be open_id or union_id, got {user_id_type!r}",
                hint="user_id_type: 'open_id' or 'union_id'",
            )
        params["user_id_type"] = user_id_type
    return params


def _as_kwargs(params: Mapping[str, str]) -> dict[str, Any]:
    names = {
        "valueRenderOption": "value_render_option",
        "dateTimeRenderOption": "date_time_render_option",
        "user_id_type": "user_id_type",
    }
    return {names[k]: v for k, v in params.items()}


def _pad(values: list[list[Any]], rows: int, cols: int) -> list[list[Any]]:
    out = [list(r) + [None] * (cols - len(r)) if len(r) < cols else list(r) for r in values[:rows]]
    out.extend([None] * cols for _ in range(rows - len(out)))
    return out
