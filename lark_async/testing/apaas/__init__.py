"""The aPaaS emulator: workspace tables, flows and Aily skills (Feishu aPaaS docs).

Modules: ``state`` (the shared route table, ``ApaasState``, filters), the routes
of ``tables``, ``flows`` and ``aily``, and ``emulator`` (``ApaasEmulator``).
"""

# Importing the route modules registers their handlers on the shared table.
from lark_async.testing.apaas import aily, flows, tables
from lark_async.testing.apaas.emulator import ApaasEmulator
from lark_async.testing.apaas.state import ApaasState, routes

__all__ = ["ApaasEmulator", "ApaasState", "routes"]
_ROUTE_MODULES = (aily, flows, tables)
