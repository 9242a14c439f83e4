"""nox sessions: lint, types, the suite on each supported Python, and on the lowest dependencies.

    nox                              # lint, typecheck, tests-3.11/3.12/3.13, lowest
    nox -s tests-3.12                # one Python
    nox -s lowest -- tests/core      # the lower bounds of pyproject.toml, on a subset

A Python that is not installed is skipped, not an error. ``lowest`` installs
every direct dependency (core and extras) at the lower bound that
``pyproject.toml`` declares, through a constraints file written from it, so a
bound that is too low shows up here rather than in a user's install.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "lowest"]
nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.11", "3.12", "3.13"]
ROOT = Path(__file__).parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# Development tools that the test suite does not need (mypy it does: reveal_type tests).
NOT_FOR_TESTS = {"ruff", "import-linter", "nox", "lark-async"}
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*?)\s*(?:;.*)?$")


def _name(requirement: str) -> str:
    match = _REQUIREMENT.match(requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-")


def test_tools() -> list[str]:
    """The dev extra's requirements that the suite needs (pytest and friends)."""
    return [r for r in PROJECT["optional-dependencies"]["dev"] if _name(r) not in NOT_FOR_TESTS]


def lowest_constraints() -> list[str]:
    """``name==lower bound`` for the library's requirements (core and extras) with a ``>=`` bound."""
    requirements = [*PROJECT["dependencies"]]
    for extra, items in PROJECT["optional-dependencies"].items():
        if extra not in {"dev", "docs"}:  # the tools are not part of the library
            requirements += items
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        assert match, requirement
        bound = re.search(r">=\s*([0-9][^,\s]*)", match.group(3))
        if bound and _name(requirement) != "lark-async":
            pins[_name(requirement)] = bound.group(1)
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "lark_async", "tests", "benchmarks")
    session.run("ruff", "format", "--check", "lark_async", "tests", "benchmarks")
    session.run("lint-imports")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "lark_async")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[all]", *test_tools())
    session.run("pytest", "-q", *session.posargs)


@nox.session(python="3.11")
def lowest(session: nox.Session) -> None:
    constraints = Path(session.create_tmp()) / "lowest-constraints.txt"
    constraints.write_text("\n".join(lowest_constraints()) + "\n", encoding="utf-8")
    session.log("pinned: " + ", ".join(lowest_constraints()))
    session.install("-c", str(constraints), "-e", ".[all]", *test_tools())
    session.run("pytest", "-q", *session.posargs)
