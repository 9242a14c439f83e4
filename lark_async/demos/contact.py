"""The contact part of ``make demo``: people by email, the per-app cache, chats, departments.

Seeds an organisation in the emulator (departments, 300 people, chats), then:
looks people up by email (first from Feishu, then from the cache), in a batch
of 120 (three requests of 50 ids), lists a department (warming the cache in one
write), draws the department tree, finds a chat by name, shows that a second
app sees the same person under another open_id, and, on a client with a
simulated clock, that a record older than 24 hours is fetched again.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.tree import Tree

from lark_async.client import LarkClient
from lark_async.contact.models import DepartmentNode
from lark_async.core.clock import FakeClock
from lark_async.testing import ContactEmulator

SECOND_APP, SECOND_SECRET = "cli_demo_second_app", "demo-second-secret"


def _seed(people: ContactEmulator) -> dict[str, str]:
    sales = people.add_department("销售部 Sales", order=1)
    eng = people.add_department("研发部 Engineering", order=2)
    depts = {
        "sales": sales,
        "eng": eng,
        "emea": people.add_department("EMEA", parent=sales),
        "apac": people.add_department("APAC", parent=sales),
        "backend": people.add_department("Backend", parent=eng),
        "frontend": people.add_department("Frontend", parent=eng),
    }
    # user0..74 in EMEA, user75..149 in APAC, user150..224 Backend, user225..299 Frontend
    for name in ("emea", "apac", "backend", "frontend"):
        people.seed_users(75, department=depts[name], domain=f"{name}.example.com")
    people.add_user(
        "张三 Zhang San", email="zhangsan@example.com", mobile="+8613800000001",
        departments=[depts["emea"]], job_title="Account manager", employee_no="E000001",
    )  # fmt: skip
    return depts


def _tree(node: DepartmentNode, branch: Tree) -> None:
    for child in node.children:
        _tree(child, branch.add(f"{child.department.name} ({child.department.member_count})"))


async def demo(fake: Any, lark: LarkClient, console: Console) -> dict[str, str]:
    """Run the contact walk-through; returns summary rows (step -> result)."""
    people = ContactEmulator.of(fake)
    depts = _seed(people)
    contact = lark.contact
    summary: dict[str, str] = {}

    console.rule("[bold]Contact: a person by email, then from the cache")
    first = (await contact.get_user_by_email("zhangsan@example.com")).unwrap()
    assert first is not None
    console.print(
        f"{first.name}: open_id {first.open_id}, union_id {first.union_id}, "
        f"user_id {first.user_id}, departments {first.department_ids}"
    )
    calls = contact.cache_stats().api_calls
    again = (await contact.get_user_by_mobile("+86 138 0000 0001")).unwrap()
    assert again == first and contact.cache_stats().api_calls == calls
    console.print("the same person by mobile: served from the cache, no request")
    nobody = (await contact.get_user_by_email("nobody@example.com")).unwrap()
    console.print(f"nobody@example.com -> {nobody} (one INFO line, no exception)")
    summary["contact: lookup"] = f"{first.name}: 2 requests, then cached; unknown -> None"

    console.rule("[bold]Contact: 120 people in one batch")
    emails = [f"user{i}@apac.example.com" for i in range(75, 150)]
    emails += [f"user{i}@backend.example.com" for i in range(150, 195)]
    before = contact.cache_stats().api_calls
    found = (await contact.get_users_by_email(emails)).unwrap()
    hits = sum(1 for u in found.values() if u is not None)
    console.print(
        f"{hits}/{len(emails)} found with {contact.cache_stats().api_calls - before} requests "
        "(3 id lookups of 50, then each person's details)"
    )
    summary["contact: batch"] = f"{hits} of {len(emails)} by email, id lookups 50 a request"

    console.rule("[bold]Contact: a department's people warm the cache")
    staff = (await contact.get_department_users(depts["emea"])).unwrap()
    before = contact.cache_stats().api_calls
    for user in staff[:20]:
        assert user.email is not None
        await contact.get_user_by_email(user.email)
    console.print(
        f"EMEA: {len(staff)} people (2 pages); 20 lookups of them afterwards cost "
        f"{contact.cache_stats().api_calls - before} requests"
    )
    stats = contact.cache_stats()
    console.print(f"cache: {stats.hits} hits, {stats.misses} misses, hit rate {stats.hit_rate:.0%}")
    summary["contact: department"] = f"{len(staff)} people listed, cache warmed in one write"

    console.rule("[bold]Contact: the department tree")
    root = (await contact.get_department_tree()).unwrap()
    shown = Tree("organisation (0)")
    _tree(root, shown)
    console.print(shown)
    summary["contact: tree"] = f"{len(root) - 1} departments under the root"

    console.rule("[bold]Contact: a chat by its name")
    chat_id = people.add_chat("季度复盘 Quarterly review", members=[first.open_id or ""])
    chat = (await contact.get_chat_by_name("季度复盘 Quarterly review")).unwrap()
    assert chat is not None and chat.chat_id == chat_id
    details = (await contact.get_chat(chat_id)).unwrap()
    console.print(f"{chat.name!r} -> {chat.chat_id}, {details.member_count} member(s)")
    summary["contact: chat"] = f"{chat.name} -> {chat.chat_id}"

    console.rule("[bold]Contact: another app sees the same person under another open_id")
    fake.add_app(SECOND_APP, SECOND_SECRET)
    async with LarkClient(SECOND_APP, SECOND_SECRET, domain=fake.url) as other:
        theirs = (await other.contact.get_user_by_email("zhangsan@example.com")).unwrap()
    assert theirs is not None
    console.print(f"app 1: {first.open_id}\napp 2: {theirs.open_id}\nunion_id: {theirs.union_id}")
    summary["contact: two apps"] = "same union_id, different open_ids, cached per app"

    console.rule("[bold]Contact: after 24 hours a record is fetched again")
    clock = FakeClock()
    async with LarkClient(
        "cli_demo_second_app", SECOND_SECRET, domain=fake.url, clock=clock
    ) as timed:
        await timed.contact.get_user_by_email("zhangsan@example.com")
        clock.advance(23 * 3600)
        await timed.contact.get_user_by_email("zhangsan@example.com")
        clock.advance(2 * 3600)
        await timed.contact.get_user_by_email("zhangsan@example.com")
        s = timed.contact.cache_stats()
    console.print(f"at 0 h: fetched; at 23 h: cached; at 25 h: refreshed ({s.refreshed})")
    summary["contact: TTL"] = f"hits {s.hits}, refreshed after 24 h: {s.refreshed}"
    return summary
