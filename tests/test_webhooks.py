"""Delivery-report and Number Context webhooks: valid bodies, retries with back-off, never blocking."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest
from servers import MockPerStore
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from smsmock.contracts.validation import validate
from smsmock.core.backend import NUMBER_CALLBACK_DELAY, RETRY_BACKOFF
from smsmock.server.config import MockConfig
from smsmock.server.thread import MockServer

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
AUTH = "Basic " + base64.b64encode(b"Aladdin:open sesame").decode("ascii")
ADVANCED = "/restapi/sms/1/text/advanced"

pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis, which keep the attempts and retries."""


@dataclass(frozen=True)
class Received:
    """One POST the receiver got."""

    path: str
    content_type: str
    body: bytes


class Receiver:
    """A client's callback server: records every POST, answers with the statuses it is given, then 200."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.delay = 0.0
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def reset(self, answers: list[int] | None = None, delay: float = 0.0) -> None:
        with self._lock:
            self.received.clear()
            self.answers = list(answers or [])
            self.delay = delay

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.received.append(
                Received(request.path, request.headers.get("Content-Type", ""), request.get_data())
            )
            status = self.answers.pop(0) if self.answers else 200
            delay = self.delay
        if delay:
            time.sleep(delay)  # a slow client server, not the test waiting for a status
        return Response(f"answered {status}", status=status)(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    """The module's receiver with nothing recorded, answering 200 at once."""
    receiver_server.reset()
    return receiver_server


@pytest.fixture(scope="module")
def servers() -> Iterator[MockPerStore]:
    with MockPerStore(lambda: MockConfig(clock_start=START, clock_frozen=True)) as running:
        yield running


@pytest.fixture
def mock(servers: MockPerStore, every_store: str) -> Iterator[MockServer]:
    """The module's mock on the store under test, reset, with its clock frozen at START; no callback
    left in flight after."""
    running = servers.reset(every_store)
    yield running
    assert running.app.webhooks.wait_idle(10)


def post(mock: MockServer, path: str, body: Any) -> tuple[int, Any, float]:
    """POST JSON with the default credentials; the status, the decoded reply and the seconds it took."""
    connection = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
    started = time.monotonic()
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": AUTH},
        )
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, json.loads(data), time.monotonic() - started


def get(mock: MockServer, path: str) -> Any:
    """GET with the default credentials, decoded."""
    connection = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": AUTH})
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        connection.close()


def send_notified(
    mock: MockServer, to: str, notify_url: str, content_type: str = "application/json", callback: str = "cb"
) -> str:
    """An advanced send with notifyUrl; the message id."""
    status, reply, _ = post(
        mock,
        ADVANCED,
        {
            "messages": [
                {
                    "from": "InfoSMS",
                    "destinations": [{"to": to}],
                    "text": "Your order has shipped",
                    "notifyUrl": notify_url,
                    "notifyContentType": content_type,
                    "callbackData": callback,
                }
            ]
        },
    )
    assert status == 200, reply
    return str(reply["messages"][0]["messageId"])


def inbox_page(mock: MockServer, message_id: str) -> str:
    """The inbox's page of one message, as a browser gets it."""
    connection = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
    try:
        connection.request("GET", f"/_smsmock/ui/messages/{message_id}")
        response = connection.getresponse()
        assert response.status == 200
        return response.read().decode("utf-8")
    finally:
        connection.close()


def advance(mock: MockServer, seconds: float) -> None:
    """Move the mock's clock and wait until the callbacks that fell due have been attempted."""
    mock.control.advance(seconds)
    assert mock.app.webhooks.wait_idle(10), "the webhook sender did not finish in time"


def closed_port_url() -> str:
    """A loopback URL nothing listens on: every POST to it fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/dlr"


# delivery reports


def test_a_delivery_report_is_posted_once_as_json(mock: MockServer, receiver: Receiver) -> None:
    message_id = send_notified(mock, "15550001001", f"{receiver.url}/dlr", callback="order=17")
    advance(mock, 0.5)
    assert receiver.received == [], "not before the rule's `after`"
    advance(mock, 0.5)
    assert len(receiver.received) == 1
    (posted,) = receiver.received
    assert posted.path == "/dlr"
    assert posted.content_type == "application/json"
    assert validate("shortlink", "dlr_callback", "request", posted.body, "application/json") == []
    (report,) = json.loads(posted.body)["results"]
    assert report["messageId"] == message_id
    assert report["callbackData"] == "order=17"
    assert report["status"]["name"] == "DELIVERED_TO_HANDSET"

    (attempt,) = mock.control.webhook_attempts(message_id)
    assert (attempt["attempt"], attempt["statusCode"], attempt["succeeded"]) == (1, 200, True)
    assert attempt["url"] == f"{receiver.url}/dlr"
    assert mock.control.message(message_id)["webhooks"] == [attempt]
    assert get(mock, f"/_smsmock/webhooks?messageId={message_id}") == [attempt]
    assert get(mock, "/restapi/sms/1/reports")["results"] == [], "a pushed report is not pulled as well"
    advance(mock, 600)
    assert len(receiver.received) == 1, "posted exactly once"


def test_a_delivery_report_is_posted_as_xml(mock: MockServer, receiver: Receiver) -> None:
    message_id = send_notified(
        mock, "15550001004", f"{receiver.url}/xml", "application/xml", callback="tag & <more>"
    )
    advance(mock, 2)
    (posted,) = receiver.received
    assert posted.content_type == "application/xml"
    assert posted.body.lstrip().startswith(b"<")
    assert validate("shortlink", "dlr_callback", "request", posted.body, "application/xml") == []
    text = posted.body.decode("utf-8")
    assert message_id in text
    assert "tag &amp; &lt;more&gt;" in text
    assert "EC_UNKNOWN_SUBSCRIBER" in text
    assert mock.control.webhook_attempts(message_id)[0]["contentType"] == "application/xml"


def test_a_failed_post_is_retried_with_back_off(mock: MockServer, receiver: Receiver) -> None:
    receiver.reset(answers=[500, 500])
    message_id = send_notified(mock, "15550001001", f"{receiver.url}/dlr")
    advance(mock, 1)
    assert len(receiver.received) == 1
    advance(mock, RETRY_BACKOFF[0] - 0.1)
    assert len(receiver.received) == 1, "the first retry waits its back-off"
    advance(mock, 0.1)
    assert len(receiver.received) == 2
    advance(mock, RETRY_BACKOFF[1] - 0.1)
    assert len(receiver.received) == 2
    advance(mock, 0.1)
    assert len(receiver.received) == 3
    attempts = mock.control.webhook_attempts(message_id)
    assert [(a["attempt"], a["statusCode"], a["succeeded"], a["reply"]) for a in attempts] == [
        (1, 500, False, "answered 500"),
        (2, 500, False, "answered 500"),
        (3, 200, True, "answered 200"),
    ]
    page = inbox_page(mock, message_id)
    assert page.count("answered 500") == 2 and "answered 200" in page, "the inbox shows each reply"
    moments = [datetime.fromisoformat(a["at"]).timestamp() - START.timestamp() for a in attempts]
    assert moments == pytest.approx([1, 1 + RETRY_BACKOFF[0], 1 + RETRY_BACKOFF[0] + RETRY_BACKOFF[1]])
    assert len({attempt.body for attempt in receiver.received}) == 1, "every attempt posts the same report"
    assert get(mock, "/restapi/sms/1/reports")["results"] == []
    advance(mock, sum(RETRY_BACKOFF))
    assert len(receiver.received) == 3, "no retry after a success"


def test_a_report_whose_every_post_fails_becomes_pullable(mock: MockServer) -> None:
    url = closed_port_url()
    message_id = send_notified(mock, "15550001003", url)
    advance(mock, 5)
    for backoff in RETRY_BACKOFF:
        assert get(mock, "/restapi/sms/1/reports")["results"] == [], "not pullable while retries remain"
        advance(mock, backoff)
    attempts = mock.control.webhook_attempts(message_id)
    assert [a["attempt"] for a in attempts] == list(range(1, len(RETRY_BACKOFF) + 2))
    assert all(a["statusCode"] is None and a["error"] for a in attempts)
    (report,) = get(mock, "/restapi/sms/1/reports")["results"]
    assert report["messageId"] == message_id
    assert report["status"]["name"] == "UNDELIVERABLE_NOT_DELIVERED"
    assert get(mock, "/restapi/sms/1/reports")["results"] == [], "and pulled once"
    advance(mock, 3600)
    assert len(mock.control.webhook_attempts(message_id)) == len(RETRY_BACKOFF) + 1, "then given up on"


def test_a_slow_receiver_never_blocks_requests(mock: MockServer, receiver: Receiver) -> None:
    receiver.reset(delay=2.0)
    message_id = send_notified(mock, "15550001001", f"{receiver.url}/slow")
    mock.control.advance(1)  # the callback falls due and the sender starts its 2 s POST
    started = time.monotonic()
    status, reply, seconds = post(
        mock, "/restapi/sms/1/text/single", {"from": "InfoSMS", "to": "15550001002", "text": "Meanwhile"}
    )
    assert status == 200, reply
    assert seconds < 1, f"a send took {seconds:.2f} s while a webhook was in flight"
    assert get(mock, "/_smsmock/health") == {"status": "ok"}
    mock.control.advance(1)
    assert time.monotonic() - started < 1, "neither control calls nor sends wait for the receiver"
    assert mock.app.webhooks.wait_idle(10)
    assert [a["succeeded"] for a in mock.control.webhook_attempts(message_id)] == [True]


# Number Context


def test_number_context_notify_posts_the_result(mock: MockServer, receiver: Receiver) -> None:
    status, ack, _ = post(
        mock,
        "/restapi/number/1/notify",
        {
            "to": ["41793026727", "385981234567"],
            "notifyUrl": f"{receiver.url}/nc",
            "notifyContentType": "application/json",
        },
    )
    assert status == 200, ack
    assert validate("shortlink", "number_notify", "response", json.dumps(ack), "application/json") == []
    assert [(entry["to"], entry["status"]["groupName"]) for entry in ack["ncResults"]] == [
        ("41793026727", "PENDING"),
        ("385981234567", "PENDING"),
    ]
    assert all(entry["messageId"] for entry in ack["ncResults"])
    advance(mock, NUMBER_CALLBACK_DELAY - 0.5)
    assert receiver.received == []
    advance(mock, 0.5)
    (posted,) = receiver.received
    assert posted.path == "/nc"
    assert validate("shortlink", "number_callback", "request", posted.body, "application/json") == []
    results = json.loads(posted.body)["ncResults"]
    assert [result["to"] for result in results] == ["41793026727", "385981234567"]
    assert results[0]["originalNetwork"]["countryPrefix"] == "41"
    assert [a["succeeded"] for a in mock.control.webhook_attempts()] == [True]


def test_number_context_notify_as_xml(mock: MockServer, receiver: Receiver) -> None:
    status, ack, _ = post(
        mock,
        "/restapi/number/1/notify",
        {"to": "41793026727", "notifyUrl": f"{receiver.url}/nc", "notifyContentType": "application/xml"},
    )
    assert status == 200, ack
    advance(mock, NUMBER_CALLBACK_DELAY)
    (posted,) = receiver.received
    assert posted.content_type == "application/xml"
    assert validate("shortlink", "number_callback", "request", posted.body, "application/xml") == []


@pytest.mark.parametrize(
    "url",
    ["http://\x14\x02)/dlr", "http://127.0.0.1:9/\x7f", "http://127.0.0.1:9/\x00"],
    ids=["control-characters-in-host", "delete-in-path", "nul-in-path"],
)
def test_a_notify_url_http_client_refuses_is_a_failed_attempt(mock: MockServer, url: str) -> None:
    # http.client refuses these before connecting (InvalidURL, not an OSError): the sender must record
    # a failed attempt and go on, not die with the report unrecorded.
    message_id = send_notified(mock, "15550001003", url)
    advance(mock, 5)
    for backoff in RETRY_BACKOFF:
        advance(mock, backoff)
    attempts = mock.control.webhook_attempts(message_id)
    assert [a["attempt"] for a in attempts] == list(range(1, len(RETRY_BACKOFF) + 2))
    assert all(a["statusCode"] is None and a["error"] for a in attempts)
    (report,) = get(mock, "/restapi/sms/1/reports")["results"]
    assert report["messageId"] == message_id, "the report is pullable once every attempt failed"
    later = send_notified(mock, "15550001001", closed_port_url())
    advance(mock, 1)
    assert mock.control.webhook_attempts(later), "the sender still works"
