"""The unified dialect as a client sees it: query or form parameters in, `code|destination|id` lines out.

Requests go through werkzeug's test client and, for a representative subset, over real HTTP to a
`MockServer`, on each store (memory, SQLite, Redis). The clock is frozen: a test moves it with
`control.advance()` and never sleeps.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import MockPerStore
from transports import LOOPBACK, Exchanged, over_http, over_wsgi
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from smsmock import strategies
from smsmock.contracts.catalog import code_tables, errata, examples
from smsmock.contracts.validation import Severity, Violation, errors, validate
from smsmock.core.accounts import DEFAULT_ACCOUNTS
from smsmock.core.vocabulary import vocabulary
from smsmock.dialects.unified import DUPLICATE_WINDOW, Unified
from smsmock.encoding import default_charset
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.thread import MockServer

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
SUBMIT = "/bulksms/bulksms"
SCHEDULE = "/bulksms/schedulemsg"
FORM = "application/x-www-form-urlencoded"
SWISS = "41793026727"
"""A plain number: delivered three seconds after it is sent."""
DELIVERED = "15550001001"
ABSENT = "15550001003"
DND = "15550001005"
NO_CREDIT = "15550001007"
EXPLICIT_DND, SPAM, TEMPLATE = "15550001015", "15550001016", "15550001017"
VALID = {
    "username": "Aladdin",
    "password": "open sesame",
    "type": "0",
    "dlr": "0",
    "destination": SWISS,
    "source": "InfoSMS",
    "message": "Hello",
}
WHEN = {"date": "01/02/2030", "time": "09:30 am", "gmt": "GMT +1:30"}
"""08:00 UTC on 2 January 2030, twenty hours after START."""
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

TABLES = code_tables("unified")
CHECKS = [(row["check"], row["code"]) for row in TABLES["request_checks_own"].rows]
CHECK_CODE = dict(CHECKS)
SCOPES = {row["code"]: row["scope"] for row in TABLES["error_scopes_own"].rows}
REJECTION_CODES = {row["status"]: row["code"] for row in TABLES["rejection_codes_own"].rows}
FAULT_CODES = sorted(row["code"] for row in TABLES["error_codes"].rows if not row["success"])

pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis, in process and over HTTP alike."""

PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# replies


@dataclass(frozen=True)
class Answer:
    """One reply as the client saw it."""

    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def lines(self) -> list[list[str]]:
        """Each line split into its fields."""
        return [line.split("|") for line in self.text.split("\n")]

    @property
    def codes(self) -> list[int]:
        return [int(fields[0]) for fields in self.lines]


# transports


class Transport:
    """A client of one mock; every reply is checked against the contract of what the request was."""

    name = ""

    def __init__(self, app: MockApp) -> None:
        self.app = app
        self.control = app.control

    def exchange(
        self, method: str, path: str, query: str, body: bytes, content_type: str | None, address: str
    ) -> Answer:
        raise NotImplementedError

    def request(
        self,
        query: str = "",
        *,
        path: str = SUBMIT,
        method: str = "GET",
        body: bytes = b"",
        content_type: str | None = None,
        address: str = "127.0.0.1",
    ) -> Answer:
        answer = self.exchange(method, path, query, body, content_type, address)
        assert_valid_reply(self.app, answer)
        return answer

    def send(self, *, path: str = SUBMIT, form: bool = False, **params: str) -> Answer:
        """VALID with `params` over it, percent-encoded the way browsers and `requests` do it."""
        query = urlencode({**VALID, **params})
        if form:
            return self.request(path=path, method="POST", body=query.encode(), content_type=FORM)
        return self.request(query, path=path)

    def messages(self) -> list[dict[str, Any]]:
        return self.control.messages(dialect="unified")

    def message(self, message_id: str) -> dict[str, Any]:
        return self.control.message(message_id)

    def last_exchange(self) -> Any:
        return self.app.journal.entries()[-1]


class WsgiTransport(Transport):
    name = "wsgi"

    def __init__(self, app: MockApp) -> None:
        super().__init__(app)
        self.client = Client(app)

    def exchange(
        self, method: str, path: str, query: str, body: bytes, content_type: str | None, address: str
    ) -> Answer:
        return _answer(
            over_wsgi(
                self.client, method, path, query=query, body=body, content_type=content_type, address=address
            )
        )


class HttpTransport(Transport):
    name = "http"

    def __init__(self, server: MockServer) -> None:
        super().__init__(server.app)
        self.server = server

    def exchange(
        self, method: str, path: str, query: str, body: bytes, content_type: str | None, address: str
    ) -> Answer:
        assert address == LOOPBACK, "over a real socket the client is the loopback address"
        return _answer(
            over_http(self.server.port, method, path, query=query, body=body, content_type=content_type)
        )


def _answer(reply: Exchanged) -> Answer:
    return Answer(reply.status, reply.content_type, reply.body)


def assert_valid_reply(app: MockApp, answer: Answer) -> None:
    """A 200 in plain text whose body follows the reply contract of what the request turned out to be."""
    assert answer.status == 200, answer
    assert answer.content_type.startswith("text/plain"), answer
    exchange = app.journal.entries()[-1]
    assert exchange.operation in ("submit", "schedule")
    found = errors(validate("unified", exchange.operation, "response", answer.body, answer.content_type))
    assert found == [], f"{answer.body!r} breaks the {exchange.operation} reply contract: {found}"
    assert errors(exchange.response_violations) == []


def fresh_app(**config: Any) -> MockApp:
    return MockApp(MockConfig(clock_start=START, clock_frozen=True, **config))


def account(**fields: Any) -> dict[str, Any]:
    """The documents' default account with `fields` changed."""
    return {**DEFAULT_ACCOUNTS[0], **fields}


@pytest.fixture(scope="module")
def servers() -> Iterator[MockPerStore]:
    """One running mock per store for the module."""
    with MockPerStore(lambda: MockConfig(clock_start=START, clock_frozen=True)) as running:
        yield running


@pytest.fixture
def server(servers: MockPerStore, every_store: str) -> MockServer:
    """The module's running mock on the store under test, reset."""
    return servers.reset(every_store)


@pytest.fixture(params=["wsgi", "http"])
def mock(request: pytest.FixtureRequest) -> Transport:
    """A fresh mock with a frozen clock on the store under test, in-process or over a real socket."""
    if request.param == "wsgi":
        return WsgiTransport(fresh_app())
    return HttpTransport(request.getfixturevalue("server"))


@pytest.fixture
def wsgi() -> WsgiTransport:
    return WsgiTransport(fresh_app())


def request_violations(mock: Transport) -> list[Violation]:
    return mock.last_exchange().request_violations


def sent_id(answer: Answer, destination: str = SWISS) -> str:
    """The message id of a one-line success reply for `destination`."""
    ((code, to, message_id),) = answer.lines
    assert (code, to) == ("1701", destination), answer
    assert UUID.fullmatch(message_id), answer
    return message_id


def ucs2_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


# routes and documented examples


def test_each_path_and_method_is_routed_once() -> None:
    routes = [
        (path, method, operation) for path, methods, operation in Unified().routes() for method in methods
    ]
    assert len({(path, method) for path, method, _ in routes}) == len(routes)
    assert {(path, operation) for path, _, operation in routes} == {
        (SUBMIT, "submit"),
        (SCHEDULE, "schedule"),
    }
    assert {method for _, method, _ in routes} == {"GET", "POST"}


def _example_requests() -> list[Any]:
    return [
        pytest.param(example, id=example["id"])
        for example in examples("unified")
        if example["direction"] == "request"
    ]


@pytest.mark.parametrize("example", _example_requests())
def test_documented_example_requests_get_1704_in_a_valid_reply(
    mock: Transport, example: dict[str, Any]
) -> None:
    """The examples carry placeholders (type=Y): erratum unified-placeholder-values says 1704."""
    answer = mock.request(example["query"], path=example["path"], method=example["method"])
    assert answer.text == "1704"
    assert example["erratum"] in errata()
    exchange = mock.last_exchange()
    assert exchange.operation == example["operation"]
    broken = {(violation.location, violation.keyword) for violation in errors(exchange.request_violations)}
    expected = example["expected_violation"]
    assert (expected["location"], expected["reason"]) in broken
    assert mock.messages() == []


def test_the_php_curl_example_with_real_values_is_sent_and_its_ip_ignored(mock: Transport) -> None:
    answer = mock.send(ip="x")
    sent_id(answer)
    assert errors(request_violations(mock)) == []


# success and multiple destinations


def test_a_valid_request_sends_one_message(mock: Transport) -> None:
    message_id = sent_id(mock.send())
    (message,) = mock.messages()
    assert (message["id"], message["to"], message["from"], message["text"]) == (
        message_id,
        SWISS,
        "InfoSMS",
        "Hello",
    )
    assert message["options"]["type"] == 0 and message["options"]["flash"] is False
    assert request_violations(mock) == []


def test_one_line_per_destination_in_request_order(mock: Transport) -> None:
    destinations = [SWISS, "+385981234567", "12ab", DND, "", "+" + DELIVERED]
    answer = mock.send(destination=",".join(destinations))
    assert [fields[1] for fields in answer.lines] == destinations
    assert answer.codes == [1701, 1701, CHECK_CODE["destination"], 1732, CHECK_CODE["destination"], 1701]
    ids = [fields[2] for fields in answer.lines if fields[0] == "1701"]
    assert len(set(ids)) == 3 and all(UUID.fullmatch(item) for item in ids)
    assert all(fields[2] == "" for fields in answer.lines if fields[0] != "1701")
    assert not answer.text.endswith("\n")
    stored = {message["id"]: message for message in mock.messages()}
    assert all(stored[item]["status"] == "PENDING_ENROUTE" for item in ids)
    assert sorted(message["status"] for message in stored.values() if message["id"] not in ids) == [
        "REJECTED_DESTINATION",
        "REJECTED_DESTINATION",
        "REJECTED_DND",
    ]


def test_an_echoed_destination_never_breaks_a_line(wsgi: WsgiTransport) -> None:
    answer = wsgi.send(destination=f"{SWISS},1|2,3\r\n4")
    assert answer.lines == [
        ["1701", SWISS, answer.lines[0][2]],
        ["1706", "1%7C2", ""],
        ["1706", "3%0D%0A4", ""],
    ]


@PROPERTY
@given(
    destinations=st.lists(
        st.one_of(
            st.from_regex(r"\+?41[0-9]{7,11}", fullmatch=True),
            # Not a number: the outcome rules never come into it.
            st.text(st.characters(codec="utf-8", exclude_characters=","), max_size=8).filter(
                lambda item: not re.fullmatch(r"\+?[0-9]+", item)
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_every_destination_gets_its_line(destinations: list[str]) -> None:
    mock = WsgiTransport(fresh_app())
    answer = mock.send(destination=",".join(destinations))
    if "" in destinations and len(destinations) == 1:
        assert answer.text == str(CHECK_CODE["parameters"])
        return
    assert len(answer.lines) == len(destinations)
    valid = re.compile(r"\+?[0-9]{1,15}")
    seen: set[str] = set()
    for destination, (code, echoed, message_id) in zip(destinations, answer.lines, strict=True):
        digits = destination.lstrip("+")
        if not valid.fullmatch(destination):
            assert code == str(CHECK_CODE["destination"])
            assert echoed == re.sub(r"[|\r\n]", lambda found: f"%{ord(found.group()):02X}", destination)
        elif digits in seen:
            assert code == "1041", "the same text to the same number twice in one request"
        else:
            assert (code, echoed) == ("1701", destination) and UUID.fullmatch(message_id)
        if valid.fullmatch(destination):
            seen.add(digits)


# request-level errors


def _broken_requests() -> list[Any]:
    cases = [pytest.param({name: None}, "parameters", id=f"missing-{name}") for name in VALID]
    cases += [pytest.param({name: ""}, "parameters", id=f"blank-{name}") for name in VALID]
    cases += [
        pytest.param({"username": "Ala\x01ddin"}, "username", id="username-control-character"),
        pytest.param({"password": "open\nsesame"}, "password", id="password-line-break"),
        pytest.param({"password": "open sesame!"}, "credentials", id="wrong-password"),
        pytest.param({"username": "aladdin"}, "credentials", id="username-is-case-sensitive"),
        pytest.param({"type": "8"}, "type", id="type-8"),
        pytest.param({"type": "3"}, "type", id="type-3-reserved"),
        pytest.param({"type": "0 "}, "type", id="type-with-space"),
        pytest.param({"dlr": "2"}, "dlr", id="dlr-2"),
        pytest.param({"dlr": "yes"}, "dlr", id="dlr-yes"),
        pytest.param({"source": "1" * 19}, "source", id="numeric-source-19-digits"),
        pytest.param({"source": "CompanyName"}, None, id="alphanumeric-source-11-characters"),
        pytest.param({"source": "CompanyName1"}, "source", id="alphanumeric-source-12-characters"),
        pytest.param({"source": "Info SMS"}, "source", id="source-with-space"),
        pytest.param({"source": "InfoSMS\n"}, "source", id="source-with-trailing-line-break"),
        pytest.param({"source": "+" + "1" * 18}, None, id="numeric-source-with-plus"),
        pytest.param({"message": "a" * (255 * 153 + 1)}, "message", id="message-over-255-parts"),
        pytest.param({"type": "2", "message": "D800"}, "message", id="lone-surrogate-hex"),
        pytest.param({**WHEN, "date": "02/30/2030"}, "date", id="february-30"),
        pytest.param({**WHEN, "date": "2030-01-02"}, "date", id="iso-date"),
        pytest.param({**WHEN, "date": "12/31/9999"}, "date", id="end-of-the-calendar"),
        pytest.param({**WHEN, "time": "13:30 pm"}, "time", id="hour-13"),
        pytest.param({**WHEN, "time": "9:30 am"}, "time", id="one-digit-hour"),
        pytest.param({**WHEN, "time": "09:30 AM"}, "time", id="upper-case-am"),
        pytest.param({**WHEN, "gmt": "GMT +13:00"}, "gmt", id="offset-13"),
        pytest.param({**WHEN, "gmt": "+5:45"}, "gmt", id="offset-45-minutes"),
        pytest.param({**WHEN, "gmt": ""}, "parameters", id="blank-gmt"),
        pytest.param({"date": "01/02/2030"}, "parameters", id="date-without-time-and-gmt"),
    ]
    return cases


@pytest.mark.parametrize(("params", "check"), _broken_requests())
def test_a_broken_request_gets_its_code_and_sends_nothing(
    wsgi: WsgiTransport, params: dict[str, str | None], check: str | None
) -> None:
    wanted = {name: value for name, value in {**VALID, **params}.items() if value is not None}
    answer = wsgi.request(urlencode(wanted))
    if check is None:
        sent_id(answer)
        return
    assert answer.text == str(CHECK_CODE[check])
    assert wsgi.messages() == []
    if check != "credentials" and params.get("type") != "3":
        # The journal says why (type 3 passes the contract: errata unified-type-3-reserved).
        assert errors(request_violations(wsgi))


def test_request_level_errors_over_http(mock: Transport) -> None:
    assert mock.send(type="3").text == "1704"
    assert mock.send(password="sesame").text == "1709"
    assert mock.request(urlencode(VALID).replace("source=InfoSMS", "source=+41791234567")).text == "1707"
    assert mock.messages() == []


def test_a_parameter_given_twice_is_an_invalid_url(wsgi: WsgiTransport) -> None:
    assert wsgi.request(urlencode(VALID) + "&type=1").text == "1702"
    assert wsgi.request(urlencode(VALID) + "&Message=Hi").text == "1702", "message under two spellings"
    assert wsgi.request(urlencode(VALID) + "&ip=1&ip=2").text == "1702"
    assert wsgi.messages() == []


def test_parameter_names_are_read_as_the_contract_reads_them(wsgi: WsgiTransport) -> None:
    spelled = {("Message" if name == "message" else name): value for name, value in VALID.items()}
    sent_id(wsgi.request(urlencode(spelled)))
    assert [violation.severity for violation in request_violations(wsgi)] == [Severity.WARNING]


_BREAKERS: dict[str, tuple[dict[str, str], str]] = {
    # check: (parameters that break it, raw query text appended)
    "parameters": ({}, "&ip=1&ip=2"),
    "username": ({"username": "Ala\x7fddin"}, ""),
    "password": ({"password": "\x00"}, ""),
    "type": ({"type": "9"}, ""),
    "dlr": ({"dlr": "2"}, ""),
    "source": ({"source": "ThisIsTooLong"}, ""),
    "message": ({"message": None}, "&message=caf%E9"),  # ISO-8859-1 octets with type 0
    "credentials": ({"password": "wrong"}, ""),
    "destination": ({"destination": "12ab"}, ""),
}
_ADDRESSES = {"address:denied": "192.0.2.7", "address:not_allowed": "203.0.113.9"}


@PROPERTY
@given(
    broken=st.sets(st.sampled_from(sorted(_BREAKERS))),
    address=st.sampled_from([None, *sorted(_ADDRESSES)]),
    scheduled=st.booleans(),
)
def test_the_first_failing_check_of_the_table_answers(
    broken: set[str], address: str | None, scheduled: bool
) -> None:
    """errata unified-check-order: the request_checks_own rows in order; the first failing one answers."""
    guarded = account(denied_ips=["192.0.2.0/24"], allowed_ips=["192.0.2.0/24", "198.51.100.0/24"])
    mock = WsgiTransport(fresh_app(accounts=[guarded]))
    params: dict[str, str | None] = {**VALID, **(WHEN if scheduled else {})}
    raw = ""
    # Latest check first, so that where two breakers set one parameter the earlier check's value stays.
    for check in sorted(broken, key=list(CHECK_CODE).index, reverse=True):
        changes, appended = _BREAKERS[check]
        params.update(changes)
        raw += appended
    query = urlencode({name: value for name, value in params.items() if value is not None}) + raw
    answer = mock.request(query, address=_ADDRESSES.get(address or "", "198.51.100.4"))
    failing = broken | ({address} if address else set())
    expected = next((code for check, code in CHECKS if check in failing), 1701)
    assert answer.codes[0] == expected, (failing, answer)
    if SCOPES[expected] == "request":
        assert answer.text == str(expected) and mock.messages() == []


@pytest.mark.parametrize(
    ("denied", "allowed", "address", "code"),
    [
        (["192.0.2.7"], [], "192.0.2.7", 16),
        (["192.0.2.0/24"], ["192.0.2.0/24"], "192.0.2.7", 16),
        ([], ["10.0.0.0/8"], "192.0.2.7", 18),
        ([], ["10.0.0.0/8"], "10.1.2.3", 1701),
        (["::1"], [], "192.0.2.7", 1701),
    ],
)
def test_ip_lists_refuse_the_request(denied: list[str], allowed: list[str], address: str, code: int) -> None:
    mock = WsgiTransport(fresh_app(accounts=[account(denied_ips=denied, allowed_ips=allowed)]))
    answer = mock.request(urlencode(VALID), address=address)
    assert answer.codes == [code]
    assert len(mock.messages()) == (code == 1701)
    assert mock.request(urlencode({**VALID, "password": "x"}), address=address).text == "1709"


def test_ip_lists_over_http(server: MockServer) -> None:
    mock = HttpTransport(server)
    server.control.put_account(account(denied_ips=["127.0.0.1"]))
    assert mock.send().text == "16"
    server.control.put_account(account(allowed_ips=["10.0.0.0/8"]))
    assert mock.send().text == "18"
    assert mock.send(ip="10.0.0.1").text == "18", "the ip parameter is not the client's address"
    server.control.put_account(account(allowed_ips=["127.0.0.0/8"]))
    sent_id(mock.send())


# per-destination errors


@pytest.mark.parametrize(
    ("destination", "code"),
    [(DND, 1732), (EXPLICIT_DND, 1042), (SPAM, 1028), (TEMPLATE, 1033), (NO_CREDIT, 1725)],
)
def test_outcome_rules_refuse_one_destination_and_the_others_go(
    mock: Transport, destination: str, code: int
) -> None:
    answer = mock.send(destination=f"{SWISS},{destination}")
    assert answer.codes == [1701, code]
    assert answer.lines[1] == [str(code), destination, ""]
    statuses = {message["to"]: message["status"] for message in mock.messages()}
    assert statuses[SWISS] == "PENDING_ENROUTE" and statuses[destination].startswith("REJECTED_")


def _rejected_statuses() -> list[Any]:
    return [
        pytest.param(status, id=status.name)
        for status in vocabulary().statuses.values()
        if status.group_name == "REJECTED"
    ]


@pytest.mark.parametrize("status", _rejected_statuses())
def test_every_rejected_status_has_a_destination_scoped_code(wsgi: WsgiTransport, status: Any) -> None:
    """The any-status rule (155500030NN) reaches every status; the table answers each rejection."""
    code = REJECTION_CODES[status.name]
    assert SCOPES[code] == "destination"
    destination = f"155500030{status.id:02d}"
    answer = wsgi.send(destination=f"{destination},{SWISS}")
    assert answer.codes == [code, 1701]


def test_a_rule_on_the_text_refuses_with_its_own_code(wsgi: WsgiTransport) -> None:
    wsgi.control.load_rules(
        {
            "default": {"status": "DELIVERED_TO_HANDSET"},
            "rules": [
                {
                    "name": "spam-words",
                    "text": "(?i)free money",
                    "dialect": "unified",
                    "code": 1028,
                    "status": "REJECTED_FLOODING_FILTER",
                }
            ],
        }
    )
    assert wsgi.send(message="FREE MONEY for you", destination=f"{SWISS},{DELIVERED}").codes == [1028, 1028]
    sent_id(wsgi.send(message="Your code is 1234"))


def test_credit_runs_out_part_way(mock: Transport) -> None:
    mock.control.set_balance("default", "0.02")
    answer = mock.send(destination=f"{SWISS},{DELIVERED},385981234567")
    assert answer.codes == [1701, 1701, 1725]
    assert mock.control.accounts()[0]["balance"] == 0
    assert mock.send(message="Another").codes == [1725]


def test_a_long_message_costs_each_of_its_parts(wsgi: WsgiTransport) -> None:
    wsgi.control.set_balance("default", "0.03")
    assert wsgi.send(message="a" * 161, destination=f"{SWISS},{DELIVERED}").codes == [1701, 1725]


# duplicates


@PROPERTY
@given(
    later=st.integers(0, 4 * int(DUPLICATE_WINDOW.total_seconds())).map(lambda halves: halves / 2),
    plus=st.booleans(),
    same_text=st.booleans(),
    same_source=st.booleans(),
)
def test_a_duplicate_within_the_window_is_refused(
    later: float, plus: bool, same_text: bool, same_source: bool
) -> None:
    """errata unified-duplicate-message: same account, source, number and text within the window."""
    mock = WsgiTransport(fresh_app())
    sent_id(mock.send(message="Your code is 1234"))
    mock.control.advance(later)
    again = {
        "destination": ("+" if plus else "") + SWISS,
        "message": "Your code is 1234" if same_text else "Your code is 5678",
        "source": "InfoSMS" if same_source else "Bank",
    }
    answer = mock.send(**again)
    duplicate = same_text and same_source and later < DUPLICATE_WINDOW.total_seconds()
    assert answer.codes == [1041 if duplicate else 1701]
    if duplicate:
        assert answer.lines == [["1041", again["destination"], ""]]
        assert mock.messages()[0]["status"] == "REJECTED_DUPLICATE_MESSAGE_ID"


def test_a_refused_message_is_not_the_original_of_a_duplicate(mock: Transport) -> None:
    mock.control.set_balance("default", "0")
    assert mock.send().codes == [1725]
    mock.control.set_balance("default", "1")
    sent_id(mock.send())
    assert mock.send().codes == [1041], "the second accepted copy is the duplicate"


# faults


@pytest.mark.parametrize("code", FAULT_CODES)
def test_an_injected_code_answers_in_the_shape_of_its_scope(wsgi: WsgiTransport, code: int) -> None:
    wsgi.control.add_fault({"dialect": "unified", "code": code, "times": 1})
    answer = wsgi.send(destination=f"{SWISS},+{DELIVERED}")
    if SCOPES[code] == "request":
        assert answer.text == str(code)
    else:
        assert answer.lines == [[str(code), SWISS, ""], [str(code), f"+{DELIVERED}", ""]]
    assert wsgi.messages() == []
    sent_id(wsgi.send(), destination=SWISS)


@pytest.mark.parametrize("code", [1710, 1715, 69, 8])
def test_internal_errors_and_timeouts_over_http(mock: Transport, code: int) -> None:
    mock.control.add_fault({"dialect": "unified", "code": code, "times": 1})
    answer = mock.send(**WHEN, path=SCHEDULE)
    assert answer.codes == [code]
    assert mock.last_exchange().operation == "schedule"
    assert mock.messages() == []


def test_a_destination_scoped_fault_without_destinations_is_the_bare_code(wsgi: WsgiTransport) -> None:
    wsgi.control.add_fault({"dialect": "unified", "code": 1715})
    assert wsgi.request("username=Aladdin").text == "1715"


# lifecycles


def test_a_message_is_delivered_after_three_seconds(mock: Transport) -> None:
    message_id = sent_id(mock.send())
    assert mock.message(message_id)["status"] == "PENDING_ENROUTE"
    mock.control.advance(2.9)
    assert mock.message(message_id)["status"] == "PENDING_ENROUTE"
    mock.control.advance(0.1)
    delivered = mock.message(message_id)
    assert delivered["status"] == "DELIVERED_TO_HANDSET"
    assert [change["status"] for change in delivered["history"]] == [
        "MESSAGE_ACCEPTED",
        "PENDING_ENROUTE",
        "DELIVERED_TO_HANDSET",
    ]


def test_an_absent_subscriber_is_undeliverable_after_five_seconds(mock: Transport) -> None:
    message_id = sent_id(mock.send(destination=ABSENT), destination=ABSENT)
    mock.control.advance(4.5)
    assert mock.message(message_id)["status"] == "PENDING_ENROUTE"
    mock.control.advance(0.5)
    found = mock.message(message_id)
    assert (found["status"], found["error"]) == ("UNDELIVERABLE_NOT_DELIVERED", "EC_ABSENT_SUBSCRIBER")


# percent-encoding and texts


EDGE_TEXTS = [
    "1+1=2",
    "fish & chips",
    "100% sure",
    "<b>bold</b>",
    "\"double\" and 'single' quotes",
    "a\r\nb",
    "#hash?query=1;x",
    "Grüße €",
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
@pytest.mark.parametrize("how", ["get", "get-with-%20", "form"])
def test_url_encoding_edge_cases_arrive_intact(mock: Transport, text: str, how: str) -> None:
    if how == "form":
        answer = mock.send(message=text, form=True)
    else:
        quoting = quote if how == "get-with-%20" else quote_plus
        answer = mock.request(urlencode({**VALID, "message": text}, quote_via=quoting))
    assert mock.message(sent_id(answer))["text"] == text


@pytest.mark.parametrize("text", ["Привет, мир", "日本語のテキスト", "😀 👍🎉", "Ελληνικά"])
def test_non_latin_text_and_emoji_as_hex_ucs2(mock: Transport, text: str) -> None:
    message = mock.message(sent_id(mock.send(type="2", message=ucs2_hex(text))))
    assert (message["text"], message["encoding"]) == (text, "UCS2")
    assert errors(request_violations(mock)) == []


@PROPERTY
@given(text=strategies.sms_texts(max_size=200).filter(bool), form=st.booleans(), plus=st.booleans())
def test_the_stored_text_is_what_the_client_meant(text: str, form: bool, plus: bool) -> None:
    """GSM texts as type 0, the others as hex UCS-2 with type 2; encoded as forms and `requests` do."""
    mock = WsgiTransport(fresh_app())
    gsm = default_charset().represents(text)
    params = {**VALID, "type": "0" if gsm else "2", "message": text if gsm else ucs2_hex(text)}
    query = urlencode(params, quote_via=quote_plus if plus else quote)
    if form:
        answer = mock.request(method="POST", body=query.encode(), content_type=FORM)
    else:
        answer = mock.request(query)
    assert mock.message(sent_id(answer))["text"] == text
    assert errors(request_violations(mock)) == []


@PROPERTY
@given(text=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60))
def test_a_raw_plus_is_a_space_and_an_encoded_one_a_plus(text: str) -> None:
    """A query built by hand, percent-encoding all but `+`: the mock reads `+` as a space."""
    mock = WsgiTransport(fresh_app())
    raw = quote(text, safe="+")
    answer = mock.request(urlencode({**VALID, "message": "x"}).replace("message=x", f"message={raw}"))
    stored = mock.message(sent_id(answer))["text"]
    assert stored == text.replace("+", " ")


def test_a_raw_plus_in_source_or_gmt_is_refused(mock: Transport) -> None:
    base = urlencode({**VALID, "source": "41791234567"})
    assert mock.request(base.replace("source=41791234567", "source=+41791234567")).text == "1707"
    assert mock.request(base.replace("source=41791234567", "source=%2B41791234567")).codes == [1701]
    assert mock.messages()[0]["from"] == "+41791234567"
    scheduled = urlencode({**VALID, **WHEN, "message": "Later"})
    assert mock.request(scheduled.replace("GMT+%2B1", "GMT+1")).text == "1702", "GMT 1:30 after decoding"
    violations = errors(request_violations(mock))
    assert [(violation.location, violation.keyword) for violation in violations] == [("gmt", "pattern")]
    assert mock.request(scheduled).codes == [1701], "GMT+%2B1:30 is `GMT +1:30`"


def test_a_raw_plus_in_the_password_is_a_space(wsgi: WsgiTransport) -> None:
    query = urlencode(VALID)
    assert "password=open+sesame" in query
    sent_id(wsgi.request(query))
    assert wsgi.request(query.replace("open+sesame", "open%2Bsesame"), path=SUBMIT).text == "1709"


def test_a_form_body_wins_over_the_query(mock: Transport) -> None:
    body = urlencode({"message": "from the body", "destination": DELIVERED}).encode()
    answer = mock.request(urlencode(VALID), method="POST", body=body, content_type=FORM)
    assert mock.message(sent_id(answer, DELIVERED))["text"] == "from the body"


def test_a_body_that_is_no_form_is_ignored(wsgi: WsgiTransport) -> None:
    body = json.dumps({"message": "not read"}).encode()
    answer = wsgi.request(urlencode(VALID), method="POST", body=body, content_type="application/json")
    assert wsgi.message(sent_id(answer))["text"] == "Hello"


# message types


@pytest.mark.parametrize(
    ("kind", "text", "mismatch"),
    [
        ("0", "Hello € [world]", False),
        ("0", "Привет", True),
        ("1", "naïve", True),
        ("4", "http://wap.example/a?b=1", False),
        ("5", "café, crème brûlée", False),
        ("5", "5 €", True),
        ("7", "Ω", True),
        ("2", ucs2_hex("Привет"), False),
    ],
)
def test_characters_outside_the_types_alphabet_are_recorded_and_still_sent(
    mock: Transport, kind: str, text: str, mismatch: bool
) -> None:
    message_id = sent_id(mock.send(type=kind, message=text))
    assert mock.message(message_id)["status"] == "PENDING_ENROUTE"
    found = [violation for violation in errors(request_violations(mock)) if violation.keyword == "alphabet"]
    assert bool(found) == mismatch, found
    if mismatch:
        (violation,) = found
        assert violation.location == "message"
        assert violation.section.startswith("Unified Communications API § ") and "type" in violation.section
        journal = mock.control.journal(dialect="unified")[-1]
        assert [item["keyword"] for item in journal["request"]["violations"]] == ["alphabet"]


@PROPERTY
@given(
    text=strategies.gsm_texts(min_size=1, max_size=100),
    intruder=strategies.non_gsm_chars(),
    position=st.integers(0, 100),
)
def test_type_0_records_every_text_gsm_cannot_carry(text: str, intruder: str, position: int) -> None:
    mock = WsgiTransport(fresh_app())
    sent_id(mock.send(message=text))
    assert errors(request_violations(mock)) == []
    mixed = text[:position] + intruder + text[position:]
    sent_id(mock.send(message=mixed, destination=DELIVERED), DELIVERED)
    (violation,) = errors(request_violations(mock))
    assert (violation.location, violation.keyword, json.loads(violation.found)) == (
        "message",
        "alphabet",
        intruder,
    )


@pytest.mark.parametrize(
    ("kind", "flash"),
    [("0", False), ("1", True), ("2", False), ("4", False), ("5", False), ("6", True), ("7", True)],
)
def test_flash_types_are_flagged(wsgi: WsgiTransport, kind: str, flash: bool) -> None:
    message = wsgi.message(sent_id(wsgi.send(type=kind, message="0048006900210021")))
    assert message["options"]["flash"] is flash
    assert message["options"]["type"] == int(kind)


@pytest.mark.parametrize(
    ("kind", "message", "parts"),
    [
        ("0", "a" * 160, 1),
        ("0", "a" * 161, 2),
        ("0", "a" * 306, 2),
        ("0", "a" * 307, 3),
        ("1", "a" * 140, 1),
        ("1", "a" * 141, 2),
        ("5", "é" * 160, 1),
        ("2", "0041" * 70, 1),
        ("2", "0041" * 71, 2),
        ("6", ucs2_hex("😀" * 35), 1),
        ("6", ucs2_hex("😀" * 36), 2),
    ],
)
def test_parts_follow_the_types_capacity(wsgi: WsgiTransport, kind: str, message: str, parts: int) -> None:
    """errata unified-unicode-counted-ucs2: types 2 and 6 count UTF-16 units even for ASCII text."""
    assert wsgi.message(sent_id(wsgi.send(type=kind, message=message)))["parts"] == parts


def test_unicode_types_read_hex_and_tolerate_plain_text(mock: Transport) -> None:
    hexed = mock.message(sent_id(mock.send(type="6", message="0048006900210021")))
    assert hexed["text"] == "Hi!!" and hexed["encoding"] == "UCS2"
    assert (
        mock.message(sent_id(mock.send(type="2", message="d83dde00", destination=DELIVERED), DELIVERED))[
            "text"
        ]
        == "😀"
    )
    plain = mock.message(sent_id(mock.send(type="2", message="Hello there", destination=ABSENT), ABSENT))
    assert plain["text"] == "Hello there"
    (warning,) = request_violations(mock)
    assert (warning.severity, warning.location) == (Severity.WARNING, "message")


def test_iso_8859_1_octets_are_tolerated_for_types_5_and_7_only(mock: Transport) -> None:
    latin = urlencode({**VALID, "type": "5", "message": "x"}).replace("message=x", "message=caf%E9")
    assert mock.message(sent_id(mock.request(latin)))["text"] == "café"
    (warning,) = request_violations(mock)
    assert (warning.severity, warning.keyword) == (Severity.WARNING, "encoding")
    assert mock.request(latin.replace("type=5", "type=0")).text == "1705"
    assert [violation.location for violation in errors(request_violations(mock))] == ["message"]


# scheduling


def test_a_scheduled_message_waits_for_its_time(mock: Transport) -> None:
    message_id = sent_id(mock.send(**WHEN, path=SCHEDULE))
    assert mock.last_exchange().operation == "schedule"
    waiting = mock.message(message_id)
    assert (waiting["status"], waiting["sendAt"], waiting["sentAt"]) == (
        "MESSAGE_ACCEPTED",
        "2030-01-02T08:00:00.000+00:00",
        None,
    )
    mock.control.advance(20 * 3600 - 1)
    assert mock.message(message_id)["sentAt"] is None
    mock.control.advance(1)
    assert mock.message(message_id)["sentAt"] == "2030-01-02T08:00:00.000+00:00"
    mock.control.advance(3)
    assert mock.message(message_id)["status"] == "DELIVERED_TO_HANDSET"


def test_date_time_or_gmt_on_the_submit_path_schedules(mock: Transport) -> None:
    message_id = sent_id(mock.send(**WHEN))
    exchange = mock.last_exchange()
    assert (exchange.operation, exchange.reply_operation) == ("schedule", "schedule")
    assert mock.message(message_id)["status"] == "MESSAGE_ACCEPTED"
    assert mock.send(date="01/02/2030", destination=DELIVERED).text == "1702", "time and gmt are missing"


def test_a_time_already_past_is_sent_at_once(wsgi: WsgiTransport) -> None:
    message_id = sent_id(wsgi.send(date="03/03/2018", time="03:45 am", gmt="-10:00", path=SCHEDULE))
    found = wsgi.message(message_id)
    assert (found["status"], found["sendAt"]) == ("PENDING_ENROUTE", None)


@pytest.mark.parametrize(
    ("time", "utc_hour"),
    [("12:15 am", 0), ("00:15 am", 0), ("12:15 pm", 12), ("00:15 pm", 12), ("11:15 pm", 23)],
)
def test_twelve_and_zero_o_clock_start_their_half_day(wsgi: WsgiTransport, time: str, utc_hour: int) -> None:
    """errata unified-schedule-time-hours."""
    message_id = sent_id(wsgi.send(date="06/15/2030", time=time, gmt="+0:00", path=SCHEDULE))
    assert wsgi.message(message_id)["sendAt"] == f"2030-06-15T{utc_hour:02d}:15:00.000+00:00"


_OFFSETS = list(range(-12 * 60, 12 * 60 + 1, 30))
"""Every offset the document admits, in minutes east of UTC."""


@PROPERTY
@given(
    minutes_ahead=st.integers(min_value=1, max_value=60 * 24 * 400),
    offset=st.sampled_from(_OFFSETS),
    prefixed=st.booleans(),
    padded=st.booleans(),
    midnight_as_zero=st.booleans(),
)
def test_the_send_time_is_local_time_minus_the_offset(
    minutes_ahead: int, offset: int, prefixed: bool, padded: bool, midnight_as_zero: bool
) -> None:
    mock = WsgiTransport(fresh_app())
    target = START + timedelta(minutes=minutes_ahead)
    local = target + timedelta(minutes=offset)
    hour = local.hour % 12 or (0 if midnight_as_zero else 12)
    hours, minutes = divmod(abs(offset), 60)
    sign, hour_digits = "-" if offset < 0 else "+", f"{hours:02d}" if padded else str(hours)
    gmt = f"{sign}{hour_digits}:{minutes:02d}"
    schedule = {
        "date": local.strftime("%m/%d/%Y"),
        "time": f"{hour:02d}:{local.minute:02d} {'pm' if local.hour >= 12 else 'am'}",
        "gmt": f"GMT {gmt}" if prefixed else gmt,
    }
    message_id = sent_id(mock.send(**schedule, path=SCHEDULE))
    assert mock.message(message_id)["sendAt"] == target.isoformat(timespec="milliseconds")
    mock.control.advance((target - START).total_seconds() - 1)
    assert mock.message(message_id)["status"] == "MESSAGE_ACCEPTED"
    mock.control.advance(1)
    assert mock.message(message_id)["sentAt"] == target.isoformat(timespec="milliseconds")


# delivery reports pushed to report_url


@dataclass(frozen=True)
class Received:
    path: str
    content_type: str
    body: bytes


class Receiver:
    """The client's report server on an ephemeral port: records every POST and answers 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.received.append(Received(request.path, request.content_type or "", request.get_data()))
        return Response("ok")(environ, start_response)

    def reports(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(item.body) for item in self.received]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def advance(server: MockServer, seconds: float) -> None:
    """Move the clock and wait until the callbacks that fell due have been attempted."""
    server.control.advance(seconds)
    assert server.app.webhooks.wait_idle(10)


def test_dlr_1_posts_each_final_status_to_the_report_url(server: MockServer, receiver: Receiver) -> None:
    server.control.put_account(account(report_url=f"{receiver.url}/reports"))
    mock = HttpTransport(server)
    answer = mock.send(dlr="1", destination=f"+{DELIVERED},{DND}")
    assert answer.codes == [1701, 1732]
    message_id = answer.lines[0][2]
    advance(server, 0)
    (refused,) = receiver.reports()
    assert (refused["destination"], refused["code"], refused["status"]) == (DND, 1732, "REJECTED")
    advance(server, 1)
    assert len(receiver.received) == 2
    for posted in receiver.received:
        assert posted.path == "/reports" and posted.content_type == "application/json"
        assert validate("unified", "dlr_callback", "request", posted.body, posted.content_type) == []
    delivered = receiver.reports()[1]
    assert delivered == {
        "message_id": message_id,
        "destination": f"+{DELIVERED}",
        "source": "InfoSMS",
        "code": 1701,
        "status": "DELIVERED",
        "detail": "DELIVERED_TO_HANDSET",
        "error": "NO_ERROR",
        "parts": 1,
        "submitted_at": "2030-01-01T12:00:00.000Z",
        "done_at": "2030-01-01T12:00:01.000Z",
    }
    (attempt,) = server.control.webhook_attempts(message_id)
    assert attempt["succeeded"] and attempt["url"] == f"{receiver.url}/reports"


def test_dlr_0_posts_nothing(server: MockServer, receiver: Receiver) -> None:
    server.control.put_account(account(report_url=f"{receiver.url}/reports"))
    sent_id(HttpTransport(server).send(destination=DELIVERED), DELIVERED)
    advance(server, 5)
    assert receiver.received == []


def test_a_scheduled_report_comes_after_its_send_time(server: MockServer, receiver: Receiver) -> None:
    server.control.put_account(account(report_url=f"{receiver.url}/r"))
    message_id = sent_id(HttpTransport(server).send(dlr="1", destination=ABSENT, **WHEN), ABSENT)
    advance(server, 20 * 3600 + 4)
    assert receiver.received == []
    advance(server, 1)
    (report,) = receiver.reports()
    assert (report["message_id"], report["status"], report["error"]) == (
        message_id,
        "UNDELIVERABLE",
        "EC_ABSENT_SUBSCRIBER",
    )


# never a server error


_PARAMETER_NAMES = [*VALID, *WHEN, "ip", "Message", "type[]", "junk"]


@settings(max_examples=60, deadline=None)
@given(
    params=st.dictionaries(
        st.sampled_from(_PARAMETER_NAMES),
        st.one_of(st.text(max_size=20), st.sampled_from(["0", "1", "2", "3", SWISS, "%FF", "D800"])),
    ),
    path=st.sampled_from([SUBMIT, SCHEDULE]),
)
def test_any_parameters_get_a_valid_reply(params: dict[str, str], path: str) -> None:
    mock = WsgiTransport(fresh_app())
    answer = mock.request(urlencode({**VALID, **params}), path=path)
    assert answer.codes


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=80), form=st.booleans())
def test_any_bytes_get_a_valid_reply(raw: bytes, form: bool) -> None:
    mock = WsgiTransport(fresh_app())
    if form:
        mock.request(urlencode(VALID), method="POST", body=raw, content_type=FORM)
    else:
        mock.request(quote(raw, safe="=&+%"))


# the decisions behind the behaviour


def test_the_decisions_are_recorded() -> None:
    recorded = set(errata())
    assert {
        "unified-check-order",
        "unified-repeated-parameter",
        "unified-credentials-malformed",
        "unified-message-invalid",
        "unified-type-alphabet-mismatch",
        "unified-duplicate-message",
        "unified-rejection-codes",
        "unified-dlr-callback",
        "unified-form-and-query",
        "unified-destination-echo",
        "unified-pattern-line-break",
        "unified-injected-codes",
        "unified-unicode-counted-ucs2",
    } <= recorded
    assert (
        code_tables("unified")["request_checks_own"].own and code_tables("unified")["rejection_codes_own"].own
    )
    rejected = {status.name for status in vocabulary().statuses.values() if status.group_name == "REJECTED"}
    assert set(REJECTION_CODES) == rejected
    assert CHECK_CODE["destination"] == REJECTION_CODES["REJECTED_DESTINATION"]
    table_codes = {row["code"] for row in TABLES["error_codes"].rows}
    assert set(CHECK_CODE.values()) <= table_codes and set(REJECTION_CODES.values()) <= table_codes
