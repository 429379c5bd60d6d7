"""The shortlink and qikli dialects as a client sees them: over werkzeug's test client and over real HTTP.

Every test runs twice, once through `werkzeug.test.Client(MockApp())` and once against a `MockServer`
on a real socket, each on every store (memory, SQLite, Redis). The clock is frozen: a test moves it
with `control.advance()` and never sleeps.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import urlencode
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import MockPerStore
from transports import documented_requests, over_http, over_wsgi
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Response

from smsmock import strategies
from smsmock.contracts.catalog import errata, operations
from smsmock.contracts.validation import errors, validate
from smsmock.encoding import measure, transliterate
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.control import Control
from smsmock.server.thread import MockServer
from smsmock.verify.bodies import FAMILY_XML_WRAPPED

DIALECTS = ("shortlink", "qikli")
AUTHORIZATION = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
"""The documents' own credentials, Aladdin / open sesame."""
JSON = "application/json"
XML = "application/xml"
DOCUMENTED_HOSTS = {"shortlink": "api.shortlink.ma", "qikli": "api.sms.qikli.com"}
"""The Host of each document's raw examples; the mock ignores it (errata shortlink-host-mismatch)."""

SWISS = "41793026727"
"""The documents' own number: Swisscom, mcc/mnc 22801."""
CROATIAN = "385981234567"
ABSENT = "15550001003"
DND = "15550001005"
NEVER_DELIVERED = "15550001006"
PORTED = "15550001012"
ROAMING = "15550001013"

ACCEPTED = {
    "shortlink": (0, "MESSAGE_ACCEPTED", 0, "ACCEPTED"),
    "qikli": (26, "MESSAGE_ACCEPTED", 1, "PENDING"),
}
"""(id, name, groupId, groupName) of an accepted send in each dialect (errata qikli-status-26-...)."""
OK_SPELLING = {"shortlink": "OK", "qikli": "Ok"}
"""The error group 0 name in each dialect's reports (errata qikli-error-group-ok)."""

pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis, in process and over HTTP alike."""

TURKISH_EXAMPLE = (
    "Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz."
)
"""The advanced API example's text: `ı` forces UCS-2 unless it is transliterated or shifted."""


# replies


class Answer(NamedTuple):
    """One HTTP reply: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def media(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        assert self.media == JSON, f"expected a JSON reply, got {self.content_type!r}: {self.body[:300]!r}"
        return json.loads(self.body)

    def xml(self) -> ElementTree.Element:
        assert self.media == XML, f"expected an XML reply, got {self.content_type!r}: {self.body[:300]!r}"
        return ElementTree.fromstring(self.body)

    def data(self) -> Any:
        """The body as JSON-like data, whichever format it came in."""
        return xml_data(self.xml()) if self.media == XML else self.json()

    def service_exception(self) -> dict[str, str]:
        """messageId and text of an error reply, JSON or XML."""
        if self.media == XML:
            found = self.xml().find("serviceException")
            assert found is not None, self.body
            return {child.tag: child.text or "" for child in found}
        return self.json()["requestError"]["serviceException"]


def xml_data(element: ElementTree.Element) -> Any:
    """An element as data: leaves become text, repeated children lists (a test's own reading)."""
    children = list(element)
    if not children:
        return element.text or ""
    grouped: dict[str, list[Any]] = {}
    for child in children:
        grouped.setdefault(child.tag, []).append(xml_data(child))
    return {tag: items[0] if len(items) == 1 else items for tag, items in grouped.items()}


def leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Every (path, text) leaf of a body, list wrappers collapsed, so JSON and XML compare equal."""
    if isinstance(value, Mapping):
        found = []
        for key, item in value.items():
            step = path if path and path[-1] == key else (*path, key)
            found.extend(leaves(item, step))
        return found
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item, path)]
    if value is None:
        return []
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return [("/".join(path), text)]


def assert_valid(dialect: str, operation: str, answer: Answer, context: str = "") -> None:
    """The reply follows its contract: `operation`'s for a 200, the dialect's error contract otherwise."""
    assert answer.status < 500, f"{context}: a server error {answer.status}: {answer.body[:500]!r}"
    contract = operation if answer.status == 200 else "error"
    found = errors(validate(dialect, contract, "response", answer.body, answer.content_type))
    assert found == [], (
        f"{context}: the {answer.status} {answer.content_type} reply breaks the {dialect} {contract} "
        f"response contract:\n  " + "\n  ".join(map(str, found)) + f"\nbody: {answer.body[:800]!r}"
    )


def path_of(dialect: str, operation: str) -> str:
    return operations(dialect)[operation].paths[0]


def xml_request(payload: Mapping[str, Any], wrapped: Sequence[str], root: str = "request") -> bytes:
    """An XML request body: a list in `wrapped` nests (<to><to>1</to></to>), any other list repeats."""
    parts: list[str] = []

    def element(key: str, item: Any) -> None:
        if isinstance(item, Mapping):
            parts.append(f"<{key}>")
            fields(item)
            parts.append(f"</{key}>")
        elif isinstance(item, bool):
            parts.append(f"<{key}>{'true' if item else 'false'}</{key}>")
        else:
            parts.append(f"<{key}>{escape(str(item))}</{key}>")

    def fields(value: Mapping[str, Any]) -> None:
        for key, item in value.items():
            if isinstance(item, list):
                if key in wrapped:
                    parts.append(f"<{key}>")
                for entry in item:
                    element(key, entry)
                if key in wrapped:
                    parts.append(f"</{key}>")
            else:
                element(key, item)

    element(root, payload)
    return "".join(parts).encode()


# transports


class Transport:
    """A small client of one fresh mock; `post`/`get` are raw, `call` is an authenticated API call."""

    name = ""

    def __init__(self, app: MockApp) -> None:
        self.app = app

    @property
    def control(self) -> Control:
        return self.app.control

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        query: str | Mapping[str, Any] | None = None,
    ) -> Answer:
        raise NotImplementedError

    def post(self, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None) -> Answer:
        return self.request("POST", path, body, headers)

    def get(
        self,
        path: str,
        query: str | Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        return self.request("GET", path, b"", headers, query)

    def call(
        self,
        dialect: str,
        operation: str,
        payload: Mapping[str, Any] | None = None,
        *,
        query: str | Mapping[str, Any] | None = None,
        wire: str = "json",
        accept: str | None = JSON,
        status: int = 200,
    ) -> Answer:
        """One authenticated API call; asserts the status and that the reply follows its contract."""
        headers = {"Authorization": AUTHORIZATION}
        if accept:
            headers["Accept"] = accept
        body = b""
        if payload is not None:
            if wire == "json":
                body, headers["Content-Type"] = json.dumps(payload).encode(), JSON
            else:
                body, headers["Content-Type"] = xml_request(payload, FAMILY_XML_WRAPPED[operation]), XML
        method = "POST" if payload is not None else "GET"
        answer = self.request(method, path_of(dialect, operation), body, headers, query)
        assert answer.status == status, f"{dialect} {operation}: expected {status}, got {answer}"
        assert_valid(dialect, operation, answer, f"{dialect} {operation} over {self.name}")
        return answer

    def api(
        self, dialect: str, operation: str, payload: Mapping[str, Any] | None = None, **query: Any
    ) -> Any:
        """An API call in JSON whose 200 reply is returned decoded."""
        return self.call(dialect, operation, payload, query=query or None).json()


def _query_string(query: str | Mapping[str, Any] | None) -> str:
    if not query:
        return ""
    return query if isinstance(query, str) else urlencode(query, doseq=True)


class WsgiTransport(Transport):
    name = "wsgi"

    def __init__(self, app: MockApp) -> None:
        super().__init__(app)
        self.client = Client(app)

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        query: str | Mapping[str, Any] | None = None,
    ) -> Answer:
        reply = over_wsgi(self.client, method, path, query=_query_string(query), body=body, headers=headers)
        return Answer(reply.status, reply.headers, reply.body)


class HttpTransport(Transport):
    name = "http"

    def __init__(self, server: MockServer) -> None:
        super().__init__(server.app)
        self.server = server

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        query: str | Mapping[str, Any] | None = None,
    ) -> Answer:
        reply = over_http(
            self.server.port, method, path, query=_query_string(query), body=body, headers=headers
        )
        return Answer(reply.status, reply.headers, reply.body)


@pytest.fixture(scope="module")
def servers() -> Iterator[MockPerStore]:
    """One running mock per store for the module."""
    with MockPerStore(lambda: MockConfig(clock_frozen=True)) as running:
        yield running


@pytest.fixture
def server(servers: MockPerStore, every_store: str) -> MockServer:
    """The module's running mock on the store under test, reset."""
    return servers.reset(every_store)


@pytest.fixture(params=["wsgi", "http"])
def mock(request: pytest.FixtureRequest) -> Transport:
    """A fresh mock with a frozen clock on the store under test, in-process or over a real socket."""
    if request.param == "wsgi":
        return WsgiTransport(MockApp(MockConfig(clock_frozen=True)))
    return HttpTransport(request.getfixturevalue("server"))


PROPERTY = settings(
    max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
"""Property tests take the per-transport fixture; each example keeps its own checks state-independent."""


# small builders


def advanced(
    destinations: Sequence[str | Mapping[str, Any]],
    text: str = "Hello",
    bulk_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An advanced send (both dialects) with one message to `destinations`."""
    message: dict[str, Any] = {
        "from": "InfoSMS",
        "destinations": [item if isinstance(item, Mapping) else {"to": item} for item in destinations],
        "text": text,
        **fields,
    }
    payload: dict[str, Any] = {"messages": [message]}
    if bulk_id is not None:
        payload["bulkId"] = bulk_id
    return payload


def hex_octets(count: int) -> str:
    """`count` octets in the documents' spelling of binary content ("54 65 73 74")."""
    return bytes(index % 256 for index in range(count)).hex(" ")


def status_of(entry: Mapping[str, Any]) -> str:
    return entry["status"]["name"]


def balance(mock: Transport) -> Decimal:
    return Decimal(str(mock.api("shortlink", "get_balance")["balance"]))


def report_list(mock: Transport, dialect: str = "shortlink", **query: Any) -> list[dict[str, Any]]:
    return mock.api(dialect, "get_reports", **query)["results"]


def log_list(mock: Transport, **query: Any) -> list[dict[str, Any]]:
    return mock.api("shortlink", "get_logs", **query)["results"]


def moment(mock: Transport, offset: float = 0.0) -> str:
    """The mock clock's time plus `offset` seconds, as the family writes date-times."""
    at: datetime = mock.app.clock.now() + timedelta(seconds=offset)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


# 1. every documented example request


def _example_requests() -> list[Any]:
    return [
        pytest.param(dialect, example, id=f"{dialect}-{example['id']}")
        for dialect, example in documented_requests(DIALECTS)
    ]


def _broken_on_purpose(example: Mapping[str, Any]) -> bool:
    """An example whose erratum says it cannot be sent as printed (it is not even parseable)."""
    expected = example.get("expected_violation") or {}
    return bool(example.get("erratum")) and expected.get("reason") == "unparseable"


@pytest.mark.parametrize(("dialect", "example"), _example_requests())
def test_documented_example_request_gets_a_reply_that_follows_its_contract(
    mock: Transport, dialect: str, example: dict[str, Any]
) -> None:
    """Sent as printed (with the documents' Host); a request broken on purpose gets the General error."""
    headers = {"Host": DOCUMENTED_HOSTS[dialect], **(example.get("headers") or {})}
    headers.setdefault("Authorization", AUTHORIZATION)
    if example["format"] in ("json", "xml"):
        headers.setdefault("Content-Type", JSON if example["format"] == "json" else XML)
    body = (example.get("body") or "").encode()
    answer = mock.request(example["method"], example["path"], body, headers, example.get("query") or None)
    assert_valid(dialect, example["operation"], answer, f"example {example['id']}")
    if _broken_on_purpose(example):
        assert example["erratum"] in errata()
        _general_error(answer, dialect)
        assert mock.control.messages() == []
        return
    placeholder = "dXNlcm5hbWU6cGFzc3dvcmQ=" in headers["Authorization"]  # username:password
    assert answer.status == (401 if placeholder else 200), answer
    if example["operation"].startswith("send"):
        statuses = [text for path, text in leaves(answer.data()) if path == "messages/status/name"]
        assert statuses and "REJECTED_DESTINATION" not in statuses, (example["id"], answer.body)


# 2. JSON and XML for every shortlink operation


def _shortlink_requests() -> dict[str, dict[str, Any] | None]:
    """A request payload per shortlink operation (None for the parameter-only GETs)."""
    return {
        "send_text_single": {"from": "InfoSMS", "to": [SWISS, CROATIAN], "text": "Grüße & <tags> €"},
        "send_text_multi": {
            "messages": [
                {"from": "InfoSMS", "to": [SWISS, CROATIAN], "text": "May the Force be with you!"},
                {"from": "41793026700", "to": [SWISS], "text": "A long time ago " * 12},
            ]
        },
        "send_text_advanced": {
            "bulkId": "BULK-1",
            "messages": [
                {
                    "from": "InfoSMS",
                    "destinations": [{"to": SWISS, "messageId": "M-1"}, {"to": CROATIAN}],
                    "text": TURKISH_EXAMPLE,
                    "flash": False,
                    "language": {"languageCode": "TR", "singleShift": True, "lockingShift": False},
                    "validityPeriod": 720,
                }
            ],
        },
        "send_binary_single": {
            "from": "InfoSMS",
            "to": [SWISS],
            "binary": {"hex": "54 65 73 74 20 6d 65 73 73 61 67 65 2e", "dataCoding": 0, "esmClass": 0},
        },
        "send_binary_multi": {
            "messages": [
                {
                    "from": "InfoSMS",
                    "to": [SWISS, CROATIAN],
                    "binary": {"hex": hex_octets(150), "dataCoding": 4},
                },
                {"from": "InfoSMS", "to": [SWISS], "binary": {"hex": hex_octets(10)}},
            ]
        },
        "number_query": {"to": [SWISS, PORTED]},
        "number_notify": {"to": [SWISS], "notifyUrl": "http://127.0.0.1:9/notify", "notifyContentType": JSON},
        "get_reports": None,
        "get_logs": None,
        "get_balance": None,
        "get_inbox": None,
        "get_inbox_logs": None,
    }


def _prepare_state(mock: Transport) -> None:
    """Something for every read: two delivered reports, logs and an inbound message."""
    mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": [SWISS, CROATIAN], "text": "Hi"})
    mock.control.advance(10)
    mock.control.inject_inbound(sender="38598111", to=SWISS, text="KEY Test message")


def _format_cases() -> list[Any]:
    cases = []
    for operation, payload in _shortlink_requests().items():
        for wire in ("json", "xml") if payload is not None else (None,):
            for accept in ("json", "xml"):
                case = f"{operation}-{wire or 'params'}-accept-{accept}"
                cases.append(pytest.param(operation, wire, accept, id=case))
    return cases


@pytest.mark.parametrize(("operation", "wire", "accept"), _format_cases())
def test_every_shortlink_operation_speaks_json_and_xml(
    mock: Transport, operation: str, wire: str | None, accept: str
) -> None:
    _prepare_state(mock)
    payload = _shortlink_requests()[operation]
    answer = mock.call(
        "shortlink", operation, payload, wire=wire or "json", accept=JSON if accept == "json" else XML
    )
    assert answer.media == (JSON if accept == "json" else XML)
    data = answer.data()
    if operation.startswith("send"):
        counts = [leaf for leaf in leaves(data) if leaf[0] == "messages/smsCount"]
        assert len(counts) == destination_count(payload or {}), data


def destination_count(payload: Mapping[str, Any]) -> int:
    """How many messages a send request asks for: one per destination of each message."""
    total = 0
    for message in payload.get("messages", [payload]):
        targets = message.get("destinations") or message.get("to")
        total += len(targets) if isinstance(targets, list) else 1
    return total


def _same_data_without_ids(json_answer: Answer, xml_answer: Answer, *, ids: Sequence[str] = ()) -> None:
    def comparable(answer: Answer) -> list[tuple[str, str]]:
        return sorted(leaf for leaf in leaves(answer.data()) if leaf[0].rsplit("/", 1)[-1] not in ids)

    assert comparable(json_answer) == comparable(xml_answer), (json_answer.body, xml_answer.body)


@pytest.mark.parametrize("operation", [name for name, body in _shortlink_requests().items() if body])
def test_xml_and_json_send_replies_carry_the_same_data(mock: Transport, operation: str) -> None:
    payload = _shortlink_requests()[operation]
    if operation == "send_text_advanced":
        payload = advanced(
            [SWISS, CROATIAN], TURKISH_EXAMPLE, language={"languageCode": "TR", "singleShift": True}
        )
    as_json = mock.call("shortlink", operation, payload, wire="json", accept=JSON)
    as_xml = mock.call("shortlink", operation, payload, wire="xml", accept=XML)
    _same_data_without_ids(as_json, as_xml, ids=("messageId", "bulkId"))


@pytest.mark.parametrize("operation", ["get_logs", "get_balance", "get_inbox_logs"])
def test_xml_and_json_reads_of_the_same_state_are_equal(mock: Transport, operation: str) -> None:
    _prepare_state(mock)
    mock.control.inject_inbound(sender="38598111", to=SWISS, text="hello world")
    _same_data_without_ids(
        mock.call("shortlink", operation, accept=JSON), mock.call("shortlink", operation, accept=XML)
    )


def test_xml_and_json_read_once_replies_carry_the_same_data(mock: Transport) -> None:
    sent = mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": SWISS, "text": "One"})
    again = mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": SWISS, "text": "One"})
    mock.control.advance(10)
    for text in ("KEY first", "KEY first"):
        mock.control.inject_inbound(sender="38598111", to=SWISS, text=text)
    first = sent["messages"][0]["messageId"]
    second = again["messages"][0]["messageId"]
    _same_data_without_ids(
        mock.call("shortlink", "get_reports", query={"messageId": first}, accept=JSON),
        mock.call("shortlink", "get_reports", query={"messageId": second}, accept=XML),
        ids=("messageId",),
    )
    _same_data_without_ids(
        mock.call("shortlink", "get_inbox", query={"limit": "1"}, accept=JSON),
        mock.call("shortlink", "get_inbox", query={"limit": "1"}, accept=XML),
        ids=("messageId",),
    )


def test_xml_balance_equals_json_balance(mock: Transport) -> None:
    mock.control.set_balance("default", "12.34")
    as_json = mock.call("shortlink", "get_balance", accept=JSON).json()
    as_xml = mock.call("shortlink", "get_balance", accept=XML).xml()
    assert as_json == {"balance": 12.34, "currency": "EUR"}
    assert (float(as_xml.findtext("balance") or "nan"), as_xml.findtext("currency")) == (12.34, "EUR")


# 3. sending semantics


@pytest.mark.parametrize("to", [SWISS, [SWISS]], ids=["string", "array"])
def test_to_may_be_a_string_or_an_array(mock: Transport, to: Any) -> None:
    reply = mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": to, "text": "Hi"})
    assert [entry["to"] for entry in reply["messages"]] == [SWISS]
    assert "bulkId" not in reply, "one destination gets no bulkId"


def test_one_reply_entry_per_destination_and_a_bulk_id_for_many(mock: Transport) -> None:
    numbers = [SWISS, CROATIAN, "4915112345678"]
    reply = mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": numbers, "text": "Hi"})
    assert [entry["to"] for entry in reply["messages"]] == numbers
    assert reply["bulkId"]
    assert len({entry["messageId"] for entry in reply["messages"]}) == 3
    multi = mock.api(
        "shortlink",
        "send_text_multi",
        {"messages": [{"to": SWISS, "text": "a"}, {"to": [CROATIAN, SWISS], "text": "b"}]},
    )
    assert [entry["to"] for entry in multi["messages"]] == [SWISS, CROATIAN, SWISS]
    assert multi["bulkId"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_accepted_send_has_the_dialects_accepted_status(mock: Transport, dialect: str) -> None:
    reply = mock.api(dialect, "send_text_advanced", advanced([SWISS]))
    status = reply["messages"][0]["status"]
    assert (status["id"], status["name"], status["groupId"], status["groupName"]) == ACCEPTED[dialect]
    assert "bulkId" not in reply


@pytest.mark.parametrize("dialect", DIALECTS)
def test_client_ids_are_honoured_in_the_advanced_api(mock: Transport, dialect: str) -> None:
    one = mock.api(
        dialect, "send_text_advanced", advanced([{"to": SWISS, "messageId": "MY-ID-1"}], bulk_id="B-7")
    )
    assert one["bulkId"] == "B-7", "a client's bulkId is kept even for one destination"
    assert one["messages"][0]["messageId"] == "MY-ID-1"
    many = mock.api(
        dialect,
        "send_text_advanced",
        advanced(
            [{"to": SWISS, "messageId": "MY-ID-2"}, {"to": CROATIAN, "messageId": "MY-ID-3"}], bulk_id="B-8"
        ),
    )
    assert many["bulkId"] == "B-8"
    assert [entry["messageId"] for entry in many["messages"]] == ["MY-ID-2", "MY-ID-3"]
    mock.control.advance(10)
    reports = report_list(mock, dialect, bulkId="B-8")
    assert sorted(report["messageId"] for report in reports) == ["MY-ID-2", "MY-ID-3"]
    assert {report["bulkId"] for report in reports} == {"B-8"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_duplicate_client_message_id_is_rejected_inside_a_200(mock: Transport, dialect: str) -> None:
    first = mock.api(dialect, "send_text_advanced", advanced([{"to": SWISS, "messageId": "DUP"}]))
    assert status_of(first["messages"][0]) != "REJECTED_DUPLICATE_MESSAGE_ID"
    second = mock.api(dialect, "send_text_advanced", advanced([{"to": CROATIAN, "messageId": "DUP"}]))
    entry = second["messages"][0]
    assert status_of(entry) == "REJECTED_DUPLICATE_MESSAGE_ID"
    assert entry["status"]["groupName"] == "REJECTED"
    assert entry["messageId"] != "DUP", "the rejected message must not take over the client's id"
    same_request = mock.api(
        dialect,
        "send_text_advanced",
        advanced([{"to": SWISS, "messageId": "TWIN"}, {"to": SWISS, "messageId": "TWIN"}]),
    )
    assert [status_of(entry) for entry in same_request["messages"]][1] == "REJECTED_DUPLICATE_MESSAGE_ID"


@pytest.mark.parametrize("sender", ["A", "!!", "ABCDEFGHIJKLMNOPQ", "123456789012345"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_invalid_sender_is_rejected_inside_a_200(mock: Transport, dialect: str, sender: str) -> None:
    before = balance(mock)
    reply = mock.api(dialect, "send_text_advanced", advanced([SWISS], **{"from": sender}))
    assert status_of(reply["messages"][0]) == "REJECTED_SOURCE"
    assert balance(mock) == before, "a rejected message is not charged"


@pytest.mark.parametrize("sender", ["InfoSMS", "ABC", "12345678901234"])
def test_a_valid_sender_is_accepted(mock: Transport, sender: str) -> None:
    reply = mock.api("shortlink", "send_text_single", {"from": sender, "to": SWISS, "text": "Hi"})
    assert status_of(reply["messages"][0]) == "MESSAGE_ACCEPTED"


def test_qikli_accepts_its_documents_twelve_character_sender(mock: Transport) -> None:
    """errata qikli-sender-id-length: alphanumeric 3-12 in qikli, so SAMPLESENDER is accepted."""
    reply = mock.api("qikli", "send_text_advanced", advanced([SWISS], **{"from": "SAMPLESENDER"}))
    assert status_of(reply["messages"][0]) == "MESSAGE_ACCEPTED"
    rejected = mock.api("qikli", "send_text_advanced", advanced([SWISS], **{"from": "SAMPLESENDERS"}))
    assert status_of(rejected["messages"][0]) == "REJECTED_SOURCE"


@pytest.mark.parametrize(
    ("to", "qikli_status"), [("123456", "REJECTED_DESTINATION"), ("1234567", "MESSAGE_ACCEPTED")]
)
def test_qikli_destinations_have_seven_to_fifteen_digits(mock: Transport, to: str, qikli_status: str) -> None:
    """errata qikli-e164-may-work: qikli wants 7-15 digits where the family takes any E.164 length."""
    reply = mock.api("qikli", "send_text_advanced", advanced([to]))
    assert status_of(reply["messages"][0]) == qikli_status
    family_reply = mock.api("shortlink", "send_text_advanced", advanced([to]))
    assert status_of(family_reply["messages"][0]) == "MESSAGE_ACCEPTED"


@PROPERTY
@given(text=strategies.sms_texts(max_size=400).filter(bool))
def test_sms_count_is_the_segment_count(mock: Transport, text: str) -> None:
    reply = mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": SWISS, "text": text})
    assert reply["messages"][0]["smsCount"] == measure(text).segments, text


@PROPERTY
@given(text=strategies.ucs2_texts(astral=True, max_size=150))
def test_sms_count_of_ucs2_texts_counts_utf16_units(mock: Transport, text: str) -> None:
    reply = mock.api("qikli", "send_text_advanced", advanced([SWISS], text))
    assert reply["messages"][0]["smsCount"] == measure(text).segments, text


@PROPERTY
@given(text=strategies.national_texts("TR", max_size=300).filter(bool))
def test_sms_count_with_the_turkish_single_shift(mock: Transport, text: str) -> None:
    language = {"languageCode": "TR", "singleShift": True, "lockingShift": False}
    reply = mock.api("shortlink", "send_text_advanced", advanced([SWISS], text, language=language))
    expected = measure(text, language="TR", single_shift=True).segments
    assert reply["messages"][0]["smsCount"] == expected, text


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_language_and_transliteration_of_the_documents_example(mock: Transport, dialect: str) -> None:
    plain = measure(TURKISH_EXAMPLE)
    shifted = measure(TURKISH_EXAMPLE, language="TR", single_shift=True)
    transliterated = measure(transliterate(TURKISH_EXAMPLE, "TURKISH"))
    assert plain.encoding.value != transliterated.encoding.value, "the example needs UCS-2 as written"
    assert transliterated.segments < plain.segments

    def count(**fields: Any) -> int:
        reply = mock.api(dialect, "send_text_advanced", advanced([SWISS], TURKISH_EXAMPLE, **fields))
        return reply["messages"][0]["smsCount"]

    assert count() == plain.segments
    assert count(transliteration="TURKISH") == transliterated.segments
    assert count(language={"languageCode": "TR", "singleShift": True}) == shifted.segments
    assert shifted.segments < plain.segments


@PROPERTY
@given(octets=st.binary(min_size=1, max_size=700), upper=st.booleans())
def test_binary_messages_are_counted_in_octets(mock: Transport, octets: bytes, upper: bool) -> None:
    hex_text = octets.hex(" ")
    payload = {
        "from": "InfoSMS",
        "to": SWISS,
        "binary": {"hex": hex_text.upper() if upper else hex_text, "dataCoding": 0, "esmClass": 0},
    }
    reply = mock.api("shortlink", "send_binary_single", payload)
    expected = 1 if len(octets) <= 140 else -(-len(octets) // 134)
    assert reply["messages"][0]["smsCount"] == expected


@pytest.mark.parametrize(("size", "parts"), [(140, 1), (141, 2), (268, 2), (269, 3)])
def test_binary_part_boundaries(mock: Transport, size: int, parts: int) -> None:
    payload = {"messages": [{"to": [SWISS], "binary": {"hex": hex_octets(size)}}]}
    reply = mock.api("shortlink", "send_binary_multi", payload)
    assert reply["messages"][0]["smsCount"] == parts


@pytest.mark.parametrize("dialect", DIALECTS)
def test_balance_is_charged_per_part_and_destination(mock: Transport, dialect: str) -> None:
    before = balance(mock)
    text = "x" * 200  # two GSM-7 parts
    reply = mock.api(dialect, "send_text_advanced", advanced([SWISS, CROATIAN, "4915112345678"], text))
    assert [entry["smsCount"] for entry in reply["messages"]] == [2, 2, 2]
    assert balance(mock) == before - Decimal("0.01") * 6
    mock.control.advance(10)
    prices = {report["price"]["pricePerMessage"] for report in report_list(mock, dialect)}
    assert prices == {0.01}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_not_enough_credits_rejects_without_charging(mock: Transport, dialect: str) -> None:
    mock.control.set_balance("default", "0.005")
    reply = mock.api(dialect, "send_text_advanced", advanced([SWISS]))
    assert status_of(reply["messages"][0]) == "REJECTED_NOT_ENOUGH_CREDITS"
    assert balance(mock) == Decimal("0.005")
    mock.control.set_balance("default", "0.01")
    reply = mock.api(dialect, "send_text_advanced", advanced([SWISS, CROATIAN]))
    assert [status_of(entry) for entry in reply["messages"]] == [
        "MESSAGE_ACCEPTED",
        "REJECTED_NOT_ENOUGH_CREDITS",
    ]
    assert balance(mock) == 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_do_not_disturb_number_is_rejected_at_once(mock: Transport, dialect: str) -> None:
    before = balance(mock)
    reply = mock.api(dialect, "send_text_advanced", advanced([DND]))
    assert status_of(reply["messages"][0]) == "REJECTED_DND"
    assert reply["messages"][0]["status"]["groupName"] == "REJECTED"
    assert balance(mock) == before
    (report,) = report_list(mock, dialect)
    assert (status_of(report), report["error"]["name"]) == ("REJECTED_DND", "EC_DEST_ADDRESS_BLACKLISTED")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_absent_subscriber_is_undeliverable_after_five_seconds(mock: Transport, dialect: str) -> None:
    reply = mock.api(dialect, "send_text_advanced", advanced([ABSENT]))
    message_id = reply["messages"][0]["messageId"]
    mock.control.advance(4.9)
    assert report_list(mock, dialect) == []
    (log,) = log_list(mock, messageId=message_id) if dialect == "shortlink" else [None]
    if log is not None:
        assert log["status"]["groupName"] == "PENDING"
    mock.control.advance(0.2)
    (report,) = report_list(mock, dialect)
    assert report["messageId"] == message_id
    assert status_of(report) == "UNDELIVERABLE_NOT_DELIVERED"
    assert report["error"]["name"] == "EC_ABSENT_SUBSCRIBER"
    assert report["error"]["permanent"] is False


# 4. reports and logs


@pytest.mark.parametrize("dialect", DIALECTS)
def test_reports_are_read_once(mock: Transport, dialect: str) -> None:
    mock.api(dialect, "send_text_advanced", advanced([SWISS, CROATIAN]))
    assert report_list(mock, dialect) == [], "nothing is final before the clock moves"
    mock.control.advance(10)
    first = report_list(mock, dialect)
    assert sorted(report["to"] for report in first) == sorted([SWISS, CROATIAN])
    assert {status_of(report) for report in first} == {"DELIVERED_TO_HANDSET"}
    assert {report["error"]["groupName"] for report in first} == {OK_SPELLING[dialect]}
    assert report_list(mock, dialect) == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_report_filters(mock: Transport, dialect: str) -> None:
    one = mock.api(dialect, "send_text_advanced", advanced([SWISS, CROATIAN], bulk_id="BULK-A"))
    two = mock.api(dialect, "send_text_advanced", advanced([SWISS, CROATIAN, SWISS], bulk_id="BULK-B"))
    single = mock.api(dialect, "send_text_advanced", advanced([SWISS]))
    mock.control.advance(10)
    wanted = single["messages"][0]["messageId"]
    assert [report["messageId"] for report in report_list(mock, dialect, messageId=wanted)] == [wanted]
    by_bulk = report_list(mock, dialect, bulkId="BULK-A")
    assert sorted(report["messageId"] for report in by_bulk) == sorted(
        m["messageId"] for m in one["messages"]
    )
    limited = report_list(mock, dialect, bulkId="BULK-B", limit="2")
    assert len(limited) == 2
    rest = report_list(mock, dialect)
    assert len(rest) == 1 and rest[0]["bulkId"] == "BULK-B"
    assert {r["messageId"] for r in limited + rest} == {m["messageId"] for m in two["messages"]}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5"])
def test_a_bad_report_limit_is_the_general_error(mock: Transport, dialect: str, limit: str) -> None:
    answer = mock.call(dialect, "get_reports", query={"limit": limit}, status=400)
    assert answer.service_exception()["messageId"] == "BAD_REQUEST"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_reports_default_limit_is_fifty(mock: Transport, dialect: str) -> None:
    numbers = [f"4179302{index:04d}" for index in range(51)]
    mock.api(dialect, "send_text_advanced", advanced(numbers))
    mock.control.advance(10)
    assert len(report_list(mock, dialect)) == 50
    assert len(report_list(mock, dialect)) == 1


def test_logs_are_repeatable_for_48_hours(mock: Transport) -> None:
    sent = mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": SWISS, "text": "Hello"})
    message_id = sent["messages"][0]["messageId"]
    first = log_list(mock)
    assert [entry["messageId"] for entry in first] == [message_id]
    assert first[0]["text"] == "Hello" and first[0]["from"] == "InfoSMS"
    mock.control.advance(10)
    (delivered,) = log_list(mock)
    assert status_of(delivered) == "DELIVERED_TO_HANDSET" and delivered["mccmnc"] == "22801"
    assert log_list(mock) == [delivered]
    report_list(mock)
    assert log_list(mock) == [delivered], "reading the report does not touch the logs"
    mock.control.advance(47 * 3600)
    assert len(log_list(mock)) == 1
    mock.control.advance(2 * 3600)
    assert log_list(mock) == [], "a message sent 49 hours ago is out of the logs' window"


def test_log_filters(mock: Transport) -> None:
    bulk_a = mock.api(
        "shortlink", "send_text_single", {"from": "InfoSMS", "to": [SWISS, CROATIAN], "text": "a"}
    )
    mock.control.advance(60)
    since = moment(mock)
    bulk_b = mock.api("shortlink", "send_text_single", {"from": "Other", "to": [SWISS, DND], "text": "b"})
    single = mock.api("shortlink", "send_text_single", {"from": "Other", "to": "4915112345678", "text": "c"})
    mock.control.advance(10)
    ids_a = {entry["messageId"] for entry in bulk_a["messages"]}
    ids_b = {entry["messageId"] for entry in bulk_b["messages"]}
    single_id = single["messages"][0]["messageId"]

    def ids(**query: Any) -> set[str]:
        return {entry["messageId"] for entry in log_list(mock, **query)}

    assert ids() == ids_a | ids_b | {single_id}
    assert ids(**{"from": "InfoSMS"}) == ids_a
    assert ids(to=SWISS) == {
        entry["messageId"] for entry in bulk_a["messages"] + bulk_b["messages"] if entry["to"] == SWISS
    }
    assert ids(bulkId=f"{bulk_a['bulkId']},{bulk_b['bulkId']}") == ids_a | ids_b
    assert ids(bulkId=[bulk_a["bulkId"], bulk_b["bulkId"]]) == ids_a | ids_b
    two = sorted(ids_a)
    assert ids(messageId=",".join(two)) == ids_a
    assert ids(messageId=[*two, single_id]) == ids_a | {single_id}
    assert ids(generalStatus="REJECTED") == {
        entry["messageId"] for entry in bulk_b["messages"] if entry["to"] == DND
    }
    assert ids(generalStatus="DELIVERED") == (ids_a | ids_b | {single_id}) - ids(generalStatus="REJECTED")
    assert ids(sentSince=since) == ids_b | {single_id}
    assert ids(sentUntil=since) == ids_a
    assert ids(sentSince=moment(mock, -3600), sentUntil=moment(mock, -30)) == ids_a
    assert len(log_list(mock, limit="2")) == 2
    newest = log_list(mock, limit="1")[0]
    assert newest["messageId"] in ids_b | {single_id}, "logs come newest first"
    swiss = {entry["messageId"] for entry in bulk_a["messages"] + bulk_b["messages"] if entry["to"] == SWISS}
    assert ids(mcc="228", mnc="01") == swiss
    assert ids(mcc="228") == swiss
    assert ids(mcc="219") == {entry["messageId"] for entry in bulk_a["messages"] if entry["to"] == CROATIAN}
    assert ids(mcc="262", mnc="01") == {single_id}


def test_sent_since_needs_a_percent_encoded_plus(mock: Transport) -> None:
    mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": SWISS, "text": "a"})
    mock.control.advance(1)
    since = moment(mock, -60)
    assert len(log_list(mock, sentSince=since)) == 1
    raw = mock.get(
        "/restapi/sms/1/logs", f"sentSince={since}", {"Authorization": AUTHORIZATION, "Accept": JSON}
    )
    assert raw.status == 400, (
        "an unencoded + decodes to a space and breaks the date-time (errata shortlink-list-filters)"
    )
    assert_valid("shortlink", "get_logs", raw)


# 5. inbound


def test_inbox_is_read_once_with_keyword_and_clean_text(mock: Transport) -> None:
    mock.control.inject_inbound(sender="38598111", to=SWISS, text="KEY Test message")
    (message,) = mock.api("shortlink", "get_inbox")["results"]
    assert (message["from"], message["to"], message["text"]) == ("38598111", SWISS, "KEY Test message")
    assert (message["keyword"], message["cleanText"], message["smsCount"]) == ("KEY", "Test message", 1)
    assert mock.api("shortlink", "get_inbox")["results"] == []
    mock.control.inject_inbound(sender="38598111", to=SWISS, text="hello world")
    (plain,) = mock.api("shortlink", "get_inbox")["results"]
    assert (plain["keyword"], plain["cleanText"]) == ("", "hello world")


def test_inbox_limit(mock: Transport) -> None:
    for index in range(3):
        mock.control.inject_inbound(sender="38598111", to=SWISS, text=f"KEY {index}")
    assert len(mock.api("shortlink", "get_inbox", limit="2")["results"]) == 2
    assert len(mock.api("shortlink", "get_inbox")["results"]) == 1


def test_inbox_logs_filters(mock: Transport) -> None:
    control = mock.control
    control.inject_inbound(sender="38598111", to=SWISS, text="KEY Test message")
    control.advance(60)
    middle = moment(mock)
    control.advance(60)
    control.inject_inbound(sender="38598111", to="13372", text="hello world")
    control.inject_inbound(sender="38598112", to="13372", text="HEY you")

    def texts(**query: Any) -> list[str]:
        return sorted(entry["text"] for entry in mock.api("shortlink", "get_inbox_logs", **query)["results"])

    assert texts() == ["HEY you", "KEY Test message", "hello world"]
    assert texts(keyword="KEY") == ["KEY Test message"]
    assert texts(keyword="NO_KEYWORD") == ["hello world"]
    assert texts(to="13372") == ["HEY you", "hello world"]
    assert texts(keyword="HEY", to="13372") == ["HEY you"]
    assert texts(receivedSince=middle) == ["HEY you", "hello world"]
    assert texts(receivedUntil=middle) == ["KEY Test message"]
    assert len(texts(limit="1")) == 1
    no_keyword = mock.api("shortlink", "get_inbox_logs", keyword="NO_KEYWORD")["results"][0]
    assert "keyword" not in no_keyword, "errata shortlink-empty-keyword: the logs omit an empty keyword"
    assert texts() == ["HEY you", "KEY Test message", "hello world"], "inbox logs are repeatable"
    assert len(mock.api("shortlink", "get_inbox")["results"]) == 3, "the logs do not consume the inbox"


# 6. Number Context


def test_number_query_of_the_documents_number(mock: Transport) -> None:
    reply = mock.api("shortlink", "number_query", {"to": SWISS})
    assert "bulkId" not in reply
    (result,) = reply["results"]
    assert result["to"] == SWISS and result["mccMnc"] == "22801"
    assert result["originalNetwork"] == {"networkPrefix": "79", "countryPrefix": "41"}
    assert result["ported"] is False and result["roaming"] is False
    assert "portedNetwork" not in result and "roamingNetwork" not in result
    assert status_of(result) == "DELIVERED_TO_HANDSET"
    assert result["error"]["name"] == "NO_ERROR"


def test_number_query_ported_roaming_and_invalid(mock: Transport) -> None:
    reply = mock.api("shortlink", "number_query", {"to": [PORTED, ROAMING, "Alphanumeric"]})
    assert reply["bulkId"]
    ported, roaming, invalid = reply["results"]
    assert ported["ported"] is True and ported["portedNetwork"]["countryPrefix"] == "41"
    assert ported["portedNetwork"]["networkPrefix"] == "76"
    assert ported["roaming"] is False
    assert roaming["roaming"] is True and roaming["roamingNetwork"]["countryPrefix"] == "385"
    assert roaming["roamingNetwork"]["networkPrefix"] == "98"
    assert roaming["ported"] is False
    assert invalid["to"] == "Alphanumeric"
    assert invalid["status"]["groupName"] == "REJECTED"
    assert status_of(invalid) == "REJECTED_DESTINATION"


@pytest.mark.parametrize("accept", [JSON, XML])
def test_number_query_in_xml(mock: Transport, accept: str) -> None:
    answer = mock.call(
        "shortlink", "number_query", {"to": [SWISS, "Alphanumeric"]}, wire="xml", accept=accept
    )
    found = dict(leaves(answer.data()))
    assert found["results/mccMnc"] == "22801"


def test_number_notify_acknowledges_pending(mock: Transport) -> None:
    reply = mock.api(
        "shortlink",
        "number_notify",
        {"to": [SWISS, "Alphanumeric"], "notifyUrl": "http://127.0.0.1:9/", "notifyContentType": JSON},
    )
    first, second = reply["ncResults"]
    assert first["status"]["groupName"] == "PENDING" and first["messageId"]
    assert status_of(second) == "REJECTED_DESTINATION" and "messageId" not in second


@pytest.mark.parametrize("wire", ["json", "xml"])
@pytest.mark.parametrize("notify_url", [None, ""], ids=["absent", "empty"])
def test_number_notify_without_a_notify_url_is_a_general_error_and_looks_nothing_up(
    mock: Transport, wire: str, notify_url: str | None
) -> None:
    """errata shortlink-number-notify-url: the results would have nowhere to go."""
    payload: dict[str, Any] = {"to": [SWISS]}
    if notify_url is not None:
        payload["notifyUrl"] = notify_url
    answer = mock.call("shortlink", "number_notify", payload, wire=wire, accept=JSON, status=400)
    exception = answer.service_exception()
    assert exception["messageId"] == "BAD_REQUEST" and "notifyUrl" in exception["text"]
    body = (
        json.dumps(payload) if wire == "json" else xml_request(payload, FAMILY_XML_WRAPPED["number_notify"])
    )
    media = JSON if wire == "json" else XML
    assert errors(validate("shortlink", "number_notify", "request", body, media)), "the contract agrees"
    assert mock.app.backend.store.next_due() is None, "no callback was scheduled"


# 7. errors


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("accept", [JSON, XML])
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + base64.b64encode(b"Aladdin:wrong").decode(),
        "Basic " + base64.b64encode(b"username:password").decode(),
        "Bearer " + AUTHORIZATION,
        "Basic !!!",
    ],
    ids=["missing", "wrong-password", "placeholder", "bearer", "garbage"],
)
def test_bad_credentials_get_401_unauthorized(
    mock: Transport, dialect: str, accept: str, authorization: str | None
) -> None:
    headers = {"Accept": accept, "Content-Type": JSON}
    if authorization:
        headers["Authorization"] = authorization
    body = json.dumps(advanced([SWISS])).encode()
    answer = mock.post(path_of(dialect, "send_text_advanced"), body, headers)
    assert answer.status == 401
    assert answer.media == accept
    assert_valid(dialect, "error", answer)
    assert answer.service_exception()["messageId"] == "UNAUTHORIZED"
    assert mock.control.messages() == []
    reads = mock.get(
        path_of(dialect, "get_reports"), headers={k: v for k, v in headers.items() if k != "Content-Type"}
    )
    assert reads.status == 401 and reads.service_exception()["messageId"] == "UNAUTHORIZED"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_401_names_the_basic_scheme(mock: Transport, dialect: str) -> None:
    """RFC 9110 15.5.2: a 401 carries WWW-Authenticate (errata qikli-unauthorized-body: `Basic`)."""
    answer = mock.get(path_of(dialect, "get_reports"), headers={"Accept": JSON})
    assert answer.status == 401
    assert answer.headers.get("www-authenticate", "").lower().startswith("basic"), answer.headers


def test_the_truncated_documented_credentials_authenticate(mock: Transport) -> None:
    headers = {"Authorization": AUTHORIZATION.rstrip("="), "Accept": JSON}
    assert mock.get("/restapi/account/1/balance", headers=headers).status == 200


def _general_error(answer: Answer, dialect: str, *words: str) -> None:
    assert answer.status == 400, answer
    assert_valid(dialect, "error", answer)
    exception = answer.service_exception()
    assert exception["messageId"] == "BAD_REQUEST"
    assert exception["text"].startswith("General error"), exception["text"]
    for word in words:
        assert word.lower() in exception["text"].lower(), (word, exception["text"])


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_without_a_usable_content_type_is_the_general_error(
    mock: Transport, dialect: str, content_type: str | None
) -> None:
    headers = {"Authorization": AUTHORIZATION, "Accept": JSON}
    if content_type:
        headers["Content-Type"] = content_type
    answer = mock.post(
        path_of(dialect, "send_text_advanced"), json.dumps(advanced([SWISS])).encode(), headers
    )
    _general_error(answer, dialect, "General error", "Content-Type")
    assert mock.control.messages() == []


BAD_BODIES = {
    "truncated-json": (JSON, b'{"from": "InfoSMS", "to": "41793026727", "text": "Hi"', "JSON"),
    "json-nbsp": (JSON, '{\u00a0"to": "41793026727", "text": "Hi"}'.encode(), "JSON"),
    "json-not-utf8": (JSON, b'{"to": "41793026727", "text": "\xff\xfe"}', "JSON"),
    "empty-json": (JSON, b"", "body"),
    "json-array": (JSON, b"[1, 2]", "General error"),
    "malformed-xml": (XML, b"<request><to>41793026727</to><text>Hi</request>", "XML"),
    "empty-xml": (XML, b"   ", "body"),
    "billion-laughs": (
        XML,
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<request><to>41793026727</to><text>&lol3;</text></request>",
        "entit",
    ),
    "external-entity": (
        XML,
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<request><to>41793026727</to><text>&x;</text></request>",
        "entit",
    ),
    "deep-xml": (XML, b"<request>" + b"<a>" * 100 + b"</a>" * 100 + b"</request>", "deeper"),
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_an_unreadable_body_is_a_clear_400(mock: Transport, dialect: str, case: str) -> None:
    content_type, body, word = BAD_BODIES[case]
    operation = "send_text_single" if dialect == "shortlink" else "send_text_advanced"
    headers = {"Authorization": AUTHORIZATION, "Content-Type": content_type}
    answer = mock.post(path_of(dialect, operation), body, headers)
    _general_error(answer, dialect, word)
    assert answer.media == content_type, "without Accept, the error comes in the request's format"
    assert b"root:" not in answer.body
    assert mock.control.messages() == []


@pytest.mark.parametrize(
    ("payload", "word"),
    [
        ({"from": "InfoSMS", "text": "Hi"}, "to"),
        ({"from": "InfoSMS", "to": 41793026727, "text": "Hi"}, "to"),
        ({"from": "InfoSMS", "to": [], "text": "Hi"}, "to"),
        ({"from": "InfoSMS", "to": SWISS, "text": ["Hi"]}, "text"),
        ({"from": 12345, "to": SWISS, "text": "Hi"}, "from"),
    ],
    ids=["no-to", "numeric-to", "empty-to", "text-list", "numeric-from"],
)
def test_a_json_body_breaking_its_contract_is_a_400_naming_the_problem(
    mock: Transport, payload: dict[str, Any], word: str
) -> None:
    answer = mock.call("shortlink", "send_text_single", payload, accept=JSON, status=400)
    _general_error(answer, "shortlink", "General error", word)
    assert mock.control.messages() == []


@pytest.mark.parametrize("accept", [JSON, XML])
def test_an_xml_body_without_to_is_a_400_naming_it(mock: Transport, accept: str) -> None:
    answer = mock.call("shortlink", "send_text_single", {"text": "Hi"}, wire="xml", accept=accept, status=400)
    assert answer.media == accept
    _general_error(answer, "shortlink", "to")


@pytest.mark.parametrize("wire", ["json", "xml"])
def test_what_the_document_leaves_optional_is_tolerated(mock: Transport, wire: str) -> None:
    """`to` is the only Required parameter of a single send; a field the document never names is a
    warning, not an error (the contracts' reading)."""
    no_text = mock.call("shortlink", "send_text_single", {"to": SWISS}, wire=wire).data()
    assert dict(leaves(no_text))["messages/smsCount"] == "1"
    extra = {"from": "InfoSMS", "to": SWISS, "text": "Hi", "colour": "red"}
    assert (
        dict(leaves(mock.call("shortlink", "send_text_single", extra, wire=wire).data()))["messages/to"]
        == SWISS
    )


def test_the_advanced_api_names_what_is_missing(mock: Transport) -> None:
    answer = mock.call("qikli", "send_text_advanced", {"messages": []}, status=400)
    _general_error(answer, "qikli", "messages")
    answer = mock.call("shortlink", "send_text_advanced", {"bulkId": "X"}, status=400)
    _general_error(answer, "shortlink", "messages")


def test_a_wrong_method_is_405(mock: Transport) -> None:
    headers = {"Authorization": AUTHORIZATION, "Accept": JSON}
    for method, path in [
        ("GET", "/restapi/sms/1/text/single"),
        ("PUT", "/restapi/sms/1/text/advanced"),
        ("DELETE", "/restapi/sms/1/reports"),
        ("POST", "/restapi/account/1/balance"),
    ]:
        answer = mock.request(method, path, b"", headers)
        assert answer.status == 405, (method, path, answer)
        assert_valid("shortlink", "error", answer)
        assert method in answer.service_exception()["text"]
        assert method not in answer.headers["allow"].split(", ")
        assert {"GET", "POST"} & set(answer.headers["allow"].split(", "))


@pytest.mark.parametrize(("method", "path"), [("GET", "/sms/2/text/advanced"), ("POST", "/sms/1/reports")])
@pytest.mark.parametrize("content_type", [None, JSON])
def test_qikli_answers_a_wrong_method_with_its_general_error(
    mock: Transport, method: str, path: str, content_type: str | None
) -> None:
    """errata qikli-http-methods: send is POST only, reports GET only; another method gets the 400."""
    headers = {"Authorization": AUTHORIZATION, "Accept": JSON}
    if content_type:
        headers["Content-Type"] = content_type
    answer = mock.request(method, path, b"{}" if content_type else b"", headers)
    _general_error(answer, "qikli", "General error", method)


def test_an_unknown_path_is_404(mock: Transport) -> None:
    headers = {"Authorization": AUTHORIZATION, "Accept": JSON}
    for path in ("/restapi/sms/1/text/nothing", "/sms/3/text/advanced", "/nothing-here"):
        answer = mock.request("GET", path, b"", headers)
        assert answer.status == 404, (path, answer)
        assert_valid("shortlink", "error", answer)
        assert answer.service_exception()["messageId"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/restapi/account/1/balance", {"Authorization": AUTHORIZATION}),  # 200
        ("/restapi/account/1/balance", {}),  # 401
        ("/restapi/sms/1/text/single", {"Authorization": AUTHORIZATION}),  # 405, a werkzeug Response
    ],
)
def test_status_lines_are_werkzeugs(path: str, headers: dict[str, str]) -> None:
    """The status line of a dialect's reply reads as a werkzeug Response's would."""
    lines: list[str] = []
    environ = EnvironBuilder(path=path, method="GET", headers=headers).get_environ()
    b"".join(MockApp()(environ, lambda status, _headers, *_: lines.append(status)))
    (line,) = lines
    assert line == Response(status=int(line.split()[0])).status


def test_head_is_get_without_the_body(mock: Transport) -> None:
    """HEAD on a GET operation: the GET's status and headers, no body (RFC 9110 9.3.2)."""
    headers = {"Authorization": AUTHORIZATION, "Accept": JSON}
    got = mock.request("GET", "/restapi/account/1/balance", b"", headers)
    head = mock.request("HEAD", "/restapi/account/1/balance", b"", headers)
    assert (head.status, head.body) == (got.status, b"")
    assert head.content_type == got.content_type
    assert head.headers["content-length"] == str(len(got.body))


@PROPERTY
@given(
    body=st.binary(max_size=300), content_type=st.sampled_from([JSON, XML, "application/json; charset=utf-8"])
)
def test_arbitrary_bytes_never_break_the_mock(mock: Transport, body: bytes, content_type: str) -> None:
    before = len(mock.control.messages())
    for dialect, operation in (("shortlink", "send_text_single"), ("qikli", "send_text_advanced")):
        headers = {"Authorization": AUTHORIZATION, "Content-Type": content_type}
        answer = mock.post(path_of(dialect, operation), body, headers)
        assert_valid(dialect, operation, answer, f"bytes {body!r}")
        if answer.status == 400:
            assert len(mock.control.messages()) == before


@PROPERTY
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_arbitrary_json_values_never_break_the_mock(mock: Transport, value: Any) -> None:
    before = len(mock.control.messages())
    body = json.dumps(value).encode()
    for dialect, operation in (("shortlink", "send_text_multi"), ("qikli", "send_text_advanced")):
        headers = {"Authorization": AUTHORIZATION, "Content-Type": JSON}
        answer = mock.post(path_of(dialect, operation), body, headers)
        assert_valid(dialect, operation, answer, f"JSON {value!r}")
        if answer.status == 400:
            assert len(mock.control.messages()) == before


# 8. tolerance


@pytest.mark.parametrize("every_store", ["memory"], indirect=True)  # how HTTP is read: no store's concern
def test_a_request_line_in_absolute_form(server: MockServer) -> None:
    """RFC 9112 3.2.2: `POST http://host:port/path HTTP/1.1`, sent raw over a socket."""
    server.control.reset()
    body = json.dumps({"from": "InfoSMS", "to": SWISS, "text": "Absolute"}).encode()
    port = server.port
    request = (
        f"POST http://127.0.0.1:{port}/restapi/sms/1/text/single HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nAuthorization: {AUTHORIZATION}\r\nContent-Type: {JSON}\r\n"
        f"Accept: {JSON}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, reply_body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"200", head
    answer = Answer(200, {"content-type": JSON}, reply_body)
    assert_valid("shortlink", "send_text_single", answer)
    assert answer.json()["messages"][0]["to"] == SWISS


def test_the_wsgi_app_takes_an_absolute_path_too() -> None:
    app = MockApp(MockConfig(clock_frozen=True))
    environ_path = "http://api.shortlink.ma/restapi/account/1/balance"
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append(status)

    environ = EnvironBuilder(path="/x", headers={"Authorization": AUTHORIZATION}).get_environ()
    environ["PATH_INFO"] = environ_path
    body = b"".join(app(environ, start_response))
    assert seen == ["200 OK"], body
    assert json.loads(body)["currency"] == "EUR"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("application/json, text/plain, */*", JSON),
        ("*/*", JSON),
        (XML, XML),
        ("text/xml", XML),
        ("application/xml;q=0.9, application/json", JSON),
        ("text/html, application/xml;q=0.8, */*;q=0.1", XML),
    ],
)
def test_content_negotiation_of_reads(mock: Transport, dialect: str, accept: str | None, media: str) -> None:
    headers = {"Authorization": AUTHORIZATION}
    if accept:
        headers["Accept"] = accept
    answer = mock.get(path_of(dialect, "get_reports"), headers=headers)
    assert answer.status == 200 and answer.media == media, answer
    assert_valid(dialect, "get_reports", answer)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("wire", ["json", "xml"])
def test_without_accept_a_send_is_answered_in_its_own_format(
    mock: Transport, dialect: str, wire: str
) -> None:
    answer = mock.call(dialect, "send_text_advanced", advanced([SWISS]), wire=wire, accept=None)
    assert answer.media == (JSON if wire == "json" else XML)
    answer = mock.call(dialect, "send_text_advanced", advanced([SWISS]), wire=wire, accept="*/*")
    assert answer.media == (JSON if wire == "json" else XML)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_content_type_on_a_get_without_a_body_is_ignored(mock: Transport, dialect: str) -> None:
    for content_type in (JSON, XML, "text/plain"):
        headers = {"Authorization": AUTHORIZATION, "Content-Type": content_type, "Accept": JSON}
        answer = mock.get(path_of(dialect, "get_reports"), headers=headers)
        assert answer.status == 200 and answer.media == JSON, answer
    balance_answer = mock.get(
        "/restapi/account/1/balance", headers={"Authorization": AUTHORIZATION, "Content-Type": JSON}
    )
    assert balance_answer.status == 200


@pytest.mark.parametrize("accept", ["text/html", "text/plain", "application/json;q=0"])
def test_qikli_answers_an_accept_it_cannot_serve_with_its_general_error(mock: Transport, accept: str) -> None:
    """errata qikli-accept-default: an unsupported Accept gets the 400 General error in JSON."""
    answer = mock.get("/sms/1/reports", headers={"Authorization": AUTHORIZATION, "Accept": accept})
    assert answer.media == JSON
    _general_error(answer, "qikli", "Accept")
    body = json.dumps(advanced([SWISS])).encode()
    headers = {"Authorization": AUTHORIZATION, "Accept": accept, "Content-Type": JSON}
    _general_error(mock.post("/sms/2/text/advanced", body, headers), "qikli", "Accept")
    assert mock.control.messages() == []


def test_qikli_paths_status_and_error_group_spelling(mock: Transport) -> None:
    sent = mock.call(
        "qikli", "send_text_advanced", advanced([{"to": SWISS, "messageId": "Q-1"}], bulk_id="QB")
    )
    entry = sent.json()["messages"][0]
    assert entry["status"] == {
        "groupId": 1,
        "groupName": "PENDING",
        "id": 26,
        "name": "MESSAGE_ACCEPTED",
        "description": "Message sent to next instance",
    }
    mock.control.advance(10)
    reports = mock.call("qikli", "get_reports", query={"messageId": "Q-1"}).json()["results"]
    assert [report["messageId"] for report in reports] == ["Q-1"]
    assert reports[0]["bulkId"] == "QB"
    assert reports[0]["error"]["groupName"] == "Ok"
    assert reports[0]["error"]["id"] == 0


def test_qikli_speaks_xml(mock: Transport) -> None:
    sent = mock.call("qikli", "send_text_advanced", advanced([SWISS, CROATIAN]), wire="xml", accept=XML)
    assert sent.xml().tag in ("SendSMSResponse", "SMSResponse")
    mock.control.advance(10)
    reports = mock.call("qikli", "get_reports", accept=XML).xml()
    assert reports.tag == "SMSReportResponse"
    assert {item.findtext("error/groupName") for item in reports.iter("results")} == {"Ok"}


def test_the_dialects_keep_their_own_queues(mock: Transport) -> None:
    mock.api("qikli", "send_text_advanced", advanced([SWISS]))
    mock.api("shortlink", "send_text_advanced", advanced([CROATIAN]))
    mock.control.advance(10)
    assert [report["to"] for report in report_list(mock, "qikli")] == [SWISS]
    assert [report["to"] for report in report_list(mock, "shortlink")] == [CROATIAN]
    assert [entry["to"] for entry in log_list(mock)] == [CROATIAN], "qikli's sends are not shortlink's logs"


@pytest.mark.parametrize(
    "path", ["/restapi/sms/1/binary/single", "/1/sms/binary/single", "/restapi/1/sms/binary/single"]
)
def test_every_documented_binary_path_is_served(mock: Transport, path: str) -> None:
    headers = {"Authorization": AUTHORIZATION, "Content-Type": JSON, "Accept": JSON}
    body = json.dumps({"to": SWISS, "binary": {"hex": "01 02"}}).encode()
    answer = mock.post(path, body, headers)
    assert answer.status == 200, answer
    assert_valid("shortlink", "send_binary_single", answer)


def test_logs_by_post_with_a_query(mock: Transport) -> None:
    """errata shortlink-logs-post: the XML examples POST the logs query with no body."""
    mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": SWISS, "text": "x"})
    headers = {"Authorization": AUTHORIZATION, "Accept": XML}
    answer = mock.request("POST", "/restapi/sms/1/logs", b"", headers, {"from": "InfoSMS", "limit": "1"})
    assert answer.status == 200, answer
    assert_valid("shortlink", "get_logs", answer)
    assert [leaf for leaf in leaves(answer.data()) if leaf[0] == "results/to"] == [("results/to", SWISS)]


# 9. scheduling and validity


@pytest.mark.parametrize("dialect", DIALECTS)
def test_send_at_keeps_the_message_accepted_until_it_is_due(mock: Transport, dialect: str) -> None:
    send_at = moment(mock, 3600)
    reply = mock.api(dialect, "send_text_advanced", advanced([SWISS], sendAt=send_at))
    message_id = reply["messages"][0]["messageId"]

    def status() -> str:
        return mock.control.message(message_id)["status"]

    assert status() == "MESSAGE_ACCEPTED"
    mock.control.advance(3599)
    assert status() == "MESSAGE_ACCEPTED"
    assert report_list(mock, dialect) == []
    if dialect == "shortlink":
        (log,) = log_list(mock)
        assert log["status"]["groupName"] == "ACCEPTED"
    mock.control.advance(1)
    assert status() == "PENDING_ENROUTE"
    mock.control.advance(3)
    (report,) = report_list(mock, dialect)
    assert status_of(report) == "DELIVERED_TO_HANDSET"
    assert report["sentAt"].startswith(send_at[:19])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_send_at_in_the_past_sends_at_once(mock: Transport, dialect: str) -> None:
    mock.api(dialect, "send_text_advanced", advanced([SWISS], sendAt="2015-07-07T17:00:00.000+01:00"))
    mock.control.advance(2.9)
    assert report_list(mock, dialect) == []
    mock.control.advance(0.2)
    assert len(report_list(mock, dialect)) == 1


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("between", [0.0, 0.0000004, 0.0000006])
def test_an_outcome_falls_due_exactly_after_its_delay(mock: Transport, dialect: str, between: float) -> None:
    """A frozen clock may stand between two microseconds (a frozen `time.time()` does, more often than
    not); a number delivered after 1 s is still delivered when the clock has moved exactly 1 s."""
    whole = (mock.app.clock.now() + timedelta(hours=1)).replace(microsecond=0)
    mock.control.set_clock(at=whole.isoformat())
    mock.control.advance(between)
    mock.api(dialect, "send_text_advanced", advanced(["15550001001"]))
    mock.control.advance(1)
    assert [status_of(report) for report in report_list(mock, dialect)] == ["DELIVERED_TO_HANDSET"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_validity_period_expires_a_message_never_delivered(mock: Transport, dialect: str) -> None:
    reply = mock.api(dialect, "send_text_advanced", advanced([NEVER_DELIVERED], validityPeriod=1))
    message_id = reply["messages"][0]["messageId"]
    mock.control.advance(59)
    assert report_list(mock, dialect) == []
    mock.control.advance(2)
    (report,) = report_list(mock, dialect)
    assert report["messageId"] == message_id
    assert report["status"]["groupName"] == "EXPIRED"
    assert status_of(report) == "EXPIRED_EXPIRED"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_validity_period_over_48_hours_is_clamped(mock: Transport, dialect: str) -> None:
    """errata shortlink-validity-period-over-48h: the mock sets 48 h instead of rejecting."""
    reply = mock.api(dialect, "send_text_advanced", advanced([NEVER_DELIVERED], validityPeriod=2881))
    assert status_of(reply["messages"][0]) == "MESSAGE_ACCEPTED"
    message_id = reply["messages"][0]["messageId"]
    message = mock.control.message(message_id)
    window = datetime.fromisoformat(message["expiresAt"]) - datetime.fromisoformat(message["submittedAt"])
    assert window == timedelta(hours=48)
    mock.control.advance(48 * 3600 - 1)
    assert report_list(mock, dialect) == []
    mock.control.advance(2)
    assert [status_of(report) for report in report_list(mock, dialect)] == ["EXPIRED_EXPIRED"]


def test_without_a_validity_period_a_message_expires_after_48_hours(mock: Transport) -> None:
    mock.api("shortlink", "send_text_single", {"from": "InfoSMS", "to": NEVER_DELIVERED, "text": "x"})
    mock.control.advance(47 * 3600)
    assert report_list(mock) == []
    mock.control.advance(3600 + 1)
    assert [status_of(report) for report in report_list(mock)] == ["EXPIRED_EXPIRED"]
