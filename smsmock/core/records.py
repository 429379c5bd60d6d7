"""The mock's records as JSON-ready values and back, for stores that keep them outside the process.

Every value round-trips exactly: moments to the microsecond with their offset, amounts as decimal
text, statuses and errors of the vocabulary by name and any other (a dialect's status may differ from
the vocabulary's by its group) with every field. A message leaves out its fields that hold nothing.
`decode_*(encode_*(record)) == record` is held by tests/test_records.py.

A stored message is written on every step of its lifecycle, so its record's size is what a store
writes and parses: by name, a delivered message's record is a third of what it is with every field.
Records of either form are read. A store writes a message's record as text with `message_text` (the
JSON of `encode_message`, written directly), and `WrittenMessages` spares it writing again what a step
did not change, and parsing back what it wrote itself.
"""

from __future__ import annotations

import json
import operator
import threading
from collections import OrderedDict
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

from smsmock.core.backend import Callback
from smsmock.core.commands import NumberAnswer
from smsmock.core.messages import (
    LONE_SURROGATE,
    InboundMessage,
    Message,
    Outcome,
    WebhookAttempt,
)
from smsmock.core.numbering import Network
from smsmock.core.vocabulary import Error, Status, vocabulary

Record = dict[str, Any]


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


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
    at = _Moments()
    outcome = message.outcome
    record: Record = {
        "id": message.id,
        "account": message.account,
        "dialect": message.dialect,
        "to": message.to,
    }
    # In the constructor's order, each field only when it holds something (a record leaves out None).
    if message.sender is not None:
        record["sender"] = message.sender
    if message.text is not None:
        record["text"] = message.text
    if message.binary_hex is not None:
        record["binary_hex"] = message.binary_hex
    record["encoding"] = message.encoding
    record["units"] = message.units
    record["parts"] = message.parts
    record["price_per_part"] = str(message.price_per_part)
    record["currency"] = message.currency
    record["status"] = _status(message.status)
    record["error"] = _error(message.error)
    record["submitted_at"] = at(message.submitted_at)
    for name in _OPTIONAL_MESSAGE_FIELDS:
        value = getattr(message, name)
        if value is not None:
            record[name] = at(value) if name in _MOMENT_FIELDS else value
    if outcome is not None:
        record["outcome"] = dict(_outcome(outcome))
    for name in ("mcc_mnc", "options", "client_ref", "deleted"):
        value = getattr(message, name)
        if value is not None:
            record[name] = value
    record["history"] = [
        [at(moment), _status(status), _error(error)] for moment, status, error in message.each_change()
    ]
    return record


_MOMENT_FIELDS = frozenset(("send_at", "sent_at", "done_at", "expires_at"))
_OPTIONAL_MESSAGE_FIELDS = (
    "bulk_id",
    "send_at",
    "sent_at",
    "done_at",
    "expires_at",
    "validity_minutes",
    "notify_url",
    "notify_content_type",
    "callback_data",
)


class _Moments:
    """Moments as text, each object formatted once: a message's times are mostly one moment (accepted,
    sent and its first two changes), and `isoformat` is most of what a record costs to write."""

    __slots__ = ("_texts",)

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}

    def __call__(self, value: datetime) -> str:
        # By identity: two equal moments of different offsets are different texts. Every object stays
        # alive while the record is made, so no id is reused meanwhile.
        text = self._texts.get(id(value))
        if text is None:
            text = self._texts[id(value)] = value.isoformat()
        return text


_SHARED_MOST = 1024
"""Distinct outcomes each cache below keeps; past that, it starts again."""
_outcome_records: dict[int, tuple[Outcome, Record]] = {}
_outcomes_read: dict[tuple[Any, ...], Outcome] = {}


def _outcome(outcome: Outcome) -> Record:
    """An outcome's record: outcomes come from the rules, so the few there are are encoded once each."""
    cached = _outcome_records.get(id(outcome))
    if cached is not None and cached[0] is outcome:
        return cached[1]
    record = {**_fields(outcome), "status": _status(outcome.status), "error": _error(outcome.error)}
    if len(_outcome_records) >= _SHARED_MOST:
        _outcome_records.clear()
    _outcome_records[id(outcome)] = (outcome, record)  # the outcome kept with it: its id stays its own
    return record


def _parse_outcome(record: Record) -> Outcome:
    """The outcome a record names: one object for every message of the same outcome, as the rules
    share theirs (a stored message then costs no outcome of its own)."""
    status, error = record["status"], record["error"]
    key = None
    if isinstance(status, str) and isinstance(error, str):
        after, queued, code = record["after"], record.get("queued", 0.0), record.get("code")
        # The types too: 1 and 1.0 are equal keys, but an outcome read back is the one written.
        key = (status, error, after, type(after), record["rule"], code, type(code), queued, type(queued))
        found = _outcomes_read.get(key)
        if found is not None:
            return found
    outcome = Outcome(**{**record, "status": _parse_status(status), "error": _parse_error(error)})
    if key is not None:
        if len(_outcomes_read) >= _SHARED_MOST:
            _outcomes_read.clear()
        _outcomes_read[key] = outcome
    return outcome


def decode_message(record: Record) -> Message:
    get = record.get
    at = _MomentsRead()
    outcome = get("outcome")
    options = get("options")
    history = record["history"]
    return Message(
        record["id"],
        record["account"],
        record["dialect"],
        record["to"],
        get("sender"),
        get("text"),
        get("binary_hex"),
        record["encoding"],
        record["units"],
        record["parts"],
        Decimal(record["price_per_part"]),
        record["currency"],
        _parse_status(record["status"]),
        _parse_error(record["error"]),
        at(record["submitted_at"]),
        get("bulk_id"),
        at(get("send_at")),
        at(get("sent_at")),
        at(get("done_at")),
        at(get("expires_at")),
        get("validity_minutes"),
        get("notify_url"),
        get("notify_content_type"),
        get("callback_data"),
        None if outcome is None else _parse_outcome(outcome),
        get("mcc_mnc"),
        {} if options is None else dict(options),
        get("client_ref"),
        get("deleted", False),
        tuple(part for change in history for part in _decode_change(change, at)),
    )


class _MomentsRead:
    """Moments from text, each text parsed once: one moment object for the times that are one moment,
    as the core keeps them."""

    __slots__ = ("_moments",)

    def __init__(self) -> None:
        self._moments: dict[str, datetime] = {}

    def __call__(self, text: str | None) -> datetime | None:
        if text is None:
            return None
        moment = self._moments.get(text)
        if moment is None:
            moment = self._moments[text] = datetime.fromisoformat(text)
        return moment


def _decode_change(record: list[Any] | Record, at: _MomentsRead) -> tuple[datetime, Status, Error]:
    """One status change's moment, status and error (`Message.changes` holds them flat)."""
    if isinstance(record, dict):  # a record of the form that wrote every field
        return at(record["at"]), Status(**record["status"]), Error(**record["error"])
    moment, status, error = record
    return at(moment), _parse_status(status), _parse_error(error)


def load_message(text: str) -> Message:
    """A message from its record's JSON text."""
    return decode_message(json.loads(text))


WRITTEN_MOST = 4096
"""Messages a store remembers as it wrote them (see `WrittenMessages`): more than are on their way at
once at full load (a second or three between sending and the final status, at about a thousand sends a
second), so each one's steps find it; a few megabytes."""


class WrittenMessages:
    """The records of the messages this process stored last: each message with its record's text, by id.

    A store writes a message on every step of its lifecycle and reads it back at the next: what it
    costs is mostly the JSON. `dump` writes a record's text (`message_text`) and remembers it; a
    message's next record reuses the text of the fields a step never changes (everything but its
    status, error, times, deleted flag and history) when they are the very objects written before.
    `read` hands out a copy of the message written when the text read is the one written (decoding is
    exact), and parses any other (another process's change, a write rolled back). At most `size` are
    kept, the least recently written going first.
    """

    def __init__(self, *, ascii: bool = False, size: int = WRITTEN_MOST) -> None:
        self._ascii = ascii
        self._size = size
        self._kept: OrderedDict[str, tuple[str, Message, str]] = OrderedDict()
        self._lock = threading.Lock()

    def dump(self, message: Message) -> str:
        """The message's record as text (ASCII if this store keeps it so); remembered as written."""
        kept = self._kept.get(message.id)
        if kept is not None and all(map(operator.is_, _head_fields(message), _head_fields(kept[1]))):
            head = kept[2]
            tail = _tail_text(message, self._ascii)
            if not tail.isascii() and LONE_SURROGATE.search(tail):
                tail = _tail_text(message, True)
        else:
            head, tail = _message_texts(message, self._ascii)
        text = head + tail
        remembered = (text, message.copy(), head)  # a copy: the caller goes on changing its own
        entries = self._kept
        with self._lock:
            entries[message.id] = remembered
            entries.move_to_end(message.id)  # the most recently written last
            if len(entries) > self._size:
                entries.popitem(last=False)
        return text

    def read(self, message_id: str, text: str) -> Message:
        """The message stored as `text` under this id: a copy of the one written, or the text parsed."""
        kept = self._kept.get(message_id)
        if kept is not None and kept[0] == text:
            return kept[1].copy()
        return load_message(text)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def message_text(message: Message, *, ascii: bool = False) -> str:
    """`encode_message`'s record as compact JSON text, what `json.dumps` writes for it (the fields in
    another order), written here directly: it is what a store writes on every step of a message.

    Not `ascii`, text stays as it is, except when the message holds a lone surrogate (only a malformed
    request brings one), which no UTF-8 store holds: then the text is ASCII, with escapes, as it is when
    `ascii` is asked for.
    """
    head, tail = _message_texts(message, ascii)
    return head + tail


def _message_texts(message: Message, ascii: bool) -> tuple[str, str]:
    """The record's text in two parts: the fields a step never changes (ending in a comma), the rest."""
    at = _Moments()
    head, tail = _head_text(message, ascii, at), _tail_text(message, ascii, at)
    if not ascii and not (head.isascii() and tail.isascii()) and LONE_SURROGATE.search(head + tail):
        return _message_texts(message, True)
    return head, tail


_head_fields = operator.attrgetter(
    "id",
    "account",
    "dialect",
    "to",
    "sender",
    "text",
    "binary_hex",
    "encoding",
    "units",
    "parts",
    "price_per_part",
    "currency",
    "submitted_at",
    "bulk_id",
    "send_at",
    "expires_at",
    "validity_minutes",
    "notify_url",
    "notify_content_type",
    "callback_data",
    "outcome",
    "mcc_mnc",
    "options",
    "client_ref",
)
"""The fields no step of the lifecycle changes: the head of a record's text."""
_OPTIONAL_HEAD = (
    ("bulk_id", ',"bulk_id":', False),
    ("send_at", ',"send_at":', True),
    ("expires_at", ',"expires_at":', True),
    ("validity_minutes", ',"validity_minutes":', False),
    ("notify_url", ',"notify_url":', False),
    ("notify_content_type", ',"notify_content_type":', False),
    ("callback_data", ',"callback_data":', False),
)


def _head_text(message: Message, ascii: bool, at: _Moments | None = None) -> str:
    quote = encode_basestring_ascii if ascii else encode_basestring
    at = at or _Moments()
    parts = [
        '{"id":',
        quote(message.id),
        ',"account":',
        quote(message.account),
        ',"dialect":',
        quote(message.dialect),
        ',"to":',
        quote(message.to),
    ]
    if message.sender is not None:
        parts += (',"sender":', quote(message.sender))
    if message.text is not None:
        parts += (',"text":', quote(message.text))
    if message.binary_hex is not None:
        parts += (',"binary_hex":', quote(message.binary_hex))
    parts += (
        ',"encoding":',
        quote(message.encoding),
        ',"units":',
        _json(message.units, ascii),
        ',"parts":',
        _json(message.parts, ascii),
        ',"price_per_part":',
        quote(str(message.price_per_part)),
        ',"currency":',
        quote(message.currency),
        ',"submitted_at":',
        quote(at(message.submitted_at)),
    )
    for name, key, moment in _OPTIONAL_HEAD:
        value = getattr(message, name)
        if value is not None:
            parts += (key, quote(at(value)) if moment else _json(value, ascii))
    if message.outcome is not None:
        parts += (',"outcome":', _shared_text(message.outcome, ascii, _outcome))
    if message.mcc_mnc is not None:
        parts += (',"mcc_mnc":', quote(message.mcc_mnc))
    if message.options is not None:
        parts += (',"options":', _json(message.options, ascii))
    if message.client_ref is not None:
        parts += (',"client_ref":', _json(message.client_ref, ascii))
    parts.append(",")
    return "".join(parts)


def _tail_text(message: Message, ascii: bool, at: _Moments | None = None) -> str:
    quote = encode_basestring_ascii if ascii else encode_basestring
    at = at or _Moments()
    status, error = _status_text(message.status, ascii), _error_text(message.error, ascii)
    parts = ['"status":', status, ',"error":', error]
    if message.sent_at is not None:
        parts += (',"sent_at":', quote(at(message.sent_at)))
    if message.done_at is not None:
        parts += (',"done_at":', quote(at(message.done_at)))
    if message.deleted is not None:
        parts += (',"deleted":', _json(message.deleted, ascii))
    changes = [
        f"[{quote(at(moment))},{_status_text(status, ascii)},{_error_text(error, ascii)}]"
        for moment, status, error in message.each_change()
    ]
    parts += (',"history":[', ",".join(changes), "]}")
    return "".join(parts)


def _status_text(status: Status, ascii: bool) -> str:
    return _shared_text(status, ascii, _status)


def _error_text(error: Error, ascii: bool) -> str:
    return _shared_text(error, ascii, _error)


_shared_texts: dict[tuple[int, bool], tuple[Any, str]] = {}


def _shared_text(value: Any, ascii: bool, record: Any) -> str:
    """A status's, an error's or an outcome's text: the vocabulary's and the rules' few are written once
    each (by identity, the value kept with its text, so that its id stays its own)."""
    cached = _shared_texts.get((id(value), ascii))
    if cached is not None and cached[0] is value:
        return cached[1]
    text = _json(record(value), ascii)
    if len(_shared_texts) >= _SHARED_MOST:
        _shared_texts.clear()
    _shared_texts[(id(value), ascii)] = (value, text)
    return text


def _json(value: Any, ascii: bool) -> str:
    """A value as compact JSON text: a string, a whole number or a flag at once, else as json.dumps."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value) if ascii else encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    return _ENCODERS[ascii].encode(value)


_ENCODERS = {
    ascii: json.JSONEncoder(ensure_ascii=ascii, check_circular=False, separators=(",", ":"))
    for ascii in (False, True)
}
"""Compact JSON of a record's values (trees of plain values: no cycle to look for)."""


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
