"""Every record the mock keeps survives a trip through JSON unchanged, as stores outside the process need."""

from __future__ import annotations

import dataclasses
import json
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
from smsmock.core.messages import Message, WebhookAttempt
from smsmock.core.vocabulary import Error, Status
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
