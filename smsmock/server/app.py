"""The WSGI app: every dialect at its documented paths, the control API, faults and the journal."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request, Response

from smsmock.contracts import jsontext
from smsmock.contracts.catalog import operations
from smsmock.contracts.journal import journal_for
from smsmock.contracts.validation import Violation
from smsmock.core.accounts import Accounts
from smsmock.core.backend import Backend, Callback, collecting_message_ids, current_message_ids
from smsmock.core.clock import Clock
from smsmock.core.rules import SETTING as RULES_SETTING
from smsmock.core.shared import SharedSettings
from smsmock.core.stores import StoreError, open_store
from smsmock.dialects import Dialect
from smsmock.dialects.qikli import Qikli
from smsmock.dialects.quicktel import Quicktel
from smsmock.dialects.sendsms import Sendsms
from smsmock.dialects.shortlink import Shortlink
from smsmock.dialects.unified import Unified
from smsmock.dialects.wire import BadRequest, Reply
from smsmock.inbox import Inbox
from smsmock.server.accesslog import AccessLog, AccessRecord
from smsmock.server.config import MockConfig
from smsmock.server.control import CONTROL_PREFIX, Control
from smsmock.server.faults import Fault, Faults
from smsmock.server.limits import LIMIT_HEADER, BodyTooLarge, MockRequest, read_body
from smsmock.server.metrics import RequestCounts
from smsmock.server.webhooks import WebhookSender

DIALECTS = (Shortlink, Qikli, Unified, Quicktel, Sendsms)
"""Every dialect the mock serves, all at once, each at its documented paths."""
TICK_INTERVAL = 0.2
"""Seconds between the background checks for due events (deliveries, callbacks) on the real clock."""
RETENTION_INTERVAL = 5.0
"""Seconds of real time between two sweeps of what the retention no longer keeps."""
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
        store = open_store(self.config.store)
        self.settings = SharedSettings(store)
        """The clock, rules, faults and accounts, as every process on the store shares them."""
        self.clock = Clock(self.config.clock_start, frozen=self.config.clock_frozen)
        self.clock.share(self.settings)
        self.backend = Backend(
            clock=self.clock,
            accounts=Accounts(self.config.accounts, self.settings),
            rules=self.config.rules,
            store=store,
        )
        self.settings.watch(RULES_SETTING, self._load_rules)
        self.journal = journal_for(store, self.config.journal_size)
        self.faults = Faults(self.settings)
        self.settings.refresh()  # what other processes on the store (or an earlier run) set
        dialects: list[Dialect] = [kind() for kind in DIALECTS]
        self.dialects = {dialect.name: dialect for dialect in dialects}
        self.webhooks = WebhookSender(self.backend, self._render_callback)
        self.backend.notifier = self.webhooks
        self.control = Control(self)
        self.inbox = Inbox(self) if self.config.ui else None
        """The web inbox at / and /_smsmock/ui/; None with `--no-ui`."""
        # Every dialect path is a fixed string, so a dict routes every request (werkzeug's Map, which
        # matches patterns, cost more to build than the rest of the app and more per request than a dict).
        self._routes = {
            (path.rstrip("/"), method): (dialect.name, operation)
            for dialect in self.dialects.values()
            for path, methods, operation in dialect.routes()
            for method in methods
        }
        self._safe_routes = {
            (path, method)
            for (path, method), (dialect, operation) in self._routes.items()
            if (contract := operations(dialect).get(operation)) is not None and contract.extra.get("safe")
        }
        """The GET routes that only read, which HEAD may run (RFC 9110 9.2.1)."""
        self.after_request: Callable[[], None] | None = None
        """Run at the end of every request, its reply ready (`smsmock serve` manages the collector there)."""
        self.pause: Callable[[float], None] = time.sleep
        """How a delay fault holds a request; the in-process transport stands in its own."""
        self.access_log: AccessLog | None = None
        """Where a line per request goes (`smsmock serve` writes them to standard output)."""
        self.request_counts = RequestCounts()
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()

    def _load_rules(self, added: dict[str, Any] | None) -> None:
        """The configured outcome rules, extended by the rules loaded over the control API."""
        self.backend.rules = self.config.rules if added is None else self.config.rules.extended(added)

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
        next_sweep = time.monotonic()
        while not self._stopping.wait(TICK_INTERVAL):
            if self.access_log is not None:
                self.access_log.flush()
            try:
                self.settings.refresh()
                self.backend.tick()
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + RETENTION_INTERVAL
                    self.enforce_retention()
            except StoreError:
                pass  # the store is away; requests say so, and the loop goes on when it is back
            except Exception:
                # The loop runs every delivery and webhook: a bug here must not end it for good.
                traceback.print_exc(file=sys.stderr)

    def enforce_retention(self) -> int:
        """Drop the messages and journal entries the configured retention no longer keeps."""
        retain = self.config.retain
        if retain is None or not retain.bounded:
            return 0
        before = None if retain.window is None else self.clock.now() - retain.window
        dropped = self.backend.store.prune(submitted_before=before, keep_newest=retain.count)
        if before is not None:
            self.journal.prune(before)
        return dropped

    def stop_background(self) -> None:
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        self.webhooks.stop()
        if self.access_log is not None:
            self.access_log.flush()

    # WSGI

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        _absolute_form(environ)
        request = MockRequest(environ)
        try:
            with collecting_message_ids() as message_ids:
                handled = self._handle(request)
        finally:
            # werkzeug's Request puts itself into the environ: a reference cycle per request, which
            # only the cyclic collector could free. Broken here, a request is freed by reference counting.
            environ.pop("werkzeug.request", None)
        answer = handled.answer
        status = answer.status_code if isinstance(answer, Response) else answer.status
        self.request_counts.count(handled.dialect, handled.operation, status)
        if self.access_log is not None:
            self.access_log.write(
                AccessRecord(
                    at=time.time(),
                    method=request.method,
                    path=request.path,
                    dialect=handled.dialect,
                    operation=handled.operation,
                    status=status,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    message_ids=tuple(message_ids),
                    error=handled.error,
                )
            )
        if self.after_request is not None:
            self.after_request()
        if isinstance(answer, Response):
            # One body chunk, as for a dialect's reply: an iterator makes the server write the body
            # apart from the headers, and a keep-alive client waits out TCP's delayed ACK (~40 ms).
            body_parts, status_line, headers = answer.get_wsgi_response(environ)
            start_response(status_line, headers)
            return [b"".join(body_parts)]
        # A dialect's reply is written as it is: a Response object would only copy it about.
        body = answer.body
        headers = [("Content-Type", answer.content_type), ("Content-Length", str(len(body))), *answer.headers]
        start_response(_STATUS_LINES.get(answer.status) or f"{answer.status} UNKNOWN", headers)
        return [b""] if request.method == "HEAD" else [body]

    def _handle(self, request: Request) -> Handled:
        """Answer one request; an error of the mock's own is answered 500, written out and journaled."""
        try:
            try:
                read_body(request, self.config.max_body)
            except BodyTooLarge as problem:
                return self._too_large(request, problem)
            return self.dispatch(request)
        except StoreError as problem:
            # Fail closed: a store that does not answer gets no guess, and the request no half-done work.
            dialect, operation = self._route_of(request)
            return Handled(
                self._store_failed(request, dialect, operation, problem),
                dialect,
                operation,
                f"StoreError: {problem}",
            )
        except HTTPException as problem:
            # werkzeug's word on the request itself: a body cut short, one too large.
            dialect, operation = self._route_of(request)
            response = _json(problem.code or 400, {"error": problem.name, "message": problem.description})
            self._journal(request, dialect, operation, response)
            return Handled(response, dialect, operation)
        except Exception as failure:
            name = f"{type(failure).__name__}: {failure}"
            # The reply says what broke; the traceback goes where the person running the server looks.
            traceback.print_exc(file=sys.stderr)
            dialect, operation = self._route_of(request)
            response = _json(
                500,
                {
                    "error": "internal",
                    "message": f"{name} (a bug in smsmock; the traceback is on its standard error)",
                },
            )
            self._journal(request, dialect, operation, response, error=name)
            return Handled(response, dialect, operation, name)

    def _too_large(self, request: Request, problem: BodyTooLarge) -> Handled:
        """A body longer than max_body: the dialect's error for a request it cannot take, else a 413.

        Nothing of the body is kept, not even in the journal; a header gives the limit, which a bare
        code (unified, sendsms) or a fixed description (quicktel) cannot.
        """
        path = request.path.rstrip("/")
        dialect, operation = self._route_of(request)
        if dialect is not None and operation is not None:
            reply = self.dialects[dialect].too_large_reply(operation, request, str(problem))
            reply.headers.append((LIMIT_HEADER, str(problem.limit)))
            self._journal(request, dialect, operation, reply, request_body=b"")
            return Handled(reply, dialect, reply.request_operation or operation)
        response = _json(413, {"error": "request too large", "message": str(problem)})
        response.headers[LIMIT_HEADER] = str(problem.limit)
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return Handled(response, "control", None)  # the control API's own calls are not journaled
        if self.inbox is not None and self.inbox.serves(path):
            return Handled(response, "inbox", None)
        self._journal(request, dialect, operation, response, request_body=b"")
        return Handled(response, dialect, operation)

    def _store_failed(
        self, request: Request, dialect: str | None, operation: str | None, problem: StoreError
    ) -> Response:
        """The dialect's documented reply to a failure on the provider's side, else a 503 saying why."""
        code = None if dialect is None else self.dialects[dialect].server_error_code
        if code is not None and operation is not None:
            with contextlib.suppress(Exception):  # a request too broken to echo gets the plain 503
                return _as_response(self.dialects[dialect].fault_reply(operation, request, code))
        response = _json(503, {"error": "store unavailable", "message": str(problem)})
        response.headers["Retry-After"] = "1"
        return response

    def _route_of(self, request: Request) -> tuple[str | None, str | None]:
        """The dialect and operation a request's path and method name, or (None, None)."""
        return self._routes.get((request.path.rstrip("/"), request.method), (None, None))

    def dispatch(self, request: Request) -> Handled:
        """The answer to one request: a dialect's reply, or a Response (control API, faults, errors)."""
        self.settings.refresh()  # what another process on the store changed: clock, rules, faults
        path, method = request.path.rstrip("/"), request.method
        if self.inbox is not None and self.inbox.serves(path):
            return Handled(self.inbox.respond(request, path), "inbox", None)
        if path.startswith(CONTROL_PREFIX + "/") or path == CONTROL_PREFIX:
            return Handled(self._control(request, path[len(CONTROL_PREFIX) + 1 :]), "control", None)
        if path == "" and method in ("GET", "HEAD"):  # no inbox: the root says what the mock serves
            return Handled(self._control(request, ""), "control", None)
        route = self._routes.get((path, method))
        if route is None and method == "HEAD" and (path, "GET") in self._safe_routes:
            route = self._routes[(path, "GET")]  # a read: HEAD is the GET without its body
        elif route is None and method in ("HEAD", "OPTIONS"):
            route = self._routes.get((path, "GET")) or self._routes.get((path, "POST"))
            if route is not None:
                return self._describe(request, path, route)
        if route is None:
            return self._unrouted(request, path)
        dialect_name, operation = route
        dialect = self.dialects[dialect_name]
        fault = None
        if self.faults:  # reading the operation a body names costs a parse: only when a fault may match
            requested = dialect.requested_operation(operation, request)
            fault = self.faults.take(method, request.path, dialect_name, requested)
        if fault is None:
            # A request's work and its journal entry are stored together: one commit where the store
            # has transactions (SQLite), and nothing of it when the store fails half way.
            with self.backend.store.atomic():
                reply, violations = dialect.handle(operation, request, self.backend)
                self._journal(request, dialect_name, operation, reply, violations=violations)
            return Handled(reply, dialect_name, reply.request_operation or operation)
        if fault.delay:
            self.pause(fault.delay)  # the fault asked for a slow server (holding no transaction)
        with self.backend.store.atomic():
            violations = []
            if fault.processed:
                reply, violations = dialect.handle(operation, request, self.backend)
            if fault.code is not None:
                reply = dialect.fault_reply(operation, request, fault.code)
            elif not fault.processed:
                reply = _refusal(fault.status or 503)
            answer = _faulted(reply, fault, request)
            operation = reply.request_operation or operation
            self._journal(
                request, dialect_name, operation, answer, violations=violations, fault=fault, reply=reply
            )
        return Handled(answer, dialect_name, operation)

    def _control(self, request: Request, rest: str) -> Response:
        method = request.method
        if method == "OPTIONS":
            allowed = self.control.allowed_methods(rest)
            if not allowed:
                return _json(404, {"error": "not found", "message": f"no control operation {rest}"})
            return _options(allowed)
        try:
            # HEAD reads like GET: the control API's reads change nothing (due events run either way).
            return self.control.dispatch(request, rest, "GET" if method == "HEAD" else method)
        except HTTPException as problem:
            return _json(problem.code or 500, {"error": problem.name, "message": problem.description})

    def _describe(self, request: Request, path: str, route: tuple[str, str]) -> Handled:
        """HEAD and OPTIONS on a dialect's path: what the path takes, with no side effect.

        HEAD of an operation that changes state (a GET that sends a message or hands out read-once
        reports) cannot run it to learn its headers: it answers that the operation is there, and
        nothing is sent or consumed.
        """
        dialect, operation = route
        allowed = self._allowed(path)
        if request.method == "OPTIONS":
            answer = _options(allowed)
        elif "GET" not in allowed:
            answer = self._not_allowed(request)
        else:
            answer = Response(b"", status=200, headers={"Allow": ", ".join(allowed)})
        self._journal(request, dialect, operation, answer)
        return Handled(answer, dialect, operation)

    def _allowed(self, path: str) -> list[str]:
        """The methods a dialect path takes, with HEAD beside GET and OPTIONS everywhere (RFC 9110)."""
        methods = {method for route_path, method in self._routes if route_path == path}
        if not methods:
            return []
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods | {"OPTIONS"})

    def _unrouted(self, request: Request, path: str) -> Handled:
        """A path no dialect documents, or a method its operation does not take: the family's error."""
        allowed = self._allowed(path)
        dialect = next(
            (name for (route_path, _), (name, _) in self._routes.items() if route_path == path), None
        )
        response = self._not_allowed(request) if allowed else self._not_found(request)
        self._journal(request, dialect, None, response)
        return Handled(response, dialect, None)

    def _not_allowed(self, request: Request) -> Response:
        problem = BadRequest(f"Method not allowed: {request.method} {request.path}", status=405)
        response = _family_error(self.dialects["shortlink"], problem)
        # A 405 must say what is (RFC 9110 15.5.6).
        response.headers["Allow"] = ", ".join(self._allowed(request.path.rstrip("/")))
        return response

    def _not_found(self, request: Request) -> Response:
        problem = BadRequest(f"Not found: {request.path} is not an operation of any dialect", status=404)
        return _family_error(self.dialects["shortlink"], problem)

    def _journal(
        self,
        request: Request,
        dialect: str | None,
        operation: str | None,
        answer: Response | Reply,
        *,
        violations: list[Violation] | None = None,
        fault: Fault | None = None,
        error: str | None = None,
        reply: Reply | None = None,
        request_body: bytes | None = None,
    ) -> None:
        """Record one exchange of the SMS APIs (the control API's own calls are not SMS traffic).

        `reply` is the dialect's reply a fault reshaped into `answer`: the contract its body follows.
        `request_body` stands in for the body as received (a refused body is not kept).
        """
        environ = request.environ
        if isinstance(answer, Reply):
            status, content_type, body = answer.status, answer.content_type, answer.body
            request_operation, reply_operation = answer.request_operation, answer.operation
        else:
            status, content_type, body = answer.status_code, answer.content_type or "", answer.get_data()
            request_operation = None
            reply_operation = None if reply is None else reply.operation
        self.journal.record(
            at=self.clock.now(),
            dialect=dialect,
            operation=request_operation or operation,
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            request_headers={name: environ[key] for name, key in _JOURNALED_HEADERS if key in environ},
            request_body=_body_received(request) if request_body is None else request_body,
            status=status,
            response_content_type=content_type,
            response_body=body,
            request_violations=violations or [],
            reply_operation=reply_operation,
            message_ids=tuple(current_message_ids()),
            fault=None if fault is None else fault.as_dict(),
            error=error,
        )


@dataclass(slots=True)
class Handled:
    """A request's answer, and what it was: the dialect and operation (None where none matched)."""

    answer: Response | Reply
    dialect: str | None
    operation: str | None
    error: str | None = None
    """An internal error's type and message, when the mock failed."""


def _absolute_form(environ: dict[str, Any]) -> None:
    """Accept `POST http://host:port/path HTTP/1.1`, which HTTP/1.1 servers must (RFC 9112 3.2.2)."""
    path = environ.get("PATH_INFO", "")
    for scheme in ("http://", "https://"):
        if path.startswith(scheme):
            slash = path.find("/", len(scheme))
            environ["PATH_INFO"] = path[slash:] if slash >= 0 else "/"
            return


def _body_received(request: Request) -> bytes:
    """The request's body as far as it came: a client that went away mid-body leaves none to keep."""
    try:
        return request.get_data(cache=True)
    except (HTTPException, OSError):
        return b""


def _refusal(status: int) -> Reply:
    """What a provider that did not take a request answers: its status, and a line saying so."""
    phrase = HTTP_STATUS_CODES.get(status, "Error")
    text = f"{status} {phrase}: refused by an injected fault; nothing was sent or charged\n"
    return Reply(status, "text/plain; charset=utf-8", text.encode(), "fault")


def _faulted(reply: Reply, fault: Fault, request: Request) -> Response:
    response = _as_response(reply)
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


def _options(allowed: list[str]) -> Response:
    return Response(b"", status=204, headers={"Allow": ", ".join(allowed)})


def _family_error(dialect: Dialect, problem: BadRequest) -> Response:
    reply: Reply = dialect.error_reply(problem, "json")  # type: ignore[attr-defined]
    return _as_response(reply)


def _as_response(reply: Reply) -> Response:
    """A dialect's reply as a werkzeug Response, for the answers that reshape or pass it on."""
    response = Response(reply.body, status=reply.status, content_type=reply.content_type)
    response.headers.extend(reply.headers)
    return response


def _json(status: int, value: Any) -> Response:
    return Response(jsontext.dumps(value), status=status, content_type="application/json")
