"""nox sessions mirroring the Makefile, for those who prefer nox (`pip install nox`)."""

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]


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


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    session.install("-e", ".[dev,fast]")
    session.run("pytest", *session.posargs)
