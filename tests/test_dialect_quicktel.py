"""The quicktel dialect as a client sees it: XML requests to POST /quicktel/xml, raw or in a form field.

Most tests talk to `werkzeug.test.Client(MockApp())`; those taking the `mock` fixture run a second time
against a `MockServer` on a real socket. Each runs on every store (memory, SQLite, Redis). The clock is
frozen: a test moves it with `control.advance()` and never sleeps.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import urlencode
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import MockPerStore
from transports import Exchanged, over_http, over_wsgi
from werkzeug.test import Client

from smsmock import strategies
from smsmock.contracts import code_tables, errata, errors, examples, validate
from smsmock.contracts.validation import MAX_XML_OCTETS
from smsmock.dialects.quicktel import Quicktel
from smsmock.encoding import dialect_profiles, measure
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.control import Control, ControlError
from smsmock.server.thread import MockServer

PATH = "/quicktel/xml"
LOGIN, PASSWORD = "Aladdin", "open sesame"
"""The documents' own credentials, accepted out of the box."""
XML = "application/xml"
FORM = "application/x-www-form-urlencoded"

SWISS = "41793026727"
DELIVERED_FAST = "15550001001"
ABSENT = "15550001003"
DND = "15550001005"
NEVER_DELIVERED = "15550001006"
NO_CREDITS = "15550001007"
QUEUED = "15550001014"
"""Waits 600 s in the queue (status 1), then is delivered 1 s after it is sent."""

pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis, in process and over HTTP alike."""

REQUEST_ERRORS = {row["name"]: row for row in code_tables("quicktel")["request_errors_own"].rows}
CODES = {row["res"]: row for row in REQUEST_ERRORS.values()}
STATUS_NAMES = {row["status"]: row["name"] for row in code_tables("quicktel")["delivery_statuses"].rows}
ESCAPES = {row["character"]: row["replacement"] for row in code_tables("quicktel")["xml_escapes_own"].rows}
PROFILE = dialect_profiles("quicktel")["text"]


# requests


class Sms(NamedTuple):
    """One <sms> of an sms_send request; None leaves an attribute out, but gives sms_id a fresh value."""

    number: str | None = SWISS
    text: str | None = "Hello"
    sms_id: str | None = None
    source_number: str | None = "sender"
    ttl: str | None = None


def escape_text(text: str) -> str:
    """A client's escaping: the document's table in one pass, and CR as a reference (XML drops a raw one)."""
    return "".join(ESCAPES.get(char, "&#13;" if char == "\r" else char) for char in text)


_sms_ids = itertools.count(1)


def send_body(*messages: Sms, login: str = LOGIN, password: str = PASSWORD) -> bytes:
    """An sms_send request; each sms without an sms_id gets a fresh one."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_send">']
    parts.append(f"<xml_user lgn={quoteattr(login)} pwd={quoteattr(password)}/>")
    for sms in messages:
        fields = {
            "sms_id": str(next(_sms_ids)) if sms.sms_id is None else sms.sms_id,
            "number": sms.number,
            "source_number": sms.source_number,
            "ttl": sms.ttl,
        }
        attributes = "".join(
            f" {key}={quoteattr(value)}" for key, value in fields.items() if value is not None
        )
        parts.append(f"<sms{attributes}>{escape_text(sms.text or '')}</sms>")
    parts.append("</xml_request>")
    return "".join(parts).encode()


def status_body(*push_ids: str, login: str = LOGIN, password: str = PASSWORD) -> bytes:
    items = "".join(f"<sms push_id={quoteattr(push_id)}/>" for push_id in push_ids)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_status2">'
        f"<xml_user lgn={quoteattr(login)} pwd={quoteattr(password)}/>{items}</xml_request>"
    ).encode()


def as_form(xml: bytes) -> bytes:
    return urlencode({"xml": xml.decode()}).encode()


# replies


class Answer(NamedTuple):
    status: int
    content_type: str
    body: bytes

    @property
    def root(self) -> ElementTree.Element:
        return ElementTree.fromstring(self.body)

    @property
    def res(self) -> str:
        return self.root.attrib["res"]

    def items(self) -> list[dict[str, str]]:
        """The attributes of each <push> (sms_send) or <sms> (sms_status2) in order."""
        return [dict(item.attrib) for item in self.root]


def assert_follows(answer: Answer, operation: str) -> None:
    """An HTTP 200 XML reply that validates against `operation`'s reply contract, or `error`'s."""
    assert answer.status == 200, answer
    assert answer.content_type == "application/xml; charset=UTF-8", answer
    contract = "error" if "description" in answer.root.attrib else operation
    found = errors(validate("quicktel", contract, "response", answer.body, answer.content_type))
    assert found == [], "\n".join(map(str, found)) + f"\nbody: {answer.body[:600]!r}"


def assert_refused(answer: Answer, error: str) -> None:
    """A whole-request error, as request_errors_own words it."""
    assert_follows(answer, "error")
    assert answer.root.attrib == {
        "res": str(REQUEST_ERRORS[error]["res"]),
        "description": REQUEST_ERRORS[error]["description"],
    }, answer.body
    assert list(answer.root) == []


def errors_of(exchange: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The errors a journaled request breaks of its contract (warnings left out)."""
    return [item for item in exchange["request"]["violations"] if item["severity"] == "error"]


# transports


class Transport:
    """A client of one fresh mock; `send`/`status` assert the reply follows its contract."""

    name = ""

    def __init__(self, app: MockApp) -> None:
        self.app = app

    @property
    def control(self) -> Control:
        return self.app.control

    def post(self, body: bytes, content_type: str | None = XML) -> Answer:
        raise NotImplementedError

    def send(self, *messages: Sms, form: bool = False, **credentials: str) -> Answer:
        body = send_body(*messages, **credentials)
        answer = self.post(as_form(body), FORM) if form else self.post(body)
        assert_follows(answer, "sms_send")
        return answer

    def status(self, *push_ids: str, **credentials: str) -> list[dict[str, str]]:
        answer = self.post(status_body(*push_ids, **credentials))
        assert_follows(answer, "sms_status2")
        assert answer.root.attrib == {"name": "sms_status2", "res": "0"}
        return answer.items()

    def push_id(self, sms: Sms) -> str:
        [push] = self.send(sms).items()
        assert push["res"] == "0", push
        return push["push_id"]

    def status_of(self, push_id: str) -> dict[str, str]:
        [item] = self.status(push_id)
        return item


class WsgiTransport(Transport):
    name = "wsgi"

    def __init__(self, app: MockApp) -> None:
        super().__init__(app)
        self.client = Client(app)

    def post(self, body: bytes, content_type: str | None = XML) -> Answer:
        return _answer(over_wsgi(self.client, "POST", PATH, body=body, content_type=content_type))


class HttpTransport(Transport):
    name = "http"

    def __init__(self, server: MockServer) -> None:
        super().__init__(server.app)
        self.server = server

    def post(self, body: bytes, content_type: str | None = XML) -> Answer:
        return _answer(over_http(self.server.port, "POST", PATH, body=body, content_type=content_type))


def _answer(reply: Exchanged) -> Answer:
    return Answer(reply.status, reply.content_type, reply.body)


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


@pytest.fixture
def client() -> Transport:
    """A fresh in-process mock with a frozen clock."""
    return WsgiTransport(MockApp(MockConfig(clock_frozen=True)))


PROPERTY = settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
"""Property tests share one mock per test; each example checks only what it sent itself."""


def stored(mock: Transport) -> list[dict[str, Any]]:
    return mock.control.messages(dialect="quicktel")


def balance(mock: Transport) -> Decimal:
    return mock.control.balance()


def delivery_moment(at: datetime) -> dict[str, str]:
    return {"delivery_date": at.strftime("%d.%m.%Y"), "delivery_time": at.strftime("%H:%M:%S")}


NOT_DELIVERED = {"delivery_date": "", "delivery_time": ""}


# 1. the documented examples


def _example_requests() -> list[Any]:
    return [
        pytest.param(example, id=example["id"])
        for example in examples("quicktel")
        if example["direction"] == "request"
    ]


def _filled_in(body: str) -> str:
    """The example with the document's placeholders replaced: credentials and a number."""
    return body.replace('lgn="" pwd=""', f'lgn="{LOGIN}" pwd="{PASSWORD}"').replace("XXXXXXXXXXX", SWISS)


@pytest.mark.parametrize("example", _example_requests())
def test_documented_example_request_gets_a_reply_that_follows_its_contract(
    mock: Transport, example: dict[str, Any]
) -> None:
    """As printed, its empty lgn/pwd fail authorization; filled in, each sms gets its own answer."""
    assert example["path"] == PATH and example["method"] == "POST"
    operation = example["operation"]
    as_printed = mock.post(example["body"].encode())
    assert_refused(as_printed, "bad_credentials")
    assert stored(mock) == []

    body = _filled_in(example["body"]).encode()
    # Sent twice, raw and in the form field: the second time sms_id 1 is a reused one.
    for form, first_res in ((False, "0"), (True, "1")):
        answer = mock.post(as_form(body), FORM) if form else mock.post(body)
        assert_follows(answer, operation)
        if operation == "sms_send":
            # errata quicktel-empty-source-number: the 2nd and 3rd sms have source_number="".
            assert [push["res"] for push in answer.items()] == [first_res, "-3003", "-3003"]
            assert [push["sms_id"] for push in answer.items()] == ["1", "2", "s_3"]
        else:
            # push_id="" names no message: Bad submit_id (errata quicktel-status-by-group).
            assert [item["status"] for item in answer.items()] == ["-1"] * 4
    assert len(stored(mock)) == (1 if operation == "sms_send" else 0)


# 2. whole-request errors: nothing is sent


def _nested(depth: int) -> bytes:
    return b"<xml_request name='sms_send'>" + b"<sms>" * depth + b"</sms>" * depth + b"</xml_request>"


_LAUGHS = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
BILLION_LAUGHS = (
    f'<?xml version="1.0"?><!DOCTYPE xml_request [{"".join(_LAUGHS)}]>'
    "<xml_request name='sms_send'><xml_user lgn='Aladdin' pwd='open sesame'/>"
    "<sms sms_id='1' number='41793026727' source_number='sender'>&lol9;</sms></xml_request>"
).encode()
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml_request name='sms_send'><xml_user lgn='Aladdin' pwd='open sesame'/>"
    b"<sms sms_id='1' number='41793026727' source_number='sender'>&xxe;</sms></xml_request>"
)
GOOD = send_body(Sms(sms_id="1"))
TYPOGRAPHIC = GOOD.decode().replace('name="sms_send"', "name=″sms_send″").encode()
"""errata quicktel-typographic-quotes: the document's own ″ quotes."""

REQUEST_ERROR_CASES = [
    ("malformed_xml", GOOD[: len(GOOD) // 2], XML),
    ("malformed_xml", TYPOGRAPHIC, XML),
    ("malformed_xml", GOOD.replace(b"Hello", b"Fish & chips"), XML),
    ("malformed_xml", GOOD.replace(b"Hello", b"\xff\xfe Hello"), XML),
    ("malformed_xml", GOOD.decode().replace("Hello", "Привет").encode("cp1251"), XML),
    ("malformed_xml", b"xml=not+xml+at+all", FORM),
    ("malformed_xml", b"xml=%3Cxml_request", FORM),
    ("malformed_xml", b'{"xml": "json"}', "application/json"),
    ("unknown_request_name", GOOD.replace(b'name="sms_send"', b'name="sms_balance"'), XML),
    ("unknown_request_name", GOOD.replace(b' name="sms_send"', b""), XML),
    ("unknown_request_name", b"<request name='sms_send'/>", XML),
    ("bad_credentials", send_body(Sms(), password="open sesame!"), XML),
    ("bad_credentials", send_body(Sms(), login=""), XML),
    ("bad_credentials", re.sub(rb"<xml_user[^>]*/>", b"", GOOD), XML),
    ("bad_credentials", status_body("1", login="aladdin"), XML),
    ("too_many_sms", send_body(*[Sms()] * 251), XML),
    ("too_many_sms", status_body(*["1"] * 251), XML),
    ("empty_request", b"", XML),
    ("empty_request", b" \r\n", None),
    ("empty_request", b"message=%3Cxml_request%2F%3E", FORM),
    ("empty_request", b"xml=", FORM),
    ("empty_request", send_body(), XML),
    ("body_rejected", BILLION_LAUGHS, XML),
    ("body_rejected", EXTERNAL_ENTITY, XML),
    ("body_rejected", b"<!DOCTYPE xml_request>" + GOOD[GOOD.index(b"<xml_request") :], XML),
    ("body_rejected", send_body(Sms(text="x" * MAX_XML_OCTETS)), XML),
    ("invalid_structure", GOOD.replace(b"</xml_request>", b"<balance/></xml_request>"), XML),
    ("invalid_structure", GOOD.replace(b"<sms ", b'<sms flash="1" '), XML),
    ("invalid_structure", GOOD.replace(b'name="sms_send"', b'name="sms_send" version="2"'), XML),
    ("invalid_structure", GOOD.replace(b"Hello", b"Hello <b>world</b>"), XML),
    ("invalid_structure", GOOD.replace(b"<sms ", b'<xml_user lgn="a" pwd="b"/><sms '), XML),
    ("invalid_structure", status_body("1").replace(b"push_id", b"sms_id"), XML),
    ("invalid_structure", _nested(40), XML),
    # An xsi:type naming a type the contract lacks: xmlschema raised where it should report (a 500).
    (
        "invalid_structure",
        GOOD.replace(
            b"<sms ", b'<sms xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string" '
        ),
        XML,
    ),
]


@pytest.mark.parametrize(
    ("error", "body", "content_type"),
    REQUEST_ERROR_CASES,
    ids=[f"{error}-{index}" for index, (error, _, _) in enumerate(REQUEST_ERROR_CASES)],
)
def test_a_request_error_answers_the_whole_request_and_sends_nothing(
    client: Transport, error: str, body: bytes, content_type: str | None
) -> None:
    before = balance(client)
    assert_refused(client.post(body, content_type), error)
    assert stored(client) == [] and balance(client) == before
    [exchange] = client.control.journal(dialect="quicktel")
    assert exchange["response"]["operation"] == "error" and exchange["response"]["violations"] == []


def test_every_request_error_code_is_produced() -> None:
    produced = {REQUEST_ERRORS[error]["res"] for error, _, _ in REQUEST_ERROR_CASES}
    assert produced == {row["res"] for row in REQUEST_ERRORS.values() if row["scope"] == "request"}


def test_a_request_error_over_real_http(mock: Transport) -> None:
    assert_refused(mock.post(BILLION_LAUGHS), "body_rejected")
    assert_refused(mock.post(GOOD[:-5]), "malformed_xml")
    assert_refused(mock.post(b""), "empty_request")
    assert stored(mock) == []


# 3. per-SMS errors: the other messages go on


SMS_ERROR_CASES = [
    ("invalid_number", Sms(number="")),
    ("invalid_number", Sms(number=None)),
    ("invalid_number", Sms(number="XXXXXXXXXXX")),
    ("invalid_number", Sms(number="+41 79 302 67 27")),
    ("number_too_long", Sms(number="4" * 26)),
    ("invalid_source_number", Sms(source_number="")),
    ("invalid_source_number", Sms(source_number=None)),
    ("invalid_source_number", Sms(source_number="SenderTwelve")),
    ("invalid_source_number", Sms(source_number="4" * 17)),
    ("invalid_source_number", Sms(source_number=" sender")),
    ("invalid_sms_id", Sms(sms_id="")),
    ("invalid_sms_id", Sms(sms_id="x" * 51)),
    ("empty_text", Sms(text="")),
    ("invalid_ttl", Sms(ttl="0")),
    ("invalid_ttl", Sms(ttl="ten")),
    ("invalid_ttl", Sms(ttl="-5")),
    ("invalid_ttl", Sms(ttl="05")),
    ("insufficient_balance", Sms(number=NO_CREDITS)),
]


@pytest.mark.parametrize(("error", "sms"), SMS_ERROR_CASES, ids=[error for error, _ in SMS_ERROR_CASES])
def test_a_per_sms_error_fails_that_sms_only(client: Transport, error: str, sms: Sms) -> None:
    answer = client.send(Sms(number=DELIVERED_FAST), sms, Sms(number=SWISS))
    assert answer.root.attrib == {"xml_name": "sms_send", "res": "0"}
    sent, failed, other = answer.items()
    row = REQUEST_ERRORS[error]
    assert failed == {"sms_id": failed["sms_id"], "res": str(row["res"]), "description": row["description"]}
    assert sent["res"] == other["res"] == "0"
    assert {message["id"] for message in stored(client)} >= {sent["push_id"], other["push_id"]}
    assert balance(client) == Decimal("100") - 2 * Decimal("0.01"), "only the sent ones are charged"


def test_every_per_sms_error_code_is_produced() -> None:
    produced = {REQUEST_ERRORS[error]["res"] for error, _ in SMS_ERROR_CASES}
    assert produced == {row["res"] for row in REQUEST_ERRORS.values() if row["scope"] == "sms"}


@pytest.mark.parametrize("sms_id", [None, "", "x" * 51])
def test_an_sms_id_the_reply_cannot_carry_is_replaced_by_its_position(client: Transport, sms_id: Any) -> None:
    """errata quicktel-unechoable-sms-id."""
    body = send_body(Sms(sms_id="a"), Sms(sms_id="b"), Sms(sms_id="c"))
    if sms_id is None:
        body = body.replace(b' sms_id="c"', b"")
    else:
        body = body.replace(b'sms_id="c"', f"sms_id={quoteattr(sms_id)}".encode())
    answer = client.post(body)
    assert_follows(answer, "sms_send")
    assert [(push["sms_id"], push["res"]) for push in answer.items()] == [
        ("a", "0"),
        ("b", "0"),
        ("3", "-3004"),
    ]


def test_an_empty_balance_fails_each_sms_with_3007_and_charges_nothing(mock: Transport) -> None:
    mock.control.set_balance("default", "0.015")
    pushes = mock.send(Sms(sms_id="paid"), Sms(sms_id="unpaid")).items()
    assert [push["res"] for push in pushes] == ["0", "-3007"]
    assert "push_id" not in pushes[1]
    assert balance(mock) == Decimal("0.005")
    # errata quicktel-core-rejections: a refused sms_id is not used up; once paid for, it is sent.
    mock.control.set_balance("default", "1")
    [retry] = mock.send(Sms(sms_id="unpaid")).items()
    assert retry["res"] == "0" and retry["push_id"]


def test_a_rejection_by_rule_is_sent_and_then_reported_as_1004(mock: Transport) -> None:
    """errata quicktel-core-rejections: a do-not-disturb number gets a push_id, then -1004 at once."""
    push_id = mock.push_id(Sms(number=DND))
    assert mock.status_of(push_id) == {
        "push_id": push_id,
        "status": "-1004",
        "number": DND,
        **NOT_DELIVERED,
        "description": STATUS_NAMES[-1004],
    }


def test_a_rule_may_answer_with_a_per_sms_code(client: Transport) -> None:
    blocked = {"to": "15550009999", "dialect": "quicktel", "code": -3003, "status": "REJECTED_SOURCE"}
    client.control.load_rules({"default": {"status": "DELIVERED_TO_HANDSET"}, "rules": [blocked]})
    [push] = client.send(Sms(number="15550009999")).items()
    assert push["res"] == "-3003"
    assert push["description"] == REQUEST_ERRORS["invalid_source_number"]["description"]


# 4. the 250 boundary


def test_250_sms_are_sent_and_251_are_refused_whole(mock: Transport) -> None:
    assert_refused(mock.post(send_body(*[Sms(number=SWISS)] * 251)), "too_many_sms")
    assert stored(mock) == []
    answer = mock.send(*[Sms(number=SWISS)] * 250)
    assert [push["res"] for push in answer.items()] == ["0"] * 250
    push_ids = [push["push_id"] for push in answer.items()]
    assert len(set(push_ids)) == 250 and all(push_id.isdigit() for push_id in push_ids)
    assert len(stored(mock)) == 250
    assert [item["status"] for item in mock.status(*push_ids)] == ["2"] * 250
    assert_refused(mock.post(status_body(*push_ids, push_ids[0])), "too_many_sms")


# 5. a reused sms_id


def test_a_reused_sms_id_answers_1_with_the_first_push_and_sends_nothing(mock: Transport) -> None:
    """errata quicktel-duplicate-sms-id-res."""
    [first] = mock.send(Sms(sms_id="order-42", number=SWISS, text="Hello")).items()
    charged = balance(mock)
    [again] = mock.send(Sms(sms_id="order-42", number=DELIVERED_FAST, text="x" * 200)).items()
    assert again == {**first, "res": "1"}, "the first attempt's push_id, number and sms_count"
    assert len(stored(mock)) == 1 and balance(mock) == charged


def test_an_sms_id_reused_within_one_request(client: Transport) -> None:
    pushes = client.send(Sms(sms_id="twin"), Sms(sms_id="twin", number=DELIVERED_FAST)).items()
    assert [push["res"] for push in pushes] == ["0", "1"]
    assert pushes[0]["push_id"] == pushes[1]["push_id"] and len(stored(client)) == 1


def test_sms_ids_belong_to_their_account(client: Transport) -> None:
    client.control.put_account({"name": "other", "username": "Bob", "password": "secret"})
    [mine] = client.send(Sms(sms_id="shared")).items()
    [theirs] = client.send(Sms(sms_id="shared"), login="Bob", password="secret").items()
    assert theirs["res"] == "0" and theirs["push_id"] != mine["push_id"]


# 6. the lifecycle in sms_status2


def test_queued_then_sent_then_delivered(mock: Transport) -> None:
    """1 -> 2 -> 4, with delivery_date/time of the moment of delivery on the mock clock."""
    start = mock.app.clock.now()
    push_id = mock.push_id(Sms(number=QUEUED))
    expected = {"push_id": push_id, "number": QUEUED, **NOT_DELIVERED}
    assert mock.status_of(push_id) == {**expected, "status": "1", "description": STATUS_NAMES[1]}
    mock.control.advance(599.5)
    assert mock.status_of(push_id)["status"] == "1"
    mock.control.advance(0.5)
    assert mock.status_of(push_id) == {**expected, "status": "2", "description": STATUS_NAMES[2]}
    mock.control.advance(1)
    delivered = start + timedelta(seconds=601)
    assert mock.status_of(push_id) == {
        **expected,
        "status": "4",
        **delivery_moment(delivered),
        "description": STATUS_NAMES[4],
    }


def test_delivery_date_and_time_follow_the_mock_clock_across_midnight() -> None:
    start = datetime(2024, 2, 29, 23, 59, 58, tzinfo=timezone.utc)
    mock = WsgiTransport(MockApp(MockConfig(clock_frozen=True, clock_start=start)))
    push_id = mock.push_id(Sms(number=DELIVERED_FAST))
    mock.control.advance(1)
    assert mock.status_of(push_id)["status"] == "4"
    assert {key: mock.status_of(push_id)[key] for key in NOT_DELIVERED} == {
        "delivery_date": "29.02.2024",
        "delivery_time": "23:59:59",
    }
    late = mock.push_id(Sms(number=DELIVERED_FAST))
    mock.control.advance(1.5)
    assert {key: mock.status_of(late)[key] for key in NOT_DELIVERED} == {
        "delivery_date": "01.03.2024",
        "delivery_time": "00:00:00",
    }


def test_an_absent_subscriber_ends_in_1004(mock: Transport) -> None:
    push_id = mock.push_id(Sms(number=ABSENT))
    assert mock.status_of(push_id)["status"] == "2"
    mock.control.advance(5)
    assert mock.status_of(push_id) == {
        "push_id": push_id,
        "status": "-1004",
        "number": ABSENT,
        **NOT_DELIVERED,
        "description": STATUS_NAMES[-1004],
    }


def test_ttl_expires_an_undelivered_message(mock: Transport) -> None:
    """errata quicktel-ttl-expiry: not delivered within ttl minutes -> -1004."""
    with_ttl = mock.push_id(Sms(number=NEVER_DELIVERED, ttl="10"))
    without = mock.push_id(Sms(number=NEVER_DELIVERED))
    mock.control.advance(599)
    assert [item["status"] for item in mock.status(with_ttl, without)] == ["2", "2"]
    mock.control.advance(1)
    assert [item["status"] for item in mock.status(with_ttl, without)] == ["-1004", "2"]
    assert [message["status"] for message in stored(mock) if message["id"] == with_ttl] == ["EXPIRED_EXPIRED"]


def test_ttl_does_not_stop_a_delivery_that_comes_in_time(client: Transport) -> None:
    push_id = client.push_id(Sms(number=SWISS, ttl="1"))
    client.control.advance(3)
    assert client.status_of(push_id)["status"] == "4"
    client.control.advance(120)
    assert client.status_of(push_id)["status"] == "4"


def test_a_ttl_beyond_48_hours_expires_after_48_hours(client: Transport) -> None:
    """errata quicktel-ttl-cap."""
    push_id = client.push_id(Sms(number=NEVER_DELIVERED, ttl="100000"))
    client.control.advance(48 * 3600 - 1)
    assert client.status_of(push_id)["status"] == "2"
    client.control.advance(1)
    assert client.status_of(push_id)["status"] == "-1004"


# 7. push_ids the account does not have


def test_unknown_and_foreign_push_ids_are_bad_submit_ids(mock: Transport) -> None:
    mine = mock.push_id(Sms(number=SWISS))
    mock.control.put_account({"name": "other", "username": "Bob", "password": "secret"})
    answer = mock.status(mine, "123456789", "", "x&<'\"", login="Bob", password="secret")
    unknown = {"status": "-1", **NOT_DELIVERED, "description": STATUS_NAMES[-1]}
    assert answer == [{"push_id": push_id, **unknown} for push_id in (mine, "123456789", "", "x&<'\"")], (
        "no number for an id the account does not have (errata quicktel-status2-attributes)"
    )
    assert mock.status_of(mine)["status"] == "2", "its own account still finds it"


def test_a_missing_push_id_is_a_bad_submit_id(client: Transport) -> None:
    answer = client.post(status_body("1").replace(b' push_id="1"', b""))
    assert_follows(answer, "sms_status2")
    assert answer.items() == [
        {"push_id": "", "status": "-1", **NOT_DELIVERED, "description": STATUS_NAMES[-1]}
    ]


# 8. text and escaping


_XML_CHAR = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def _xml_chars(text: str) -> bool:
    """Whether XML 1.0 can carry the text at all (no C0 controls but tab, LF, CR; no U+FFFE/U+FFFF)."""
    return _XML_CHAR.fullmatch(text) is not None


ESCAPING_CASES = [
    "Fish & chips",
    "<b>bold</b>",
    "1 > 0 and 0 < 1",
    'He said "hi"',
    "it's",
    "100% sure",
    "1+1=2 and a+b",
    "&amp; stays &amp;",
    "Привет, мир! Цена: 100 ₽",
    "Grüße 😀👍🇸🇪",
    "  leading and trailing  ",
    "line one\r\nline two\ttab",
    "€[]{}^~|\\",
]


@pytest.mark.parametrize("form", [False, True], ids=["raw", "form"])
@pytest.mark.parametrize("text", ESCAPING_CASES)
def test_escaped_text_arrives_intact(mock: Transport, text: str, form: bool) -> None:
    [push] = mock.send(Sms(text=text), form=form).items()
    assert mock.control.message(push["push_id"])["text"] == text


@given(
    text=strategies.sms_texts(max_size=300).filter(lambda text: text and _xml_chars(text)), form=st.booleans()
)
@PROPERTY
def test_any_text_is_stored_as_the_client_meant_it_and_counted_as_the_engine_counts(
    client: Transport, text: str, form: bool
) -> None:
    [push] = client.send(Sms(text=text), form=form).items()
    assert push["res"] == "0", push
    assert client.control.message(push["push_id"])["text"] == text
    assert int(push["sms_count"]) == measure(text, profile=PROFILE).segments
    exchange = client.control.journal(limit=1)[0]
    assert exchange["operation"] == "sms_send" and errors_of(exchange) == []


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("ж" * 70, 1),
        ("ж" * 71, 2),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
    ],
    ids=lambda value: str(value)[:12],
)
def test_sms_count_is_the_segment_count(client: Transport, text: str, count: int) -> None:
    [push] = client.send(Sms(text=text)).items()
    assert push["sms_count"] == str(count) == str(measure(text, profile=PROFILE).segments)
    assert balance(client) == Decimal("100") - count * Decimal("0.01")


def test_the_reply_escapes_what_it_echoes(mock: Transport) -> None:
    sms_id = "<id> & \"quoted\" 'apos' ж😀"
    [push] = mock.send(Sms(sms_id=sms_id)).items()
    assert push["sms_id"] == sms_id


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (GOOD, XML),
        (GOOD, "text/xml"),
        (GOOD, "text/plain"),
        (GOOD, None),
        (GOOD, FORM),
        (b"\xef\xbb\xbf\n  " + GOOD, XML),
        (as_form(GOOD), FORM),
        (as_form(GOOD), None),
        (as_form(GOOD) + b"&other=1", FORM),
    ],
    ids=[
        "xml",
        "text-xml",
        "text-plain",
        "no-type",
        "raw-under-form-type",
        "bom",
        "form",
        "form-no-type",
        "form-more",
    ],
)
def test_the_xml_is_read_raw_or_from_the_form_field(
    client: Transport, body: bytes, content_type: str | None
) -> None:
    """errata quicktel-transport; the contract check reads the request as the mock does."""
    answer = client.post(body, content_type)
    assert_follows(answer, "sms_send")
    assert [push["res"] for push in answer.items()] == ["0"]
    assert errors(validate("quicktel", "sms_send", "request", body, content_type)) == []


@given(
    messages=st.lists(
        st.builds(Sms, number=strategies.phone_numbers(), text=strategies.sms_texts(max_size=160)),
        min_size=1,
        max_size=3,
    ),
    bom=st.booleans(),
)
@settings(max_examples=40, deadline=None)
def test_the_contract_check_reads_every_transport_of_one_document_alike(
    messages: list[Sms], bom: bool
) -> None:
    """Raw under either Content-Type, after a byte order mark or not, or in the form field: one verdict."""
    body = send_body(*messages)
    raw = (b"\xef\xbb\xbf" if bom else b"") + body
    verdicts = [
        [str(each) for each in errors(validate("quicktel", "sms_send", "request", sent, kind))]
        for sent, kind in [(raw, XML), (raw, FORM), (as_form(body), FORM)]
    ]
    assert verdicts[0] == verdicts[1] == verdicts[2], verdicts


@given(
    text=st.text(st.characters(exclude_categories=("Cs",)), max_size=20).filter(
        lambda t: t.strip()[:1] != "<"
    )
)
@settings(max_examples=40, deadline=None)
def test_a_body_or_form_field_that_is_no_xml_is_refused_as_such(text: str) -> None:
    """No text is taken for a file name or URL to read: it is not XML, and the check says so."""
    for sent, kind in [(as_form(text.encode()), FORM), (text.encode(), XML)]:
        found = [str(each) for each in errors(validate("quicktel", "sms_send", "request", sent, kind))]
        assert found, (sent, kind)
        assert not any("resource" in each or "file:" in each for each in found), found


# 9. hostile and arbitrary bodies


@given(body=st.binary(max_size=400), content_type=st.sampled_from([XML, FORM, "text/plain", None]))
@PROPERTY
def test_arbitrary_bytes_never_get_a_server_error_nor_send(
    client: Transport, body: bytes, content_type: str | None
) -> None:
    answer = client.post(body, content_type)
    assert_follows(answer, "error")
    assert stored(client) == []


@given(cut=st.integers(min_value=0, max_value=len(GOOD) - 1), form=st.booleans())
@PROPERTY
def test_a_truncated_request_is_refused_whole(client: Transport, cut: int, form: bool) -> None:
    body = GOOD[:cut]
    answer = client.post(as_form(body), FORM) if form else client.post(body)
    assert_follows(answer, "error")
    assert answer.res in {"-2001", "-2005"}
    assert stored(client) == []


@given(data=st.data())
@PROPERTY
def test_a_request_with_one_byte_changed_never_gets_a_server_error(
    client: Transport, data: st.DataObject
) -> None:
    body = bytearray(send_body(Sms(sms_id="1"), Sms(sms_id="2", number=QUEUED)))
    position = data.draw(st.integers(0, len(body) - 1))
    body[position] = data.draw(st.integers(0, 255))
    before = len(stored(client))
    answer = client.post(bytes(body))
    assert_follows(answer, "sms_send")
    if "description" in answer.root.attrib:
        assert len(stored(client)) == before, "a request error sends nothing"


# 10. faults, callbacks, routes and the journal


def test_fault_codes_are_the_request_errors() -> None:
    assert Quicktel().fault_codes == {
        row["res"] for row in REQUEST_ERRORS.values() if row["scope"] == "request"
    }


@pytest.mark.parametrize("code", sorted(res for res, row in CODES.items() if row["scope"] == "request"))
def test_a_fault_answers_with_its_code_and_sends_nothing(client: Transport, code: int) -> None:
    client.control.add_fault({"dialect": "quicktel", "code": code, "times": 1})
    answer = client.post(send_body(Sms()))
    assert_refused(answer, CODES[code]["name"])
    assert stored(client) == []
    assert client.send(Sms()).items()[0]["res"] == "0", "the fault was for one request"
    faulted = client.control.journal(dialect="quicktel")[0]
    assert faulted["operation"] == "sms_send" and faulted["response"]["operation"] == "error"


def test_a_fault_over_real_http_journals_the_requested_operation(mock: Transport) -> None:
    mock.control.add_fault({"dialect": "quicktel", "code": -2003, "times": 1})
    assert_refused(mock.post(status_body("1")), "bad_credentials")
    assert mock.control.journal(dialect="quicktel")[-1]["operation"] == "sms_status2"


@pytest.mark.parametrize("code", [-3007, -1004, 0, 1])
def test_only_request_errors_may_be_injected(client: Transport, code: int) -> None:
    with pytest.raises(ControlError, match="quicktel has no error code"):
        client.control.add_fault({"dialect": "quicktel", "code": code})


def test_quicktel_sends_no_callbacks() -> None:
    with pytest.raises(LookupError):
        Quicktel().render_callback(None)  # type: ignore[arg-type]


def test_one_route_serves_both_requests() -> None:
    assert [(path, methods) for path, methods, _ in Quicktel().routes()] == [(PATH, ("POST",))]


def test_the_journal_records_which_request_it_was(mock: Transport) -> None:
    push_id = mock.push_id(Sms())
    mock.status(push_id)
    mock.post(b"<nonsense")
    journal = mock.control.journal(dialect="quicktel")
    assert [(entry["operation"], entry["response"]["operation"]) for entry in journal] == [
        ("sms_send", "sms_send"),
        ("sms_status2", "sms_status2"),
        ("sms_send", "error"),
    ]
    assert all(entry["response"]["violations"] == [] for entry in journal)
    assert errors_of(journal[0]) == errors_of(journal[1]) == []
    assert [item["keyword"] for item in errors_of(journal[2])] == ["unparseable"]


def test_errata_of_the_dialect_exist() -> None:
    for erratum in (
        "quicktel-http-status",
        "quicktel-request-error-order",
        "quicktel-unechoable-sms-id",
        "quicktel-core-rejections",
        "quicktel-status-by-group",
        "quicktel-push-id",
        "quicktel-ttl-cap",
    ):
        assert errata()[erratum]["dialect"] == "quicktel"


def test_every_core_status_group_has_a_quicktel_status() -> None:
    rows = code_tables("quicktel")["delivery_status_by_group_own"]
    assert rows.own
    groups = {row["group_name"] for row in code_tables("shortlink")["status_groups"].rows}
    assert {row["group"] for row in rows.rows} == {*groups, None}, "None: no message has the push_id"
    assert {row["status"] for row in rows.rows} <= set(STATUS_NAMES)
