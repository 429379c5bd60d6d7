"""The WSGI app: every dialect at its documented paths, the control API, faults and the journal."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request, Response

from smsmock.contracts.journal import Journal
from smsmock.core.accounts import Accounts
from smsmock.core.backend import Backend, Callback
from smsmock.core.clock import Clock
from smsmock.dialects import Dialect
from smsmock.dialects.qikli import Qikli
from smsmock.dialects.quicktel import Quicktel
from smsmock.dialects.sendsms import Sendsms
from smsmock.dialects.shortlink import Shortlink
from smsmock.dialects.unified import Unified
from smsmock.dialects.wire import BadRequest, Reply
from smsmock.server.config import MockConfig
from smsmock.server.control import CONTROL_PREFIX, Control
from smsmock.server.faults import Faults
from smsmock.server.webhooks import WebhookSender

DIALECTS = (Shortlink, Qikli, Unified, Quicktel, Sendsms)
"""Every dialect the mock serves, all at once, each at its documented paths."""
TICK_INTERVAL = 0.2
"""Seconds between the background checks for due events (deliveries, callbacks) on the real clock."""
_JOURNALED_HEADERS = (
    ("Content-Type", "CONTENT_TYPE"),
    ("Accept", "HTTP_ACCEPT"),
    ("Authorization", "HTTP_AUTHORIZATION"),
    ("User-Agent", "HTTP_USER_AGENT"),
)
"""The request headers the journal keeps, each with the WSGI environ key it arrives under."""
_STATUS_LINES = {code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()}
"""Status lines as werkzeug's Response writes them."""


class MockApp:
    """One mock: the backend all dialects share, and the WSGI entry point."""

    def __init__(self, config: MockConfig | None = None) -> None:
        self.config = config or MockConfig()
        self.clock = Clock(self.config.clock_start, frozen=self.config.clock_frozen)
        self.backend = Backend(
            clock=self.clock, accounts=Accounts(self.config.accounts), rules=self.config.rules
        )
        self.journal = Journal(self.config.journal_size)
        self.faults = Faults()
        dialects: list[Dialect] = [kind() for kind in DIALECTS]
        self.dialects = {dialect.name: dialect for dialect in dialects}
        self.webhooks = WebhookSender(self.backend, self._render_callback)
        self.backend.notifier = self.webhooks
        self.control = Control(self)
        # Every dialect path is a fixed string, so a dict routes every request (werkzeug's Map, which
        # matches patterns, cost more to build than the rest of the app and more per request than a dict).
        self._routes = {
            (path.rstrip("/"), method): (dialect.name, operation)
            for dialect in self.dialects.values()
            for path, methods, operation in dialect.routes()
            for method in methods
        }
        self.after_request: Callable[[], None] | None = None
        """Run at the end of every request, its reply ready (`smsmock serve` manages the collector there)."""
        self.pause: Callable[[float], None] = time.sleep
        """How a delay fault holds a request; the in-process transport stands in its own."""
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()

    def _render_callback(self, callback: Callback) -> tuple[str, bytes]:
        return self.dialects[callback.dialect].render_callback(callback)

    def base_urls(self, root: str) -> dict[str, str]:
        """Where each dialect and the control API live under a server's root URL."""
        root = root.rstrip("/")
        return {
            "shortlink": f"{root}/restapi",
            "qikli": root,
            "unified": f"{root}/bulksms",
            "quicktel": f"{root}/quicktel/xml",
            "sendsms": f"{root}/api/sms",
            "control": f"{root}{CONTROL_PREFIX}",
        }

    # background work

    def start_background(self) -> None:
        """Run due events on the real clock even when no request comes (callbacks, deliveries)."""
        if self._ticker is None or not self._ticker.is_alive():
            self._stopping.clear()
            self._ticker = threading.Thread(target=self._tick_loop, name="smsmock-clock", daemon=True)
            self._ticker.start()

    def _tick_loop(self) -> None:
        while not self._stopping.wait(TICK_INTERVAL):
            self.backend.tick()

    def stop_background(self) -> None:
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        self.webhooks.stop()

    # WSGI

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        _absolute_form(environ)
        request = Request(environ)
        try:
            answer = self.dispatch(request)
        except Exception as failure:
            answer = _json(500, {"error": "internal", "message": f"{type(failure).__name__}: {failure}"})
        finally:
            # werkzeug's Request puts itself into the environ: a reference cycle per request, which
            # only the cyclic collector could free. Broken here, a request is freed by reference counting.
            environ.pop("werkzeug.request", None)
        if self.after_request is not None:
            self.after_request()
        if isinstance(answer, Response):
            return answer(environ, start_response)
        # A dialect's reply is written as it is: a Response object would only copy it about.
        body = answer.body
        headers = [("Content-Type", answer.content_type), ("Content-Length", str(len(body))), *answer.headers]
        start_response(_STATUS_LINES.get(answer.status) or f"{answer.status} UNKNOWN", headers)
        return [b""] if request.method == "HEAD" else [body]

    def dispatch(self, request: Request) -> Response | Reply:
        """The answer to one request: a dialect's reply, or a Response (control API, faults, errors)."""
        path, method = request.path.rstrip("/"), request.method
        if path.startswith(CONTROL_PREFIX + "/") or path == CONTROL_PREFIX:
            try:
                return self.control.dispatch(request, path[len(CONTROL_PREFIX) + 1 :])
            except HTTPException as problem:
                return _json(problem.code or 500, {"error": problem.name, "message": problem.description})
        route = self._routes.get((path, method))
        if route is None and method == "HEAD":
            route = self._routes.get((path, "GET"))  # HEAD is GET without the body
        if route is None:
            return self._unrouted(request, path)
        dialect_name, operation = route
        fault = self.faults.take(method, request.path, dialect_name, operation)
        if fault is not None and fault.delay:
            self.pause(fault.delay)  # the fault asked for a slow server
        dialect = self.dialects[dialect_name]
        if fault is not None and fault.code is not None and fault.code in dialect.fault_codes:
            reply, violations = dialect.fault_reply(operation, request, fault.code), []
        else:
            reply, violations = dialect.handle(operation, request, self.backend)
        answer: Response | Reply = reply
        status = reply.status
        if fault is not None:
            response = Response(reply.body, status=reply.status, content_type=reply.content_type)
            response.headers.extend(reply.headers)
            answer = _faulted(response, fault, request)
            status = answer.status_code
        environ = request.environ
        self.journal.record(
            at=self.clock.now(),
            dialect=dialect_name,
            operation=reply.request_operation or operation,
            method=method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            request_headers={name: environ[key] for name, key in _JOURNALED_HEADERS if key in environ},
            request_body=request.get_data(cache=True),
            status=status,
            response_content_type=reply.content_type,
            response_body=reply.body,
            request_violations=violations,
            reply_operation=reply.operation,
        )
        return answer

    def _unrouted(self, request: Request, path: str) -> Response:
        """A path no dialect documents, or a method its operation does not take: the family's error."""
        dialect = self.dialects["shortlink"]
        allowed = {method for route_path, method in self._routes if route_path == path}
        if allowed:
            problem = BadRequest(f"Method not allowed: {request.method} {request.path}", status=405)
        else:
            problem = BadRequest(f"Not found: {request.path} is not an operation of any dialect", status=404)
        reply: Reply = dialect.error_reply(problem, "json")
        response = Response(reply.body, status=reply.status, content_type=reply.content_type)
        if allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))  # a 405 must say what is (RFC 9110 15.5.6)
        return response


def _absolute_form(environ: dict[str, Any]) -> None:
    """Accept `POST http://host:port/path HTTP/1.1`, which HTTP/1.1 servers must (RFC 9112 3.2.2)."""
    path = environ.get("PATH_INFO", "")
    for scheme in ("http://", "https://"):
        if path.startswith(scheme):
            slash = path.find("/", len(scheme))
            environ["PATH_INFO"] = path[slash:] if slash >= 0 else "/"
            return


def _faulted(response: Response, fault: Any, request: Request) -> Response:
    if fault.drop:
        socket = request.environ.get("werkzeug.socket")
        if socket is not None:
            import socket as sockets

            with contextlib.suppress(OSError):
                socket.shutdown(sockets.SHUT_RDWR)
        # A server that hides its socket gets a reply cut short: headers promise more than comes.
        cut = Response(b"", status=response.status_code, content_type=response.content_type)
        cut.headers["Content-Length"] = str(len(response.get_data()) or 1)
        return cut
    if fault.status is not None:
        response.status_code = fault.status
    if fault.malformed:
        body = response.get_data()
        response.set_data(body[: max(1, len(body) // 2)])
    return response


def _json(status: int, value: Any) -> Response:
    return Response(json.dumps(value), status=status, content_type="application/json")
