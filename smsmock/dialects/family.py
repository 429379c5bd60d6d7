"""What the shortlink family (shortlink and qikli) renders alike: statuses, errors, prices, dates."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from smsmock.contracts.moments import read_moment
from smsmock.core.clock import ClockRangeError, within_range
from smsmock.core.messages import Message
from smsmock.core.vocabulary import Error, Status
from smsmock.dialects.wire import BadRequest

SENDER_ID = re.compile(r"[A-Za-z0-9]{3,11}|[0-9]{3,14}")
PHONE_NUMBER = re.compile(r"\+?[1-9][0-9]{0,14}")
QIKLI_SENDER_ID = re.compile(r"[A-Za-z0-9]{3,12}|[0-9]{3,14}")
"""qikli widens the family's alphanumeric sender by one character (errata qikli-sender-id-length)."""
QIKLI_PHONE_NUMBER = re.compile(r"\+?[1-9][0-9]{6,14}")
"""qikli destinations: country code first, 7-15 digits (errata qikli-e164-may-work)."""


def timestamp(moment: datetime | None) -> str | None:
    """2015-02-12T09:58:20.323+0000: milliseconds and a basic-format offset, as the examples show."""
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_timestamp(value: str, name: str) -> datetime:
    """An ISO-8601 date-time in UTC; one without an offset is read as UTC (the contracts' tolerant
    reading). The contracts' format x-moment reads it with the same function, so a date they take is
    one the mock reads."""
    try:
        return read_moment(value)
    except ValueError:
        raise BadRequest(f"{name} is not an ISO-8601 date-time the calendar holds: {value!r}") from None


def parse_send_at(value: str) -> datetime:
    """A scheduled send's moment, which must leave the mock room to deliver and expire it."""
    try:
        return within_range(parse_timestamp(value, "sendAt"), f"sendAt {value!r}")
    except ClockRangeError as problem:
        raise BadRequest(str(problem)) from None


def status_object(status: Status) -> dict[str, Any]:
    found = {
        "groupId": status.group_id,
        "groupName": status.group_name,
        "id": status.id,
        "name": status.name,
        "description": status.description,
    }
    if status.action:
        found["action"] = status.action
    return found


def error_object(error: Error, *, ok_spelling: str = "OK") -> dict[str, Any]:
    return {
        "groupId": error.group_id,
        "groupName": ok_spelling if error.group_id == 0 else error.group_name,
        "id": error.id,
        "name": error.name,
        "description": error.description,
        "permanent": error.permanent,
    }


def price_object(message: Message) -> dict[str, Any]:
    return {"pricePerMessage": float(message.price_per_part), "currency": message.currency}


def report_object(message: Message, *, ok_spelling: str = "OK") -> dict[str, Any]:
    """A SentSMSReport: one delivery report."""
    report: dict[str, Any] = {}
    if message.bulk_id:
        report["bulkId"] = message.bulk_id
    report.update(
        messageId=message.id,
        to=message.to,
        sentAt=timestamp(message.sent_at or message.submitted_at),
        doneAt=timestamp(message.done_at or message.sent_at or message.submitted_at),
        smsCount=message.parts,
        price=price_object(message),
        status=status_object(message.status),
        error=error_object(message.error, ok_spelling=ok_spelling),
    )
    return report


LIMIT = re.compile(r"[1-9][0-9]{0,8}")
"""A limit as the family's contracts take it: a positive whole number of at most nine digits, no sign
and no leading zero (errata shortlink-limit-values, qikli-reports-limit)."""


def limit_param(value: str | None, default: int, name: str = "limit") -> int:
    """The limit a request names, or `default`; the contract refused any other spelling already."""
    if value is None:
        return default
    if not LIMIT.fullmatch(value):
        raise BadRequest(f"{name} must be a whole number from 1 to 999999999, not {value!r}")
    return int(value)


def id_list(value: str | list[str] | None) -> tuple[str, ...]:
    """One id, comma-separated ids, or the parameter repeated."""
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    return tuple(item.strip() for entry in values for item in entry.split(",") if item.strip())
