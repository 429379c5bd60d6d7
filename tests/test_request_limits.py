"""One limit on a request's body for every dialect, content type and the control API (`max_body`).

A body longer than the limit gets its dialect's documented error for a request it cannot take (a 413 on
the control API and on paths no dialect documents), with the limit in the reply; it is journaled without
its body, and nothing is sent, charged or stored. A Content-Length over the limit is refused before a
byte is read; a body without one (chunked) is read to one octet past the limit and no further.
"""

from __future__ import annotations

import http.client
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_serve import served
from transports import LOOPBACK, Exchanged
from werkzeug.exceptions import HTTPException
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Request

from smsmock.cli import main
from smsmock.contracts.catalog import code_tables
from smsmock.core.commands import InboundFilter
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.limits import (
    DEFAULT_MAX_BODY,
    LIMIT_HEADER,
    BodyTooLarge,
    MockRequest,
    describe_size,
    parse_size,
    read_body,
)

AUTHORIZATION = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
"""The documents' own credentials, Aladdin / open sesame."""
JSON = "application/json"
XML = "application/xml"
FORM = "application/x-www-form-urlencoded"
SMALL_LIMIT = 700
"""A limit every request below fits under with room to spare, so its padding decides the size."""
QUICKTEL_REJECTED = next(
    row for row in code_tables("quicktel")["request_errors_own"].rows if row["name"] == "body_rejected"
)


# the requests, each padded to an exact size


@dataclass(frozen=True)
class Case:
    """A request of one dialect and content type whose body `build(size)` makes exactly `size` octets."""

    name: str
    path: str
    content_type: str
    envelope: tuple[bytes, bytes]
    """The body around the padding: a valid request whatever the padding's length."""
    refusal: Callable[[Exchanged], None]
    """Asserts the reply is the dialect's error for a body too large."""
    query: str = ""
    sends: bool = True
    """Whether the request, when taken, sends one message."""

    def build(self, size: int) -> bytes:
        head, tail = self.envelope
        padding = size - len(head) - len(tail)
        assert padding >= 0, f"{self.name}: {size} octets leave no room for the request"
        return head + b"a" * padding + tail


def family_general_error(wire: str) -> Callable[[Exchanged], None]:
    """shortlink's and qikli's General error (400, BAD_REQUEST), its text naming the limit."""

    def check(reply: Exchanged) -> None:
        assert reply.status == 400, reply
        if wire == "json":
            error = json.loads(reply.body)["requestError"]["serviceException"]
            message_id, text = error["messageId"], error["text"]
        else:
            root = ElementTree.fromstring(reply.body)
            message_id, text = (
                root.findtext("serviceException/messageId"),
                root.findtext("serviceException/text"),
            )
        assert message_id == "BAD_REQUEST"
        assert text.startswith("General error: the request body") and "(max_body)" in text, text
        assert describe_size(int(reply.headers[LIMIT_HEADER.lower()])) in text

    return check


def bare_code(code: bytes, content_type: str) -> Callable[[Exchanged], None]:
    """A reply that is one code (unified's 1702, sendsms's numeric 400) with HTTP 200."""

    def check(reply: Exchanged) -> None:
        assert (reply.status, reply.body) == (200, code), reply
        assert reply.content_type.startswith(content_type)

    return check


def sendsms_not_accepted(reply: Exchanged) -> None:
    assert reply.status == 200 and json.loads(reply.body) == {
        "status": False,
        "error": "Message not accepted",
    }


def quicktel_rejected(reply: Exchanged) -> None:
    """<xml_result res="-2006"/>, as request_errors_own words it: never "Malformed XML"."""
    assert reply.status == 200, reply
    root = ElementTree.fromstring(reply.body)
    assert root.attrib == {
        "res": str(QUICKTEL_REJECTED["res"]),
        "description": QUICKTEL_REJECTED["description"],
    }


def control_413(reply: Exchanged) -> None:
    assert reply.status == 413 and reply.content_type == JSON, reply
    answer = json.loads(reply.body)
    assert answer["error"] == "request too large"
    assert describe_size(int(reply.headers[LIMIT_HEADER.lower()])) in answer["message"]


def _form(fields: dict[str, str], padded: str) -> tuple[bytes, bytes]:
    """A form whose field `padded` comes last, so the padding ends the body."""
    head = urlencode({**fields, padded: ""}).encode()
    return head, b""


QUICKTEL_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_send">'
    b'<xml_user lgn="Aladdin" pwd="open sesame"/>'
    b'<sms sms_id="1" number="41793026727" source_number="InfoSMS">',
    b"</sms></xml_request>",
)

CASES = [
    Case(
        "shortlink-json",
        "/restapi/sms/1/text/single",
        JSON,
        (b'{"from":"InfoSMS","to":"41793026727","text":"', b'"}'),
        family_general_error("json"),
    ),
    Case(
        "shortlink-xml",
        "/restapi/sms/1/text/single",
        XML,
        (b"<request><from>InfoSMS</from><to>41793026727</to><text>", b"</text></request>"),
        family_general_error("xml"),
    ),
    Case(
        "qikli-json",
        "/sms/2/text/advanced",
        JSON,
        (b'{"messages":[{"from":"InfoSMS","destinations":[{"to":"41793026727"}],"text":"', b'"}]}'),
        family_general_error("json"),
    ),
    Case(
        "qikli-xml",
        "/sms/2/text/advanced",
        XML,
        (
            b"<request><messages><from>InfoSMS</from><destinations><to>41793026727</to></destinations><text>",
            b"</text></messages></request>",
        ),
        family_general_error("xml"),
    ),
    Case(
        "unified-form",
        "/bulksms/bulksms",
        FORM,
        _form(
            {
                "username": "Aladdin",
                "password": "open sesame",
                "type": "0",
                "dlr": "0",
                "destination": "41793026727",
                "source": "InfoSMS",
            },
            "message",
        ),
        bare_code(b"1702", "text/plain"),
    ),
    Case("quicktel-xml", "/quicktel/xml", XML, QUICKTEL_XML, quicktel_rejected),
    Case(
        "quicktel-form",
        "/quicktel/xml",
        FORM,
        (b"xml=" + quote(QUICKTEL_XML[0]).encode(), quote(QUICKTEL_XML[1]).encode()),
        quicktel_rejected,
    ),
    Case(
        "sendsms-form",
        "/api/sms/send_sms.php",
        FORM,
        _form({"key": "test-api-key", "mobile": "447483938220", "sender": "InfoSMS", "ref": "r1"}, "msgtext"),
        bare_code(b"400", "text/plain"),
    ),
    Case(
        "sendsms-form-json",
        "/api/sms/send_sms.php",
        FORM,
        _form({"key": "test-api-key", "mobile": "447483938220", "sender": "InfoSMS", "ref": "r1"}, "msgtext"),
        sendsms_not_accepted,
        query="response=json",
    ),
    Case(
        "sendsms-dlr-form",
        "/api/sms/dlr.php",
        FORM,
        _form({"key": "test-api-key", "full_number": "447483938220"}, "ref"),
        sendsms_not_accepted,
        sends=False,
    ),
    Case(
        "control-json",
        "/_smsmock/inbound",
        JSON,
        (b'{"from":"41793026727","to":"InfoSMS","text":"', b'"}'),
        control_413,
        sends=False,
    ),
]
DIALECT_CASES = [case for case in CASES if not case.path.startswith("/_smsmock")]


# sending


class Endless(io.RawIOBase):
    """A request body that never ends, counting what the server read of it."""

    def __init__(self) -> None:
        self.read_octets = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        buffer[:] = b"a" * len(buffer)
        self.read_octets += len(buffer)
        return len(buffer)


def send(
    app: MockApp,
    case: Case,
    body: bytes | io.RawIOBase,
    *,
    chunked: bool = False,
    content_length: int | None = None,
) -> Exchanged:
    """One request into the app. `chunked`: no Content-Length (werkzeug's servers then say the stream
    ends by itself, as for a chunked body); `content_length` declares a length other than the body's."""
    stream = io.BytesIO(body) if isinstance(body, bytes) else body
    environ = EnvironBuilder(
        path=case.path,
        method="POST",
        query_string=case.query or None,
        headers={"Authorization": AUTHORIZATION},
        content_type=case.content_type,
        environ_base={"REMOTE_ADDR": LOOPBACK},
    ).get_environ()
    environ["wsgi.input"] = stream
    if chunked:
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(len(body) if content_length is None else content_length)
    chunks, status, headers = run_wsgi_app(app, environ, buffered=True)
    return Exchanged(
        int(status.split()[0]), {name.lower(): value for name, value in headers}, b"".join(chunks)
    )


@pytest.fixture(scope="module")
def app() -> MockApp:
    """One mock for the module; each test sets its limit and starts from a reset state."""
    return MockApp(MockConfig(journal_size=None))


def fresh(app: MockApp, limit: int) -> MockApp:
    app.config.max_body = limit
    app.control.reset()
    return app


def stored(app: MockApp) -> list[dict[str, Any]]:
    return app.control.messages()


def inbound(app: MockApp) -> list[Any]:
    account = app.backend.accounts.get("default")
    return app.backend.inbound_logs(account, "shortlink", InboundFilter())


def balance(app: MockApp) -> Decimal:
    return app.backend.accounts.balance(app.backend.accounts.get("default"))


def assert_refused(app: MockApp, case: Case, reply: Exchanged, limit: int) -> None:
    """The case's error, the limit in its header, nothing kept; journaled (a dialect's) without a body."""
    case.refusal(reply)
    assert reply.headers[LIMIT_HEADER.lower()] == str(limit)
    assert stored(app) == [] and inbound(app) == [] and balance(app) == Decimal("100")
    journal = app.control.journal()
    if case in DIALECT_CASES:
        [entry] = journal
        assert entry["request"]["body"] == "", "a refused body is not kept"
        assert entry["response"]["status"] == reply.status
        assert entry["response"]["violations"] == [], "the refusal follows the dialect's contract"
    else:
        assert journal == [], "the control API's calls are not journaled"


def assert_taken(app: MockApp, case: Case, reply: Exchanged) -> None:
    """The request went through as any other: no refusal for its size."""
    assert LIMIT_HEADER.lower() not in reply.headers, reply
    assert reply.status == 200, reply
    if case.sends:
        assert len(stored(app)) == 1, reply
    if case.path == "/_smsmock/inbound":
        assert len(inbound(app)) == 1


# the property: sizes around a small limit, each framing


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@settings(max_examples=20)
@given(
    limit=st.integers(SMALL_LIMIT, 3 * SMALL_LIMIT),
    offset=st.one_of(st.sampled_from([-1, 0, 1]), st.integers(-40, 40)),
    chunked=st.booleans(),
)
@example(limit=SMALL_LIMIT, offset=-1, chunked=False)
@example(limit=SMALL_LIMIT, offset=0, chunked=False)
@example(limit=SMALL_LIMIT, offset=1, chunked=False)
@example(limit=SMALL_LIMIT, offset=1, chunked=True)
def test_a_body_up_to_the_limit_is_taken_and_one_octet_more_is_refused(
    app: MockApp, case: Case, limit: int, offset: int, chunked: bool
) -> None:
    fresh(app, limit)
    reply = send(app, case, case.build(limit + offset), chunked=chunked)
    if offset <= 0:
        assert_taken(app, case, reply)
    else:
        assert_refused(app, case, reply, limit)


# framing: what the request says of its length, and what it sends


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_content_length_over_the_limit_is_refused_before_a_byte_is_read(app: MockApp, case: Case) -> None:
    fresh(app, SMALL_LIMIT)
    body = Endless()
    reply = send(app, case, body, content_length=SMALL_LIMIT + 1)
    assert_refused(app, case, reply, SMALL_LIMIT)
    assert body.read_octets == 0


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_body_without_a_length_is_read_one_octet_past_the_limit_and_no_further(
    app: MockApp, case: Case
) -> None:
    fresh(app, SMALL_LIMIT)
    body = Endless()
    reply = send(app, case, body, chunked=True)
    assert_refused(app, case, reply, SMALL_LIMIT)
    assert SMALL_LIMIT < body.read_octets <= SMALL_LIMIT + 1


@pytest.mark.parametrize("case", DIALECT_CASES, ids=[case.name for case in DIALECT_CASES])
def test_a_body_longer_than_its_content_length_is_read_to_that_length_only(app: MockApp, case: Case) -> None:
    """A Content-Length that lies short: what follows it is not this request's body, and is never read."""
    fresh(app, SMALL_LIMIT)
    body = Endless()
    reply = send(app, case, body, content_length=100)
    assert reply.status < 500 and LIMIT_HEADER.lower() not in reply.headers, reply
    assert body.read_octets == 100
    assert stored(app) == []


def test_a_body_shorter_than_its_content_length_is_a_bad_request_not_a_failure(app: MockApp) -> None:
    fresh(app, SMALL_LIMIT)
    case = CASES[0]
    reply = send(app, case, case.build(200), content_length=300)
    assert reply.status == 400 and stored(app) == []


def test_the_default_limit_is_one_mib_and_a_twenty_mb_text_is_refused(app: MockApp) -> None:
    """The body that was once stored as 298,508 parts."""
    assert MockConfig().max_body == DEFAULT_MAX_BODY == 1 << 20
    case = CASES[0]
    fresh(app, DEFAULT_MAX_BODY)
    assert_taken(app, case, send(app, case, case.build(DEFAULT_MAX_BODY)))
    fresh(app, DEFAULT_MAX_BODY)
    for framing in ({"chunked": False}, {"chunked": True}):
        reply = send(app, case, case.build(20_000_000), **framing)
        assert_refused(app, case, reply, DEFAULT_MAX_BODY)
        app.control.clear_journal()


def test_a_path_no_dialect_documents_gets_a_413_and_is_journaled(app: MockApp) -> None:
    fresh(app, SMALL_LIMIT)
    case = Case("nowhere", "/restapi/nowhere", JSON, (b"", b""), control_413)
    reply = send(app, case, case.build(SMALL_LIMIT + 1))
    control_413(reply)
    [entry] = app.control.journal()
    assert (entry["response"]["status"], entry["request"]["body"] or "") == (413, "")


def test_a_get_with_a_body_over_the_limit_is_refused_too(app: MockApp) -> None:
    """A limit on bodies, not on methods: a GET operation's body is not read either."""
    fresh(app, SMALL_LIMIT)
    environ = EnvironBuilder(
        path="/restapi/account/1/balance",
        method="GET",
        headers={"Authorization": AUTHORIZATION},
        content_type=JSON,
        data=b"a" * (SMALL_LIMIT + 1),
    ).get_environ()
    chunks, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("400") and b"(max_body)" in b"".join(chunks)


# sizes as written


@pytest.mark.parametrize(
    ("text", "octets"),
    [("1048576", 1 << 20), ("1MiB", 1 << 20), ("512KiB", 512 << 10), ("1 GiB", 1 << 30), ("100b", 100)],
)
def test_sizes_in_bytes_or_binary_units(text: str, octets: int) -> None:
    assert parse_size(text) == octets


@pytest.mark.parametrize("text", ["1MB", "0", "0KiB", "-5", "big", "1.5MiB", "", True, 2.5, 0])
def test_a_size_that_is_none_says_how_to_write_one(text: Any) -> None:
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(text)


@given(number=st.integers(1, 10**6), unit=st.sampled_from([("", 1), ("KiB", 1 << 10), ("MiB", 1 << 20)]))
def test_a_size_reads_back_from_how_it_is_described(number: int, unit: tuple[str, int]) -> None:
    octets = number * unit[1]
    assert parse_size(f"{number}{unit[0]}") == octets
    assert describe_size(octets).startswith(f"{octets} bytes")


# the pytest fixtures


@pytest.fixture
def smsmock_config(smsmock_config: MockConfig) -> MockConfig:
    """The plugin's start state for this module's fixture tests, with a small limit."""
    smsmock_config.max_body = SMALL_LIMIT
    return smsmock_config


@pytest.mark.parametrize("fixture", ["smsmock", "smsmock_inprocess"])
def test_the_pytest_fixtures_take_max_body_from_their_configuration(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    case = CASES[0]
    url = mock.url + case.path
    headers = {"Authorization": AUTHORIZATION, "Content-Type": JSON}
    taken = requests.post(url, data=case.build(SMALL_LIMIT), headers=headers, timeout=10)
    refused = requests.post(url, data=case.build(SMALL_LIMIT + 1), headers=headers, timeout=10)
    assert taken.status_code == 200 and LIMIT_HEADER not in taken.headers
    assert (refused.status_code, refused.headers[LIMIT_HEADER]) == (400, str(SMALL_LIMIT))
    assert len(mock.outbox()) == 1


# `smsmock serve --max-body SIZE`


def test_max_body_on_the_command_line_wins_over_the_configuration_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "smsmock.yaml"
    config.write_text("max_body: 512KiB\n", encoding="utf-8")
    served_with: list[MockConfig] = []
    monkeypatch.setattr(
        "smsmock.server.serve.serve", lambda config, *args, **kwargs: served_with.append(config)
    )
    assert main(["serve", "--quiet", "--config", str(config)]) == 0
    assert main(["serve", "--quiet", "--config", str(config), "--max-body", "2KiB"]) == 0
    assert main(["serve", "--quiet"]) == 0
    assert [config.max_body for config in served_with] == [512 << 10, 2048, DEFAULT_MAX_BODY]


@pytest.mark.parametrize("size", ["1MB", "0", "lots"])
def test_a_max_body_that_is_no_size_is_a_usage_error(size: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["serve", "--max-body", size])
    assert usage.value.code == 2 and "is not a size" in capsys.readouterr().err


# over a real `smsmock serve` socket


def test_smsmock_serve_refuses_bodies_over_its_max_body_and_huge_query_strings_cleanly() -> None:
    single = CASES[0]
    with served("--quiet", "--max-body", "2KiB") as (_, port):
        taken = _over_socket(port, single.build(2048))
        assert taken.status == 200 and LIMIT_HEADER.lower() not in taken.headers, taken
        for framing in ("length", "chunked"):
            refused = _over_socket(port, single.build(2049), framing=framing)
            single.refusal(refused)
            assert refused.headers[LIMIT_HEADER.lower()] == "2048"
        # A query string is the HTTP server's to bound: granian answers a line that long by itself.
        huge = _over_socket(port, b"", method="GET", query="message=" + "a" * 100_000)
        assert huge.status in (414, 431), huge
        messages = _control(port, "/_smsmock/messages")["items"]
        journal = _control(port, "/_smsmock/journal")["items"]
    assert len(messages) == 1
    assert sorted(entry["response"]["status"] for entry in journal) == [200, 400, 400]


def _over_socket(
    port: int, body: bytes, *, framing: str = "length", method: str = "POST", query: str = ""
) -> Exchanged:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    headers = {"Authorization": AUTHORIZATION, "Content-Type": JSON}
    try:
        if framing == "chunked":
            pieces = (body[start : start + 500] for start in range(0, len(body), 500))
            connection.request(method, CASES[0].path, body=pieces, headers=headers, encode_chunked=True)
        else:
            target = CASES[0].path + (f"?{query}" if query else "")
            connection.request(method, target, body=body or None, headers=headers)
        reply = connection.getresponse()
        return Exchanged(
            reply.status, {name.lower(): value for name, value in reply.getheaders()}, reply.read()
        )
    finally:
        connection.close()


def _control(port: int, path: str) -> Any:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def _read(request_type: type, environ: dict[str, Any], limit: int) -> bytes | str:
    """What `read_body` gives a request of `request_type`: the body, or the name of what it raised."""
    request = request_type(environ)
    try:
        body = read_body(request, limit)
    except (BodyTooLarge, HTTPException) as refused:
        return type(refused).__name__
    assert request.get_data(cache=True) == body, "get_data answers with the body read"
    return body


@settings(max_examples=200)
@given(
    body=st.binary(max_size=40),
    limit=st.integers(1, 48),
    declared=st.none() | st.integers(0, 60),
    terminated=st.booleans(),
)
def test_the_body_is_read_as_werkzeug_reads_it(
    body: bytes, limit: int, declared: int | None, terminated: bool
) -> None:
    """The mock reads a body straight from the WSGI input: the same body, or the same refusal, as
    werkzeug's own stream gives, whatever the length declared and whether the server ends the stream."""

    def environ() -> dict[str, Any]:
        made: dict[str, Any] = {"REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(body)}
        if declared is not None:
            made["CONTENT_LENGTH"] = str(declared)
        if terminated:
            made["wsgi.input_terminated"] = True
        return made

    assert _read(MockRequest, environ(), limit) == _read(Request, environ(), limit)


_HEADER_NAMES = st.sampled_from(
    ["Content-Type", "content-length", "Transfer-Encoding", "Accept", "Authorization", "X-Custom-Id"]
) | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)


@settings(max_examples=200)
@given(
    present=st.dictionaries(_HEADER_NAMES, st.text(max_size=8), max_size=5),
    asked=st.lists(_HEADER_NAMES, min_size=1, max_size=6),
    default=st.none() | st.just("fallback"),
)
def test_the_headers_read_as_werkzeug_reads_them(
    present: dict[str, str], asked: list[str], default: str | None
) -> None:
    """The mock's request reads a header a request lacks without an exception: the same values as
    werkzeug's, a default where werkzeug gives it, and the length werkzeug works out."""
    environ = {"REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(b"")}
    for name, value in present.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    ours, theirs = MockRequest(dict(environ)), Request(dict(environ))
    for name in [*asked, *present]:
        assert ours.headers.get(name, default) == theirs.headers.get(name, default)
        assert ours.headers.get(name, type=len) == theirs.headers.get(name, type=len)
    assert ours.content_length == theirs.content_length
