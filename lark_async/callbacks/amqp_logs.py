"""RabbitMQ outages in the log: one line per state change, no library tracebacks.

While RabbitMQ is down, aiormq logs an ERROR for every failed connect (every
``reconnect_interval``) and a traceback when a connection drops; aio-pika adds
its own. :class:`~lark_async.callbacks.rabbit.RabbitBroker` reports the state
itself, from the ``lark_async`` logger, one JSON line per change:
``lark.callback.rabbitmq_lost`` (or ``rabbitmq_unavailable`` when it was never
up, with the error), then ``lark.callback.rabbitmq_connected``.

So a RabbitBroker quiets the two libraries' loggers, ``aiormq`` and ``aio_pika``,
by giving them the level CRITICAL, and only when the application has not set a
level on them itself (their level is ``NOTSET``): nothing else of the
application's logging is touched. To see their lines again, set a level on them,
before or after: ``logging.getLogger("aiormq").setLevel(logging.WARNING)``.
"""

from __future__ import annotations

import logging

__all__ = ["AMQP_LOGGERS", "OutageLog", "quiet_amqp_loggers"]

AMQP_LOGGERS = ("aiormq", "aio_pika")


def quiet_amqp_loggers() -> None:
    """Set CRITICAL on the ``aiormq`` and ``aio_pika`` loggers that have no level of their own."""
    for name in AMQP_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.CRITICAL)


class OutageLog:
    """Whether to log a failed connect: the first of a broker that was never up, only.

    Once the broker has been up, an outage starts with the broker's own
    ``rabbitmq_lost`` line, so its failed reconnects stay quiet; :meth:`up` is
    called on every (re)connection. Same interface as ``RateLimitedLog``.
    """

    def __init__(self) -> None:
        self._was_up = False
        self._logged = False
        self.suppressed = 0

    def up(self) -> None:
        self._was_up = True

    def should_log(self, key: str, now: float) -> bool:
        if self._was_up or self._logged:
            self.suppressed += 1
            return False
        self._logged = True
        return True

    def take_suppressed(self, key: str) -> int:
        suppressed, self.suppressed = self.suppressed, 0
        return suppressed
