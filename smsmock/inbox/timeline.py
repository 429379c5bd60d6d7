"""A message's status on the mock's clock: the steps it went through, and what comes next and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsmock.core.messages import Message


@dataclass(frozen=True, slots=True)
class Upcoming:
    """The next step the core has scheduled for a message."""

    what: str
    at: datetime


def upcoming(message: Message) -> Upcoming | None:
    """What the lifecycle does to a message next, as the core schedules it; None once it is final."""
    if message.status.final or message.outcome is None:
        return None
    outcome = message.outcome
    if message.sent_at is None:
        due = (message.send_at or message.submitted_at) + timedelta(seconds=outcome.queued)
        return Upcoming("sent to the network", due)
    # A rule's MESSAGE_ACCEPTED keeps the message accepted until its validity ends.
    if outcome.status.group_name != "ACCEPTED":
        due = message.sent_at + timedelta(seconds=outcome.after)
        if message.expires_at is None or due <= message.expires_at:
            return Upcoming(f"{outcome.status.name}, by the outcome rule {outcome.rule!r}", due)
    if message.expires_at is not None:
        return Upcoming("EXPIRED_EXPIRED: its validity period ends", message.expires_at)
    return None
