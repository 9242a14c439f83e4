"""100,000 records through the Bitable emulator: no quadratic work on the way in or out.

Nothing here asserts a duration (machines differ); the test just has to finish
well inside the suite's timeout: 100 batch_create calls, then a filtered,
sorted search and a full unsorted scan in pages of 500.
"""

from __future__ import annotations

import uuid

from tests.emulator.bitable.helpers import Api, code_of

ROWS = 100_000
BATCH = 1_000


async def test_hundred_thousand_records_in_and_out(api: Api) -> None:
    for start in range(0, ROWS, BATCH):
        rows = [
            {"Name": f"p{i}", "Count": i % 1000, "Done": i % 2 == 0}
            for i in range(start, start + BATCH)
        ]
        result = await api.batch_create(rows, params={"client_token": str(uuid.uuid4())})
        assert code_of(result) == (200, 0)
    assert api.bt.write_calls == ROWS // BATCH

    body = {
        "filter": {
            "conjunction": "and",
            "conditions": [
                {"field_name": "Count", "operator": "isGreaterEqual", "value": ["990"]},
                {"field_name": "Done", "operator": "is", "value": ["true"]},
            ],
        },
        "sort": [{"field_name": "Count", "desc": True}],
        "field_names": ["Name", "Count"],
    }
    first = await api.search(body, page_size=500)
    assert first[1]["data"]["total"] == 500  # 10 values x 100 thousands / 2
    assert first[1]["data"]["items"][0]["fields"]["Count"] == 998

    seen = 0
    token: str | None = None
    pages = 0
    while True:
        params = {"page_size": 500, **({"page_token": token} if token else {})}
        status, page = await api.search({"field_names": ["Name"]}, **params)
        assert status == 200 and page["code"] == 0
        seen += len(page["data"]["items"])
        pages += 1
        token = page["data"].get("page_token")
        if not token:
            break
    assert (seen, pages) == (ROWS, ROWS // 500)
