"""The fuzzing campaign: generated requests for all five dialects, what every reply must be, and what the
mock's state must still be afterwards.

Requests come from two sources: Schemathesis, drawing positive and negative cases from each dialect's
OpenAPI document (quicktel has none), and hypothesis strategies here that write raw bytes: quicktel
XML (truncated, deep, huge, wrong or lying encodings, entity attacks), unified and sendsms parameters
(bad percent-encoding, repeated and missing keys, invalid UTF-8, NULs), JSON and XML bodies of the
shortlink family, and odd headers everywhere (Authorization, Content-Type, Accept, Content-Length).

Every reply is checked as it comes: no 5xx, nothing printed or logged with a traceback, no reply that
breaks its own contract (the journal's reply check, `validate()`), and, for the Schemathesis cases,
Schemathesis' own conformance checks. After the campaign the mock's state is checked: each message a
reply handed out is listed by the control API and by the dialect's own lookups, every message has a
history, and each delivery report and inbound message is pulled once, and only once.

tests/test_fuzz.py runs a slice in process; benchmarks/fuzz.py runs the long campaign, in process or
against a `smsmock serve` process.
"""

from __future__ import annotations

import io
import json
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from http.client import HTTPResponse
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from fuzz_requests import (
    ACCOUNT,
    BASIC,
    KNOWN_ID,
    SINK,
    Sent,
    form_requests,
    header_requests,
    json_requests,
    stateful_requests,
    xml_requests,
)
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from openapi_cases import load_documents, on_loopback
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from transports import Exchanged, over_wsgi
from werkzeug.test import Client

from smsmock.contracts.catalog import operations
from smsmock.core.vocabulary import vocabulary
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.verify.replies import read_reply

DIALECTS = ("shortlink", "qikli", "unified", "quicktel", "sendsms")
CONTROL = "/_smsmock"
SEND_OPERATIONS = frozenset(
    {
        "send_text_single",
        "send_text_multi",
        "send_text_advanced",
        "send_binary_single",
        "send_binary_multi",
        "submit",
        "schedule",
        "sms_send",
        "send_sms",
    }
)
TRACEBACK = "Traceback (most recent call last)"
BIG_LIMIT = "100000000"
"""A `limit` that lists everything the mock holds."""

CATEGORIES = (
    "openapi-positive",
    "openapi-negative",
    "openapi-stateful",
    "xml",
    "form",
    "json",
    "headers",
    "stateful",
)


def campaign_config() -> MockConfig:
    """The mock the campaign fuzzes: a frozen clock (the 48-hour logs keep every message until the state
    is checked), a journal that keeps every exchange, and a balance no campaign spends."""
    return MockConfig(accounts=[{**ACCOUNT, "balance": "100000000"}], clock_frozen=True, journal_size=None)


# --- requests ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Finding:
    """What the campaign found: a 5xx, a traceback, a reply outside its contract, a broken state."""

    kind: str
    dialect: str
    category: str
    detail: str
    request: dict[str, Any] = field(default_factory=dict)
    reply: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"[{self.kind}] {self.dialect}/{self.category}: {self.detail}\n"
            f"  request: {json.dumps(self.request, ensure_ascii=False)[:800]}\n"
            f"  reply: {json.dumps(self.reply, ensure_ascii=False)[:600]}"
        )


class Refused(Exception):
    """The mock refused a request the campaign itself makes (the control API, the state check's reads)."""


class FindingError(AssertionError):
    """Raised on a finding when the campaign stops at the first (tests: hypothesis then shrinks it)."""


# --- where the requests go --------------------------------------------------------------------------


class Target(Protocol):
    """A mock to fuzz: in process, or a `smsmock serve` process on a socket."""

    label: str
    base_url: str
    app: Any
    """The WSGI app Schemathesis calls in process; None over a socket."""

    def exchange(self, sent: Sent) -> Exchanged | None:
        """One request and its reply; None when the connection ended without one."""
        ...

    def output(self) -> str:
        """What the mock printed or logged since the last call."""
        ...

    def settle(self) -> None:
        """Return once the mock's background work (callback attempts) is done."""
        ...

    def watching(self) -> AbstractContextManager[None]:
        """A span in which what the mock prints is kept for `output()` (in process: taken there)."""
        ...


class InProcess:
    """The mock's WSGI app through werkzeug's test client, the query and headers as a server passes
    them (octets read as Latin-1, PEP 3333).

    Everything it prints (standard output and error), logs, or raises on a thread of its own is kept
    for `output()`.
    """

    label = "in process"
    base_url = "http://127.0.0.1"

    def __init__(self, app: MockApp) -> None:
        self.app = app
        self._client = Client(app, use_cookies=False)
        self._printed = _Recorder()

    def exchange(self, sent: Sent) -> Exchanged | None:
        # As a server passes them: the decoded path and the query's octets, each read as Latin-1.
        environ = {"PATH_INFO": sent.path, "QUERY_STRING": sent.query.decode("latin-1")}
        if sent.content_length is not None:
            environ["CONTENT_LENGTH"] = sent.content_length
        headers = {name: value.decode("latin-1") for name, value in sent.headers}
        with self.watching():
            return over_wsgi(
                self._client, sent.method, sent.path, body=sent.body, headers=headers, environ=environ
            )

    def output(self) -> str:
        return self._printed.take()

    def settle(self) -> None:
        with self.watching():  # a callback attempt that fails badly does so on the sender's thread
            self.app.webhooks.wait_idle(timeout=30)

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Keep what the app prints, logs and raises on its threads meanwhile.

        Taken for each exchange rather than for a whole campaign: pytest swaps the standard streams
        and the thread exception hook between a test's phases.
        """
        handler = logging.StreamHandler(self._printed)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        saved = sys.stdout, sys.stderr, threading.excepthook
        root.addHandler(handler)
        sys.stdout = sys.stderr = self._printed
        threading.excepthook = self._thread_failed
        try:
            yield
        finally:
            sys.stdout, sys.stderr, threading.excepthook = saved
            root.removeHandler(handler)

    def _thread_failed(self, args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread is not None else "?"
        printed = traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        self._printed.write(f"Exception in thread {name}:\n{''.join(printed)}")


class _Recorder(io.TextIOBase):
    """A text stream that keeps what is written, for one reader to take."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def take(self) -> str:
        with self._lock:
            taken, self._parts = "".join(self._parts), []
        return taken


class OverSocket:
    """A `smsmock serve` process on a loopback port, started and stopped by the campaign.

    Requests are written as raw octets, so a header may carry any byte and Content-Length may lie;
    the process's standard output and error are read as it writes them.
    """

    label = "over a socket"
    app = None

    def __init__(self, workdir: Path, timeout: float = 20.0) -> None:
        config = workdir / "fuzz-config.json"
        # JSON is YAML: the campaign's accounts, a frozen clock and a journal that keeps every exchange.
        mock = campaign_config()
        config.write_text(
            json.dumps({"accounts": mock.accounts, "clock": {"frozen": True}, "journal_size": None}),
            encoding="utf-8",
        )
        self.timeout = timeout
        serve = ["serve", "--port", "0", "--retain", "none", "--no-ui", "--config", str(config)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "smsmock", *serve],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._printed = _Recorder()
        self._banner: list[str] = []
        self._ready = threading.Event()
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=self._read, args=(self.process.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, False), daemon=True).start()
        if not self._ready.wait(60):
            self.stop()
            raise RuntimeError(f"smsmock serve did not start: {self._printed.take()[:2000]}")
        self.port = int(self._banner[0].split()[-1].rsplit(":", 1)[1].rstrip("/"))
        self.base_url = f"http://127.0.0.1:{self.port}"

    def _read(self, stream: Any, banner: bool) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace")
            if banner and not self._ready.is_set():
                self._banner.append(line.strip())
                if line.startswith("Ctrl-C"):
                    self._ready.set()
                continue
            self._printed.write(line)

    def exchange(self, sent: Sent) -> Exchanged | None:
        # The path is as the app gets it (decoded), the query as sent (encoded or not).
        path = _on_the_wire(sent.path.encode("latin-1"), also=b"%?#")
        target = path + (b"?" + _on_the_wire(sent.query) if sent.query else b"")
        lines = [sent.method.encode() + b" " + target + b" HTTP/1.1", f"Host: 127.0.0.1:{self.port}".encode()]
        lines += [name.encode("latin-1") + b": " + value for name, value in sent.headers]
        length = sent.content_length if sent.content_length is not None else str(len(sent.body))
        if sent.body or sent.content_length is not None or sent.method in ("POST", "PUT", "PATCH"):
            lines.append(b"Content-Length: " + length.encode())
        lines.append(b"Connection: close")
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout) as connection:
                connection.sendall(head + sent.body)
                if not sent.honest_framing:
                    connection.shutdown(socket.SHUT_WR)  # no more is coming: the server must not wait for it
                response = HTTPResponse(connection, method=sent.method)
                response.begin()
                body = response.read()
                headers = {name.lower(): value for name, value in response.getheaders()}
                return Exchanged(response.status, headers, body)
        except (OSError, ValueError) as failure:  # reset, timed out, or no status line at all
            if sent.honest_framing:
                return Exchanged(0, {}, f"no reply: {failure}".encode())
            return None

    def output(self) -> str:
        return self._printed.take()

    def watching(self) -> AbstractContextManager[None]:
        return nullcontext()  # the process's output is read as it writes it

    def settle(self) -> None:
        """Wait (this is a benchmark, not a test) until the callback attempts stop growing."""
        seen, steady = -1, 0
        deadline = time.monotonic() + 60
        while steady < 3 and time.monotonic() < deadline:
            reply = self.exchange(Sent("control", "control", "GET", f"{CONTROL}/webhooks"))
            count = len(json.loads(reply.body)) if reply is not None and reply.status == 200 else -2
            steady = steady + 1 if count == seen else 0
            seen = count
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _on_the_wire(octets: bytes, also: bytes = b"") -> bytes:
    """A path or query as a request line can carry it: octets it cannot hold (and `also`) percent-encoded."""
    return b"".join(
        bytes([octet]) if 0x21 <= octet <= 0x7E and octet not in also else b"%%%02X" % octet
        for octet in octets
    )


# --- the campaign -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """How many requests went where, and what came back."""

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(dialect, status class) -> count; `no reply` where the connection ended without one."""
    state_requests: int = 0
    """Requests of the state check afterwards (lookups, drains, the control API)."""


class Campaign:
    """Sends generated requests to a target, checks every reply, and keeps what the state check needs."""

    def __init__(self, target: Target, *, stop_at_first: bool = False) -> None:
        self.target = target
        self.stop_at_first = stop_at_first
        self.findings: list[Finding] = []
        self.tally = Tally()
        self._last_seq = 0
        self.handed_out: dict[str, set[str]] = defaultdict(set)
        """Message ids a 2xx send reply handed out, by dialect."""
        self.journaled: set[str] = set()
        """Message ids the journal says a request sent."""
        self.pulled: dict[str, Counter[str]] = defaultdict(Counter)
        """Delivery reports handed out by get_reports, by dialect."""
        self.inbound_pulled: Counter[str] = Counter()
        self.injected: set[str] = set()
        self.looked_up: Counter[str] = Counter()
        self.listed = 0
        """Messages the control API listed when the state was checked."""
        """Messages the state check found by the dialect's own lookups, by dialect."""
        self._known: dict[str, list[str]] = defaultdict(list)
        self._schemas: dict[str, Any] | None = None
        self.strategies: dict[tuple[str, str, bool], tuple[st.SearchStrategy[Any], Any]] = {}
        """Each cell's strategy and the method that sends what it draws."""

    # one request

    def send(self, sent: Sent) -> Exchanged | None:
        """Send one generated request and check its reply."""
        sent = self._filled(sent)
        self.tally.requests[(sent.dialect, sent.category)] += 1
        reply = self.target.exchange(sent)
        if reply is None:
            self.tally.statuses[(sent.dialect, "no reply")] += 1
            self._printed(sent.dialect, sent.category, sent.shown(), {})
            return None
        self._observe(sent.dialect, sent.category, sent.shown(), reply, journaled=sent.honest_framing)
        return reply

    def _filled(self, sent: Sent) -> Sent:
        token = KNOWN_ID.encode()
        if token not in sent.query and token not in sent.body:
            return sent
        pool = self._known[sent.dialect]
        known = (pool[sent.pick % len(pool)] if pool else "no-such-id").encode()
        return replace(sent, query=sent.query.replace(token, known), body=sent.body.replace(token, known))

    def _observe(
        self, dialect: str, category: str, request: dict[str, Any], reply: Exchanged, *, journaled: bool
    ) -> None:
        shown = {
            "status": reply.status,
            "contentType": reply.content_type,
            "body": reply.body[:400].decode("utf-8", "replace"),
        }
        self.tally.statuses[(dialect, f"{reply.status // 100}xx" if reply.status else "no reply")] += 1
        if reply.status >= 500 or reply.status == 0:
            self._found(
                "5xx" if reply.status else "no reply",
                dialect,
                category,
                f"HTTP {reply.status}",
                request,
                shown,
            )
        if "json" in reply.content_type and (reply.body or request.get("method") != "HEAD"):
            try:
                json.loads(reply.body, parse_constant=_not_json)
            except ValueError as problem:
                self._found(
                    "contract", dialect, category, f"the JSON reply does not parse: {problem}", request, shown
                )
        self._printed(dialect, category, request, shown)
        try:
            entry = self._newest_exchange()
        except Refused as problem:
            self._found(
                "state", dialect, category, f"the journal cannot be listed: {problem}", request, shown
            )
            return
        if entry is None:
            if isinstance(self.target, OverSocket) and 400 <= reply.status < 500 and not reply.content_type:
                # The HTTP server refused it before the app saw it (a NUL in a header, `>` in the target).
                self.tally.statuses[(dialect, "4xx")] -= 1
                self.tally.statuses[(dialect, "4xx from the HTTP server")] += 1
            elif journaled and reply.status:
                self._found("state", dialect, category, "the exchange is not in the journal", request, shown)
            return
        self._check_exchange(entry, dialect, category, request, shown, reply, honest=journaled)

    def _printed(self, dialect: str, category: str, request: dict[str, Any], shown: dict[str, Any]) -> None:
        if isinstance(self.target, InProcess):
            self.target.settle()  # so a callback attempt's failure is laid at the request that made it
        printed = self.target.output()
        if TRACEBACK in printed or "Exception in thread" in printed:
            self._found("traceback", dialect, category, printed[-3000:], request, shown)

    def _newest_exchange(self) -> dict[str, Any] | None:
        """The journal's newest entry, when it is newer than the last one seen."""
        reply = self._control("GET", "journal", query="limit=1")
        items = reply.get("items", []) if isinstance(reply, dict) else []
        if not items or items[0]["seq"] <= self._last_seq:
            return None
        self._last_seq = items[0]["seq"]
        return items[0]

    def _check_exchange(
        self,
        entry: dict[str, Any],
        dialect: str,
        category: str,
        request: dict[str, Any],
        shown: dict[str, Any],
        reply: Exchanged,
        honest: bool,
    ) -> None:
        """`honest`: the request's framing told its real length (a client that lies gets what it gets)."""
        errors = [item for item in entry["response"]["violations"] if item["severity"] == "error"]
        if errors:
            detail = "; ".join(item["message"] for item in errors[:3])
            self._found(
                "contract", dialect, category, f"the reply breaks its contract: {detail}", request, shown
            )
        if entry.get("error"):
            self._found("5xx", dialect, category, f"the mock failed: {entry['error']}", request, shown)
        elif (
            honest
            and entry.get("dialect") in DIALECTS
            and entry.get("operation") is not None
            and entry["response"]["operation"] is None
            and entry["request"]["method"] not in ("HEAD", "OPTIONS")
        ):
            # A dialect's operation answered in no format of the dialect (werkzeug's own 400, say).
            detail = "the reply to a dialect's operation follows none of the dialect's contracts"
            self._found("contract", dialect, category, detail, request, shown)
        self.journaled.update(entry["messageIds"])
        served = entry.get("dialect")
        operation = entry.get("operation")
        if served not in DIALECTS or operation is None or not 200 <= reply.status < 300:
            return
        reading = read_reply(served, operation, reply.status, reply.content_type, reply.body)
        ids = [item.message_id for item in reading.items if item.message_id]
        if operation in SEND_OPERATIONS:
            unjournaled = set(ids) - set(entry["messageIds"]) - self.handed_out[served]
            if unjournaled:
                self._found(
                    "state",
                    dialect,
                    category,
                    f"the reply hands out ids its journal entry lacks: {sorted(unjournaled)[:5]}",
                    request,
                    shown,
                )
            self.handed_out[served].update(ids)
            self._known[served].extend(ids)
        elif operation == "get_reports":
            self.pulled[served].update(ids)
        elif operation == "get_inbox":
            self.inbound_pulled.update(ids)

    def _found(
        self,
        kind: str,
        dialect: str,
        category: str,
        detail: str,
        request: dict[str, Any],
        reply: dict[str, Any],
    ) -> None:
        finding = Finding(kind, dialect, category, detail, request, reply)
        self.findings.append(finding)
        if self.stop_at_first:
            raise FindingError(str(finding))

    # the control API

    def _control(self, method: str, path: str, *, query: str = "", body: Any = None) -> Any:
        data = b"" if body is None else json.dumps(body).encode()
        headers = (("Content-Type", b"application/json"),) if body is not None else ()
        sent = Sent("control", "control", method, f"{CONTROL}/{path}", query.encode(), data, headers)
        reply = self.target.exchange(sent)
        if reply is None or reply.status != 200:
            raise Refused(f"the control API refused {method} {path}: {reply}")
        return json.loads(reply.body)

    def inject_inbound(self, text: str, sender: str = "41793026727", to: str = "41793026700") -> None:
        """An inbound message for the default account, to be pulled once by shortlink's get_inbox."""
        try:
            made = self._control("POST", "inbound", body={"from": sender, "to": to, "text": text})
        except Refused as problem:
            self._state("control", str(problem))
            return
        self.injected.add(made["id"])

    # Schemathesis

    def schemas(self) -> dict[str, Any]:
        if self._schemas is None:
            self._schemas = load_documents(self.target.base_url, app=self.target.app)
        return self._schemas

    def call(self, case: Any, dialect: str, category: str) -> Any:
        """Send one Schemathesis case and check its reply, Schemathesis' checks among the rest; the
        response, or None when there was none."""
        on_loopback(case.body, SINK, keep_unsendable=True)
        self.tally.requests[(dialect, category)] += 1
        request = {"method": case.method, "path": case.path, "query": case.query, "body": _short(case.body)}
        try:
            with self.target.watching():
                response = case.call(timeout=self._timeout()) if self.target.app is None else case.call()
        except Exception as failure:  # the transport's own: a connection reset, a timeout
            self.tally.statuses[(dialect, "no reply")] += 1
            self._found("no reply", dialect, category, f"{type(failure).__name__}: {failure}", request, {})
            return None
        headers = {name.lower(): ", ".join(values) for name, values in response.headers.items()}
        reply = Exchanged(response.status_code, headers, response.content)
        self._observe(dialect, category, request, reply, journaled=True)
        try:
            case.validate_response(response, checks=OPENAPI_CHECKS)
        except AssertionError as failures:  # FailureGroup and each failure are AssertionErrors
            shown = {"status": reply.status, "body": reply.body[:400].decode("utf-8", "replace")}
            self._found("openapi", dialect, category, str(failures)[:1500], request, shown)
        return response

    def _timeout(self) -> float:
        return getattr(self.target, "timeout", 20.0)

    # the state afterwards

    def check_state(self) -> None:
        """Check what the campaign left: every message listed and looked up, every report pulled once."""
        before = sum(self.tally.requests.values())
        try:
            messages = self._messages()
            self.listed = len(messages)
            self._every_message_is_known(messages)
            self._every_message_has_history(messages)
            self._shortlink_logs_list_every_message(messages)
            self._quicktel_status_finds_every_push(messages)
            self._sendsms_dlr_finds_every_accepted_send(messages)
            self._deliver_everything()
            messages = self._messages()
            self._every_message_has_history(messages)
            self._reports_are_pulled_once(messages)
            self._inbound_is_pulled_once()
        except Refused as problem:  # the mock cannot answer for its state: a finding of its own
            self._state("control", str(problem))
        finally:
            self.tally.state_requests += sum(self.tally.requests.values()) - before

    def _messages(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = "limit=500" + (f"&cursor={cursor}" if cursor else "")
            page = self._control("GET", "messages", query=query)
            found += page["items"]
            cursor = page["nextCursor"]
            if cursor is None:
                return found

    def _state(self, dialect: str, detail: str) -> None:
        self._found("state", dialect, "state", detail, {}, {})

    def _every_message_is_known(self, messages: list[dict[str, Any]]) -> None:
        listed = {message["id"]: message for message in messages}
        for dialect, ids in self.handed_out.items():
            for message_id in sorted(ids - set(listed)):
                self._state(
                    dialect, f"message {message_id} was handed out but the control API does not list it"
                )
            for message_id in sorted(ids & set(listed)):
                if listed[message_id]["dialect"] != dialect:
                    self._state(
                        dialect, f"message {message_id} is listed under {listed[message_id]['dialect']}"
                    )
        for message_id in sorted(self.journaled - set(listed)):
            self._state(
                "control", f"the journal names message {message_id}, which the control API does not list"
            )
        for message_id in sorted(set(listed) - self.journaled):
            self._state(listed[message_id]["dialect"], f"message {message_id} has no journaled request")

    def _every_message_has_history(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            history = message["history"]
            if not history:
                self._state(message["dialect"], f"message {message['id']} has no history")
            elif history[-1]["status"] != message["status"]:
                ends = history[-1]["status"]
                self._state(
                    message["dialect"],
                    f"message {message['id']} is {message['status']}; its history ends {ends}",
                )

    def _dialect(
        self, method: str, path: str, query: str = "", body: bytes = b"", **headers: str
    ) -> Exchanged:
        sent = Sent(
            "state",
            "state",
            method,
            path,
            query.encode(),
            body,
            tuple((k.replace("_", "-"), v.encode()) for k, v in headers.items()),
        )
        self.tally.requests[("state", "state")] += 1
        reply = self.target.exchange(sent)
        if reply is None or reply.status != 200:
            raise Refused(f"the state check's {method} {path}?{query} was refused: {reply}")
        return reply

    def _shortlink_logs_list_every_message(self, messages: list[dict[str, Any]]) -> None:
        reply = self._dialect(
            "GET", "/restapi/sms/1/logs", f"limit={BIG_LIMIT}", Authorization=BASIC, Accept="application/json"
        )
        logged = {entry["messageId"] for entry in json.loads(reply.body)["results"]}
        listed = {message["id"] for message in messages if message["dialect"] == "shortlink"}
        self.looked_up["shortlink"] += len(listed & logged)
        for message_id in sorted(listed - logged):
            self._state("shortlink", f"get_logs does not list message {message_id}")
        for message_id in sorted(logged - listed):
            self._state("shortlink", f"get_logs lists message {message_id}, which the control API does not")

    def _quicktel_status_finds_every_push(self, messages: list[dict[str, Any]]) -> None:
        pushes = {message["id"]: message for message in messages if message["dialect"] == "quicktel"}
        ids = sorted(pushes)
        for start in range(0, len(ids), 250):
            batch = ids[start : start + 250]
            items = "".join(f'<sms push_id="{push_id}"/>' for push_id in batch)
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_status2">'
                f'<xml_user lgn="{ACCOUNT["username"]}" pwd="{ACCOUNT["password"]}"/>{items}</xml_request>'
            )
            reply = self._dialect("POST", "/quicktel/xml", body=body.encode(), Content_Type="application/xml")
            reading = read_reply("quicktel", "sms_status2", reply.status, reply.content_type, reply.body)
            found = {item.message_id: item for item in reading.items}
            for push_id in batch:
                item = found.get(push_id)
                if item is None or item.refused:
                    self._state("quicktel", f"sms_status2 does not know push {push_id}")
                else:
                    self.looked_up["quicktel"] += 1

    def _sendsms_dlr_finds_every_accepted_send(self, messages: list[dict[str, Any]]) -> None:
        from smsmock.dialects.sendsms import tables

        words = vocabulary()
        holders: dict[tuple[str, str], list[str]] = defaultdict(list)
        for message in messages:
            if message["dialect"] != "sendsms" or message["clientRef"] is None:
                continue
            state = (
                tables().states.get(message["status"])
                or tables().states[words.status(message["status"]).group_name]
            )
            if state.send_reply == "accepted":
                holders[(message["to"], message["clientRef"])].append(message["id"])
        for (mobile, ref), ids in sorted(holders.items()):
            if len(ids) > 1:
                self._state(
                    "sendsms", f"{len(ids)} accepted messages share number {mobile} and ref {ref!r}: {ids}"
                )
            query = urlencode({"key": ACCOUNT["api_key"], "full_number": mobile, "ref": ref})
            reply = self._dialect("GET", "/api/sms/dlr.php", query)
            answer = json.loads(reply.body)
            if answer.get("status") is not True or answer.get("queue_status") == "notfound":
                self._state("sendsms", f"dlr.php finds no report of {mobile} ref {ref!r} ({ids}): {answer}")
            else:
                self.looked_up["sendsms"] += 1

    def _deliver_everything(self) -> None:
        """Move the clock on until every message that will finish has, and every callback has given up."""
        for _ in range(8):
            self._control("POST", "clock/advance", body={"seconds": 86400})
            self.target.settle()
        self._printed("state", "state", {}, {})

    def _reports_are_pulled_once(self, messages: list[dict[str, Any]]) -> None:
        words = vocabulary()
        for dialect, path in (("shortlink", "/restapi/sms/1/reports"), ("qikli", "/sms/1/reports")):
            pulled = self.pulled[dialect]
            pulled.update(self._drained(path))
            final = {
                message["id"]
                for message in messages
                if message["dialect"] == dialect
                and message["account"] == ACCOUNT["name"]
                and words.status(message["status"]).final
                and not message["deleted"]
            }
            for message_id, times in sorted(pulled.items()):
                if times > 1:
                    self._state(dialect, f"the report of {message_id} was pulled {times} times")
            for message_id in sorted(final - set(pulled)):
                self._state(
                    dialect, f"the report of {message_id} ({_status(messages, message_id)}) was never pulled"
                )
            for message_id in sorted(set(pulled) - final):
                self._state(dialect, f"a report of {message_id} was pulled, which has no final status")

    def _drained(self, path: str) -> list[str]:
        """Every id a read-once queue hands out, pulled until a pull brings nothing new (a queue that
        hands the same items out again would never end)."""
        handed: list[str] = []
        while True:
            reply = self._dialect(
                "GET", path, f"limit={BIG_LIMIT}", Authorization=BASIC, Accept="application/json"
            )
            ids = [entry["messageId"] for entry in json.loads(reply.body)["results"]]
            new = set(ids) - set(handed)
            handed += ids
            if not new:
                return handed

    def _inbound_is_pulled_once(self) -> None:
        pulled = self.inbound_pulled
        pulled.update(self._drained("/restapi/sms/1/inbox/reports"))
        for message_id, times in sorted(pulled.items()):
            if times > 1:
                self._state("shortlink", f"inbound message {message_id} was pulled {times} times")
        for message_id in sorted(self.injected - set(pulled)):
            self._state("shortlink", f"inbound message {message_id} was never pulled")

    # what it came to

    def summary(self) -> dict[str, Any]:
        by_dialect: Counter[str] = Counter()
        by_category: Counter[str] = Counter()
        for (dialect, category), count in self.tally.requests.items():
            if dialect in DIALECTS:
                by_dialect[dialect] += count
                by_category[category] += count
        kinds = Counter(finding.kind for finding in self.findings)
        return {
            "target": self.target.label,
            "requests": sum(by_dialect.values()),
            "stateCheckRequests": self.tally.state_requests,
            "byDialect": dict(sorted(by_dialect.items())),
            "byCategory": dict(sorted(by_category.items())),
            "byDialectAndCategory": {
                f"{dialect}/{category}": count
                for (dialect, category), count in sorted(self.tally.requests.items())
                if dialect in DIALECTS
            },
            "statuses": {
                f"{dialect}/{status}": count
                for (dialect, status), count in sorted(self.tally.statuses.items())
            },
            "findings": dict(sorted(kinds.items())),
            "handedOut": {dialect: len(ids) for dialect, ids in sorted(self.handed_out.items())},
            "messagesListed": self.listed,
            "lookedUp": dict(sorted(self.looked_up.items())),
            "reportsPulled": {
                dialect: sum(counts.values()) for dialect, counts in sorted(self.pulled.items())
            },
            "inboundPulled": sum(self.inbound_pulled.values()),
        }


OPENAPI_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:400]


def _status(messages: list[dict[str, Any]], message_id: str) -> str:
    found = next((message for message in messages if message["id"] == message_id), None)
    return "?" if found is None else f"{found['status']}, notifyUrl {found['notifyUrl']!r}"


# --- the plan -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One dialect's requests of one category, and its share of the campaign."""

    dialect: str
    category: str
    weight: int


PLAN = (
    Cell("shortlink", "openapi-positive", 6),
    Cell("shortlink", "openapi-negative", 6),
    Cell("shortlink", "xml", 3),
    Cell("shortlink", "json", 4),
    Cell("shortlink", "headers", 3),
    Cell("shortlink", "stateful", 2),
    Cell("qikli", "openapi-positive", 3),
    Cell("qikli", "openapi-negative", 3),
    Cell("qikli", "openapi-stateful", 2),
    Cell("qikli", "xml", 2),
    Cell("qikli", "json", 3),
    Cell("qikli", "headers", 3),
    Cell("qikli", "stateful", 2),
    Cell("unified", "openapi-positive", 3),
    Cell("unified", "openapi-negative", 3),
    Cell("unified", "form", 8),
    Cell("unified", "headers", 3),
    Cell("unified", "stateful", 2),
    Cell("quicktel", "xml", 14),
    Cell("quicktel", "headers", 3),
    Cell("quicktel", "stateful", 3),
    Cell("sendsms", "openapi-positive", 3),
    Cell("sendsms", "openapi-negative", 3),
    Cell("sendsms", "form", 8),
    Cell("sendsms", "headers", 3),
    Cell("sendsms", "stateful", 2),
)
"""Each dialect gets about a fifth of the requests; quicktel, which has no OpenAPI document, all raw."""
ROUNDS = 4
"""Each cell runs in this many turns, interleaved with the others, so lookups find what sends made."""
INBOUND_PER_ROUND = 5


def shares(total: int, plan: tuple[Cell, ...] = PLAN) -> list[tuple[Cell, int]]:
    """How many requests each cell gets of `total` (at least one each)."""
    weight = sum(cell.weight for cell in plan)
    return [(cell, max(1, round(total * cell.weight / weight))) for cell in plan]


def run(campaign: Campaign, total: int, seed_value: int, *, huge: bool = True, rounds: int = ROUNDS) -> None:
    """Send about `total` generated requests, the cells interleaved, then check the state they left."""
    planned = shares(total)
    for turn in range(rounds):
        for number in range(INBOUND_PER_ROUND):
            campaign.inject_inbound(f"STOP {turn}.{number}" if number % 2 else f"Hello {turn}.{number}")
        for index, (cell, count) in enumerate(planned):
            examples = count // rounds + (1 if turn < count % rounds else 0)
            if not examples:
                continue
            try:
                run_cell(campaign, cell, examples, seed_value * 100_003 + turn * 1_009 + index, huge=huge)
            except Exception as failure:
                if campaign.stop_at_first:
                    raise
                # The campaign's own failure: said, and the other cells still run.
                detail = "".join(traceback.format_exception(failure))[-3000:]
                campaign.findings.append(Finding("campaign", cell.dialect, cell.category, detail))
    campaign.check_state()


def run_cell(campaign: Campaign, cell: Cell, examples: int, seed_value: int, *, huge: bool) -> None:
    """`examples` requests of one cell, drawn by hypothesis from a fixed seed."""
    if cell.category == "openapi-stateful":
        run_links(campaign, cell.dialect, examples, seed_value)
        return
    key = (cell.dialect, cell.category, huge)
    if key not in campaign.strategies:  # built once: Schemathesis' take seconds
        campaign.strategies[key] = _strategy(campaign, cell, huge=huge)
    strategy, sender = campaign.strategies[key]
    phases = [Phase.generate, Phase.shrink] if campaign.stop_at_first else [Phase.generate]

    @seed(seed_value)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(item=strategy)
    def one(item: Any) -> None:
        sender(item)

    one()


def _strategy(campaign: Campaign, cell: Cell, *, huge: bool) -> tuple[st.SearchStrategy[Any], Any]:
    dialect, category = cell.dialect, cell.category
    if category.startswith("openapi-"):
        mode = GenerationMode.POSITIVE if category == "openapi-positive" else GenerationMode.NEGATIVE
        schema = campaign.schemas()[dialect]
        cases = [
            operation.ok().as_strategy(generation_mode=mode) for operation in schema.get_all_operations()
        ]
        return st.one_of(cases), lambda case: campaign.call(case, dialect, category)
    paths = accepted_paths(dialect)
    strategies = {
        "xml": lambda: xml_requests(dialect, paths, huge=huge),
        "form": lambda: form_requests(dialect),
        "json": lambda: json_requests(dialect, paths),
        "headers": lambda: header_requests(dialect),
        "stateful": lambda: stateful_requests(dialect),
    }
    return strategies[category](), campaign.send


def accepted_paths(dialect: str) -> dict[str, list[str]]:
    """Each path of a dialect's operations -> every path the operation takes (the documents' variants)."""
    return {path: list(op.paths) for op in operations(dialect).values() for path in op.paths}


def run_links(campaign: Campaign, dialect: str, examples: int, seed_value: int) -> None:
    """Schemathesis' stateful run over the links its dependency analysis finds in the document."""
    schema = campaign.schemas()[dialect]
    machine = schema.as_state_machine()
    category = "openapi-stateful"

    class Linked(machine):  # type: ignore[misc, valid-type]
        def call(self, case: Any, **kwargs: Any) -> Any:
            response = campaign.call(case, dialect, category)
            if response is None:
                raise ConnectionError("no reply (a finding already)")
            return response

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            """Checked in `campaign.call` already, findings kept rather than raised."""

    steps = max(1, min(10, examples))
    phases = [Phase.generate, Phase.shrink] if campaign.stop_at_first else [Phase.generate]
    Linked.run(
        settings=settings(
            max_examples=max(1, examples // steps),
            stateful_step_count=steps,
            deadline=None,
            database=None,
            derandomize=False,
            phases=phases,
            suppress_health_check=list(HealthCheck),
        )
    )
