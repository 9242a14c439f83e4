"""The contact emulator: people, departments, chat search and details (Feishu contact docs).

Routes live in the modules of this package and share one table, installed by
every ``FakeLark``. People are the IM emulator's users plus a contact profile
each; tests seed them through ``ContactEmulator``:

    contact = ContactEmulator.of(fake)
    dept = contact.add_department("Sales")
    ann = contact.add_user("Ann", email="ann@example.com", departments=[dept])
    contact.open_id(ann, "cli_a")  # her open_id in that app (per app, like Feishu's)

Modules: ``state`` (the shared route table, ``ContactState``, scopes, paging,
error answers), the routes of ``users``, ``departments`` and ``chats``, and
``emulator`` (``ContactEmulator``).
"""

# Importing the route modules registers their handlers on the shared table.
from lark_async.testing.contact import chats, departments, users
from lark_async.testing.contact.emulator import ContactEmulator
from lark_async.testing.contact.state import ALL_SCOPES, FIELD_SCOPES, ContactState, routes

__all__ = ["ALL_SCOPES", "FIELD_SCOPES", "ContactEmulator", "ContactState", "routes"]
_ROUTE_MODULES = (chats, departments, users)
