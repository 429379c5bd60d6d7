"""The WSGI app: every dialect at its documented paths, the control API, faults and the journal."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
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
_JOURNALED_HEADERS = ("Content-Type", "Accept", "Authorization", "User-Agent")


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
        rules = [Rule(f"{CONTROL_PREFIX}/<path:rest>", endpoint=("control", ""))]
        for dialect in self.dialects.values():
            for path, methods, operation in dialect.routes():
                rules.append(Rule(path, methods=list(methods), endpoint=(dialect.name, operation)))
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)
        # Every dialect path is a fixed string: a dict answers the common case before the Map is asked.
        self._static_routes = {
            (path.rstrip("/"), method): (dialect.name, operation)
            for dialect in self.dialects.values()
            for path, methods, operation in dialect.routes()
            for method in methods
        }
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

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        _absolute_form(environ)
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except Exception as failure:
            response = _json(500, {"error": "internal", "message": f"{type(failure).__name__}: {failure}"})
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        route = self._static_routes.get((request.path.rstrip("/"), request.method))
        if route is not None:
            dialect_name, operation = route
        else:
            adapter = self.url_map.bind_to_environ(request.environ)
            try:
                (dialect_name, operation), arguments = adapter.match()
            except (NotFound, MethodNotAllowed) as problem:
                return self._unrouted(request, problem)
        if dialect_name == "control":
            try:
                return self.control.dispatch(request, arguments["rest"])
            except HTTPException as problem:
                return _json(problem.code or 500, {"error": problem.name, "message": problem.description})
        fault = self.faults.take(request.method, request.path, dialect_name, operation)
        if fault is not None and fault.delay:
            self.pause(fault.delay)  # the fault asked for a slow server
        dialect = self.dialects[dialect_name]
        if fault is not None and fault.code is not None and fault.code in dialect.fault_codes:
            reply, violations = dialect.fault_reply(operation, request, fault.code), []
        else:
            reply, violations = dialect.handle(operation, request, self.backend)
        response = Response(reply.body, status=reply.status, content_type=reply.content_type)
        response.headers.extend(reply.headers)
        if fault is not None:
            response = _faulted(response, fault, request)
        self.journal.record(
            at=self.clock.now(),
            dialect=dialect_name,
            operation=reply.request_operation or operation,
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            request_headers={
                name: request.headers[name] for name in _JOURNALED_HEADERS if name in request.headers
            },
            request_body=request.get_data(cache=True),
            status=response.status_code,
            response_content_type=reply.content_type,
            response_body=reply.body,
            request_violations=violations,
            reply_operation=reply.operation,
        )
        return response

    def _unrouted(self, request: Request, problem: HTTPException) -> Response:
        """A path no dialect documents, or a method its operation does not take: the family's error."""
        dialect = self.dialects["shortlink"]
        status = 405 if isinstance(problem, MethodNotAllowed) else 404
        text = (
            f"Method not allowed: {request.method} {request.path}"
            if status == 405
            else f"Not found: {request.path} is not an operation of any dialect"
        )
        reply: Reply = dialect.error_reply(BadRequest(text, status=status), "json")
        return Response(reply.body, status=reply.status, content_type=reply.content_type)


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
