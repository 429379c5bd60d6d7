"""The mock's records as JSON-ready values and back, for stores that keep them outside the process.

Every value round-trips exactly: moments to the microsecond with their offset, amounts as decimal
text, statuses and errors of the vocabulary by name and any other (a dialect's status may differ from
the vocabulary's by its group) with every field. A message leaves out its fields that hold nothing.
`decode_*(encode_*(record)) == record` is held by tests/test_records.py.

A stored message is written on every step of its lifecycle, so its record's size is what a store
writes and parses: by name, a delivered message's record is a third of what it is with every field.
Records of either form are read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from smsmock.core.backend import Callback
from smsmock.core.commands import NumberAnswer
from smsmock.core.messages import InboundMessage, Message, Outcome, StatusChange, WebhookAttempt
from smsmock.core.numbering import Network
from smsmock.core.vocabulary import Error, Status, vocabulary

Record = dict[str, Any]


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _fields(value: Any) -> Record:
    """A flat dataclass (Status, Error) as a dict: what `asdict` gives, without its deep copies, which
    cost a stored message six times its encoding on every send and status change."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


def _status(value: Status) -> str | Record:
    known = vocabulary().statuses.get(value.name)
    return value.name if known is value or known == value else _fields(value)


def _error(value: Error) -> str | Record:
    known = vocabulary().errors.get(value.name)
    return value.name if known is value or known == value else _fields(value)


def _parse_status(value: str | Record) -> Status:
    return vocabulary().statuses[value] if isinstance(value, str) else Status(**value)


def _parse_error(value: str | Record) -> Error:
    return vocabulary().errors[value] if isinstance(value, str) else Error(**value)


def _network(value: Network | None) -> Record | None:
    return None if value is None else asdict(value)


def _parse_network(value: Record | None) -> Network | None:
    return None if value is None else Network(**value)


def encode_message(message: Message) -> Record:
    outcome = message.outcome
    record = {
        "id": message.id,
        "account": message.account,
        "dialect": message.dialect,
        "to": message.to,
        "sender": message.sender,
        "text": message.text,
        "binary_hex": message.binary_hex,
        "encoding": message.encoding,
        "units": message.units,
        "parts": message.parts,
        "price_per_part": str(message.price_per_part),
        "currency": message.currency,
        "status": _status(message.status),
        "error": _error(message.error),
        "submitted_at": _moment(message.submitted_at),
        "bulk_id": message.bulk_id,
        "send_at": _moment(message.send_at),
        "sent_at": _moment(message.sent_at),
        "done_at": _moment(message.done_at),
        "expires_at": _moment(message.expires_at),
        "validity_minutes": message.validity_minutes,
        "notify_url": message.notify_url,
        "notify_content_type": message.notify_content_type,
        "callback_data": message.callback_data,
        "outcome": None
        if outcome is None
        else {**_fields(outcome), "status": _status(outcome.status), "error": _error(outcome.error)},
        "mcc_mnc": message.mcc_mnc,
        "options": message.options,
        "client_ref": message.client_ref,
        "deleted": message.deleted,
        "history": [
            [_moment(change.at), _status(change.status), _error(change.error)] for change in message.history
        ],
    }
    return {name: value for name, value in record.items() if value is not None}


_MESSAGE_FIELDS_WITHOUT_DEFAULT = tuple(
    field.name
    for field in dataclasses.fields(Message)
    if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
)
"""What a record that left out its empty fields must be given back as None."""


def decode_message(record: Record) -> Message:
    fields = dict.fromkeys(_MESSAGE_FIELDS_WITHOUT_DEFAULT)
    fields.update(record)
    for name in ("submitted_at", "send_at", "sent_at", "done_at", "expires_at"):
        if name in fields:
            fields[name] = _parse_moment(fields[name])
    fields["price_per_part"] = Decimal(fields["price_per_part"])
    fields["status"] = _parse_status(fields["status"])
    fields["error"] = _parse_error(fields["error"])
    outcome = fields.get("outcome")
    if outcome is not None:
        fields["outcome"] = Outcome(
            **{**outcome, "status": _parse_status(outcome["status"]), "error": _parse_error(outcome["error"])}
        )
    if "options" in fields:
        fields["options"] = dict(fields["options"])
    fields["history"] = tuple(_decode_change(change) for change in fields["history"])
    return Message(**fields)


def _decode_change(record: list[Any] | Record) -> StatusChange:
    if isinstance(record, dict):  # a record of the form that wrote every field
        return StatusChange(
            datetime.fromisoformat(record["at"]), Status(**record["status"]), Error(**record["error"])
        )
    at, status, error = record
    return StatusChange(datetime.fromisoformat(at), _parse_status(status), _parse_error(error))


def encode_inbound(message: InboundMessage) -> Record:
    return {**asdict(message), "received_at": _moment(message.received_at)}


def decode_inbound(record: Record) -> InboundMessage:
    return InboundMessage(**{**record, "received_at": datetime.fromisoformat(record["received_at"])})


def encode_attempt(attempt: WebhookAttempt) -> Record:
    return {**asdict(attempt), "at": _moment(attempt.at)}


def decode_attempt(record: Record) -> WebhookAttempt:
    return WebhookAttempt(**{**record, "at": datetime.fromisoformat(record["at"])})


def _encode_answer(answer: NumberAnswer) -> Record:
    return {
        "to": answer.to,
        "status": asdict(answer.status),
        "error": asdict(answer.error),
        "network": _network(answer.network),
        "ported_network": _network(answer.ported_network),
        "roaming_network": _network(answer.roaming_network),
        "imsi": answer.imsi,
        "serving_msc": answer.serving_msc,
        "message_id": answer.message_id,
    }


def _decode_answer(record: Record) -> NumberAnswer:
    return NumberAnswer(
        to=record["to"],
        status=Status(**record["status"]),
        error=Error(**record["error"]),
        network=_parse_network(record["network"]),
        ported_network=_parse_network(record["ported_network"]),
        roaming_network=_parse_network(record["roaming_network"]),
        imsi=record["imsi"],
        serving_msc=record["serving_msc"],
        message_id=record["message_id"],
    )


def encode_callback(callback: Callback) -> Record:
    """A callback owed to a client; its payload is the message (`dlr`) or the numbers' answers."""
    if callback.kind == "dlr":
        payload: Any = encode_message(callback.payload)
    else:
        payload = [_encode_answer(answer) for answer in callback.payload]
    return {
        "kind": callback.kind,
        "dialect": callback.dialect,
        "account": callback.account,
        "url": callback.url,
        "content_type": callback.content_type,
        "subject": callback.subject,
        "payload": payload,
        "attempt": callback.attempt,
    }


def decode_callback(record: Record) -> Callback:
    payload = record["payload"]
    decoded = (
        decode_message(payload) if record["kind"] == "dlr" else [_decode_answer(item) for item in payload]
    )
    return Callback(**{**record, "payload": decoded})


def encode_event_data(data: dict[str, Any]) -> Record:
    """An event's data: a callback, when the event is one, is the only thing it carries."""
    unknown = set(data) - {"callback"}
    if unknown:
        raise TypeError(f"an event carries only a callback, not {', '.join(sorted(unknown))}")
    return {"callback": encode_callback(data["callback"])} if "callback" in data else {}


def decode_event_data(record: Record) -> dict[str, Any]:
    return {"callback": decode_callback(record["callback"])} if "callback" in record else {}
