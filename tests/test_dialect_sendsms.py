"""The sendsms dialect as a client sees it: send_sms.php and dlr.php, in-process and over real HTTP.

Tests taking `mock` run twice, through `werkzeug.test.Client(MockApp())` and against a `MockServer` on a
real socket; tests taking `wsgi` run in-process only. Every test runs on each store (memory, SQLite,
Redis). The clock is frozen: a test moves it with `control.advance()` and never sleeps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import MockPerStore
from transports import Exchanged, over_http, over_wsgi
from werkzeug.test import Client

from smsmock import strategies
from smsmock.contracts.catalog import errata, examples
from smsmock.contracts.validation import errors, validate
from smsmock.core.backend import Callback
from smsmock.dialects import sendsms
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.control import Control, ControlError
from smsmock.server.thread import MockServer

SEND = "/api/sms/send_sms.php"
DLR = "/api/sms/dlr.php"
OPERATIONS = {SEND: "send_sms", DLR: "dlr"}
KEY = "test-api-key"
"""The default account's API key."""
FORM = "application/x-www-form-urlencoded"

MOBILE = "447483938220"
"""The document's own number; the default outcome rule delivers it 3 s after sending."""
REF = "h01txyo25k"
ABSENT = "15550001003"
"""Undeliverable (absent subscriber) 5 s after sending."""
DND = "15550001005"
"""Rejected at submission (REJECTED_DND)."""
NEVER_DELIVERED = "15550001006"
"""Never delivered: expires when its 48 h validity ends."""
NO_CREDIT = "15550001007"
"""Rejected at submission for want of credit (REJECTED_NOT_ENOUGH_CREDITS)."""
QUEUED = "15550001014"
"""Waits 600 s in the provider's queue, then is delivered 1 s after sending."""
VALIDITY = 48 * 3600

pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis, in process and over HTTP alike."""

DOCUMENTED_REPLIES = {
    example["id"]: example["body"].encode()
    for example in examples("sendsms")
    if example["direction"] == "response"
}


# replies


class Answer(NamedTuple):
    status: int
    content_type: str
    body: bytes

    @property
    def media(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        assert self.media == "application/json", f"expected JSON, got {self.content_type!r}: {self.body!r}"
        return json.loads(self.body)


def assert_valid(operation: str, answer: Answer) -> None:
    """Every sendsms reply is HTTP 200 and follows the operation's response contract."""
    assert answer.status == 200, f"{operation}: HTTP {answer.status}: {answer.body[:300]!r}"
    found = errors(validate("sendsms", operation, "response", answer.body, answer.content_type))
    assert found == [], f"{operation} reply {answer.body[:300]!r} breaks its contract:\n" + "\n".join(
        map(str, found)
    )


def assert_code(answer: Answer, wire: str, code: int, error: str | None = None) -> None:
    """A send_sms reply in `wire` form: the bare numeric code, or the JSON status and error."""
    assert_valid("send_sms", answer)
    if wire == "text":
        assert (answer.media, answer.body) == ("text/plain", str(code).encode())
    elif code == 200:
        assert answer.json() == {"status": True, "error": 0}
    else:
        assert answer.json() == {"status": False, "error": error}


# transports


def send_params(**fields: str | None) -> dict[str, str]:
    """A valid send from the default account; a field set to None is left out."""
    params: dict[str, str | None] = {
        "key": KEY,
        "mobile": MOBILE,
        "sender": "InfoSMS",
        "msgtext": "Hello How Are You",
        "ref": REF,
        **fields,
    }
    return {name: value for name, value in params.items() if value is not None}


class Transport:
    """A small client of one fresh mock."""

    name = ""

    def __init__(self, app: MockApp) -> None:
        self.app = app

    @property
    def control(self) -> Control:
        return self.app.control

    def request(
        self, method: str, path: str, query: str = "", body: bytes = b"", content_type: str | None = None
    ) -> Answer:
        raise NotImplementedError

    def get(self, path: str, query: str | Mapping[str, Any]) -> Answer:
        return self.request("GET", path, _encoded(query))

    def post(self, path: str, form: str | Mapping[str, Any], query: str | Mapping[str, Any] = "") -> Answer:
        return self.request("POST", path, _encoded(query), _encoded(form).encode(), FORM)

    def send(self, wire: str = "text", **fields: str | None) -> Answer:
        """A GET send_sms; `wire` json adds response=json. Asserts the reply follows its contract."""
        params = send_params(**fields)
        if wire == "json":
            params["response"] = "json"
        answer = self.get(SEND, params)
        assert_valid("send_sms", answer)
        return answer

    def dlr(self, **fields: str | None) -> Any:
        """A GET dlr of the default account's (MOBILE, REF) message, decoded."""
        params = {"key": KEY, "full_number": MOBILE, "ref": REF, **fields}
        answer = self.get(DLR, {name: value for name, value in params.items() if value is not None})
        assert_valid("dlr", answer)
        return answer.json()

    def messages(self) -> list[dict[str, Any]]:
        return self.control.messages(dialect="sendsms")

    def texts(self) -> list[str]:
        return [message["text"] for message in self.messages()]


def _encoded(params: str | Mapping[str, Any]) -> str:
    return params if isinstance(params, str) else urlencode(params, doseq=True)


class WsgiTransport(Transport):
    name = "wsgi"

    def __init__(self, app: MockApp) -> None:
        super().__init__(app)
        self.client = Client(app)

    def request(
        self, method: str, path: str, query: str = "", body: bytes = b"", content_type: str | None = None
    ) -> Answer:
        return _answer(
            over_wsgi(self.client, method, path, query=query, body=body, content_type=content_type)
        )


class HttpTransport(Transport):
    name = "http"

    def __init__(self, server: MockServer) -> None:
        super().__init__(server.app)
        self.server = server

    def request(
        self, method: str, path: str, query: str = "", body: bytes = b"", content_type: str | None = None
    ) -> Answer:
        return _answer(
            over_http(self.server.port, method, path, query=query, body=body, content_type=content_type)
        )


def _answer(reply: Exchanged) -> Answer:
    return Answer(reply.status, reply.content_type, reply.body)


def fresh_app() -> MockApp:
    return MockApp(MockConfig(clock_frozen=True))


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
        return WsgiTransport(fresh_app())
    return HttpTransport(request.getfixturevalue("server"))


@pytest.fixture
def wsgi() -> Transport:
    return WsgiTransport(fresh_app())


WIRES = pytest.mark.parametrize("wire", ["text", "json"])
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# 1. the documented examples


def _example_requests() -> list[Any]:
    return [
        pytest.param(example, id=example["id"])
        for example in examples("sendsms")
        if example["direction"] == "request"
    ]


@pytest.mark.parametrize("example", _example_requests())
def test_documented_example_request_gets_a_reply_that_follows_its_contract(
    mock: Transport, example: dict[str, Any]
) -> None:
    """Sent as printed, its placeholder key is refused; with the mock's key it works."""
    path, operation = example["path"], example["operation"]
    # A raw space is not legal in a request line; over HTTP a client must encode it (errata
    # sendsms-raw-spaces-in-url). The test client passes the query on as printed.
    query = example["query"] if mock.name == "wsgi" else example["query"].replace(" ", "%20")
    printed = mock.get(path, query)
    assert_valid(operation, printed)
    assert printed.json() == {"status": False, "error": "Invalid API Key"}

    if operation == "dlr":
        mock.send()  # the message the example looks up
    placeholder = "[Your_API_Key]" if operation == "send_sms" else "[YOUR_API_KEY]"
    keyed = mock.get(path, query.replace(placeholder, KEY))
    assert_valid(operation, keyed)
    assert keyed.json()["status"] is True
    assert mock.texts() == ["Hello How Are You"]


def test_every_documented_reply_is_reproduced_byte_for_byte(mock: Transport) -> None:
    """At the document's price of 0.05 per part, each example reply comes out exactly as printed."""
    mock.control.put_account(
        {
            "name": "default",
            "username": "Aladdin",
            "password": "open sesame",
            "api_key": KEY,
            "price_per_part": "0.05",
        }
    )
    assert mock.send("json").body == DOCUMENTED_REPLIES["send-sms-response-json-success"]
    assert mock.send("json").body == DOCUMENTED_REPLIES["send-sms-response-json-failed"]  # a reused ref
    missing = mock.send("json", mobile=None).body
    assert missing == DOCUMENTED_REPLIES["send-sms-response-json-missing-parameter"]

    mock.send(mobile=QUEUED)
    queued = mock.get(DLR, {"key": KEY, "full_number": QUEUED, "ref": REF}).body
    assert queued == DOCUMENTED_REPLIES["dlr-response-json-pending"]
    dlr = {"key": KEY, "full_number": MOBILE, "ref": REF}
    assert mock.get(DLR, dlr).body == DOCUMENTED_REPLIES["dlr-response-json-sending"]
    mock.control.advance(3)
    assert mock.get(DLR, dlr).body == DOCUMENTED_REPLIES["dlr-response-json-delivered"]
    mock.control.delete_message(mock.control.messages(to=MOBILE)[0]["id"])
    assert mock.get(DLR, dlr).body == DOCUMENTED_REPLIES["dlr-response-json-deleted"]
    assert mock.get(DLR, {**dlr, "ref": "wrong"}).body == DOCUMENTED_REPLIES["dlr-response-json-notfound"]


# 2. every code, numeric and JSON


@WIRES
def test_a_valid_send_is_accepted(mock: Transport, wire: str) -> None:
    assert_code(mock.send(wire), wire, 200)
    [message] = mock.messages()
    assert (message["to"], message["from"], message["text"]) == (MOBILE, "InfoSMS", "Hello How Are You")
    assert message["clientRef"] == REF


@WIRES
@pytest.mark.parametrize("value", [None, ""], ids=["absent", "empty"])
@pytest.mark.parametrize(
    ("parameter", "error"),
    [
        ("key", "Missing Key Parameter"),
        ("mobile", "Missing Mobile Parameter"),
        ("sender", "Missing Sender Parameter"),
        ("msgtext", "Missing Msgtext Parameter"),
        ("ref", "Missing Ref Parameter"),
    ],
)
def test_a_missing_parameter_gets_400(
    wsgi: Transport, wire: str, value: str | None, parameter: str, error: str
) -> None:
    assert_code(wsgi.send(wire, **{parameter: value}), wire, 400, error)
    assert wsgi.messages() == []


def test_missing_parameters_are_named_in_the_documents_order(wsgi: Transport) -> None:
    """key, mobile, sender, msgtext, ref (errata sendsms-missing-parameter-errors)."""
    named = []
    given: dict[str, str] = {"response": "json"}
    for parameter, value in send_params().items():
        named.append(wsgi.get(SEND, given).json()["error"])
        given[parameter] = value
    assert named == [f"Missing {name} Parameter" for name in ("Key", "Mobile", "Sender", "Msgtext", "Ref")]
    assert wsgi.get(SEND, given).json() == {"status": True, "error": 0}


@WIRES
@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("mobile", "+447483938220"),
        ("mobile", "00447483938220"),
        ("mobile", "07483938220"),
        ("mobile", "4474839382201234"),
        ("mobile", "44748393822O"),
        ("mobile", "123456"),
        ("sender", "InfoSMS12345"),
        ("sender", "Info SMS"),
        ("sender", "1234567890123456"),
        ("sender", "Inföscape"),
    ],
)
def test_an_invalid_value_gets_400_message_not_accepted(
    wsgi: Transport, wire: str, parameter: str, value: str
) -> None:
    assert_code(wsgi.send(wire, **{parameter: value}), wire, 400, "Message not accepted")
    assert wsgi.messages() == []
    [entry] = wsgi.control.journal(dialect="sendsms")
    assert parameter in {violation["location"] for violation in entry["request"]["violations"]}


@WIRES
@pytest.mark.parametrize(
    "query",
    [
        "mobile=447483938220&mobile=447483938221",
        "msgtext=one&msgtext=two",
        "ref=a&ref=b",
        "Key=test-api-key",
        "key=test-api-key",
    ],
    ids=["mobile", "msgtext", "ref", "key-and-Key", "key-twice"],
)
def test_a_repeated_parameter_gets_400_message_not_accepted(wsgi: Transport, wire: str, query: str) -> None:
    """A parameter given twice is not read as either value (errata sendsms-repeated-parameters)."""
    name = query.split("=", 1)[0]
    params = send_params(**({} if name in ("key", "Key") else {name: None}))
    if wire == "json":
        params["response"] = "json"
    answer = wsgi.get(SEND, f"{urlencode(params)}&{query}")
    assert_code(answer, wire, 400, "Message not accepted")
    assert wsgi.messages() == []


@pytest.mark.parametrize("response", ["xml", "JSON", "json ", "1"])
def test_a_response_other_than_json_or_blank_gets_the_numeric_400(wsgi: Transport, response: str) -> None:
    """Before anything else, even a bad key (errata sendsms-response-param)."""
    assert_code(wsgi.send(response=response), "text", 400)
    assert_code(wsgi.send(response=response, key="nobody"), "text", 400)
    assert wsgi.messages() == []


def test_a_blank_response_gets_the_numeric_reply(wsgi: Transport) -> None:
    assert_code(wsgi.send(response=""), "text", 200)


def test_the_key_may_be_spelled_with_a_capital(mock: Transport) -> None:
    assert_code(mock.send("json", key=None, Key=KEY), "json", 200)
    assert mock.dlr(key=None, Key=KEY)["status"] is True


@WIRES
def test_an_unknown_key_gets_407(mock: Transport, wire: str) -> None:
    assert_code(mock.send(wire, key="[Your_API_Key]"), wire, 407, "Invalid API Key")
    assert mock.messages() == []


@WIRES
@pytest.mark.parametrize(
    ("allowed", "denied"),
    [([], ["127.0.0.1"]), (["192.0.2.0/24"], []), (["127.0.0.0/8"], ["127.0.0.1/32"])],
    ids=["denied", "not-allowed", "allowed-but-denied"],
)
def test_a_refused_address_gets_405(
    mock: Transport, wire: str, allowed: list[str], denied: list[str]
) -> None:
    mock.control.put_account(
        {
            "name": "office",
            "username": "office",
            "api_key": "office-key",
            "allowed_ips": allowed,
            "denied_ips": denied,
        }
    )
    assert_code(mock.send(wire, key="office-key"), wire, 405, "Remote IP not allowed")
    assert mock.messages() == []
    assert_code(mock.send(wire), wire, 200)  # the default account has no address rules


def test_an_allowed_address_may_send(mock: Transport) -> None:
    mock.control.put_account(
        {"name": "office", "username": "office", "api_key": "office-key", "allowed_ips": ["127.0.0.1"]}
    )
    assert_code(mock.send(key="office-key"), "text", 200)


@WIRES
def test_a_low_balance_gets_406(mock: Transport, wire: str) -> None:
    mock.control.set_balance("default", "0.005")
    assert_code(mock.send(wire), wire, 406, "Not Enough Credit")
    assert mock.control.accounts()[0]["balance"] == 0.005
    [message] = mock.messages()
    assert message["status"] == "REJECTED_NOT_ENOUGH_CREDITS"
    mock.control.set_balance("default", "1")
    assert_code(mock.send(wire), wire, 200)  # a refused send leaves its reference free


@WIRES
def test_a_destination_the_rules_refuse_for_credit_gets_406(wsgi: Transport, wire: str) -> None:
    assert_code(wsgi.send(wire, mobile=NO_CREDIT), wire, 406, "Not Enough Credit")


@WIRES
@pytest.mark.parametrize(
    "fields",
    [{"mobile": DND}, {"msgtext": "x" * (255 * 153 + 1)}],  # 255 parts of 153 characters at most
    ids=["rejected-dnd", "more-than-255-parts"],
)
def test_any_other_refusal_of_the_core_gets_400(wsgi: Transport, wire: str, fields: dict[str, str]) -> None:
    """The server is unable to accept the message (errata sendsms-core-rejections)."""
    assert_code(wsgi.send(wire, **fields), wire, 400, "Message not accepted")
    [message] = wsgi.messages()
    assert message["statusGroup"] == "REJECTED"


@WIRES
def test_a_reused_mobile_and_ref_gets_400_and_nothing_is_stored_twice(mock: Transport, wire: str) -> None:
    assert_code(mock.send(wire), wire, 200)
    assert_code(mock.send(wire, msgtext="again"), wire, 400, "Message not accepted")
    assert mock.texts() == ["Hello How Are You"]
    assert_code(mock.send(wire, mobile=ABSENT), wire, 200)  # the same ref to another number is another key


def test_a_reference_is_per_account_and_held_after_delivery_or_deletion(wsgi: Transport) -> None:
    wsgi.control.put_account({"name": "second", "username": "second", "api_key": "second-key"})
    assert_code(wsgi.send(), "text", 200)
    assert_code(wsgi.send(key="second-key"), "text", 200)
    wsgi.control.advance(3)
    assert_code(wsgi.send(), "text", 400)
    wsgi.control.delete_message(wsgi.control.messages(account="default")[0]["id"])
    assert_code(wsgi.send(), "text", 400)
    assert len(wsgi.messages()) == 2


# 3. POST


def test_a_post_form_body_is_read(mock: Transport) -> None:
    answer = mock.post(SEND, {**send_params(msgtext="Posted & sent"), "response": "json"})
    assert_code(answer, "json", 200)
    assert mock.texts() == ["Posted & sent"]
    dlr = mock.post(DLR, {"key": KEY, "full_number": MOBILE, "ref": REF})
    assert_valid("dlr", dlr)
    assert dlr.json()["dlr_status"] == "sending"


def test_the_form_body_wins_over_the_query(wsgi: Transport) -> None:
    query = send_params(msgtext="from the query", sender="Query")
    answer = wsgi.post(SEND, {"msgtext": "from the body"}, query=query)
    assert_code(answer, "text", 200)
    [message] = wsgi.messages()
    assert (message["text"], message["from"]) == ("from the body", "Query")


def test_a_multipart_body_is_read(wsgi: Transport) -> None:
    boundary = "smsmock-boundary"
    fields = send_params(msgtext="Multipart ✓")
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    body += f"--{boundary}--\r\n"
    answer = wsgi.request(
        "POST", SEND, body=body.encode(), content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert_code(answer, "text", 200)
    assert wsgi.texts() == ["Multipart ✓"]


def test_a_body_that_is_not_a_form_is_not_read(wsgi: Transport) -> None:
    """Like PHP's $_POST: the parameters of a JSON body are missing, and the journal says why."""
    body = json.dumps(send_params()).encode()
    answer = wsgi.request("POST", SEND, query="response=json", body=body, content_type="application/json")
    assert_code(answer, "json", 400, "Missing Key Parameter")
    [entry] = wsgi.control.journal(dialect="sendsms")
    warnings = [item for item in entry["request"]["violations"] if item["keyword"] == "contentType"]
    assert warnings and warnings[0]["severity"] == "warning"


def test_a_multipart_body_beyond_the_servers_limits_gets_a_reply_not_a_crash(wsgi: Transport) -> None:
    boundary = "b"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n' for i in range(1200)
    )
    body = (parts + f"--{boundary}--\r\n").encode()
    answer = wsgi.request("POST", SEND, body=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert_code(answer, "text", 400)
    [entry] = wsgi.control.journal(dialect="sendsms")
    assert entry["request"]["violations"][0]["keyword"] == "unparseable"


# 4. delivery reports through the lifecycle


def test_a_queued_message_is_pending_then_sending_then_delivered(mock: Transport) -> None:
    assert_code(mock.send(mobile=QUEUED), "text", 200)
    pending = {"status": True, "queue_status": "pending", "queue_error": 0}
    assert mock.dlr(full_number=QUEUED) == pending
    mock.control.advance(599)
    assert mock.dlr(full_number=QUEUED) == pending
    mock.control.advance(1)
    report = {
        "status": True,
        "queue_status": "processed",
        "queue_error": 0,
        "dlr_error": "",
        "sms_cost": "0.01",
    }
    assert mock.dlr(full_number=QUEUED) == {**report, "dlr_status": "sending"}
    mock.control.advance(1)
    assert mock.dlr(full_number=QUEUED) == {**report, "dlr_status": "delivered"}


def test_a_message_is_sending_at_once_and_delivered_three_seconds_later(wsgi: Transport) -> None:
    wsgi.send()
    assert wsgi.dlr()["dlr_status"] == "sending"
    wsgi.control.advance(2.9)
    assert wsgi.dlr()["dlr_status"] == "sending"
    wsgi.control.advance(0.1)
    assert wsgi.dlr()["dlr_status"] == "delivered"


def test_an_undeliverable_message_reports_failed(mock: Transport) -> None:
    mock.send(mobile=ABSENT)
    mock.control.advance(5)
    assert mock.dlr(full_number=ABSENT) == {
        "status": True,
        "queue_status": "processed",
        "queue_error": 0,
        "dlr_status": "failed",
        "dlr_error": "Message delivery failed",
        "sms_cost": "0.01",
    }


def test_a_message_never_delivered_reports_expired_when_its_validity_ends(wsgi: Transport) -> None:
    wsgi.send(mobile=NEVER_DELIVERED)
    wsgi.control.advance(VALIDITY - 1)
    assert wsgi.dlr(full_number=NEVER_DELIVERED)["dlr_status"] == "sending"
    wsgi.control.advance(1)
    report = wsgi.dlr(full_number=NEVER_DELIVERED)
    assert (report["dlr_status"], report["dlr_error"]) == ("expired", "Message validity period expired")


@pytest.mark.parametrize("delivered", [False, True], ids=["queued", "delivered"])
def test_a_deleted_message_reports_that_its_report_is_gone(mock: Transport, delivered: bool) -> None:
    mock.send(mobile=MOBILE if delivered else QUEUED)
    mock.control.advance(3 if delivered else 0)
    [message] = mock.messages()
    mock.control.delete_message(message["id"])
    assert mock.dlr(full_number=message["to"]) == {
        "status": True,
        "queue_status": "processed",
        "queue_error": 0,
        "dlr_exist": False,
        "dlr_status": "notfound",
    }


@pytest.mark.parametrize(
    "lookup",
    [
        {"full_number": "447483938221"},
        {"ref": "h01txyo25K"},
        {"key": "second-key"},
        {"full_number": NO_CREDIT},
    ],
    ids=["wrong-number", "wrong-ref", "another-account", "refused-send"],
)
def test_a_lookup_that_names_no_accepted_message_is_notfound(mock: Transport, lookup: dict[str, str]) -> None:
    mock.control.put_account({"name": "second", "username": "second", "api_key": "second-key"})
    mock.send()
    mock.send(mobile=NO_CREDIT)
    assert mock.dlr(**lookup) == {"status": False, "queue_status": "notfound"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"key": None}, "Missing Key Parameter"),
        ({"key": ""}, "Missing Key Parameter"),
        ({"full_number": None}, "Missing Full_number Parameter"),
        ({"ref": ""}, "Missing Ref Parameter"),
        ({"key": "nobody"}, "Invalid API Key"),
        ({"key": "office-key"}, "Remote IP not allowed"),
        ({"Key": KEY}, "Message not accepted"),
    ],
    ids=["no-key", "empty-key", "no-full_number", "empty-ref", "unknown-key", "refused-address", "two-keys"],
)
def test_a_lookup_that_cannot_be_made_gets_the_json_error(
    wsgi: Transport, fields: dict[str, str | None], error: str
) -> None:
    """send_sms's failure shape (errata sendsms-dlr-error-reply)."""
    wsgi.control.put_account(
        {"name": "office", "username": "office", "api_key": "office-key", "denied_ips": ["127.0.0.1"]}
    )
    wsgi.send()
    assert wsgi.dlr(**fields) == {"status": False, "error": error}


@pytest.mark.parametrize("full_number", ["+447483938220", "00447483938220", "44 7483938220"])
def test_a_malformed_number_is_a_wrong_number(wsgi: Transport, full_number: str) -> None:
    """Not found (errata sendsms-dlr-invalid-values); the journal records the broken pattern."""
    wsgi.send()
    assert wsgi.dlr(full_number=full_number) == {"status": False, "queue_status": "notfound"}
    entry = wsgi.control.journal(operation="dlr")[-1]
    assert ("full_number", "pattern") in {
        (v["location"], v["keyword"]) for v in entry["request"]["violations"]
    }


def test_dlr_answers_json_whatever_response_asks(wsgi: Transport) -> None:
    wsgi.send()
    assert wsgi.dlr(response="")["dlr_status"] == "sending"


# 5. what the client meant arrives intact

AWKWARD_TEXTS = [
    "1+1=2",
    "Tom & Jerry",
    "100% sure",
    "a<b>c",
    "\"double\" and 'single' quotes",
    "a+b&c=d%20e?f#g",
    "Привет, мир",
    "你好，世界",
    "مرحبا",
    "Emoji 😀👍🇸🇪",
    "€[]{}\\~^|",
    "line one\nline two\r\n",
    "  leading and trailing spaces  ",
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("text", AWKWARD_TEXTS)
def test_awkward_characters_arrive_intact(mock: Transport, method: str, text: str) -> None:
    params = send_params(msgtext=text)
    answer = mock.get(SEND, params) if method == "GET" else mock.post(SEND, params)
    assert_code(answer, "text", 200)
    assert mock.texts() == [text]


@pytest.mark.parametrize(
    ("raw", "meant"),
    [("Hello+World", "Hello World"), ("Hello%20World", "Hello World"), ("1%2B1", "1+1"), ("a%26b", "a&b")],
)
def test_a_raw_plus_in_the_query_is_a_space(wsgi: Transport, raw: str, meant: str) -> None:
    query = urlencode(send_params(msgtext=None)) + f"&msgtext={raw}"
    assert_code(wsgi.get(SEND, query), "text", 200)
    assert wsgi.texts() == [meant]


def test_an_unencoded_plus_before_a_number_breaks_it(wsgi: Transport) -> None:
    """`mobile=+44...` sent raw decodes to a space and a number that breaks its pattern."""
    query = urlencode(send_params(mobile=None)) + "&mobile=+447483938220"
    assert_code(wsgi.get(SEND, query), "text", 400)


TEXTS = strategies.sms_texts(max_size=300).filter(bool)


@PROPERTY
@given(texts=st.lists(TEXTS, min_size=1, max_size=3), quote_spaces=st.booleans())
def test_any_text_sent_by_get_or_post_is_stored_as_meant(texts: list[str], quote_spaces: bool) -> None:
    """Percent-encoded with `+` or `%20` for spaces, in a query or a form body."""
    mock = WsgiTransport(fresh_app())

    def encoded(params: dict[str, str]) -> str:
        return urlencode(params, quote_via=quote) if quote_spaces else urlencode(params)

    for index, text in enumerate(texts):
        get = mock.get(SEND, encoded(send_params(msgtext=text, ref=f"get{index}")))
        post = mock.post(SEND, encoded(send_params(msgtext=text, ref=f"post{index}")))
        assert (get.body, post.body) == (b"200", b"200")
        assert mock.texts()[:2] == [text, text]


@PROPERTY
@given(
    text=TEXTS,
    price=st.decimals(min_value=0, max_value=3, places=3, allow_nan=False, allow_infinity=False),
)
def test_sms_cost_is_parts_times_price_with_two_decimals(text: str, price: Decimal) -> None:
    mock = WsgiTransport(fresh_app())
    mock.control.put_account(
        {
            "name": "default",
            "username": "Aladdin",
            "api_key": KEY,
            "balance": "1000000",
            "price_per_part": str(price),
        }
    )
    assert mock.send(msgtext=text).body == b"200"
    [message] = mock.messages()
    expected = (price * message["parts"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    cost = mock.dlr()["sms_cost"]
    assert cost == f"{expected:.2f}"
    assert Decimal(cost) == expected


def test_sms_cost_counts_every_part(wsgi: Transport) -> None:
    wsgi.control.put_account(
        {"name": "default", "username": "Aladdin", "api_key": KEY, "price_per_part": "0.05"}
    )
    wsgi.send(msgtext="x" * 161)
    assert wsgi.dlr()["sms_cost"] == "0.10"


# 6. faults


@WIRES
@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, "Message not accepted"),
        (405, "Remote IP not allowed"),
        (406, "Not Enough Credit"),
        (407, "Invalid API Key"),
    ],
)
def test_a_fault_answers_with_the_code_and_sends_nothing(
    mock: Transport, wire: str, code: int, error: str
) -> None:
    mock.control.add_fault({"dialect": "sendsms", "operation": "send_sms", "code": code, "times": 1})
    assert_code(mock.send(wire), wire, code, error)
    assert mock.messages() == []
    assert_code(mock.send(wire), wire, 200)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, "Message not accepted"),
        (405, "Remote IP not allowed"),
        (406, "Not Enough Credit"),
        (407, "Invalid API Key"),
    ],
)
def test_a_dlr_fault_answers_in_json(wsgi: Transport, code: int, error: str) -> None:
    """dlr has no numeric form (errata sendsms-dlr-json-only); the next lookup goes through."""
    wsgi.send()
    wsgi.control.add_fault({"dialect": "sendsms", "operation": "dlr", "code": code, "times": 1})
    assert wsgi.dlr() == {"status": False, "error": error}
    assert wsgi.dlr()["dlr_status"] == "sending"


@pytest.mark.parametrize("code", [200, 401, 1])
def test_a_fault_code_must_be_an_error_code_of_the_dialect(wsgi: Transport, code: int) -> None:
    with pytest.raises(ControlError, match="400, 405, 406, 407"):
        wsgi.control.add_fault({"dialect": "sendsms", "code": code})


def test_every_erratum_the_dialect_cites_is_recorded() -> None:
    cited = set(
        re.findall(r"\bsendsms-[a-z0-9-]*[a-z0-9]", Path(sendsms.__file__).read_text(encoding="utf-8"))
    )
    assert cited and cited <= set(errata()), cited - set(errata())


def test_sendsms_sends_no_callbacks(wsgi: Transport) -> None:
    report = Callback("dlr", "sendsms", "default", "http://client.example/dlr", "application/json", "1", None)
    with pytest.raises(LookupError):
        wsgi.app.dialects["sendsms"].render_callback(report)


# 7. bad input


def test_request_violations_are_journaled_and_replies_are_clean(wsgi: Transport) -> None:
    wsgi.send(mobile="+447483938220")
    wsgi.send(username="Aladdin")  # unknown parameter: tolerated, with a warning
    bad, unknown = wsgi.control.journal(dialect="sendsms")
    assert [(v["location"], v["keyword"], v["severity"]) for v in bad["request"]["violations"]] == [
        ("mobile", "pattern", "error")
    ]
    assert [v["severity"] for v in unknown["request"]["violations"]] == ["warning"]
    assert bad["response"]["violations"] == unknown["response"]["violations"] == []
    assert wsgi.texts() == ["Hello How Are You"]


NAMES = st.sampled_from(
    ["key", "Key", "mobile", "sender", "msgtext", "ref", "response", "full_number", "x", ""]
)
VALUES = st.one_of(
    st.sampled_from(
        [KEY, MOBILE, QUEUED, "InfoSMS", REF, "json", "", "+44", "%", "%ZZ", "%FF%FE", "%00", "&", "="]
    ),
    st.text(max_size=20),
)


@st.composite
def queries(draw: st.DrawFn) -> str:
    """Query strings a careless client could send: any names, values, separators and broken escapes."""
    pairs = draw(st.lists(st.tuples(NAMES, VALUES), max_size=8))
    joiner = draw(st.sampled_from(["&", ";", "&&"]))
    encode = draw(st.booleans())
    return joiner.join(f"{name}={quote(value) if encode else value}" for name, value in pairs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries(), path=st.sampled_from([SEND, DLR]), method=st.sampled_from(["GET", "POST"]))
def test_any_query_gets_a_reply_that_follows_its_contract(query: str, path: str, method: str) -> None:
    mock = WsgiTransport(fresh_app())
    if method == "GET":
        answer = mock.request("GET", path, query)
    else:
        answer = mock.request("POST", path, body=query.encode(), content_type=FORM)
    assert_valid(OPERATIONS[path], answer)
