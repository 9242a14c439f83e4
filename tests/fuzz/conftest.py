"""Property tests over the public surface: bad input gets our own typed error, before any I/O.

Profiles: ``make test`` runs the fast, derandomised ``ci`` profile; set
``LARK_ASYNC_FUZZ=long`` for a longer randomised run (e.g. nightly).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("long" if os.environ.get("LARK_ASYNC_FUZZ") == "long" else "ci")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty working directory: a constructor given a path may remember it, never create it."""
    path = tmp_path_factory.mktemp("fuzz-scratch")
    cwd = Path.cwd()
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(cwd)
