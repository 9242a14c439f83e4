"""``make demo``: walk-throughs of the library against the bundled emulator.

``python -m lark_async.demos`` runs them all (:mod:`lark_async.demos.runner`). One
module per part, each with ``demo(...) -> dict[str, str]`` (summary rows):
:mod:`~lark_async.demos.foundation` (tokens, registry, retries, errors),
:mod:`~lark_async.demos.messaging`, :mod:`~lark_async.demos.callbacks`,
:mod:`~lark_async.demos.bitable`, :mod:`~lark_async.demos.sheets`,
:mod:`~lark_async.demos.contact`.

The demos sit at the top of the tree: they may import any part of lark_async
(the emulator included), and no part of lark_async imports them (import-linter
contract in pyproject.toml).
"""
