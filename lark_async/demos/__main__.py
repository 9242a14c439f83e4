"""``python -m lark_async.demos``: what ``make demo`` runs."""

from lark_async.demos.runner import main

main()
