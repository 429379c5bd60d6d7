"""The mock's records as JSON-ready values and back, for stores that keep them outside the process.

Every value round-trips exactly: moments to the microsecond with their offset, amounts as decimal
text, statuses and errors with every field (a dialect's status may differ from the vocabulary's by
its group). `decode_*(encode_*(record)) == record` is held by tests/test_records.py.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from smsmock.core.backend import Callback
from smsmock.core.commands import NumberAnswer
from smsmock.core.messages import InboundMessage, Message, Outcome, StatusChange, WebhookAttempt
from smsmock.core.numbering import Network
from smsmock.core.vocabulary import Error, Status

Record = dict[str, Any]


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _fields(value: Any) -> Record:
    """A flat dataclass (Status, Error) as a dict: what `asdict` gives, without its deep copies, which
    cost a stored message six times its encoding on every send and status change."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


def _network(value: Network | None) -> Record | None:
    return None if value is None else asdict(value)


def _parse_network(value: Record | None) -> Network | None:
    return None if value is None else Network(**value)


def encode_message(message: Message) -> Record:
    outcome = message.outcome
    return {
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
        "status": _fields(message.status),
        "error": _fields(message.error),
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
        else {**_fields(outcome), "status": _fields(outcome.status), "error": _fields(outcome.error)},
        "mcc_mnc": message.mcc_mnc,
        "options": message.options,
        "client_ref": message.client_ref,
        "deleted": message.deleted,
        "history": [
            {"at": _moment(change.at), "status": _fields(change.status), "error": _fields(change.error)}
            for change in message.history
        ],
    }


def decode_message(record: Record) -> Message:
    fields = dict(record)
    outcome = fields["outcome"]
    for name in ("submitted_at", "send_at", "sent_at", "done_at", "expires_at"):
        fields[name] = _parse_moment(fields[name])
    fields["price_per_part"] = Decimal(fields["price_per_part"])
    fields["status"] = Status(**fields["status"])
    fields["error"] = Error(**fields["error"])
    fields["outcome"] = (
        None
        if outcome is None
        else Outcome(**{**outcome, "status": Status(**outcome["status"]), "error": Error(**outcome["error"])})
    )
    fields["options"] = dict(fields["options"])
    fields["history"] = [
        StatusChange(
            datetime.fromisoformat(change["at"]), Status(**change["status"]), Error(**change["error"])
        )
        for change in fields["history"]
    ]
    return Message(**fields)


def _decode_change(record: Record) -> StatusChange:
    return StatusChange(
        datetime.fromisoformat(record["at"]), Status(**record["status"]), Error(**record["error"])
    )


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
