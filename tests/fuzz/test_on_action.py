"""``on_action`` over generated bad values: the handler name, the stamping, the registration.

Every messaging method that takes ``on_action`` is also fuzzed argument by argument
in ``test_messaging.py`` (its surface is enumerated); these tests aim at the name
itself and at card shapes no builder makes.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lark_async.callbacks import CallbackRouter
from lark_async.core.actions import CARD_ACTION_KEY, action_name, route_card
from lark_async.core.errors import InvalidParameter, LarkError
from lark_async.messaging import Button, Card
from lark_async.messaging.routing import routed_card, routed_content
from tests.fuzz.values import Exploding, anything, strings


class Named:
    def __init__(self, name: Any) -> None:
        self.card_action_name = name


def _named_or_refused(call: Any) -> str | None:
    try:
        name = call()
    except InvalidParameter as err:
        assert "on_action" in str(err), err
        assert err.details.get("argument") == "on_action"
        return None
    assert isinstance(name, str) and name.strip() and name.isprintable() and len(name) <= 200
    return name


@given(bad=st.one_of(anything(), strings(), st.builds(Exploding)))
def test_action_name_is_a_clean_name_or_a_typed_error(bad: Any) -> None:
    _named_or_refused(lambda: action_name(bad))
    _named_or_refused(lambda: action_name(Named(bad)))


@given(bad=st.one_of(anything(), strings()))
def test_messaging_refuses_bad_on_action_naming_it(bad: Any) -> None:
    card = Card(Button("Go", value={"id": 1}))
    for call in (lambda: routed_card(card, bad), lambda: routed_content(card, bad)):
        try:
            call()
        except LarkError as err:
            assert "on_action" in str(err), err


json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
tags = st.sampled_from(["button", "div", "form", "column", "select_static", "input", "x"])
nodes = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.fixed_dictionaries(
            {"tag": tags},
            optional={
                "value": st.one_of(inner, st.dictionaries(st.text(max_size=3), inner)),
                "behaviors": st.lists(
                    st.fixed_dictionaries(
                        {"type": st.sampled_from(["callback", "open_url"])},
                        optional={"value": inner},
                    ),
                    max_size=2,
                ),
                "elements": st.lists(inner, max_size=3),
                "url": st.just("https://open.feishu.cn"),
                "name": st.text(max_size=3),
            },
        ),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
    ),
    max_leaves=12,
)


@given(
    elements=st.lists(nodes, max_size=4),
    schema2=st.booleans(),
    name=st.sampled_from(["a", "expense.review"]),
)
def test_any_card_shape_is_stamped_or_refused_and_never_changed(
    elements: list[Any], schema2: bool, name: str
) -> None:
    card: dict[str, Any] = (
        {"schema": "2.0", "body": {"elements": elements}} if schema2 else {"elements": elements}
    )
    before = copy.deepcopy(card)
    try:
        out = route_card(card, name)
    except InvalidParameter as err:
        assert "on_action" in str(err), err
    else:
        assert name in repr(out) and CARD_ACTION_KEY in repr(out)
        assert route_card(out, name) == out  # stamping twice changes nothing
    assert card == before


@given(bad=st.one_of(anything(), strings()))
def test_card_action_names_are_checked_at_registration(bad: Any) -> None:
    router = CallbackRouter()

    async def handler(event: Any) -> None: ...

    try:
        registered = router.card_action(bad)(handler)
    except LarkError:
        return
    if bad is not None:
        assert registered.card_action_name == bad
