"""Several `smsmock serve` processes on one Redis store behave as one mock.

Three processes share a Redis server: a message sent through one is listed by all, its report is read
exactly once through any of them, balances stay exact under concurrent sends, the clock set through
one moves all, and a webhook is sent once, not once per process.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from redis_server import RedisServer
from test_serve import served

MESSAGES = 10_000
BATCH = 100
"""Destinations per send: one request of shortlink's send_text_advanced."""
PULLERS = 8
AUTH = "Basic " + base64.b64encode(b"Aladdin:open sesame").decode()
_prefixes = itertools.count()


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": AUTH, "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def ports(redis_url: str) -> Iterator[list[int]]:
    """Three `smsmock serve` processes on one fresh Redis store."""
    store = f"{redis_url}?prefix=one-mock-{next(_prefixes)}:"
    with (
        served("--store", store, "--retain", "none", "--quiet") as (_, first),
        served("--store", store, "--retain", "none", "--quiet") as (_, second),
        served("--store", store, "--retain", "none", "--quiet") as (_, third),
    ):
        yield [first, second, third]


def send_batch(port: int, numbers: list[str], **extra: Any) -> list[dict[str, Any]]:
    body = {
        "messages": [{"from": "InfoSMS", "destinations": [{"to": n} for n in numbers], "text": "Hi", **extra}]
    }
    status, reply = call(port, "POST", "/restapi/sms/1/text/advanced", body)
    assert status == 200, reply
    return reply["messages"]


def test_three_processes_hand_out_every_report_exactly_once(ports: list[int]) -> None:
    assert call(ports[0], "POST", "/_smsmock/clock/freeze")[0] == 200
    numbers = [f"4179{n:07d}" for n in range(MESSAGES)]
    batches = [numbers[at : at + BATCH] for at in range(0, MESSAGES, BATCH)]
    with ThreadPoolExecutor(PULLERS) as pool:
        sent = pool.map(lambda job: send_batch(ports[job[0] % 3], job[1]), enumerate(batches))
        replies = [message for batch in sent for message in batch]
    ids = [message["messageId"] for message in replies]
    assert len(set(ids)) == MESSAGES, "ids never collide"
    assert {message["status"]["groupName"] for message in replies} == {"ACCEPTED"}

    for port in ports:
        status, accounts = call(port, "GET", "/_smsmock/accounts")
        assert accounts[0]["balance"] == 0, "100 EUR pays for exactly 10,000 messages at 0.01"
    (refused,) = send_batch(ports[1], ["41790000000"])
    assert refused["status"]["name"] == "REJECTED_NOT_ENOUGH_CREDITS"
    ids.append(refused["messageId"])  # a refusal is final at once: its report waits too

    status, moved = call(ports[2], "POST", "/_smsmock/clock/advance", {"seconds": 120})
    assert status == 200
    for port in ports:
        assert call(port, "GET", "/_smsmock/clock")[1] == {"now": moved["now"], "frozen": True}
        listed = call(port, "GET", "/_smsmock/messages?limit=1&status=DELIVERED")[1]
        assert listed["total"] == MESSAGES, "every process lists every message, delivered"

    pulled: Counter[str] = Counter()
    lock = threading.Lock()
    pulls = itertools.count()

    def pull() -> None:
        while True:
            port = ports[next(pulls) % 3]
            status, reply = call(port, "GET", "/restapi/sms/1/reports?limit=100")
            assert status == 200, reply
            if not reply["results"]:
                return
            with lock:
                pulled.update(report["messageId"] for report in reply["results"])

    with ThreadPoolExecutor(PULLERS) as pool:
        for done in [pool.submit(pull) for _ in range(PULLERS)]:
            done.result()
    assert [message_id for message_id, times in pulled.items() if times > 1] == [], "read once"
    assert set(pulled) == set(ids), "no report lost"


class _Receiver(BaseHTTPRequestHandler):
    received: Counter[str]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        for report in body["results"]:
            self.received[report["messageId"]] += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_a_webhook_is_sent_once_not_once_per_process(ports: list[int]) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), type("Receiver", (_Receiver,), {"received": Counter()}))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/dlr"
        call(ports[0], "POST", "/_smsmock/clock/freeze")
        sent = send_batch(ports[1], [f"4179{n:07d}" for n in range(50)], notifyUrl=url)
        call(ports[2], "POST", "/_smsmock/clock/advance", {"seconds": 120})
        # Every process's clock loop runs due events; each callback is popped, and posted, by one.
        ids = {message["messageId"] for message in sent}
        for port in itertools.cycle(ports):
            attempts = call(port, "GET", "/_smsmock/webhooks")[1]
            if {attempt["messageId"] for attempt in attempts} >= ids:
                break
        received = receiver.RequestHandlerClass.received  # type: ignore[attr-defined]
        assert set(received) == ids
        assert set(received.values()) == {1}, "each report is posted once"
        assert len(attempts) == len(ids)
    finally:
        receiver.shutdown()
        receiver.server_close()
