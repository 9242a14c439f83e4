"""Adding a service module needs no change to the core (FR-071)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lark_async import InvalidParameter
from lark_async.core.errors import NotFound
from lark_async.testing import FakeError, FakeRequest
from tests.helpers import client_for, emulator

from .calendar_service import Calendar, CalendarList, CalendarService

CALS = {"feishu.cn_abc@group.calendar.feishu.cn": "Team"}


def test_the_service_is_under_50_lines() -> None:
    source = Path(__file__).with_name("calendar_service.py").read_text().splitlines()
    code = [line for line in source if line.strip() and not line.strip().startswith("#")]
    assert len(code) < 50


async def test_calendar_service_end_to_end() -> None:
    async with emulator() as fake, client_for(fake) as lark:

        @fake.route("GET", "/open-apis/calendar/v4/calendars")
        async def list_cals(req: FakeRequest) -> dict[str, object]:
            return {
                "calendar_list": [
                    {"calendar_id": k, "summary": v, "type": "shared"} for k, v in CALS.items()
                ],
                "has_more": False,
            }

        @fake.route("GET", "/open-apis/calendar/v4/calendars/{calendar_id}")
        async def get_cal(req: FakeRequest) -> dict[str, object]:
            cid = req.params["calendar_id"]
            if cid not in CALS:
                raise FakeError(191001, "calendar not found", status=404)
            return {"calendar_id": cid, "summary": CALS[cid]}

        svc = lark.calendar
        assert isinstance(svc, CalendarService)
        assert lark.app(lark.default_app.app_id).calendar is svc
        listed = await svc.list_calendars()
        assert isinstance(listed.unwrap(), CalendarList)
        assert listed.unwrap().calendar_list[0].summary == "Team"
        one = await svc.get_calendar(next(iter(CALS)))
        assert isinstance(one.unwrap(), Calendar)
        missing = await svc.get_calendar("nope")
        assert not missing.ok and missing.code == 191001
        assert isinstance(missing.error, NotFound)  # the service registered its code
        assert missing.error.hint == "no such calendar"
        with pytest.raises(InvalidParameter):
            await svc.list_calendars(page_size=5)
