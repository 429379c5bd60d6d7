"""The control API under /_smsmock/, over HTTP with MockServer and through `server.control` in Python."""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
from servers import MockPerStore
from werkzeug.test import Client

from smsmock.contracts.validation import Severity, validate
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.control import ControlError
from smsmock.server.thread import MockServer

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
SINGLE = "/restapi/sms/1/text/single"
ADVANCED = "/restapi/sms/1/text/advanced"


def basic(username: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


ALADDIN = basic("Aladdin", "open sesame")


@dataclass
class Answer:
    """A reply as the client saw it, with how long it took."""

    status: int
    content_type: str
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    auth: str | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One HTTP exchange; `body` is sent as JSON, `raw` as is. Raises what the connection raises."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=10)
    sent_headers = dict(headers or {})
    if body is not None:
        raw = json.dumps(body).encode()
        sent_headers.setdefault("Content-Type", "application/json")
    if auth is not None:
        sent_headers["Authorization"] = auth
    started = time.monotonic()
    try:
        connection.request(method, path, body=raw, headers=sent_headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return Answer(response.status, response.getheader("Content-Type") or "", data, time.monotonic() - started)


pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis."""


@pytest.fixture(scope="module")
def servers() -> Iterator[MockPerStore]:
    """One running mock per store for the module (stopping a server takes half a second of polling)."""
    with MockPerStore(lambda: MockConfig(clock_start=START, clock_frozen=True)) as running:
        yield running


@pytest.fixture
def mock(servers: MockPerStore, every_store: str) -> MockServer:
    """The module's mock on the store under test, reset to its start state: no messages, clock frozen
    at START."""
    return servers.reset(every_store)


def control(
    mock: MockServer, method: str, path: str, body: Any = None, *, raw: bytes | None = None
) -> Answer:
    """A control API call under /_smsmock/."""
    return call(mock.url, method, f"/_smsmock/{path}", body, raw=raw)


def send_single(
    mock: MockServer, to: str, text: str = "Hello", *, auth: str = ALADDIN, **extra: Any
) -> Answer:
    """POST /restapi/sms/1/text/single as JSON."""
    return call(mock.url, "POST", SINGLE, {"from": "InfoSMS", "to": to, "text": text, **extra}, auth=auth)


def sent_id(answer: Answer) -> str:
    """The message id of a one-message send reply."""
    assert answer.status == 200, answer.body
    (message,) = answer.json()["messages"]
    return str(message["messageId"])


def test_health(mock: MockServer) -> None:
    answer = control(mock, "GET", "health")
    assert (answer.status, answer.json()) == (200, {"status": "ok"})
    assert answer.content_type.startswith("application/json")


def test_an_unknown_control_path_is_a_json_404(mock: MockServer) -> None:
    answer = control(mock, "GET", "nowhere")
    assert answer.status == 404
    assert "nowhere" in answer.json()["message"]


# messages


def test_messages_newest_first_with_filters(mock: MockServer) -> None:
    assert (
        control(mock, "POST", "accounts", {"name": "second", "username": "bob", "password": "pw"}).status
        == 200
    )
    first = sent_id(send_single(mock, "15550001001"))
    second = sent_id(send_single(mock, "15550001003"))
    mock.control.advance(0.5)
    third = sent_id(send_single(mock, "+15550001001", auth=basic("bob", "pw")))
    qikli = call(
        mock.url,
        "POST",
        "/sms/2/text/advanced",
        {"messages": [{"from": "InfoSMS", "destinations": [{"to": "15550001002"}], "text": "Hi"}]},
        auth=ALADDIN,
    )
    fourth = sent_id(qikli)

    listed = control(mock, "GET", "messages")
    assert listed.status == 200
    assert [entry["id"] for entry in listed.json()["items"]] == [fourth, third, second, first]
    assert (listed.json()["total"], listed.json()["nextCursor"]) == (4, None)

    def ids(query: str) -> list[str]:
        answer = control(mock, "GET", f"messages?{query}")
        assert answer.status == 200, answer.body
        page = answer.json()
        assert page["total"] == len(page["items"]) and page["nextCursor"] is None, page
        return [entry["id"] for entry in page["items"]]

    assert ids("dialect=qikli") == [fourth]
    assert ids("dialect=shortlink") == [third, second, first]
    assert ids("account=second") == [third]
    assert ids("account=default") == [fourth, second, first]
    assert ids("to=15550001001") == [third, first], "to is compared as normalised digits"
    assert ids("to=%2B15550001003") == [second]
    mock.control.advance(1)
    assert ids("status=DELIVERED") == [fourth, third, first], "a status group"
    assert ids("status=delivered_to_handset") == [third, first], "a status name, any case"
    assert ids("status=PENDING") == [second]
    assert ids("dialect=shortlink&status=DELIVERED&account=default") == [first]
    # the Python side offers the same
    assert [entry["id"] for entry in mock.control.messages(to="15550001003")] == [second]


def test_one_message_with_history_and_webhooks(mock: MockServer) -> None:
    message_id = sent_id(send_single(mock, "15550001004"))
    mock.control.advance(3)
    answer = control(mock, "GET", f"messages/{message_id}")
    assert answer.status == 200
    found = answer.json()
    assert found["id"] == message_id
    assert found["to"] == "15550001004"
    assert found["parts"] == 1
    assert (found["status"], found["error"]) == ("UNDELIVERABLE_NOT_DELIVERED", "EC_UNKNOWN_SUBSCRIBER")
    assert [change["status"] for change in found["history"]] == [
        "MESSAGE_ACCEPTED",
        "PENDING_ENROUTE",
        "UNDELIVERABLE_NOT_DELIVERED",
    ]
    assert found["webhooks"] == []
    assert found["outcome"]["rule"] == "unknown-subscriber"
    assert mock.control.message(message_id)["history"] == found["history"]


def test_an_unknown_message_is_404(mock: MockServer) -> None:
    answer = control(mock, "GET", "messages/no-such-id")
    assert answer.status == 404
    assert "no-such-id" in answer.json()["message"]
    with pytest.raises(ControlError) as raised:
        mock.control.message("no-such-id")
    assert raised.value.status == 404


# inbound


def test_injected_inbound_is_pulled_once_through_the_inbox(mock: MockServer) -> None:
    injected = control(
        mock, "POST", "inbound", {"from": "385951111111", "to": "4412345", "text": "KEY Hello there"}
    )
    assert injected.status == 200, injected.body
    assert (injected.json()["keyword"], injected.json()["cleanText"]) == ("KEY", "Hello there")
    pulled = call(mock.url, "GET", "/restapi/sms/1/inbox/reports", auth=ALADDIN)
    assert pulled.status == 200
    assert validate("shortlink", "get_inbox", "response", pulled.body, "application/json") == []
    (result,) = pulled.json()["results"]
    assert (result["from"], result["to"], result["text"]) == ("385951111111", "4412345", "KEY Hello there")
    assert result["messageId"] == injected.json()["id"]
    again = call(mock.url, "GET", "/restapi/sms/1/inbox/reports", auth=ALADDIN)
    assert again.json()["results"] == [], "an inbound message is pulled once"


def test_inbound_for_another_account_stays_there(mock: MockServer) -> None:
    mock.control.put_account({"name": "second", "username": "bob", "password": "pw"})
    mock.control.inject_inbound(sender="4470", to="4412", text="for bob", account="second")
    assert call(mock.url, "GET", "/restapi/sms/1/inbox/reports", auth=ALADDIN).json()["results"] == []
    pulled = call(mock.url, "GET", "/restapi/sms/1/inbox/reports", auth=basic("bob", "pw"))
    assert [result["text"] for result in pulled.json()["results"]] == ["for bob"]


# the clock


def test_advancing_the_clock_runs_what_falls_due(mock: MockServer) -> None:
    message_id = sent_id(send_single(mock, "15550001003"))
    early = control(mock, "POST", "clock/advance", {"seconds": 4.9})
    assert early.status == 200
    assert datetime.fromisoformat(early.json()["now"]) == START + timedelta(seconds=4.9)
    assert mock.control.message(message_id)["statusGroup"] == "PENDING"
    late = control(mock, "POST", "clock/advance", {"seconds": 0.1})
    assert late.json()["ran"] >= 1
    found = mock.control.message(message_id)
    assert (found["status"], found["error"]) == ("UNDELIVERABLE_NOT_DELIVERED", "EC_ABSENT_SUBSCRIBER")
    assert found["doneAt"].startswith("2030-01-01T12:00:05.000")


def test_the_clock_is_set_forward_only(mock: MockServer) -> None:
    later = (START + timedelta(hours=1)).isoformat()
    moved = control(mock, "POST", "clock/set", {"at": later})
    assert moved.status == 200
    assert datetime.fromisoformat(moved.json()["now"]) == START + timedelta(hours=1)
    assert moved.json()["frozen"] is True
    back = control(mock, "POST", "clock/set", {"at": START.isoformat()})
    assert back.status == 400
    assert "forward" in back.json()["message"]
    assert datetime.fromisoformat(control(mock, "GET", "clock").json()["now"]) == START + timedelta(hours=1)
    with pytest.raises(ControlError):
        mock.control.set_clock(at=START.isoformat())


def test_a_scheduled_send_waits_for_the_clock(mock: MockServer) -> None:
    body = {
        "messages": [
            {
                "from": "InfoSMS",
                "destinations": [{"to": "15550001001"}],
                "text": "Later",
                "sendAt": (START + timedelta(minutes=10)).isoformat(),
            }
        ]
    }
    message_id = sent_id(call(mock.url, "POST", ADVANCED, body, auth=ALADDIN))
    mock.control.advance(599)
    assert mock.control.message(message_id)["status"] == "MESSAGE_ACCEPTED"
    mock.control.advance(2)
    assert mock.control.message(message_id)["status"] == "DELIVERED_TO_HANDSET"


# the journal


def test_the_journal_shows_requests_and_replies_with_their_validation(mock: MockServer) -> None:
    assert send_single(mock, "15550001001").status == 200
    assert send_single(mock, "15550001001", colour="blue").status == 200
    mock.control.advance(2)
    assert call(mock.url, "GET", "/restapi/sms/1/reports", auth=ALADDIN).status == 200
    assert call(mock.url, "GET", "/restapi/sms/1/logs", auth=ALADDIN).status == 200
    assert call(mock.url, "GET", "/restapi/account/1/balance", auth=ALADDIN).status == 200
    assert call(mock.url, "GET", "/restapi/sms/1/reports", auth=basic("Aladdin", "wrong")).status == 401

    answer = control(mock, "GET", "journal")
    assert answer.status == 200
    assert (answer.json()["total"], answer.json()["nextCursor"]) == (6, None)
    entries = answer.json()["items"][::-1]  # newest first on the page
    assert entries == mock.control.journal(), "the Python method lists them oldest first"
    assert [entry["operation"] for entry in entries] == [
        "send_text_single",
        "send_text_single",
        "get_reports",
        "get_logs",
        "get_balance",
        "get_reports",
    ]
    valid, unknown_field = entries[0], entries[1]
    assert valid["request"]["violations"] == []
    assert [(v["severity"], v["location"]) for v in unknown_field["request"]["violations"]] == [
        (str(Severity.WARNING), "/colour")
    ]
    assert json.loads(unknown_field["request"]["body"])["colour"] == "blue"
    for entry in entries:
        assert entry["response"]["violations"] == [], (entry["operation"], entry["response"]["body"])
    assert entries[-1]["response"]["status"] == 401
    assert json.loads(entries[2]["response"]["body"])["results"], "the reports reply was journalled whole"
    assert [entry["operation"] for entry in mock.control.journal(operation="get_logs")] == ["get_logs"]
    two = control(mock, "GET", "journal?limit=2").json()
    assert [entry["operation"] for entry in two["items"]] == ["get_reports", "get_balance"]
    assert two["total"] == 6 and two["nextCursor"] is not None
    assert control(mock, "DELETE", "journal").status == 200
    assert control(mock, "GET", "journal").json() == {"items": [], "total": 0, "nextCursor": None}


# accounts and rules


def test_accounts_are_added_and_their_balance_set(mock: MockServer) -> None:
    added = control(
        mock, "POST", "accounts", {"name": "second", "username": "bob", "password": "pw", "balance": "1.5"}
    )
    assert added.status == 200
    assert added.json()["balance"] == 1.5
    assert {entry["name"] for entry in control(mock, "GET", "accounts").json()} == {"default", "second"}
    bob = basic("bob", "pw")
    balance = call(mock.url, "GET", "/restapi/account/1/balance", auth=bob)
    assert balance.json() == {"balance": 1.5, "currency": "EUR"}

    assert control(mock, "POST", "accounts/second/balance", {"balance": "0.005"}).status == 200
    reply = send_single(mock, "15550001001", auth=bob)
    assert reply.json()["messages"][0]["status"]["name"] == "REJECTED_NOT_ENOUGH_CREDITS"
    assert call(mock.url, "GET", "/restapi/account/1/balance", auth=bob).json()["balance"] == 0.005
    aladdin = call(mock.url, "GET", "/restapi/account/1/balance", auth=ALADDIN).json()
    assert aladdin["balance"] == 100, "the other account is untouched"
    assert control(mock, "POST", "accounts/nobody/balance", {"balance": 1}).status == 404


def test_rules_are_loaded_and_a_bad_rule_file_refused(mock: MockServer) -> None:
    loaded = control(
        mock,
        "POST",
        "rules",
        {
            "default": {"status": "DELIVERED_TO_OPERATOR", "after": 1},
            "rules": [{"name": "blocked", "to": "4470[0-9]*", "status": "REJECTED_DND"}],
            "replace": True,
        },
    )
    assert loaded.status == 200
    assert [entry["name"] for entry in loaded.json()] == ["blocked", "default"]
    assert send_single(mock, "447012345").json()["messages"][0]["status"]["name"] == "REJECTED_DND"
    other = sent_id(send_single(mock, "15550001001"))
    mock.control.advance(1)
    assert mock.control.message(other)["status"] == "DELIVERED_TO_OPERATOR", "the old rules are gone"

    bad = control(mock, "POST", "rules", {"default": {"status": "DELIVERED"}, "rules": []})
    assert bad.status == 400
    assert "DELIVERED" in bad.json()["message"]
    unknown = control(mock, "POST", "rules", {"default": {"status": "REJECTED_DND", "when": "always"}})
    assert unknown.status == 400
    assert "when" in unknown.json()["message"]
    regex = control(
        mock, "POST", "rules", {"default": {"status": "REJECTED_DND"}, "rules": [{"to": "(", "status": "5"}]}
    )
    assert regex.status == 400
    assert "rules[0]" in regex.json()["message"]
    assert [entry["name"] for entry in control(mock, "GET", "rules").json()] == ["blocked", "default"]


# faults


def test_a_status_fault_for_the_next_two_requests(mock: MockServer) -> None:
    fault = control(mock, "POST", "faults", {"path": SINGLE, "status": 503, "times": 2})
    assert fault.status == 200
    assert fault.json()["remaining"] == 2
    assert [send_single(mock, "15550001001").status for _ in range(3)] == [503, 503, 200]
    assert control(mock, "GET", "faults").json() == []
    assert call(mock.url, "GET", "/restapi/account/1/balance", auth=ALADDIN).status == 200


def test_a_delay_fault(mock: MockServer) -> None:
    control(mock, "POST", "faults", {"path": SINGLE, "delay": 0.2, "times": 1})
    slow = send_single(mock, "15550001001")
    assert slow.status == 200
    assert slow.seconds >= 0.2
    assert send_single(mock, "15550001001").status == 200


def test_a_malformed_fault(mock: MockServer) -> None:
    control(mock, "POST", "faults", {"operation": "send_text_single", "malformed": True, "times": 1})
    broken = send_single(mock, "15550001001")
    with pytest.raises(ValueError):
        json.loads(broken.body)
    assert send_single(mock, "15550001001").json()["messages"]


def test_a_drop_fault(mock: MockServer) -> None:
    control(mock, "POST", "faults", {"path": SINGLE, "drop": True, "times": 1})
    with pytest.raises((http.client.HTTPException, OSError)):
        send_single(mock, "15550001001")
    assert send_single(mock, "15550001001").status == 200, "the next request is served normally"


def test_faults_are_cleared_by_delete(mock: MockServer) -> None:
    first = control(mock, "POST", "faults", {"path": SINGLE, "status": 500}).json()
    control(mock, "POST", "faults", {"method": "GET", "status": 502})
    assert send_single(mock, "15550001001").status == 500
    assert send_single(mock, "15550001001").status == 500, "a fault without `times` stays"
    remaining = control(mock, "DELETE", f"faults/{first['id']}").json()["faults"]
    assert [fault["status"] for fault in remaining] == [502]
    assert send_single(mock, "15550001001").status == 200
    assert call(mock.url, "GET", "/restapi/account/1/balance", auth=ALADDIN).status == 502
    assert control(mock, "DELETE", "faults").json() == {"faults": []}
    assert call(mock.url, "GET", "/restapi/account/1/balance", auth=ALADDIN).status == 200
    assert control(mock, "GET", "health").status == 200, "faults never touch the control API"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"code": 1715}, "needs a dialect"),
        ({"dialect": "unified", "code": "1715"}, "whole number"),
        ({"dialect": "klingon", "code": 1}, "unknown dialect"),
        ({"dialect": "shortlink", "code": 500}, "no error code 500 to inject; its codes: 400, 401"),
        ({"dialect": "unified", "code": 1701}, "unified has no error code 1701"),
        ({"path": SINGLE}, "a fault needs one of"),
    ],
)
def test_a_fault_code_must_be_one_of_its_dialects_codes(mock: MockServer, spec: Any, reason: str) -> None:
    refused = control(mock, "POST", "faults", spec)
    assert refused.status == 400
    assert reason in refused.json()["message"]
    assert control(mock, "GET", "faults").json() == []


@pytest.mark.parametrize(("code", "message_id"), [(400, "BAD_REQUEST"), (401, "UNAUTHORIZED")])
def test_a_shortlink_code_fault_answers_the_familys_error(
    mock: MockServer, code: int, message_id: str
) -> None:
    mock.control.add_fault({"dialect": "shortlink", "code": code, "times": 1})
    refused = send_single(mock, "15550001001")
    assert refused.status == code
    assert refused.json()["requestError"]["serviceException"]["messageId"] == message_id
    assert validate("shortlink", "error", "response", refused.body, refused.content_type) == []
    assert mock.control.messages() == [], "a refused request sends nothing"
    assert send_single(mock, "15550001001").status == 200


# deleting a message


def test_deleting_a_message_keeps_it_listed_and_drops_its_report(mock: MockServer) -> None:
    message_id = sent_id(send_single(mock, "15550001001"))
    deleted = control(mock, "DELETE", f"messages/{message_id}")
    assert deleted.status == 200 and deleted.json()["deleted"] is True
    mock.control.advance(5)
    assert mock.control.message(message_id)["deleted"] is True
    reports = call(mock.url, "GET", "/restapi/sms/1/reports", auth=ALADDIN).json()["results"]
    assert reports == [], "the account holder deleted it: no report comes"
    missing = control(mock, "DELETE", "messages/no-such-id")
    assert missing.status == 404 and "no-such-id" in missing.json()["message"]


# reset


def test_reset_returns_to_the_start_state(mock: MockServer) -> None:
    sent_id(send_single(mock, "15550001001"))
    mock.control.put_account({"name": "second", "username": "bob", "password": "pw"})
    mock.control.set_balance("default", "3")
    mock.control.load_rules({"default": {"status": "REJECTED_DND"}})
    mock.control.add_fault({"path": "/restapi/account", "status": 500})
    mock.control.inject_inbound(sender="4470", to="4412", text="hi")
    mock.control.advance(3600)

    answer = control(mock, "POST", "reset")
    assert answer.status == 200
    assert control(mock, "GET", "messages").json() == {"items": [], "total": 0, "nextCursor": None}
    assert datetime.fromisoformat(control(mock, "GET", "clock").json()["now"]) == START
    assert [entry["name"] for entry in control(mock, "GET", "accounts").json()] == ["default"]
    assert control(mock, "GET", "faults").json() == []
    assert control(mock, "GET", "journal").json()["items"] == []
    balance = call(mock.url, "GET", "/restapi/account/1/balance", auth=ALADDIN)
    assert balance.json()["balance"] == 100
    assert call(mock.url, "GET", "/restapi/sms/1/inbox/reports", auth=ALADDIN).json()["results"] == []
    message_id = sent_id(send_single(mock, "15550001001"))
    mock.control.advance(1)
    assert mock.control.message(message_id)["status"] == "DELIVERED_TO_HANDSET", "the configured rules"


# bad control input


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [
        ("POST", "clock/advance", b"five seconds"),
        ("POST", "clock/advance", b"[1, 2]"),
        ("POST", "clock/advance", b'{"seconds": -1}'),
        ("POST", "clock/advance", b'{"seconds": "5"}'),
        ("POST", "clock/advance", b'{"seconds": NaN}'),
        ("POST", "clock/advance", b'{"seconds": Infinity}'),
        ("POST", "clock/advance", b'{"seconds": 1e300}'),
        ("POST", "clock/advance", b'{"seconds": 5, "minutes": 1}'),
        ("POST", "clock/set", b'{"at": "yesterday"}'),
        ("POST", "clock/set", b'{"when": "2031-01-01T00:00:00Z"}'),
        ("POST", "inbound", b'{"from": "4470", "to": "4412"}'),
        ("POST", "inbound", b'{"from": "4470", "to": "4412", "text": "x", "priority": 1}'),
        ("POST", "inbound", b'{"from": "4470", "to": "4412", "text": "x", "dialect": "nowhere"}'),
        ("POST", "inbound", b"{not json"),
        ("POST", "accounts", b'{"name": "x", "username": "y", "colour": "red"}'),
        ("POST", "accounts", b'{"name": "x", "username": "y", "balance": "lots"}'),
        ("POST", "accounts", b'{"name": "x", "username": "Aladdin"}'),
        ("POST", "accounts/default/balance", b'{"balance": "lots"}'),
        ("POST", "accounts/default/balance", b'{"balance": "NaN"}'),
        ("POST", "accounts/default/balance", b'{"balance": 1, "currency": "USD"}'),
        ("POST", "accounts/default/balance", b"{}"),
        ("POST", "rules", b'{"default": {"status": "DELIVERED_TO_HANDSET"}, "rules": "all"}'),
        ("POST", "rules", b'{"default": {"status": "DELIVERED_TO_HANDSET", "after": -3}}'),
        ("POST", "rules", b'{"default": {"status": "{status}"}}'),
        ("POST", "faults", b'{"path": "/x"}'),
        ("POST", "faults", b'{"status": 42}'),
        ("POST", "faults", b'{"delay": -1}'),
        ("POST", "faults", b'{"delay": "slow"}'),
        ("POST", "faults", b'{"status": 500, "times": 0}'),
        ("POST", "faults", b'{"status": 500, "path": "("}'),
        ("POST", "faults", b'{"status": 500, "colour": "red"}'),
        ("DELETE", "faults/first", b""),
        ("GET", "journal?limit=many", b""),
    ],
)
def test_bad_control_input_is_a_json_400(mock: MockServer, method: str, path: str, raw: bytes) -> None:
    answer = control(mock, method, path, raw=raw)
    assert answer.status == 400, (answer.status, answer.body)
    assert answer.content_type.startswith("application/json")
    assert answer.json()["message"], "the reply says what is wrong"
    assert control(mock, "GET", "health").status == 200


def test_bad_control_input_changes_nothing(mock: MockServer) -> None:
    control(mock, "POST", "clock/advance", raw=b'{"seconds": -10}')
    control(mock, "POST", "clock/advance", raw=b'{"seconds": NaN}')
    control(mock, "POST", "faults", raw=b'{"delay": -1}')
    assert datetime.fromisoformat(control(mock, "GET", "clock").json()["now"]) == START
    assert control(mock, "GET", "faults").json() == []
    assert send_single(mock, "15550001001").status == 200


def test_the_control_root_is_an_index_of_what_the_mock_serves() -> None:
    app = MockApp()
    index = Client(app).get("/_smsmock").json
    assert index["dialects"] == {
        name: url for name, url in app.base_urls("http://localhost").items() if name != "control"
    }
    assert index["inbox"] == "http://localhost/"
    listed = {(entry["method"], entry["path"]) for entry in index["control"]}
    assert {
        ("GET", "/_smsmock/messages"),
        ("POST", "/_smsmock/clock/advance"),
        ("POST", "/_smsmock/reset"),
    } <= listed
    for method, path in listed:
        if method == "GET" and "{id}" not in path and path != "/_smsmock/metrics":
            assert Client(app).get(path).status_code == 200, path
