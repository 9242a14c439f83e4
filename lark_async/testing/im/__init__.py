"""The IM emulator: messages, uploads, batch send and card updates (Feishu IM and callback docs).

Routes live in the modules of this package and share one table, installed by every
``FakeLark``. Tests seed and inspect the state through ``ImEmulator``:

    im = ImEmulator.of(fake)
    user = im.add_user(name="Ann")["open_id"]
    ...  # the client sends
    assert im.messages(receive_id=user)[0]["body"]["content"] == '{"text":"hi"}'

Modules: ``state`` (the shared route table, ``ImState``, error answers), ``content``
(checks of a message's content), the routes of ``messages``, ``uploads``,
``batch_send`` and ``card_updates``, and ``emulator`` (``ImEmulator``).
"""

# Importing the route modules registers their handlers on the shared table.
from lark_async.testing.im import batch_send, card_updates, messages, uploads
from lark_async.testing.im.emulator import ImEmulator
from lark_async.testing.im.state import ImState, UserInfo, routes

__all__ = ["ImEmulator", "ImState", "UserInfo", "routes"]
_ROUTE_MODULES = (batch_send, card_updates, messages, uploads)
