"""Faults say what the provider did: a refusal stores and charges nothing, a lost reply follows work done."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from servers import MockPerStore

from smsmock.server import MockServer
from smsmock.server.config import MockConfig

SINGLE = "/restapi/sms/1/text/single"
AUTH = ("Aladdin", "open sesame")
TO = "41793026727"


pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis."""


@pytest.fixture(scope="module")
def servers() -> Iterator[MockPerStore]:
    with MockPerStore(MockConfig) as running:
        yield running


@pytest.fixture
def mock(servers: MockPerStore, every_store: str) -> MockServer:
    """The module's mock on the store under test, reset."""
    return servers.reset(every_store)


def send(mock: MockServer, message_id: str | None = None) -> requests.Response:
    body = {"from": "InfoSMS", "to": TO, "text": "Your code is 123456"}
    if message_id is not None:
        # Only the advanced API takes a client message id.
        advanced = {
            "messages": [
                {
                    "from": "InfoSMS",
                    "destinations": [{"to": TO, "messageId": message_id}],
                    "text": body["text"],
                }
            ]
        }
        return requests.post(f"{mock.url}/restapi/sms/1/text/advanced", json=advanced, auth=AUTH, timeout=10)
    return requests.post(f"{mock.url}{SINGLE}", json=body, auth=AUTH, timeout=10)


def send_with_retries(mock: MockServer, attempts: int = 3, message_id: str | None = None) -> int:
    """A client that retries on a server error or a lost connection, as most HTTP clients can be told to."""
    for _ in range(attempts):
        try:
            reply = send(mock, message_id)
        except requests.ConnectionError:
            continue
        if reply.status_code < 500:
            return reply.status_code
    return 0


def balance(mock: MockServer) -> Decimal:
    return mock.control.balance()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_client_that_retries_after_a_server_error_sends_exactly_one_message(
    mock: MockServer, status: int
) -> None:
    mock.control.add_fault({"path": SINGLE, "status": status, "times": 1})
    before = balance(mock)
    assert send_with_retries(mock) == 200
    sent = mock.control.messages(to=TO)
    assert len(sent) == 1
    assert balance(mock) == before - Decimal("0.01"), "only the message that went through is charged"


def test_a_refused_request_stores_charges_and_reports_nothing(mock: MockServer) -> None:
    mock.control.add_fault({"path": SINGLE, "status": 503, "times": 1})
    before = balance(mock)
    reply = send(mock)
    assert reply.status_code == 503
    assert "nothing was sent or charged" in reply.text
    assert mock.control.messages() == []
    assert balance(mock) == before
    mock.control.advance(3600)
    reports = requests.get(f"{mock.url}/restapi/sms/1/reports", auth=AUTH, timeout=10).json()
    assert reports["results"] == []


def test_a_retry_after_a_refusal_is_a_first_attempt_not_a_duplicate(mock: MockServer) -> None:
    mock.control.add_fault({"operation": "send_text_advanced", "status": 503, "times": 1})
    assert send_with_retries(mock, message_id="order-42") == 200
    (message,) = mock.control.messages(to=TO)
    assert message["status"] != "REJECTED_DUPLICATE_MESSAGE_ID"
    assert message["id"] == "order-42"


def test_a_client_that_retries_blindly_after_a_dropped_reply_is_caught_sending_twice(
    mock: MockServer,
) -> None:
    mock.control.add_fault({"path": SINGLE, "drop": True, "times": 1})
    before = balance(mock)
    assert send_with_retries(mock) == 200
    assert len(mock.control.messages(to=TO)) == 2, "the dropped reply's message was sent and charged too"
    assert balance(mock) == before - Decimal("0.02")


def test_a_client_message_id_makes_the_retry_after_a_lost_reply_safe(mock: MockServer) -> None:
    mock.control.add_fault({"operation": "send_text_advanced", "malformed": True, "times": 1})
    first = send(mock, message_id="order-7")
    assert first.status_code == 200
    with pytest.raises(ValueError):
        first.json()  # the reply came back cut in half
    retry = send(mock, message_id="order-7")
    assert retry.json()["messages"][0]["status"]["name"] == "REJECTED_DUPLICATE_MESSAGE_ID"
    statuses = sorted(message["status"] for message in mock.control.messages(to=TO))
    assert statuses == ["PENDING_ENROUTE", "REJECTED_DUPLICATE_MESSAGE_ID"], "sent once, the retry refused"


@pytest.mark.parametrize(
    ("spec", "stored"),
    [
        ({"status": 503, "processed": True}, 1),
        ({"drop": True, "processed": False}, 0),
        ({"malformed": True, "processed": False}, 0),
        ({"dialect": "shortlink", "code": 401, "processed": True}, 1),
        ({"dialect": "shortlink", "code": 401}, 0),
        ({"delay": 0.01}, 1),
    ],
)
def test_processed_chooses_the_other_case(mock: MockServer, spec: dict, stored: int) -> None:
    mock.control.add_fault({"operation": "send_text_single", "times": 1, **spec})
    with contextlib.suppress(requests.ConnectionError):
        send(mock)
    assert len(mock.control.messages()) == stored


def test_the_defaults_are_listed_with_the_fault(mock: MockServer) -> None:
    refusal = mock.control.add_fault({"status": 503})
    lost = mock.control.add_fault({"drop": True})
    slow = mock.control.add_fault({"delay": 1})
    assert (refusal["processed"], lost["processed"], slow["processed"]) == (False, True, True)


def test_processed_must_be_a_boolean(mock: MockServer) -> None:
    reply = requests.post(f"{mock.url}/_smsmock/faults", json={"status": 503, "processed": "yes"}, timeout=10)
    assert reply.status_code == 400
    assert "processed must be true or false" in reply.json()["message"]


def test_the_journal_names_the_fault_that_shaped_a_reply(mock: MockServer) -> None:
    fault = mock.control.add_fault({"path": SINGLE, "status": 503, "times": 1})
    send(mock)
    (entry,) = mock.app.journal.entries()
    assert entry.status == 503
    assert entry.fault is not None and entry.fault["id"] == fault["id"]
    assert entry.fault["processed"] is False
    assert entry.message_ids == ()


QUICKTEL_SEND = (
    '<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_send">'
    '<xml_user lgn="Aladdin" pwd="open sesame"/>'
    '<sms sms_id="1" number="79031234567" source_number="InfoSMS">hi</sms></xml_request>'
)


def quicktel_status(mock: MockServer, push_id: str) -> requests.Response:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_status2">'
        f'<xml_user lgn="Aladdin" pwd="open sesame"/><sms push_id="{push_id}"/></xml_request>'
    )
    return requests.post(
        f"{mock.url}/quicktel/xml", data=xml, headers={"Content-Type": "application/xml"}, timeout=10
    )


@pytest.mark.parametrize("target", ["sms_status2", "sms_send"])
def test_a_quicktel_fault_targets_the_operation_its_request_names(mock: MockServer, target: str) -> None:
    """Both operations share one path: the fault matches on <xml_request name>, not on the path."""
    mock.control.add_fault({"dialect": "quicktel", "operation": target, "code": -2001, "times": 1})
    sent = requests.post(
        f"{mock.url}/quicktel/xml",
        data=QUICKTEL_SEND,
        headers={"Content-Type": "application/xml"},
        timeout=10,
    )
    push_id = None if 'res="-2001"' in sent.text else sent.text.split('push_id="')[1].split('"')[0]
    assert (push_id is None) == (target == "sms_send"), sent.text
    if push_id is not None:
        assert 'res="-2001"' in quicktel_status(mock, push_id).text, "the status query met the fault"
        assert 'res="-2001"' not in quicktel_status(mock, push_id).text, "used once"
