"""A user-written service: Feishu Calendar in a few lines (FR-071 / SC-008)."""

from __future__ import annotations

from pydantic import BaseModel

from lark_async import InvalidParameter, LarkResponse, Service, register_service
from lark_async.core.errors import CodeInfo, ErrorKind
from lark_async.core.service import ServiceInfo


class Calendar(BaseModel):
    calendar_id: str
    summary: str = ""
    type: str = ""


class CalendarList(BaseModel):
    calendar_list: list[Calendar] = []
    has_more: bool = False
    page_token: str | None = None


class CalendarService(Service):
    """Calendar v4: list and get calendars."""

    name = "calendar"

    async def list_calendars(self, page_size: int = 50) -> LarkResponse[CalendarList]:
        if not 50 <= page_size <= 1000:
            raise InvalidParameter("page_size must be 50..1000", hint="the API minimum is 50")
        params = {"page_size": page_size}
        return await self._call(
            CalendarList, "GET", "/open-apis/calendar/v4/calendars", params=params
        )

    async def get_calendar(self, calendar_id: str) -> LarkResponse[Calendar]:
        if not calendar_id:
            raise InvalidParameter("calendar_id is empty")
        return await self._call(Calendar, "GET", f"/open-apis/calendar/v4/calendars/{calendar_id}")


register_service(
    ServiceInfo(
        "calendar",
        CalendarService,
        codes={191001: CodeInfo(ErrorKind.NOT_FOUND, False, "no such calendar")},
        limits={"calendar": [(50, 1.0), (1000, 60.0)]},
        prefixes=(("/open-apis/calendar/", "calendar"),),
    )
)
