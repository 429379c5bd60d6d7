"""Every record the mock keeps survives a trip through JSON unchanged, as stores outside the process need."""

from __future__ import annotations

import dataclasses
import json
from datetime import timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from transports import documented_requests, over_wsgi
from werkzeug.test import Client

from smsmock import strategies
from smsmock.core import records
from smsmock.core.backend import Backend
from smsmock.core.clock import Clock
from smsmock.core.commands import Submission
from smsmock.core.messages import Message, StatusChange, WebhookAttempt
from smsmock.core.vocabulary import Error, Status, vocabulary
from smsmock.server.app import MockApp

AUTHORIZATION = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
MEDIA = {"json": "application/json", "xml": "application/xml"}


def _through_json(record: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(record))


def _round_trips(app: MockApp) -> None:
    store = app.backend.store
    messages = store.messages()
    assert messages
    for message in messages:
        assert records.decode_message(_through_json(records.encode_message(message))) == message
    for _, _, event in store._events:
        data = records.decode_event_data(_through_json(records.encode_event_data(event.data)))
        assert data == event.data
    for inbound in store.inbound():
        assert records.decode_inbound(_through_json(records.encode_inbound(inbound))) == inbound


def test_what_every_documented_request_leaves_round_trips() -> None:
    app = MockApp()
    app.clock.freeze()
    client = Client(app)
    for _, example in documented_requests(["shortlink", "qikli", "unified", "quicktel", "sendsms"]):
        headers = {"Authorization": AUTHORIZATION, **(example.get("headers") or {})}
        over_wsgi(
            client,
            example["method"],
            example["path"],
            query=example.get("query") or "",
            body=(example.get("body") or "").encode(),
            headers=headers,
            content_type=MEDIA.get(example["format"]),
        )
    app.control.inject_inbound(sender="41793026727", to="4560", text="KEY Hello")
    _round_trips(app)
    app.control.advance(600)  # deliveries, expiries and callbacks become due, and their records change
    _round_trips(app)


@settings(max_examples=50, deadline=None)
@given(
    text=st.one_of(strategies.gsm_texts(), strategies.ucs2_texts(astral=True)),
    to=strategies.phone_numbers(),
    sender=strategies.sender_ids(),
    notify=st.booleans(),
    validity=st.one_of(st.none(), st.integers(1, 3000)),
    client_id=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
)
def test_generated_messages_round_trip(
    text: str, to: str, sender: str, notify: bool, validity: int | None, client_id: str | None
) -> None:
    _, message = _sent(text, to, sender, client_id, notify, validity)
    assert records.decode_message(_through_json(records.encode_message(message))) == message
    attempt = WebhookAttempt(
        message.id, "http://127.0.0.1:9/dlr", 1, message.submitted_at, None, "refused", "x"
    )
    assert records.decode_attempt(_through_json(records.encode_attempt(attempt))) == attempt


def _with_every_field(message: Message) -> dict[str, Any]:
    """The record as the first form wrote it: every field, statuses and errors whole, history as objects."""
    record = records.encode_message(message)
    whole = {field.name: None for field in dataclasses.fields(Message)}
    whole.update(record)
    whole["status"], whole["error"] = dataclasses.asdict(message.status), dataclasses.asdict(message.error)
    if message.outcome is not None:
        whole["outcome"] = {
            **record["outcome"],
            "status": dataclasses.asdict(message.outcome.status),
            "error": dataclasses.asdict(message.outcome.error),
        }
    whole["history"] = [
        {
            "at": change.at.isoformat(),
            "status": dataclasses.asdict(change.status),
            "error": dataclasses.asdict(change.error),
        }
        for change in message.history
    ]
    return whole


@settings(max_examples=30, deadline=None)
@given(text=strategies.gsm_texts(), to=strategies.phone_numbers(), advance=st.sampled_from([0, 1, 600]))
def test_records_of_the_first_form_still_read(text: str, to: str, advance: int) -> None:
    backend = Backend(clock=Clock(frozen=True))
    (message,) = backend.submit(backend.accounts.get("default"), "shortlink", [Submission(to=to, text=text)])
    backend.clock.advance(advance)
    backend.tick()
    stored = backend.store.message(message.id)
    assert records.decode_message(_through_json(_with_every_field(stored))) == stored


def test_a_status_outside_the_vocabulary_keeps_every_field() -> None:
    backend = Backend(clock=Clock(frozen=True))
    (message,) = backend.submit(
        backend.accounts.get("default"), "shortlink", [Submission(to="41793026727", text="hi")]
    )
    known = message.status
    message.status = Status(known.id, known.name, 99, "A_DIALECTS_GROUP", known.description)
    message.error = Error(4242, "NOT_IN_THE_TABLES", 1, "HANDSET_ERRORS", "its own", True)
    record = _through_json(records.encode_message(message))
    assert isinstance(record["status"], dict) and isinstance(record["error"], dict)
    assert records.decode_message(record) == message


def test_a_delivered_message_names_its_statuses() -> None:
    backend = Backend(clock=Clock(frozen=True))
    (message,) = backend.submit(
        backend.accounts.get("default"), "shortlink", [Submission(to="41793026727", text="hi")]
    )
    backend.clock.advance(600)
    backend.tick()
    record = records.encode_message(backend.store.message(message.id))
    assert record["status"] == "DELIVERED_TO_HANDSET" and record["error"] == "NO_ERROR"
    assert [change[1] for change in record["history"]] == [
        "MESSAGE_ACCEPTED",
        "PENDING_ENROUTE",
        "DELIVERED_TO_HANDSET",
    ]
    assert None not in record.values()


def _sent(
    text: str, to: str, sender: str, client_id: str | None, notify: bool, validity: int | None = None
) -> tuple[Backend, Message]:
    """A backend with one shortlink message sent, and the message as its store keeps it."""
    backend = Backend(clock=Clock(frozen=True))
    submission = Submission(
        to=to,
        sender=sender,
        text=text,
        message_id=client_id,
        validity_minutes=validity,
        notify_url="http://127.0.0.1:9/dlr" if notify else None,
        options={"flash": notify, "language": {"languageCode": "TR"}},
    )
    (message,) = backend.submit(backend.accounts.get("default"), "shortlink", [submission])
    return backend, backend.store.message(message.id)


_MESSAGES = {
    "text": st.one_of(strategies.gsm_texts(), strategies.ucs2_texts(astral=True), st.text(max_size=30)),
    "to": strategies.phone_numbers(),
    "sender": strategies.sender_ids(),
    "client_id": st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    "notify": st.booleans(),
}


@settings(max_examples=60, deadline=None)
@given(**_MESSAGES, ascii=st.booleans())
def test_a_records_text_is_the_json_of_its_record(
    text: str, to: str, sender: str, client_id: str | None, notify: bool, ascii: bool
) -> None:
    """What a store writes is the record `encode_message` makes, as JSON, and reads back as the message."""
    backend, message = _sent(text, to, sender, client_id, notify)
    for _ in range(2):
        written = records.message_text(message, ascii=ascii)
        assert json.loads(written) == _through_json(records.encode_message(message))
        assert records.load_message(written) == message
        if ascii:
            assert written.isascii()
        backend.clock.advance(600)  # then once more as the lifecycle leaves it: delivered
        backend.tick()
        message = backend.store.message(message.id)


def test_a_lone_surrogate_is_written_escaped_and_read_back() -> None:
    """A malformed request can carry a lone surrogate, which UTF-8 cannot hold: the text escapes it."""
    _, message = _sent("half \ud83d of an emoji", "41793026727", "InfoSMS", None, False)
    written = records.message_text(message)
    assert written.isascii() and "\\ud83d" in written
    assert records.load_message(written) == message


@settings(max_examples=40, deadline=None)
@given(**_MESSAGES, ascii=st.booleans())
def test_written_messages_write_each_step_as_a_whole_record_would(
    text: str, to: str, sender: str, client_id: str | None, notify: bool, ascii: bool
) -> None:
    """A step's record reuses the text of the fields it never changes: it is the record all the same,
    and reading back what was written hands out the message written, as a copy of its own."""
    backend, message = _sent(text, to, sender, client_id, notify)
    written = records.WrittenMessages(ascii=ascii)
    first = written.dump(message)
    step = written.read(message.id, first)
    assert step == message and step is not message
    backend.clock.advance(600)
    backend.tick()
    delivered = backend.store.message(message.id)
    step.status, step.error, step.done_at = delivered.status, delivered.error, delivered.done_at
    step.sent_at, step.history = delivered.sent_at, delivered.history
    second = written.dump(step)  # the head of `first`, and the step's own status, times and history
    assert json.loads(second) == json.loads(records.message_text(delivered, ascii=ascii))
    assert written.read(message.id, second) == delivered
    step.status = message.status  # changed after it was written: what was written is read back
    assert written.read(message.id, second) == delivered


def test_written_messages_parse_a_text_they_did_not_write() -> None:
    _, message = _sent("hi", "41793026727", "InfoSMS", None, False)
    written = records.WrittenMessages()
    written.dump(message)
    other = dataclasses.replace(message, deleted=True)  # another process deleted it meanwhile
    assert written.read(message.id, records.message_text(other)) == other
    assert written.read("unknown", records.message_text(message)) == message


def test_written_messages_keep_the_latest_few() -> None:
    _, message = _sent("hi", "41793026727", "InfoSMS", None, False)
    written = records.WrittenMessages(size=2)
    texts = {}
    for number in range(3):
        copy = dataclasses.replace(message, id=f"message-{number}")
        texts[copy.id] = written.dump(copy)
    assert list(written._kept) == ["message-1", "message-2"]
    assert written.read("message-0", texts["message-0"]).id == "message-0"  # parsed: forgotten


def test_messages_read_back_share_their_outcome() -> None:
    """Outcomes come from the few rules: every message read back with one holds the same object."""
    _, message = _sent("hi", "41793026727", "InfoSMS", None, False)
    first = records.load_message(records.message_text(message))
    second = records.load_message(records.message_text(dataclasses.replace(message, id="another")))
    assert first.outcome == message.outcome and first.outcome is second.outcome


_WORDS = vocabulary()
_CHANGES = st.lists(
    st.builds(
        StatusChange,
        st.datetimes(timezones=st.just(timezone.utc)),
        st.sampled_from(sorted(_WORDS.statuses.values(), key=lambda status: status.id)),
        st.sampled_from(sorted(_WORDS.errors.values(), key=lambda error: error.id)),
    ),
    max_size=6,
)


@given(changes=_CHANGES)
def test_a_history_kept_flat_reads_back_change_by_change(changes: list[StatusChange]) -> None:
    """`changes` holds the history flat; `history`, `each_change` and `record_change` agree with it."""
    _, message = _sent("Hi", "41793026727", "InfoSMS", None, False)
    message.history = changes
    assert message.history == tuple(changes)
    assert list(message.each_change()) == [(change.at, change.status, change.error) for change in changes]
    rebuilt = message.copy()
    rebuilt.changes = ()
    for change in changes:
        rebuilt.record_change(change.at, change.status, change.error)
    assert rebuilt == message and rebuilt.history == tuple(changes)
    assert records.decode_message(_through_json(records.encode_message(message))).history == message.history
