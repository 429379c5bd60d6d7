"""`MockServer` on kept-alive connections: HTTP/1.1 framing, connection reuse, closing, and stopping."""

from __future__ import annotations

import base64
import http.client
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from smsmock.server.config import MockConfig
from smsmock.server.thread import DRAIN_LIMIT, MockServer, _read_headers, _Server

LOOPBACK = "127.0.0.1"
SEND_PATH = "/restapi/sms/1/text/single"
AUTH = "Basic " + base64.b64encode(b"Aladdin:open sesame").decode()
SEND_BODY = json.dumps({"from": "InfoSMS", "to": "41793026727", "text": "Hello"}).encode()
SEND_HEADERS = {"Authorization": AUTH, "Content-Type": "application/json"}
CLOSING_REQUEST = b"GET /_smsmock/health HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n"
"""A last request that has the server close the connection once it has answered everything before."""
STOP_BOUND = 3.0
"""Seconds stop() may take: well above its poll interval, far below a hang."""


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockConfig(clock_frozen=True, max_body=1024)) as running:
        yield running


@pytest.fixture
def mock(server: MockServer) -> MockServer:
    server.control.reset()
    return server


def connect(server: MockServer | _Server) -> http.client.HTTPConnection:
    port = server.port if isinstance(server, MockServer) else server.server_port
    return http.client.HTTPConnection(LOOPBACK, port, timeout=10)


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    connection.request(method, path, body=body, headers=headers or {})
    reply = connection.getresponse()
    return reply, reply.read()


def replies(received: bytes, methods: list[str]) -> list[tuple[http.client.HTTPResponse, bytes]]:
    """The replies in `received`, one per request method, read one after the other as a client reads
    them off one connection."""
    stream = _Received(received)
    read = []
    for method in methods:
        reply = http.client.HTTPResponse(stream, method=method)  # type: ignore[arg-type]
        reply.begin()
        read.append((reply, reply.read()))
    assert stream.read() == b"", "more came than the replies asked for"
    return read


class _Received(io.BytesIO):
    """What the server sent, as a socket stand-in for HTTPResponse: each reply reads on where the one
    before stopped (a reply closes its stream when it is read, this one stays open)."""

    def makefile(self, mode: str) -> _Received:
        return self

    def close(self) -> None:
        pass


def read_to_end(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails the test)."""
    sock.settimeout(10)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


# one connection, many requests


def test_requests_on_one_connection_reuse_its_socket(mock: MockServer) -> None:
    connection = connect(mock)
    try:
        sockets, ports = set(), set()
        for text in ("one", "two", "three"):
            body = json.dumps({"from": "InfoSMS", "to": "41793026727", "text": text}).encode()
            reply, data = exchange(connection, "POST", SEND_PATH, body, SEND_HEADERS)
            assert reply.status == 200, data
            assert reply.getheader("Content-Length") == str(len(data))
            assert reply.getheader("Connection") is None
            sockets.add(id(connection.sock))
            ports.add(connection.sock.getsockname()[1])
        assert len(sockets) == 1 and len(ports) == 1
    finally:
        connection.close()
    assert [message["text"] for message in mock.control.messages()] == ["three", "two", "one"]


def test_a_requests_session_opens_one_connection_for_many_calls(mock: MockServer) -> None:
    with requests.Session() as session:
        session.auth = ("Aladdin", "open sesame")
        url = mock.url + SEND_PATH
        for _ in range(5):
            reply = session.post(url, json={"from": "InfoSMS", "to": "41793026727", "text": "Hi"}, timeout=10)
            assert reply.status_code == 200
        pools = session.get_adapter(url).poolmanager.pools
        # urllib3's pool container refuses plain iteration; keys() gives a copy.
        (pool,) = (pools[key] for key in pools.keys())  # noqa: SIM118
        assert (pool.num_connections, pool.num_requests) == (1, 5)


def test_every_kind_of_reply_is_framed_so_the_connection_goes_on(mock: MockServer) -> None:
    """Errors, HEAD, an OPTIONS without a body, the control API and the inbox, one after another."""
    connection = connect(mock)
    try:
        asked = [
            ("GET", "/no/such/path", None, {}),  # the family's 404
            ("DELETE", SEND_PATH, None, {}),  # 405
            ("POST", SEND_PATH, b"{not json", SEND_HEADERS),  # the dialect's 400
            ("POST", SEND_PATH, SEND_BODY, {"Content-Type": "application/json"}),  # 401
            ("HEAD", "/_smsmock/health", None, {}),
            ("OPTIONS", SEND_PATH, None, {}),  # 204
            ("GET", "/", None, {}),  # the inbox
            ("GET", "/_smsmock/messages", None, {}),
            ("GET", "/_smsmock/health", None, {}),
        ]
        statuses = []
        port = None
        for method, path, body, headers in asked:
            reply, data = exchange(connection, method, path, body, headers)
            statuses.append(reply.status)
            assert reply.getheader("Connection") is None, (method, path)
            if method == "HEAD":
                assert data == b"" and int(reply.getheader("Content-Length")) > 0
            elif reply.status != 204:
                assert reply.getheader("Content-Length") == str(len(data)), (method, path)
            port = port or connection.sock.getsockname()[1]
            assert connection.sock.getsockname()[1] == port
        assert statuses == [404, 405, 400, 401, 200, 204, 200, 200, 200]
    finally:
        connection.close()


def test_pipelined_requests_each_get_their_reply_in_order(mock: MockServer) -> None:
    requests_sent = [
        ("POST", SEND_PATH, SEND_BODY),
        ("HEAD", "/_smsmock/health", b""),
        ("GET", "/no/such/path", b""),
        ("GET", "/_smsmock/health", b""),
    ]
    wire = b"".join(
        f"{method} {path} HTTP/1.1\r\nHost: mock\r\nAuthorization: {AUTH}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
        for method, path, body in requests_sent
    )
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(wire + CLOSING_REQUEST)
        received = replies(read_to_end(sock), [method for method, _, _ in requests_sent] + ["GET"])
    assert [reply.status for reply, _ in received] == [200, 200, 404, 200, 200]
    assert json.loads(received[0][1])["messages"][0]["to"] == "41793026727"
    assert received[1][1] == b""
    assert json.loads(received[3][1]) == {"status": "ok"}
    assert [reply.getheader("Connection") for reply, _ in received] == [None] * 4 + ["close"]


def test_a_chunked_request_body_is_read_to_its_end(mock: MockServer) -> None:
    chunked = b"".join(b"%x\r\n%b\r\n" % (len(piece), piece) for piece in (SEND_BODY[:10], SEND_BODY[10:]))
    wire = (
        (
            f"POST {SEND_PATH} HTTP/1.1\r\nHost: mock\r\nAuthorization: {AUTH}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        + chunked
        + b"0\r\n\r\n"
    )
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(wire + CLOSING_REQUEST)
        (sent, sent_body), (health, _) = replies(read_to_end(sock), ["POST", "GET"])
    assert sent.status == 200, sent_body
    assert health.status == 200
    (message,) = mock.control.messages()
    assert message["text"] == "Hello"


def test_an_expect_100_continue_request_is_answered_on_the_same_connection(mock: MockServer) -> None:
    head = (
        f"POST {SEND_PATH} HTTP/1.1\r\nHost: mock\r\nAuthorization: {AUTH}\r\nExpect: 100-continue\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(SEND_BODY)}\r\n\r\n"
    ).encode()
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(head)
        continued = b""
        while not continued.endswith(b"\r\n\r\n"):
            continued += sock.recv(1)
        assert continued == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(SEND_BODY + CLOSING_REQUEST)
        received = replies(read_to_end(sock), ["POST", "GET"])
    assert [reply.status for reply, _ in received] == [200, 200]


# bodies the app does not read


def test_a_refused_body_is_drained_and_the_connection_goes_on(mock: MockServer) -> None:
    """A body over max_body is refused before it is read; what is left of it must not be taken for
    the next request."""
    connection = connect(mock)
    try:
        too_long = json.dumps({"from": "InfoSMS", "to": "41793026727", "text": "x" * 2000}).encode()
        refused, _ = exchange(connection, "POST", SEND_PATH, too_long, SEND_HEADERS)
        port = connection.sock.getsockname()[1]
        taken, data = exchange(connection, "POST", SEND_PATH, SEND_BODY, SEND_HEADERS)
        assert refused.status != 200 and refused.getheader("X-Smsmock-Max-Body") == "1024"
        assert taken.status == 200, data
        assert connection.sock.getsockname()[1] == port
    finally:
        connection.close()


def test_a_body_too_long_to_drain_gets_its_reply_and_the_connection_closed(mock: MockServer) -> None:
    huge = b"x" * (DRAIN_LIMIT + 1)
    connection = connect(mock)
    try:
        reply, _ = exchange(connection, "POST", SEND_PATH, huge, SEND_HEADERS)
        assert reply.getheader("X-Smsmock-Max-Body") == "1024"
        assert reply.getheader("Connection") == "close"
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("framing", "status"),
    [
        ("Content-Length: abc", 400),
        ("Content-Length: 5\r\nContent-Length: 6", 400),
        ("Transfer-Encoding: gzip", 400),
        ("Transfer-Encoding: gzip, chunked", 501),
    ],
    ids=["no-number", "two-lengths", "not-chunked", "unknown-coding"],
)
def test_a_body_without_a_sure_end_is_refused_and_the_connection_closed(
    mock: MockServer, framing: str, status: int
) -> None:
    """RFC 9112 6.1 and 6.3: the server cannot tell where the next request would start."""
    wire = f"POST {SEND_PATH} HTTP/1.1\r\nHost: mock\r\nAuthorization: {AUTH}\r\n{framing}\r\n\r\nhello"
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(wire.encode())
        received = read_to_end(sock)
    head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith(f"HTTP/1.1 {status} "), head
    assert "\r\nConnection: close" in head
    assert mock.control.messages() == [] and len(mock.app.journal) == 0


def test_a_chunked_body_with_a_length_beside_it_is_read_as_chunked_and_the_connection_closed(
    mock: MockServer,
) -> None:
    chunked = b"%x\r\n%b\r\n0\r\n\r\n" % (len(SEND_BODY), SEND_BODY)
    wire = (
        f"POST {SEND_PATH} HTTP/1.1\r\nHost: mock\r\nAuthorization: {AUTH}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
    ).encode() + chunked
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(wire)
        head, body = read_to_end(sock).split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nConnection: close" in head, body
    assert [message["text"] for message in mock.control.messages()] == ["Hello"]


# closing


def test_a_client_that_sends_connection_close_gets_the_connection_closed(mock: MockServer) -> None:
    wire = b"GET /_smsmock/health HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n"
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(wire)
        received = read_to_end(sock)  # returns only once the server has closed its end
    head, body = received.split(b"\r\n\r\n", 1)
    assert b"\r\nConnection: close" in head
    assert json.loads(body) == {"status": "ok"}


def test_an_http_1_0_client_is_closed_unless_it_asks_for_keep_alive(mock: MockServer) -> None:
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(b"GET /_smsmock/health HTTP/1.0\r\n\r\n")
        assert b"\r\nConnection: close" in read_to_end(sock)
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        kept = b"GET /_smsmock/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        sock.sendall(kept * 2 + b"GET /_smsmock/health HTTP/1.0\r\n\r\n")
        received = replies(read_to_end(sock), ["GET"] * 3)
    assert [reply.getheader("Connection") for reply, _ in received] == ["keep-alive", "keep-alive", "close"]


def test_a_malformed_request_line_is_refused_and_the_connection_closed(mock: MockServer) -> None:
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(b"GET / x HTTP/1.1\r\nHost: mock\r\n\r\nGET /_smsmock/health HTTP/1.1\r\n\r\n")
        received = read_to_end(sock)
    assert received.startswith(b"HTTP/1.1 400 ")
    assert received.count(b"HTTP/1.1 ") == 1


def test_http_2_is_not_spoken(mock: MockServer) -> None:
    with socket.create_connection((LOOPBACK, mock.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/2.0\r\n\r\n")
        assert read_to_end(sock).startswith(b"HTTP/1.1 505 ")


def test_a_dropped_connection_fails_its_request_and_the_next_one_gets_a_new_connection(
    mock: MockServer,
) -> None:
    mock.control.add_fault({"drop": True, "times": 1})
    with requests.Session() as session:
        session.auth = ("Aladdin", "open sesame")
        url = mock.url + SEND_PATH
        body = {"from": "InfoSMS", "to": "41793026727", "text": "Hi"}
        with pytest.raises(requests.ConnectionError):
            session.post(url, json=body, timeout=10)
        assert session.post(url, json=body, timeout=10).status_code == 200


# replies without a length (none of the mock's own; any WSGI app's)


def streaming_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first,"
    yield b""
    yield b"second"


@pytest.fixture
def streaming_server() -> Iterator[_Server]:
    served = _Server(LOOPBACK, 0, streaming_app)  # type: ignore[arg-type]
    thread = threading.Thread(target=served.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.shutdown()
        served.close_connections()
        served.server_close()


def test_a_reply_without_a_length_is_chunked_for_http_1_1(streaming_server: _Server) -> None:
    connection = connect(streaming_server)
    try:
        first, first_body = exchange(connection, "GET", "/")
        port = connection.sock.getsockname()[1]
        _, second_body = exchange(connection, "GET", "/")
        assert first.getheader("Transfer-Encoding") == "chunked"
        assert first_body == second_body == b"first,second"
        assert connection.sock.getsockname()[1] == port
    finally:
        connection.close()


def test_a_reply_without_a_length_ends_with_the_connection_for_http_1_0(streaming_server: _Server) -> None:
    with socket.create_connection((LOOPBACK, streaming_server.server_port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        head, body = read_to_end(sock).split(b"\r\n\r\n", 1)
    assert b"Transfer-Encoding" not in head and b"\r\nConnection: close" in head
    assert body == b"first,second"


# stopping


def test_stop_returns_at_once_with_an_idle_connection_open() -> None:
    running = MockServer(MockConfig()).start()
    connection = connect(running)
    reply, _ = exchange(connection, "GET", "/_smsmock/health")
    assert reply.status == 200
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < STOP_BOUND
    connection.sock.settimeout(10)
    assert connection.sock.recv(1) == b""  # the server closed the idle connection
    connection.close()


def test_stop_returns_at_once_while_a_delay_fault_holds_a_request() -> None:
    running = MockServer(MockConfig()).start()
    held, release = threading.Event(), threading.Event()

    def pause(seconds: float) -> None:
        held.set()
        release.wait(30)

    running.app.pause = pause
    running.control.add_fault({"delay": 20, "times": 1})
    outcome: list[Any] = []

    def send() -> None:
        try:
            outcome.append(
                requests.post(
                    running.url + SEND_PATH, data=SEND_BODY, headers=SEND_HEADERS, timeout=30
                ).status_code
            )
        except requests.RequestException as failure:
            outcome.append(failure)

    client = threading.Thread(target=send, daemon=True)
    client.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        running.stop()
        assert time.monotonic() - started < STOP_BOUND
    finally:
        release.set()
        client.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], requests.ConnectionError)


# the header parser


HEADER_NAMES = st.sampled_from(["Host", "Content-Type", "X-Odd", "accept", "A-B_C", "Dup", "dup"])
HEADER_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=20)
ODD_LINES = st.sampled_from([" folded", "\tfolded", "no colon", ": empty name", "Bad Name: x", "X: a\rb"])


@given(
    lines=st.lists(
        st.one_of(
            st.tuples(HEADER_NAMES, HEADER_VALUES).map(lambda pair: f"{pair[0]}:{pair[1]}"),
            st.tuples(HEADER_NAMES, HEADER_VALUES).map(lambda pair: f"{pair[0]}: \t{pair[1]}"),
            ODD_LINES,
        ),
        max_size=8,
    ),
    newline=st.sampled_from(["\r\n", "\n"]),
)
def test_headers_read_as_the_standard_library_reads_them(lines: list[str], newline: str) -> None:
    block = "".join(line + newline for line in lines).encode("latin-1") + newline.encode()
    ours = _read_headers(io.BytesIO(block + b"rest"), http.client.HTTPMessage)
    theirs = http.client.parse_headers(io.BytesIO(block + b"rest"))
    assert ours.items() == theirs.items()
    assert ours.get_all("dup") == theirs.get_all("dup")
