"""The delivery lifecycle as an explicit state machine over the documented status groups."""

from __future__ import annotations

from datetime import datetime

from smsmock.core.messages import Message
from smsmock.core.vocabulary import Error, Status

TRANSITIONS: dict[str, frozenset[str]] = {
    "ACCEPTED": frozenset({"PENDING", "REJECTED", "EXPIRED"}),
    "PENDING": frozenset({"PENDING", "DELIVERED", "UNDELIVERABLE", "EXPIRED", "REJECTED"}),
    "DELIVERED": frozenset(),
    "UNDELIVERABLE": frozenset(),
    "EXPIRED": frozenset(),
    "REJECTED": frozenset(),
}
"""Status group -> the groups a message in it may move to. A final group moves nowhere."""


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow (say, from DELIVERED back to PENDING)."""


def can_move(current: Status, target: Status) -> bool:
    return target.group_name in TRANSITIONS[current.group_name]


def move(message: Message, status: Status, error: Error, at: datetime) -> None:
    """Put `message` in `status`, recording the change; raises IllegalTransition when not allowed."""
    if not can_move(message.status, status):
        raise IllegalTransition(
            f"message {message.id}: {message.status.name} ({message.status.group_name}) cannot become"
            f" {status.name} ({status.group_name})"
        )
    message.status = status
    message.error = error
    if status.final:
        message.done_at = at
    message.record_change(at, status, error)
