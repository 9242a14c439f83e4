"""``python -m lark_async.demos``: what ``make demo`` runs."""

from lark_async.core.errors import ConfigError
from lark_async.core.extras import require

try:  # the demos print with rich: one line naming the extra, not a traceback
    require("rich", extra="cli", feature="the demos")
except ConfigError as err:
    raise SystemExit(f"lark-async demos: {err.message}; install it with: {err.hint}") from None

from lark_async.demos.runner import main

main()
