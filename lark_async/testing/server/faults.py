"""Fault injection: make chosen requests fail, throttle, stall or lose their answer.

Each call adds a rule that fires for the next ``times`` matching requests
(``times=None``: forever) and returns it, so a test can check ``rule.hits``.
Rules are tried in the order they were added; the first match of each phase wins.
``probability=`` makes a rule fire for only that share of matching requests
(chaos runs, soak tests), drawn from a seeded generator so runs repeat.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lark_async.testing.server.routing import RouteSpec

FaultKind = Literal["fail", "rate_limit", "delay", "drop"]
#: Faults that answer instead of the handler (the request has no effect).
TERMINAL: tuple[FaultKind, ...] = ("fail", "rate_limit", "drop")


@dataclass(eq=False)
class Fault:
    """One injected rule. Only the fields of its ``kind`` are meaningful."""

    kind: FaultKind
    spec: RouteSpec
    remaining: int | None
    status: int = 500
    code: int = 1500
    msg: str = "internal error"
    error: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    body: str | None = None
    reset: int = 2
    limit: int = 50
    seconds: float = 0.0
    after_processing: bool = False
    probability: float = 1.0
    hits: int = field(default=0)

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def _consume(self) -> None:
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1


def _probability(p: float) -> float:
    if not 0 < p <= 1:
        raise ValueError("probability must be in (0, 1]")
    return float(p)


def _times(times: int | None) -> int | None:
    if times is not None and times < 1:
        raise ValueError("times must be >= 1 or None (forever)")
    return times


class Faults:
    """The emulator's fault rules (``fake.faults``)."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[Fault] = []
        self._rng = random.Random(seed)

    def fail(
        self,
        spec: str,
        *,
        times: int | None = 1,
        status: int = 500,
        code: int = 1500,
        msg: str = "internal error",
        error: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        probability: float = 1.0,
    ) -> Fault:
        """Answer with an error envelope (``error`` adds fields to its ``error`` object).

        ``body`` sends that text as-is (content type text/html) instead of JSON.
        """
        return self._add(
            Fault(
                "fail",
                RouteSpec(spec),
                _times(times),
                status=status,
                code=code,
                msg=msg,
                error=dict(error) if error else None,
                headers=dict(headers) if headers else None,
                body=body,
                probability=_probability(probability),
            )
        )

    def rate_limit(
        self,
        spec: str,
        *,
        times: int | None = 1,
        reset: int = 2,
        limit: int = 50,
        probability: float = 1.0,
    ) -> Fault:
        """Answer HTTP 429 / code 99991400 with the x-ogw-ratelimit-* headers."""
        if reset < 1:
            raise ValueError("reset must be >= 1 second")
        return self._add(
            Fault(
                "rate_limit",
                RouteSpec(spec),
                _times(times),
                reset=reset,
                limit=limit,
                probability=_probability(probability),
            )
        )

    def delay(
        self,
        spec: str,
        seconds: float,
        *,
        times: int | None = 1,
        after_processing: bool = False,
        probability: float = 1.0,
    ) -> Fault:
        """Wait ``seconds`` (real time) before handling, or after it with ``after_processing``."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        return self._add(
            Fault(
                "delay",
                RouteSpec(spec),
                _times(times),
                seconds=seconds,
                after_processing=after_processing,
                probability=_probability(probability),
            )
        )

    def drop(
        self,
        spec: str,
        *,
        times: int | None = 1,
        after_processing: bool = False,
        probability: float = 1.0,
    ) -> Fault:
        """Close the connection without answering.

        With ``after_processing`` the handler runs first, so its effect stays
        (the write happened but the client sees a dropped connection).
        """
        return self._add(
            Fault(
                "drop",
                RouteSpec(spec),
                _times(times),
                after_processing=after_processing,
                probability=_probability(probability),
            )
        )

    def clear(self) -> None:
        self._rules.clear()

    @property
    def rules(self) -> list[Fault]:
        """Rules that can still fire."""
        return [r for r in self._rules if r.active]

    def take(
        self,
        kinds: tuple[FaultKind, ...],
        method: str,
        path: str,
        template: str | None,
        *,
        after_processing: bool = False,
    ) -> Fault | None:
        """Consume and return the first active rule of ``kinds`` that selects this request."""
        for rule in self._rules:
            if (
                rule.kind in kinds
                and rule.active
                and rule.after_processing == after_processing
                and rule.spec.matches(method, path, template)
                and (rule.probability >= 1 or self._rng.random() < rule.probability)
            ):
                rule._consume()
                self._rules = [r for r in self._rules if r.active]
                return rule
        return None

    def _add(self, rule: Fault) -> Fault:
        self._rules.append(rule)
        return rule

    def __repr__(self) -> str:
        return f"Faults(active={len(self.rules)})"
