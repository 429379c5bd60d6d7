"""`MockServer`: the mock on a real socket in a background thread, with the control API in Python.

The server speaks HTTP/1.1 and keeps connections alive: a client's `requests.Session` or
`httpx.Client` sends call after call on one connection instead of opening one per call. werkzeug's
development server closes every connection after its reply, so its handler's `run_wsgi` is replaced
here by one that frames every reply (Content-Length, or chunked where the app gives no length) and
reads every request body to its end before the next request on the connection.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import re
import selectors
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import DechunkedInput, ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig

DRAIN_LIMIT = 4 << 20
"""The most of a request body the app left unread (a body refused for its size) that the server reads
and throws away to keep the connection; past it, the reply closes the connection instead."""
DISCARD_LIMIT = 64 << 20
"""The most the server reads, after a closing reply, of what the client still sends: a client that
gets its reply before it has sent its whole body must not see the connection reset before it reads it."""
DISCARD_WAIT = 0.1
"""Seconds a closing connection waits for more of the client's body before it closes."""
MAX_HEADER_LINE = 65536
MAX_HEADERS = 100
"""The standard library's bounds on a request's header lines (http.client's)."""
_BODILESS = frozenset({204, 304})
_PLAIN_HEADER = re.compile(rb"[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r?\n")
"""A header line the email parser reads as name, colon and value: no folding, no stray line break."""


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server, which knows its open connections so that stop() can close them."""

    # A kept-alive connection's thread waits for the client's next request for as long as the client
    # keeps the connection open: no thread is waited for at close, close_connections() ends them.
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str, port: int, app: MockApp) -> None:
        super().__init__(host, port, app, handler=_RequestHandler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut every open connection down: a thread waiting on an idle one sees it end and returns."""
        with self._connections_lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: with Nagle's algorithm a reply written in two pieces (headers, then body) waits for
    # the client's delayed ACK, some 40 ms per request on a kept-alive connection.
    disable_nagle_algorithm = True

    def parse_request(self) -> bool:
        """The request line as the standard library reads it; the headers too, but without the email
        package where they are plain `Name: value` lines (its parser costs about as much as the rest
        of the server's own work on a request). Any other line (folded, odd names) takes its parser.
        """
        self.command = None  # what send_error looks at, should the request line be bad
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if not words:
            return False
        if len(words) >= 3:
            version = _http_version(words[-1])
            if version is None:
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request version ({words[-1]!r})")
                return False
            if version >= (2, 0):
                self.request_version = self.protocol_version  # a 505 the client can read
                self.send_error(
                    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, f"Invalid HTTP version ({words[-1][5:]})"
                )
                return False
            self.close_connection = version < (1, 1)
            self.request_version = words[-1]
        if not 2 <= len(words) <= 3:
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({self.requestline!r})")
            return False
        if len(words) == 2 and words[0] != "GET":
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad HTTP/0.9 request type ({words[0]!r})")
            return False
        self.command, self.path = words[0], words[1]
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")  # as the standard library: no open redirects
        try:
            self.headers = _read_headers(self.rfile, self.MessageClass)
        except http.client.LineTooLong as problem:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long", str(problem))
            return False
        except http.client.HTTPException as problem:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers", str(problem))
            return False
        connection = {token.strip().lower() for token in self.headers.get("Connection", "").split(",")}
        if "close" in connection:
            self.close_connection = True
        elif "keep-alive" in connection and self.request_version != "HTTP/0.9":
            self.close_connection = False
        expect = self.headers.get("Expect", "").lower()
        if expect == "100-continue" and self.request_version >= "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Not logged: the journal keeps every exchange, and a test's captured output stays readable
        (werkzeug wrote a line to standard error per request)."""

    def run_wsgi(self) -> None:
        """One request through the app, its reply framed so that the connection can carry the next.

        (An `Expect: 100-continue` was answered while the request was parsed.)
        """
        refusal = _framing_refusal(self.headers)
        if refusal is not None:
            # Where the body ends is not known: no request may follow, and the app gets none of it.
            self.send_error(*refusal)
            self._discard_rest()
            return
        if "Transfer-Encoding" in self.headers and "Content-Length" in self.headers:
            self.close_connection = True  # read as chunked (RFC 9112 6.3), but not trusted further
        environ = self.make_environ()
        body = _request_body(environ, self.headers.get("Content-Length"))
        started: list[Any] = []
        early: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info is not None and started and started[2]:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers, False]
            # WSGI's legacy write(): what an app writes so is sent ahead of what it returns.
            return early.append

        try:
            answer = self.server.app(environ, start_response)
            try:
                self._reply(environ, body, _chained(early, answer), started)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away, or a drop fault shut the socket
        except Exception:
            self.close_connection = True
            # The app answers its own failures; this is one in the server, said where werkzeug says it.
            traceback.print_exc(file=sys.stderr)
            if not (started and started[2]):
                with contextlib.suppress(OSError):
                    self._send(
                        "500 INTERNAL SERVER ERROR",
                        [("Content-Type", "text/plain; charset=utf-8")],
                        [b"smsmock: the server failed; the traceback is on its standard error\n"],
                        "GET",
                    )

    def _reply(self, environ: dict[str, Any], body: Any, answer: Iterable[bytes], started: list[Any]) -> None:
        chunks = iter(answer)
        first = next(chunks, b"")  # a generator app calls start_response only when first asked
        if not started:
            raise RuntimeError("the app returned without calling start_response")
        # What the app left of the request's body is read before the reply goes out, so that the next
        # request starts where it should; a body too long to drain closes the connection instead.
        drained = _drained(body)
        if not drained:
            self.close_connection = True
        status, headers = started[0], started[1]
        started[2] = True
        self._send(status, headers, _chained([first], chunks), environ["REQUEST_METHOD"])
        if not drained:
            self._discard_rest()

    def _send(
        self, status: str, headers: list[tuple[str, str]], chunks: Iterable[bytes], method: str
    ) -> None:
        """Write the reply: headers and a one-piece body in one write; more pieces as they come."""
        code = int(status.split(None, 1)[0])
        names = {name.lower() for name, _ in headers}
        bodiless = method == "HEAD" or code < 200 or code in _BODILESS
        declared = _content_length(headers) if "content-length" in names else None
        chunked = not bodiless and "content-length" not in names and self.request_version >= "HTTP/1.1"
        if not bodiless and "content-length" not in names and not chunked:
            self.close_connection = True  # an HTTP/1.0 client: the body ends where the connection does
        if "content-length" in names and declared is None:
            self.close_connection = True  # a length that is no length frames nothing
        lines = [f"{self.protocol_version} {status}", f"Server: {self.version_string()}"]
        lines.append(f"Date: {_http_date()}")
        lines.extend(f"{name}: {value}" for name, value in headers if name.lower() != "connection")
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        if self.close_connection:
            lines.append("Connection: close")
        elif self.request_version < "HTTP/1.1":
            lines.append("Connection: keep-alive")  # an HTTP/1.0 client that asked for it
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        pieces = iter(chunks)
        written = 0
        pending = head
        for piece in pieces:
            if bodiless or not piece:
                continue
            written += len(piece)
            framed = b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece
            # The head goes out with the first piece, in one write: one segment for a small reply.
            self.wfile.write(pending + framed)
            pending = b""
        if chunked:
            pending += b"0\r\n\r\n"
        if pending:
            self.wfile.write(pending)
        if declared is not None and not bodiless and written != declared:
            # The body is not the length its header gave (a fault cuts it short): the client cannot
            # tell where the next reply would start, so there is none on this connection.
            self.close_connection = True

    def _discard_rest(self) -> None:
        """Read what the client still sends, for a moment, before the connection closes: closing a
        socket with unread data resets the connection, and the client may lose the reply with it."""
        with contextlib.suppress(OSError, ValueError), selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            discarded = 0
            while discarded < DISCARD_LIMIT and selector.select(timeout=DISCARD_WAIT):
                data = self.connection.recv(1 << 16)
                if not data:
                    break
                discarded += len(data)


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header's value, formatted once a second rather than once a reply."""
    global _date_cache
    now = int(time.time())
    second, text = _date_cache
    if second != now:
        text = formatdate(now, usegmt=True)
        _date_cache = (now, text)
    return text


def _http_version(word: str) -> tuple[int, int] | None:
    """(major, minor) of `HTTP/1.1`, or None where the word is no HTTP version (RFC 2145 3.1)."""
    if not word.startswith("HTTP/"):
        return None
    numbers = word[5:].split(".")
    if len(numbers) != 2 or not all(number.isdigit() and len(number) <= 10 for number in numbers):
        return None
    return int(numbers[0]), int(numbers[1])


def _read_headers(stream: Any, message_class: type[http.client.HTTPMessage]) -> http.client.HTTPMessage:
    """The request's headers as `http.client.parse_headers` gives them, read to the blank line.

    Plain `Name: value` lines are stored as its email parser stores them (the name as sent, the
    value without the spaces before it and the line break after it); a block with any other line
    goes through that parser, which knows folded lines and malformed ones.
    """
    lines = []
    while True:
        line = stream.readline(MAX_HEADER_LINE + 1)
        if len(line) > MAX_HEADER_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            break
    if not all(_PLAIN_HEADER.fullmatch(line) for line in lines[:-1]):
        return http.client.parse_headers(io.BytesIO(b"".join(lines)), _class=message_class)
    headers = message_class()
    for line in lines[:-1]:
        name, _, value = line.decode("iso-8859-1").partition(":")
        headers.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
    return headers


def _framing_refusal(headers: http.client.HTTPMessage) -> tuple[HTTPStatus, str] | None:
    """Why the request's body has no sure end (a status and its reason, RFC 9112 6.1 and 6.3), or None.

    Chunked is the one transfer coding read; a Content-Length must be one number.
    """
    codings = [
        coding.strip().lower()
        for value in headers.get_all("Transfer-Encoding") or []
        for coding in value.split(",")
    ]
    if codings and codings[-1] != "chunked":
        return (
            HTTPStatus.BAD_REQUEST,
            "Bad request framing (a Transfer-Encoding that does not end in chunked)",
        )
    if len(codings) > 1:
        return HTTPStatus.NOT_IMPLEMENTED, f"Transfer-Encoding {', '.join(codings)} (only chunked is read)"
    lengths = {value.strip() for value in headers.get_all("Content-Length") or []}
    if not codings and (len(lengths) > 1 or any(_length(value) is None for value in lengths)):
        return HTTPStatus.BAD_REQUEST, "Bad request framing (Content-Length is not one number)"
    return None


def _request_body(environ: dict[str, Any], content_length: str | None) -> Any:
    """The request's body stream as the app reads it, one that stops at the body's end; None for none.

    werkzeug's server hands the socket's own stream over for a Content-Length body, which it can do
    only because it closes every connection afterwards; a chunked body has its dechunking stream.
    """
    if environ.get("wsgi.input_terminated"):
        return environ["wsgi.input"]
    length = None if content_length is None else _length(content_length)
    if not length:
        return None
    environ["wsgi.input"] = LimitedStream(environ["wsgi.input"], length)
    return environ["wsgi.input"]


def _drained(body: Any) -> bool:
    """Read what the app left of the request's body; False when that was too much, or failed."""
    if body is None:
        return True
    try:
        if isinstance(body, LimitedStream):
            if body.limit - body.tell() > DRAIN_LIMIT:
                return False
            body.exhaust()
            return body.is_exhausted
        if isinstance(body, DechunkedInput):
            drained = 0
            while drained <= DRAIN_LIMIT:
                data = body.read(1 << 16)
                if not data:
                    return True
                drained += len(data)
            return False
    except (OSError, ValueError, ClientDisconnected):
        return False  # the client went away mid-body, or sent chunks that do not parse
    return True


def _length(value: str) -> int | None:
    """The octets a Content-Length gives, or None where it is no plain decimal number."""
    value = value.strip()
    return int(value) if value.isdigit() and value.isascii() else None


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    values = {value.strip() for name, value in headers if name.lower() == "content-length"}
    return _length(values.pop()) if len(values) == 1 else None


def _chained(first: Iterable[bytes], rest: Iterable[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


class MockServer:
    """A running mock for tests: `with MockServer() as mock: ... mock.url ... mock.control.advance(5)`.

    Port 0 (the default) picks a free port. `control` offers every control API operation as a method.
    Connections are kept alive between requests; `stop()` closes the open ones and returns at once.
    """

    def __init__(self, config: MockConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = MockApp(config)
        self.control = self.app.control
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the mock server is not running; call start() first")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the mock server is not running; call start() first")
        return self._server.server_port

    def start(self) -> MockServer:
        if self._server is not None:
            return self
        self._server = _Server(self._host, self._port, self.app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="smsmock-server",
            daemon=True,
        )
        self._thread.start()
        self.app.start_background()
        return self

    def stop(self) -> None:
        """Stop serving: no new connections, and the open ones closed (a request under way, such as
        one a delay fault holds, finishes in its own thread and finds its connection gone)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.app.stop_background()
        self._server = None
        self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def urls(self) -> dict[str, str]:
        return self.app.base_urls(self.url)
