"""``python -m lark_async.demo``: the old entry point of ``make demo``, kept working.

The demos live in :mod:`lark_async.demos`; this runs them all.
"""

from lark_async.demos.runner import main, run

__all__ = ["main", "run"]

if __name__ == "__main__":
    main()
