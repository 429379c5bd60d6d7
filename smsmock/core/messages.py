"""The records the mock keeps: sent messages with their history, inbound messages, webhook attempts."""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from smsmock.core.vocabulary import Error, Status

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A UTF-16 surrogate on its own, no character: only a malformed request brings one into a message, and
no UTF-8 store holds it as it is."""


def new_uuid() -> str:
    """A random (version 4) UUID as text, as `str(uuid.uuid4())` writes it, in under half its time:
    every message gets one as it is sent."""
    return uuid4_text(os.urandom(16))


def uuid4_text(octets: bytes) -> str:
    """The text of the version 4 UUID made of 16 octets: `str(uuid.UUID(bytes=octets, version=4))`."""
    digits = octets.hex()
    variant = "89ab"[int(digits[16], 16) & 3]  # RFC 9562's variant: the two high bits 10
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: datetime
    status: Status
    error: Error


@dataclass(frozen=True, slots=True)
class Outcome:
    """What becomes of a message: its final status and error, and how long after sending."""

    status: Status
    error: Error
    after: float
    rule: str
    code: int | None = None
    """A dialect's own code the message is refused with at submission (unified 1028 spam, ...)."""
    queued: float = 0.0
    """Seconds the message waits in the provider's queue before it is sent."""


@dataclass(slots=True)
class Message:
    """One message to one destination."""

    id: str
    account: str
    dialect: str
    to: str
    sender: str | None
    text: str | None
    binary_hex: str | None
    encoding: str
    units: int
    parts: int
    price_per_part: Decimal
    currency: str
    status: Status
    error: Error
    submitted_at: datetime
    bulk_id: str | None = None
    send_at: datetime | None = None
    sent_at: datetime | None = None
    done_at: datetime | None = None
    expires_at: datetime | None = None
    validity_minutes: int | None = None
    notify_url: str | None = None
    notify_content_type: str | None = None
    callback_data: str | None = None
    outcome: Outcome | None = None
    mcc_mnc: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """Dialect-specific request details worth keeping (flash, language, data coding, ...)."""
    client_ref: str | None = None
    """The client's own reference a dialect finds the message by (quicktel sms_id, sendsms ref)."""
    deleted: bool = False
    """Deleted by the account holder (through the control API): its report is gone."""
    changes: tuple[datetime | Status | Error, ...] = ()
    """The status history, flat: the moment, status and error of each change in turn, oldest first
    (`history` gives them as StatusChange objects). One tuple takes half the memory of a tuple of
    changes, and a store in memory may keep millions of messages."""

    @property
    def history(self) -> tuple[StatusChange, ...]:
        """The status changes, oldest first."""
        return tuple(map(StatusChange, *self._columns()))

    @history.setter
    def history(self, changes: Iterable[StatusChange]) -> None:
        self.changes = tuple(part for change in changes for part in (change.at, change.status, change.error))

    def each_change(self) -> Iterator[tuple[datetime, Status, Error]]:
        """The moment, status and error of each status change, oldest first, without the objects."""
        return zip(*self._columns(), strict=True)

    def _columns(self) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
        flat = self.changes
        return flat[0::3], flat[1::3], flat[2::3]

    def record_change(self, at: datetime, status: Status, error: Error) -> None:
        """Add a status change to the history (the status itself is the caller's to set)."""
        self.changes += (at, status, error)

    @property
    def price(self) -> Decimal:
        return self.price_per_part * self.parts

    def copy(self) -> Message:
        """A shallow copy (its history a tuple, its options shared), at a quarter of `copy.copy`'s cost."""
        return Message(*_message_fields(self))

    def as_dict(self) -> dict[str, Any]:
        """The message as the control API shows it."""
        return {
            "id": self.id,
            "bulkId": self.bulk_id,
            "account": self.account,
            "dialect": self.dialect,
            "from": self.sender,
            "to": self.to,
            "text": self.text,
            "binary": self.binary_hex,
            "encoding": self.encoding,
            "units": self.units,
            "parts": self.parts,
            "price": {
                "perPart": float(self.price_per_part),
                "total": float(self.price),
                "currency": self.currency,
            },
            "status": self.status.name,
            "statusGroup": self.status.group_name,
            "error": self.error.name,
            "submittedAt": _iso(self.submitted_at),
            "sendAt": _iso(self.send_at),
            "sentAt": _iso(self.sent_at),
            "doneAt": _iso(self.done_at),
            "expiresAt": _iso(self.expires_at),
            "notifyUrl": self.notify_url,
            "callbackData": self.callback_data,
            "clientRef": self.client_ref,
            "deleted": self.deleted,
            "mccMnc": self.mcc_mnc,
            "outcome": None
            if self.outcome is None
            else {
                "status": self.outcome.status.name,
                "error": self.outcome.error.name,
                "after": self.outcome.after,
                "rule": self.outcome.rule,
                "code": self.outcome.code,
                "queued": self.outcome.queued,
            },
            "options": self.options,
            "history": [
                {"at": _iso(at), "status": status.name, "error": error.name}
                for at, status, error in self.each_change()
            ],
        }


@dataclass(slots=True)
class InboundMessage:
    """A mobile-originated message, injected through the control API."""

    id: str
    account: str
    dialect: str
    sender: str
    to: str
    text: str
    keyword: str
    clean_text: str
    received_at: datetime
    parts: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "dialect": self.dialect,
            "from": self.sender,
            "to": self.to,
            "text": self.text,
            "keyword": self.keyword,
            "cleanText": self.clean_text,
            "receivedAt": _iso(self.received_at),
            "smsCount": self.parts,
        }


@dataclass(slots=True)
class WebhookAttempt:
    """One POST of a delivery report or Number Context result to a client's notifyUrl."""

    subject: str
    """The message id the callback is about."""
    url: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    content_type: str
    reply: str | None = None
    """The start of the body the client's server answered (None when no answer came)."""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_dict(self) -> dict[str, Any]:
        return {
            "messageId": self.subject,
            "url": self.url,
            "attempt": self.attempt,
            "at": _iso(self.at),
            "statusCode": self.status_code,
            "error": self.error,
            "contentType": self.content_type,
            "reply": self.reply,
            "succeeded": self.succeeded,
        }


_message_fields = operator.attrgetter(*(each.name for each in fields(Message)))
"""Every field of a message, in the order of its constructor's arguments."""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds")
