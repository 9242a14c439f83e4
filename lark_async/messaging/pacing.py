"""Per-recipient spacing for sends, so a well-behaved caller never sees 230020.

Feishu limits IM sends per recipient (5 QPS to one user, 5 QPS per group shared
by all bots; Feishu IM docs) and per app (50/s and 1000/min). The app's windows are
the client's rate limiter's ``im`` family, which every IM call passes through;
messaging adds only what the client cannot know from a path: who a send is for.
Each send carries a :class:`~lark_async.core.ratelimit.Pace` naming its
recipient, and the client's limiter checks it at the same moment as the app's
windows, on the client's clock. (Spacing sends to a recipient *before* queueing
them for the app's windows would not do: a send held up behind other
recipients' sends could then go out right after the previous send to the same
chat.)

Feishu's windows are fixed (aligned seconds), which a token bucket does not
respect: a bucket of 5 with 5/s refill lets 10 through inside one aligned
second. So sends to one recipient are *spaced* at least ``1/qps`` apart,
widened by a small ``margin`` for network jitter.
"""

from __future__ import annotations

from lark_async.core.ratelimit import Pace
from lark_async.messaging.receivers import Receiver

DEFAULT_RECIPIENT_QPS = 5.0
DEFAULT_MARGIN = 0.05


class RecipientPacing:
    """The :class:`Pace` of each send: sends to one recipient ``1/qps`` (plus margin) apart."""

    def __init__(
        self, qps: float = DEFAULT_RECIPIENT_QPS, *, margin: float = DEFAULT_MARGIN
    ) -> None:
        if not qps > 0 or not 0 <= margin <= 1:
            raise ValueError("qps must be positive and margin a fraction, 0..1")
        self.interval = (1.0 / qps) * (1.0 + margin)

    def pace(self, receiver: Receiver) -> Pace:
        # A user's p2p chat and a group are counted apart by Feishu, and so by id here.
        return Pace(f"im:{receiver.id_type}:{receiver.id}", self.interval)
