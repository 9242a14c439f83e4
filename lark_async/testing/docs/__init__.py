"""The docs emulator: docx documents and blocks, drive media, permissions (Feishu docx docs).

Routes live in the modules of this package and share one table, installed by
every ``FakeLark``. Tests seed and inspect through ``DocsEmulator``:

    docs = DocsEmulator.of(fake)
    doc_id = docs.create_document("Notes")
    ...  # the client appends blocks
    assert docs.texts(doc_id) == ["hello"]

Modules: ``state`` (the route table, ``DocsState``, documents, codes),
``documents`` (docx routes), ``media`` (drive media upload/download),
``permissions`` (members and public settings), ``emulator`` (``DocsEmulator``).
"""

# Importing the route modules registers their handlers on the shared table.
from lark_async.testing.docs import documents, media, permissions
from lark_async.testing.docs.emulator import DocsEmulator
from lark_async.testing.docs.state import DocsState, routes

__all__ = ["DocsEmulator", "DocsState", "routes"]
_ROUTE_MODULES = (documents, media, permissions)
