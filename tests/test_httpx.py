"""httpx clients, sync and async, against the in-process mock: the same mock as requests and sockets meet.

What the app is handed in process is what werkzeug's server hands it over a socket, byte for byte;
what the client gets back is what it gets over a socket; faults fail the client as a socket would.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

from smsmock import strategies
from smsmock.plugin.handle import SmsMock
from smsmock.plugin.inprocess import ROOT, InProcessTransport
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig

AUTH = ("Aladdin", "open sesame")
BALANCE = "/restapi/account/1/balance"
SINGLE = "/restapi/sms/1/text/single"
SHARED_FIXTURE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
"""Each example resets the mock itself, so the function-scoped fixture serves every example."""


def message(text: str = "Hello", to: str = "41793026727") -> dict[str, str]:
    return {"from": "InfoSMS", "to": to, "text": text}


def chunks(data: bytes, size: int = 7) -> Iterator[bytes]:
    """A body httpx sends chunked: it cannot know the length of an iterator."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def async_chunks(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for piece in chunks(data, size):
        yield piece


# one mock for requests and httpx


def test_sync_async_and_requests_land_in_the_same_outbox_and_journal(smsmock_inprocess: SmsMock) -> None:
    mock = smsmock_inprocess
    url = mock.url + SINGLE

    async def send_async() -> httpx.Response:
        async with httpx.AsyncClient(auth=AUTH) as client:
            return await client.post(url, json=message("from httpx async"))

    with httpx.Client(auth=AUTH) as client:
        assert client.post(url, json=message("from httpx")).status_code == 200
    assert asyncio.run(send_async()).status_code == 200
    assert requests.post(url, json=message("from requests"), auth=AUTH, timeout=5).status_code == 200

    assert [sent.text for sent in mock.outbox()] == ["from httpx", "from httpx async", "from requests"]
    mock.assert_sent(text="from httpx async", to="41793026727", parts=1)
    agents = [exchange.request_headers["User-Agent"].split("/")[0] for exchange in mock.journal]
    assert agents == ["python-httpx", "python-httpx", "python-requests"]


def test_a_client_that_builds_its_own_httpx_client_opens_no_socket(
    smsmock_inprocess: SmsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "create_connection", refuse)
    reply = httpx.get(smsmock_inprocess.urls["shortlink"] + "/account/1/balance", auth=AUTH)
    assert reply.status_code == 200 and reply.json()["currency"]


def test_other_hosts_still_go_out_while_the_mock_is_routed(
    smsmock_inprocess: SmsMock, smsmock: SmsMock
) -> None:
    """The socket mock is another host: its requests go over the socket, not into the in-process app."""
    with httpx.Client(auth=AUTH) as client:
        assert client.post(smsmock.url + SINGLE, json=message("over the socket")).status_code == 200
    smsmock.assert_sent(text="over the socket")
    smsmock_inprocess.assert_nothing_sent()


def test_the_handle_gives_clients_bound_to_the_mock_in_process_and_over_a_socket(
    smsmock_inprocess: SmsMock, smsmock: SmsMock
) -> None:
    for mock in (smsmock_inprocess, smsmock):
        with mock.httpx_client(auth=AUTH) as client:
            assert client.post(SINGLE, json=message("sync")).status_code == 200

        async def send_async(mock: SmsMock = mock) -> int:
            async with mock.httpx_async_client(auth=AUTH) as client:
                return (await client.post(SINGLE, json=message("async"))).status_code

        assert asyncio.run(send_async()) == 200
        assert [sent.text for sent in mock.outbox()] == ["sync", "async"]


def test_an_explicit_transport_answers_whatever_host_the_client_names(smsmock_inprocess: SmsMock) -> None:
    """A client with the provider's real URL built in still reaches the mock through `transport=`."""
    transport = smsmock_inprocess.httpx_transport()
    with httpx.Client(base_url="https://api.provider.example/restapi", transport=transport) as client:
        assert client.get("/account/1/balance", auth=AUTH).status_code == 200
    mounts = {"http://smsmock.test": smsmock_inprocess.httpx_transport()}
    with httpx.Client(mounts=mounts, auth=AUTH) as client:
        assert client.post(ROOT + SINGLE, json=message("mounted")).status_code == 200
    smsmock_inprocess.assert_sent(text="mounted")


def test_httpx_is_routed_only_while_the_mock_runs() -> None:
    sent, sent_async = httpx.HTTPTransport.handle_request, httpx.AsyncHTTPTransport.handle_async_request
    transport = InProcessTransport(MockApp(MockConfig(journal_size=None)), root="http://other.test")
    transport.start()
    try:
        assert httpx.get("http://other.test" + BALANCE, auth=AUTH).status_code == 200
        assert transport.app.journal.page(limit=1).total == 1
    finally:
        transport.stop()
    assert httpx.HTTPTransport.handle_request is sent
    assert httpx.AsyncHTTPTransport.handle_async_request is sent_async


# what goes in and what comes out


def test_head_keeps_the_length_of_the_body_it_leaves_out(smsmock_inprocess: SmsMock) -> None:
    url = smsmock_inprocess.url + BALANCE
    for reply in (
        httpx.head(url, auth=AUTH),
        requests.head(url, auth=AUTH, timeout=5),
    ):
        assert reply.status_code == 200
        assert reply.content == b""
        assert int(reply.headers["Content-Length"]) == len(httpx.get(url, auth=AUTH).content)


@pytest.mark.parametrize("client", ["httpx", "httpx async", "requests"])
def test_a_streamed_body_arrives_whole(smsmock_inprocess: SmsMock, client: str) -> None:
    """An iterator body goes out chunked, with no Content-Length: the app still reads all of it."""
    url = smsmock_inprocess.url + SINGLE
    body = b'{"from": "InfoSMS", "to": "41793026727", "text": "Gr\xc3\xbc\xc3\x9fe \xe2\x82\xac5, streamed"}'
    headers = {"Content-Type": "application/json"}
    if client == "httpx":
        reply = httpx.post(url, content=chunks(body), headers=headers, auth=AUTH)
    elif client == "httpx async":

        async def send() -> httpx.Response:
            async with httpx.AsyncClient(auth=AUTH) as http:
                return await http.post(url, content=async_chunks(body), headers=headers)

        reply = asyncio.run(send())
    else:
        reply = requests.post(url, data=chunks(body), headers=headers, auth=AUTH, timeout=5)
    assert reply.status_code == 200, reply.text
    smsmock_inprocess.assert_sent(text="Grüße €5, streamed")
    (exchange,) = smsmock_inprocess.journal
    assert exchange.request_body == body


@pytest.mark.smsmock(expect_violations=True)
def test_paths_queries_and_binary_bodies_reach_the_journal_as_sent(smsmock_inprocess: SmsMock) -> None:
    body = bytes(range(256))
    with smsmock_inprocess.httpx_client() as client:
        reply = client.post(
            "/restapi/sms/1/text/ünïcode path",
            params={"text": "Grüße & €", "to": "+41"},
            content=body,
            headers={"Content-Type": "application/octet-stream", "Accept": "application/json"},
        )
    assert reply.status_code == 404 and reply.json()["requestError"]
    (exchange,) = smsmock_inprocess.journal
    assert exchange.path == "/restapi/sms/1/text/ünïcode path"
    # As the client wrote it (httpx before 0.28 writes a space as %20, since then as +).
    assert exchange.query == reply.request.url.query.decode("ascii")
    assert parse_qsl(exchange.query) == [("text", "Grüße & €"), ("to", "+41")]
    assert exchange.request_body == body
    assert exchange.request_headers["Content-Type"] == "application/octet-stream"


# the app is handed what a socket hands it, and answers what a socket carries back


class RecordingApp:
    """A WSGI app that keeps what it was handed and answers with the reply the test sets."""

    def __init__(self) -> None:
        self.pause = time.sleep  # what the in-process transport swaps for its own
        self.received: list[dict[str, Any]] = []
        self.reply: tuple[str, list[tuple[str, str]], bytes] = ("200 OK", [], b"")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen = {
            key: value
            for key, value in environ.items()
            if key in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH")
            or (key.startswith("HTTP_") and key != "HTTP_HOST")
        }
        self.received.append({**seen, "body": Request(environ).get_data()})
        status, headers, body = self.reply
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No line per request on standard error."""


@pytest.fixture(scope="module")
def recording_server() -> Iterator[tuple[RecordingApp, str]]:
    """The recording app behind werkzeug's server, on a loopback port of its own."""
    app = RecordingApp()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


TOKEN = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=12)
SET_BY_THE_TRANSPORT = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
}
ADDED_BY_THE_SERVER = {"server", "date", "connection", "keep-alive"}
HEADER_VALUES = st.binary(min_size=1, max_size=30).map(
    # Visible ASCII and obs-text (no spaces, which a server may trim): what a header value carries.
    lambda raw: bytes(byte if byte > 0x20 and byte != 0x7F else 0x2E for byte in raw)
)
SEGMENTS = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="/?#%\\"),
    min_size=1,
    max_size=8,
).filter(lambda segment: segment not in (".", ".."))


@st.composite
def exchanges(draw: st.DrawFn) -> dict[str, Any]:
    """A request httpx can send, and a reply a WSGI app can give."""
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]))
    return {
        "method": method,
        "path": "/" + "/".join(draw(st.lists(SEGMENTS, max_size=3))),
        "params": draw(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=3)),
        "headers": [
            (name, value)
            for name, value in draw(st.lists(st.tuples(TOKEN, HEADER_VALUES), max_size=4))
            if name.lower() not in SET_BY_THE_TRANSPORT
        ],
        "body": draw(st.binary(max_size=300)) if method in ("POST", "PUT", "PATCH", "DELETE") else b"",
        "chunked": draw(st.booleans()),
        "status": draw(
            st.sampled_from(["200 OK", "201 Created", "400 Bad Request", "418 Teapot", "503 Later"])
        ),
        "reply_headers": [
            (name, value.decode("latin-1"))
            for name, value in draw(st.lists(st.tuples(TOKEN, HEADER_VALUES), max_size=3))
            if name.lower() not in ADDED_BY_THE_SERVER | SET_BY_THE_TRANSPORT
        ],
        "reply_body": draw(st.binary(max_size=300)),
    }


def sent_through(client: httpx.Client, root: str, case: dict[str, Any]) -> httpx.Response:
    content = chunks(case["body"]) if case["chunked"] and case["body"] else case["body"] or None
    return client.request(
        case["method"], root + case["path"], params=case["params"], headers=case["headers"], content=content
    )


async def sent_through_async(client: httpx.AsyncClient, root: str, case: dict[str, Any]) -> httpx.Response:
    content = async_chunks(case["body"]) if case["chunked"] and case["body"] else case["body"] or None
    return await client.request(
        case["method"], root + case["path"], params=case["params"], headers=case["headers"], content=content
    )


def as_seen(reply: httpx.Response) -> tuple[Any, ...]:
    headers = [
        (name, value) for name, value in reply.headers.raw if name.lower().decode() not in ADDED_BY_THE_SERVER
    ]
    return reply.status_code, reply.reason_phrase, reply.http_version, headers, reply.content


@pytest.mark.parametrize("flavour", ["sync", "async"])
@given(case=exchanges())
def test_in_process_the_app_gets_and_gives_what_a_socket_carries(
    recording_server: tuple[RecordingApp, str], flavour: str, case: dict[str, Any]
) -> None:
    app, socket_root = recording_server
    app.reply = (case["status"], case["reply_headers"], case["reply_body"])
    in_process = InProcessTransport(app)  # type: ignore[arg-type]  # any WSGI app with a `pause`
    app.received.clear()
    if flavour == "sync":
        with httpx.Client() as over_socket, httpx.Client(transport=in_process.httpx_transport()) as inside:
            replies = [sent_through(over_socket, socket_root, case), sent_through(inside, ROOT, case)]
    else:

        async def both() -> list[httpx.Response]:
            async with (
                httpx.AsyncClient() as over_socket,
                httpx.AsyncClient(transport=in_process.httpx_async_transport()) as inside,
            ):
                return [
                    await sent_through_async(over_socket, socket_root, case),
                    await sent_through_async(inside, ROOT, case),
                ]

        replies = asyncio.run(both())
    over_the_socket, in_the_process = app.received
    assert in_the_process == over_the_socket
    assert in_the_process["body"] == case["body"]
    assert as_seen(replies[1]) == as_seen(replies[0])


# faults


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_drop_fails_the_client_as_a_closed_connection_does(
    smsmock_inprocess: SmsMock, flavour: str
) -> None:
    smsmock_inprocess.fault(drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError, match="dropped"):
        balance(smsmock_inprocess, flavour)
    assert balance(smsmock_inprocess, flavour).status_code == 200


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_stall_beyond_the_read_timeout_times_out_at_once(smsmock_inprocess: SmsMock, flavour: str) -> None:
    smsmock_inprocess.fault(delay=300, times=1)
    started = time.monotonic()
    with pytest.raises(
        httpx.ReadTimeout, match="stalled 300 s, longer than the client's read timeout of 2 s"
    ):
        balance(smsmock_inprocess, flavour, timeout=httpx.Timeout(60, read=2))
    assert time.monotonic() - started < 2
    assert balance(smsmock_inprocess, flavour).status_code == 200


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_stall_within_the_read_timeout_is_waited_out(smsmock_inprocess: SmsMock, flavour: str) -> None:
    smsmock_inprocess.fault(delay=0.3, times=1)
    started = time.monotonic()
    assert balance(smsmock_inprocess, flavour, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_an_async_stall_holds_its_request_not_the_event_loop(smsmock_inprocess: SmsMock) -> None:
    """While one request waits out a stall, the loop runs on: a request sent after it finishes first."""
    smsmock_inprocess.fault(delay=1, times=1, path="balance")
    finished: list[str] = []

    async def send(client: httpx.AsyncClient, path: str) -> None:
        reply = await client.get(path)
        assert reply.status_code == 200
        finished.append(path)

    async def both() -> None:
        async with smsmock_inprocess.httpx_async_client(auth=AUTH) as client:
            await asyncio.gather(send(client, BALANCE), send(client, "/_smsmock/health"))

    asyncio.run(both())
    assert finished == ["/_smsmock/health", BALANCE]


def test_waits_that_add_up_beyond_patience_fail_an_httpx_client(
    smsmock_inprocess: SmsMock, _smsmock_inprocess_transport: InProcessTransport
) -> None:
    """The contract suite's stall bound holds for httpx clients as for requests ones."""
    smsmock_inprocess.fault(delay=11, times=2, processed=True)
    with _smsmock_inprocess_transport.patience(5.0):
        with pytest.raises(httpx.ReadTimeout, match="read timeout of 3 s"):
            balance(smsmock_inprocess, "sync", timeout=3)
        with pytest.raises(pytest.fail.Exception, match="waits 6 s in all"):
            balance(smsmock_inprocess, "async", timeout=3)


def test_an_httpx_client_without_a_timeout_fails_its_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
import asyncio
import httpx

AUTH = ("Aladdin", "open sesame")

def test_sync(smsmock_inprocess):
    smsmock_inprocess.fault(delay=300, times=1)
    try:
        httpx.get(smsmock_inprocess.url + "/restapi/account/1/balance", auth=AUTH, timeout=None)
    except Exception:
        pass  # a client swallowing every error still cannot hide the hang

def test_async(smsmock_inprocess):
    smsmock_inprocess.fault(delay=300, times=1)

    async def health():
        async with httpx.AsyncClient(auth=AUTH, timeout=None) as client:
            try:
                await client.get(smsmock_inprocess.url + "/restapi/account/1/balance")
            except Exception:
                pass

    asyncio.run(health())

def test_httpx_default_timeout_is_a_timeout(smsmock_inprocess):
    smsmock_inprocess.fault(delay=300, times=1)
    try:
        httpx.get(smsmock_inprocess.url + "/restapi/account/1/balance", auth=AUTH)
    except httpx.ReadTimeout:
        pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*the client sent a request without a timeout*"] * 2)


def balance(mock: SmsMock, flavour: str, timeout: Any = 5) -> httpx.Response:
    """GET the shortlink balance with a client httpx builds itself, sync or async."""
    url = mock.url + BALANCE
    if flavour == "sync":
        return httpx.get(url, auth=AUTH, timeout=timeout)

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(auth=AUTH, timeout=timeout) as client:
            return await client.get(url)

    return asyncio.run(get())


# httpx and requests: one mock, one answer


SEND_OPERATIONS = {
    "send_text_single": "/restapi/sms/1/text/single",
    "send_text_multi": "/restapi/sms/1/text/multi",
    "send_text_advanced": "/restapi/sms/1/text/advanced",
}
VARYING = {"id", "submitted_at", "send_at", "sent_at", "done_at", "expires_at", "changes", "bulk_id"}
"""What two sends of the same message may differ in: ids the mock makes up, and times."""


@functools.cache
def contract_bodies(operation: str) -> st.SearchStrategy[Any]:
    """Built once: reading a contract into a strategy costs far more than drawing from it."""
    return strategies.request_bodies("shortlink", operation)


@st.composite
def shortlink_sends(draw: st.DrawFn) -> tuple[str, Any]:
    """(path, body): any body a shortlink send's contract takes, or a plain message of any text."""
    operation = draw(st.sampled_from(sorted(SEND_OPERATIONS)))
    body = contract_bodies(operation)
    if operation == "send_text_single":
        plain = st.builds(message, text=strategies.sms_texts(max_size=200), to=strategies.phone_numbers())
        body = st.one_of(body, plain)
    return SEND_OPERATIONS[operation], draw(body)


def without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_ids(item) for key, item in value.items() if key not in ("messageId", "bulkId")}
    if isinstance(value, list):
        return [without_ids(item) for item in value]
    return value


@pytest.mark.smsmock(expect_violations=True)
@SHARED_FIXTURE
@given(send=shortlink_sends(), flavour=st.sampled_from(["httpx", "httpx async"]))
def test_any_shortlink_send_through_httpx_is_the_send_through_requests(
    smsmock_inprocess: SmsMock, send: tuple[str, Any], flavour: str
) -> None:
    mock = smsmock_inprocess
    path, body = send
    url = mock.url + path
    seen = []
    for client in ("requests", flavour):
        mock.control.reset()
        if client == "requests":
            reply: Any = requests.post(url, json=body, auth=AUTH, timeout=5)
        elif client == "httpx":
            reply = httpx.post(url, json=body, auth=AUTH)
        else:

            async def post() -> httpx.Response:
                async with mock.httpx_async_client(auth=AUTH) as http:
                    return await http.post(path, json=body)

            reply = asyncio.run(post())
        stored = [
            {name: value for name, value in asdict(sent).items() if name not in VARYING}
            for sent in mock.outbox()
        ]
        seen.append((reply.status_code, without_ids(reply.json()), stored))
    assert seen[1] == seen[0]
