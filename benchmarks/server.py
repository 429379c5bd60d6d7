"""Mock server speed, side by side with WireMock and pytest-httpserver in one run.

    python benchmarks/server.py [--only smsmock,wiremock,pytest-httpserver] [--rounds 5] [--duration 10]
                                [--warmup 3] [--connections 16] [--startup-runs 5] [--json FILE]
    python benchmarks/server.py --dialects [unified,quicktel,sendsms,qikli] [--only smsmock,wiremock] ...

One request, shortlink's send_text_single (POST /restapi/sms/1/text/single), against three servers
that the script starts on free loopback ports and stops again:

- smsmock, as users serve it: `python -m smsmock serve --host 127.0.0.1 --port P`;
- WireMock standalone, the jar of the npm package `wiremock` (installed with `npm install` in this
  folder when missing), with the one templated stub in wiremock/mappings; needs Java 17+;
- pytest-httpserver, one static expectation answered by `HTTPServer(host, port)` in a subprocess;
- and, for scale, the ceiling: a WSGI app that reads the body and returns the document's reply,
  served by granian exactly as `smsmock serve` serves (one worker, one blocking thread). No WSGI app
  served that way can answer faster, so it bounds what smsmock's own work may cost.

Load comes from wrk (Debian package `wrk`) with the same settings for all: each server gets the same
warm-up, then the rounds are interleaved (every server once per round) and each figure is the median of
the rounds. Start-up is the time from starting the process to the first 200 reply to that request,
the median of interleaved repetitions made before the load test, on an otherwise idle machine.

With --dialects, one documented send of each other dialect instead (unified's GET submit, quicktel's
XML sms_send, sendsms's send_sms, qikli's advanced send; see SENDS), against smsmock and WireMock
only, each request answered by WireMock from one static stub per dialect in wiremock/mappings. Each
reply is checked first to be the dialect's success reply, and smsmock's store afterwards to hold an
accepted message for every request wrk counted; no start-up is measured.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import http.client
import importlib.metadata
import importlib.util
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import quote
from xml.etree import ElementTree

from smsmock.contracts import decode_params, errors, examples, validate

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"

PATH = "/restapi/sms/1/text/single"
BODY = '{"from":"InfoSMS","to":"41793026727","text":"My first SMS"}'
HEADERS = {
    "Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    "Content-Type": "application/json",
    "Accept": "application/json",
}
REPLY = json.loads(next(e for e in examples("shortlink") if e["id"] == "gs-send-response-json")["body"])
"""The document's reply to this request, which pytest-httpserver returns every time."""

SERVERS = ("smsmock", "wiremock", "pytest-httpserver", "ceiling")
LABELS = {
    "smsmock": "smsmock",
    "wiremock": "WireMock",
    "pytest-httpserver": "pytest-httpserver",
    "ceiling": "ceiling (empty app)",
}
PEERS = ("wiremock", "pytest-httpserver", "ceiling")
DIALECT_SERVERS = ("smsmock", "wiremock")
"""The servers --dialects measures: the peers answer shortlink's send only."""

# Answers the benchmark request from a static expectation until the process is terminated.
PYTEST_HTTPSERVER = """\
import json, sys, threading
from pytest_httpserver import HTTPServer
server = HTTPServer(host=sys.argv[1], port=int(sys.argv[2]))
server.expect_request(sys.argv[3], method="POST").respond_with_json(json.loads(sys.argv[4]))
server.start()
threading.Event().wait()
"""

# The fastest WSGI app there is, on granian with the settings of smsmock.server.serve.
CEILING = """\
import sys
from granian.constants import HTTPModes, Interfaces
from granian.server.mp import MPServer
reply = sys.argv[3].encode()
headers = [("Content-Type", "application/json"), ("Content-Length", str(len(reply)))]
def app(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", headers)
    return [reply]
server = MPServer(target="ceiling", address=sys.argv[1], port=int(sys.argv[2]), interface=Interfaces.WSGI,
                  workers=1, blocking_threads=1, http=HTTPModes.http1, websockets=False, log_enabled=False)
server.serve(target_loader=lambda: app, wrap_loader=False)
"""

READY_TIMEOUT = 120.0
POLL_INTERVAL = 0.005
FIGURES = {"rps": "req/s", "p50_ms": "p50", "p99_ms": "p99", "startup_s": "start-up"}
SOCKET_ERRORS = ("connect", "read", "write", "timeout")
TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class ServerFailed(RuntimeError):
    pass


@dataclass
class Running:
    name: str
    port: int
    process: subprocess.Popen
    started: float
    log: Path | None = None
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{PATH}"


# --- the servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wiremock_jar() -> Path | None:
    jars = sorted((HERE / "node_modules" / "wiremock" / "build").glob("wiremock-standalone-*.jar"))
    return jars[-1] if jars else None


def ensure_wiremock() -> Path:
    if wiremock_jar() is None:
        if shutil.which("npm") is None:
            raise SystemExit(
                "the WireMock jar comes from the npm package `wiremock`: install Node.js and npm"
            )
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True)
    jar = wiremock_jar()
    if jar is None:
        raise SystemExit(f"npm install did not provide {HERE / 'node_modules/wiremock/build'}/*.jar")
    return jar


SHORTLINK_STUB = "send_text_single.json"


def wiremock_root(scratch: Path, stubs: tuple[str, ...] = (SHORTLINK_STUB,)) -> Path:
    """A copy of wiremock/ with `stubs` of its mappings: WireMock creates mappings/ and __files/ in its root;
    keep them out of the tree. The first call for a scratch folder decides the stubs: shortlink's send is
    measured against its one stub; --dialects makes the root first, with the stubs of the dialects named."""
    root = scratch / "wiremock"
    if not root.is_dir():
        (root / "mappings").mkdir(parents=True)
        for stub in stubs:
            shutil.copy2(HERE / "wiremock" / "mappings" / stub, root / "mappings" / stub)
    return root


ACCOUNT = {
    "name": "default",
    "username": "Aladdin",
    "password": "open sesame",
    "api_key": "test-api-key",
    "balance": "1000000000",
}
"""The documents' account (the wrk script's Basic credentials) with a balance that does not run out:
the default 100 EUR buys 10,000 messages, after which every send is refused for credit and runs no
lifecycle, which is not the path a benchmark of sending means to time."""


def smsmock_config(scratch: Path) -> Path:
    """The --config smsmock is served with here: the default rules, the account above."""
    path = scratch / "smsmock-config.yaml"
    path.write_text(json.dumps({"accounts": [ACCOUNT]}), encoding="utf-8")  # JSON is YAML
    return path


def command(name: str, port: int, scratch: Path) -> list[str]:
    if name == "smsmock":
        argv = [sys.executable, "-m", "smsmock", "serve", "--host", HOST, "--port", str(port)]
        return [*argv, "--config", str(smsmock_config(scratch))]
    if name == "wiremock":
        root = wiremock_root(scratch)
        jar = ensure_wiremock()
        return ["java", "-jar", str(jar), "--port", str(port), "--root-dir", str(root), "--disable-banner"]
    if name == "pytest-httpserver":
        return [sys.executable, "-c", PYTEST_HTTPSERVER, HOST, str(port), PATH, json.dumps(REPLY)]
    if name == "ceiling":
        return [sys.executable, "-c", CEILING, HOST, str(port), json.dumps(REPLY)]
    raise ValueError(name)


def start(name: str, scratch: Path) -> Running:
    """Start a server on a free port, in its own process group; pytest-httpserver logs every request, so
    its output goes to /dev/null, the others' error output to a log file shown if they fail."""
    port = free_port()
    argv = command(name, port, scratch)
    log = None if name == "pytest-httpserver" else scratch / f"{name}-{port}.log"
    log_file = log.open("wb") if log else None
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=scratch,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log_file or subprocess.DEVNULL,
        start_new_session=True,
    )
    return Running(name, port, process, started, log, log_file)


def stop(running: Running) -> None:
    process = running.process
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if running.log_file:
        running.log_file.close()


def failure(running: Running, why: str) -> ServerFailed:
    tail = ""
    if running.log and running.log.exists():
        lines = running.log.read_text(errors="replace").strip().splitlines()[-15:]
        tail = "\n" + "\n".join(f"    {line}" for line in lines) if lines else ""
    argv = shlex.join("<program>" if "\n" in arg else arg for arg in running.process.args)
    return ServerFailed(f"{LABELS[running.name]} ({argv}) {why}{tail}")


# --- requests -------------------------------------------------------------------------------------


def post(port: int, timeout: float) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", PATH, BODY, HEADERS)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_for_200(running: Running, timeout: float = READY_TIMEOUT) -> float:
    """Poll the benchmark request until the first 200; seconds from starting the process to that reply."""
    deadline = running.started + timeout
    last = "no reply"
    while (now := time.perf_counter()) < deadline:
        if running.process.poll() is not None:
            raise failure(running, f"exited with code {running.process.returncode} before answering")
        try:
            status, _ = post(running.port, timeout=max(0.1, deadline - now))
            if status == 200:
                return time.perf_counter() - running.started
            last = f"HTTP {status}"
        except (OSError, http.client.HTTPException) as error:
            last = type(error).__name__
        time.sleep(POLL_INTERVAL)
    raise failure(running, f"gave no 200 within {timeout:.0f} s (last: {last})")


def check_reply(running: Running) -> list[str]:
    """Two requests: both 200 with JSON holding messages[0].messageId; smsmock's two ids must differ."""
    ids = []
    for _ in range(2):
        status, body = post(running.port, timeout=10)
        try:
            reply = json.loads(body)
            message_id = reply["messages"][0]["messageId"]
        except (ValueError, KeyError, IndexError, TypeError):
            message_id = None
        if status != 200 or not message_id:
            raise failure(running, f"answered HTTP {status} {body[:300]!r}, not a reply with a messageId")
        ids.append(str(message_id))
    if running.name == "smsmock" and ids[0] == ids[1]:
        raise failure(running, f"gave the same messageId twice ({ids[0]}); a stateful mock should not")
    return ids


# --- wrk ------------------------------------------------------------------------------------------


def lua_script() -> str:
    lines = ['wrk.method = "POST"', f"wrk.path = {json.dumps(PATH)}", f"wrk.body = {json.dumps(BODY)}"]
    lines += [f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}" for key, value in HEADERS.items()]
    return "\n".join(lines) + "\n"


def to_ms(value: str, unit: str) -> float:
    return float(value) * TIME_UNITS_MS[unit]


def parse_wrk(output: str) -> dict:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)
    if not (rps and p50 and p99):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    requests = re.search(r"^\s*(\d+) requests in", output, re.M)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": to_ms(*p50.groups()),
        "p99_ms": to_ms(*p99.groups()),
        "requests": int(requests.group(1)) if requests else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(
            zip(SOCKET_ERRORS, map(int, sockets.groups()) if sockets else (0,) * 4, strict=True)
        ),
    }


def run_wrk(running: Running, script: Path, threads: int, connections: int, seconds: int) -> dict:
    argv = ["wrk", "--threads", str(threads), "--connections", str(connections), "--duration", f"{seconds}s"]
    argv += ["--latency", "--script", str(script), running.url]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed on {LABELS[running.name]}: {done.stderr or done.stdout}")
    figures = parse_wrk(done.stdout)
    if running.process.poll() is not None:
        raise failure(running, f"exited with code {running.process.returncode} under load")
    return figures


def trouble(figures: dict) -> str:
    """wrk's non-2xx responses and socket errors, or '' when there were none."""
    parts = [f"{figures['non_2xx']} non-2xx responses"] if figures["non_2xx"] else []
    parts += [f"{count} socket {kind} errors" for kind, count in figures["socket_errors"].items() if count]
    return ", ".join(parts)


# --- the other dialects ---------------------------------------------------------------------------

TOKEN = "{token}"
"""Stands for a value that must differ from request to request: quicktel answers a repeated sms_id
with the first attempt's push (res="1", nothing sent), sendsms refuses a (mobile, ref) pair it has
accepted, and unified refuses the same text to the same number within 10 minutes (1041). wrk puts in
a token of its own per request (its run, thread and count), the checks tokens of theirs."""

DIALECTS = ("unified", "quicktel", "sendsms", "qikli")
"""What --dialects measures when it names none; `shortlink` (send_text_single) may be named too."""


class NotASuccess(ValueError):
    """A reply that is not the dialect's success reply to a send."""


def family_message_id(body: bytes) -> str:
    """messages[0] with a status of group PENDING or ACCEPTED (not REJECTED) and a messageId."""
    message = json.loads(body)["messages"][0]
    if message["status"]["groupName"] not in ("PENDING", "ACCEPTED") or not message.get("messageId"):
        raise NotASuccess("messages[0] is not an accepted message with a messageId")
    return str(message["messageId"])


def unified_message_id(body: bytes) -> str:
    """The success line `1701|<CELL_NO>|<MESSAGE ID>`; any other code is an error."""
    code, number, message_id = body.decode().split("|")
    if code != "1701" or not number or not message_id.strip():
        raise NotASuccess("not the line 1701|<CELL_NO>|<MESSAGE ID>")
    return message_id


def quicktel_message_id(body: bytes) -> str:
    """<xml_result res="0"> with one <push res="0"> and its push_id (res="1" is a repeated sms_id)."""
    result = ElementTree.fromstring(body)
    pushes = result.findall("push")
    if result.get("res") != "0" or len(pushes) != 1 or pushes[0].get("res") != "0":
        raise NotASuccess('not <xml_result res="0"> with one <push res="0">')
    push_id = pushes[0].get("push_id")
    if not push_id:
        raise NotASuccess("the push has no push_id")
    return push_id


def sendsms_message_id(body: bytes) -> None:
    """{"status":true,"error":0}; the reply names no message (the client's ref and number do)."""
    reply = json.loads(body)
    # `is True` and the type: in Python 1 == True and False == 0, in the dialect they differ.
    if reply.get("status") is not True or type(reply.get("error")) is not int or reply["error"] != 0:
        raise NotASuccess('not {"status":true,"error":0}')


@dataclass(frozen=True)
class Send:
    """One documented send request of a dialect, and how its success reply reads."""

    dialect: str
    operation: str
    method: str
    target: str
    """Path and query; TOKEN where each request needs a value of its own."""
    headers: dict[str, str]
    body: str
    reply_type: str
    """The media type of the documented reply."""
    message_id: Callable[[bytes], str | None]
    """The message id of a success reply (None: the dialect's reply names none); NotASuccess otherwise."""
    source: str
    """The document's example it is taken from, and what was filled in."""
    stub: str
    """WireMock's static stub for it in wiremock/mappings."""

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def varies(self) -> bool:
        return TOKEN in self.target or TOKEN in self.body

    def request(self, token: str) -> tuple[str, str]:
        """The target and body with `token` in place of TOKEN."""
        return self.target.replace(TOKEN, token), self.body.replace(TOKEN, token)

    def request_violations(self) -> list[str]:
        """What the request (with a token) breaks of the dialect's contract, as the mock checks it."""
        target, body = self.request("check0")
        if self.method == "GET":
            payload: object = decode_params(target.partition("?")[2])
            content_type = None
        else:
            payload = body
            # quicktel's raw XML under the document's form Content-Type is read as XML (errata
            # quicktel-transport), as the mock reads it.
            content_type = "application/xml" if self.dialect == "quicktel" else self.headers["Content-Type"]
        return [
            str(violation)
            for violation in errors(validate(self.dialect, self.operation, "request", payload, content_type))
        ]


def query(**params: str) -> str:
    """A query string with each value percent-encoded, TOKEN left as it is."""
    return "&".join(f"{name}={quote(value, safe='{}')}" for name, value in params.items())


USERNAME, PASSWORD, API_KEY = ACCOUNT["username"], ACCOUNT["password"], ACCOUNT["api_key"]

SENDS = {
    "unified": Send(
        "unified",
        "submit",
        "GET",
        "/bulksms/bulksms?"
        + query(
            username=USERNAME,
            password=PASSWORD,
            type="0",
            dlr="0",
            destination="41793026727",
            source="InfoSMS",
            message=f"My first SMS {TOKEN}",
        ),
        {},
        "",
        "text/plain",
        unified_message_id,
        "submit-request-params with its placeholders X, Y, Z, Q, R, S filled in: plain text, no "
        "delivery report (dlr=1 would POST reports to an account report_url)",
        "unified_submit.json",
    ),
    "quicktel": Send(
        "quicktel",
        "sms_send",
        "POST",
        "/quicktel/xml",
        {"Content-Type": "application/x-www-form-urlencoded"},
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<xml_request name="sms_send">\n'
        f'<xml_user lgn="{USERNAME}" pwd="{PASSWORD}"/>\n'
        f'<sms sms_id="{TOKEN}" number="79031234567" source_number="sender" ttl="10">text sms</sms>\n'
        "</xml_request>",
        "application/xml",
        quicktel_message_id,
        "sms-send-request-xml's first <sms> with the credentials and a number filled in (the other two "
        "have an empty source_number); the raw XML under the document's Content-Type",
        "quicktel_sms_send.json",
    ),
    "sendsms": Send(
        "sendsms",
        "send_sms",
        "GET",
        "/api/sms/send_sms.php?"
        + query(
            key=API_KEY,
            mobile="447483938220",
            sender="InfoSMS",
            msgtext="Hello How Are You",
            ref=TOKEN,
            response="json",
        ),
        {},
        "",
        "application/json",
        sendsms_message_id,
        "send-sms-request-params with the API key filled in and its spaces percent-encoded",
        "sendsms_send_sms.json",
    ),
    "qikli": Send(
        "qikli",
        "send_text_advanced",
        "POST",
        "/sms/2/text/advanced",
        HEADERS,
        json.dumps(
            {
                "messages": [
                    {
                        "from": "SAMPLESENDER",
                        "destinations": [{"to": "233205072987"}],
                        "text": "A long time ago, in a galaxy far, far away",
                    }
                ],
                "tracking": {"track": "SMS", "type": "MY_CAMPAIGN"},
            },
            separators=(",", ":"),
        ),
        "application/json",
        family_message_id,
        "send-text-advanced-request-json read as errata qikli-send-sample-malformed says (ordinary "
        "spaces, the number without its backslash, no message-level to), without the client's messageId "
        "and bulkId: the mock issues the ids, and refuses a repeated messageId",
        "qikli_send_text_advanced.json",
    ),
    "shortlink": Send(
        "shortlink",
        "send_text_single",
        "POST",
        PATH,
        HEADERS,
        BODY,
        "application/json",
        family_message_id,
        "gs-send-request-json, as the shortlink measurement sends it",
        SHORTLINK_STUB,
    ),
}


def send_script(send: Send, run: str) -> str:
    """wrk's Lua script for `send`: one fixed request, or one request() per request with its own token."""
    target, body = send.target, send.body
    lines = [f"wrk.method = {json.dumps(send.method)}"]
    lines += [f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}" for key, value in send.headers.items()]
    if not send.varies:
        lines.append(f"wrk.path = {json.dumps(target)}")
        if body:
            lines.append(f"wrk.body = {json.dumps(body)}")
        return "\n".join(lines) + "\n"

    def parts(text: str) -> str:
        return "{" + ", ".join(json.dumps(part) for part in text.split(TOKEN)) + "}"

    lines += [
        f"local target = {parts(target)}",
        f"local body = {parts(body) if body else 'nil'}",
        f"local run = {json.dumps(run)}",
        "local threads, sent = 0, 0",
        "-- setup runs once per thread in the main state; each thread's own state gets its number.",
        "function setup(thread)",
        "  threads = threads + 1",
        '  thread:set("thread_number", threads)',
        "end",
        "function request()",
        "  sent = sent + 1",
        '  local token = run .. "t" .. thread_number .. "n" .. sent',
        "  return wrk.format(nil, table.concat(target, token), nil, body and table.concat(body, token))",
        "end",
    ]
    return "\n".join(lines) + "\n"


def send_once(port: int, send: Send, token: str, timeout: float = 10) -> tuple[int, str, bytes]:
    """Status, Content-Type and body of the reply to `send` with `token`."""
    target, body = send.request(token)
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(send.method, target, body.encode() if body else None, send.headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def reply_problem(send: Send, status: int, content_type: str, body: bytes) -> str | None:
    """Why the reply is not the dialect's success reply to `send`, or None."""
    if status != 200:
        return f"HTTP {status}, not 200"
    if content_type.partition(";")[0].strip().lower() != send.reply_type:
        return f"Content-Type {content_type!r}, not {send.reply_type}"
    violations = errors(validate(send.dialect, send.operation, "response", body, content_type))
    if violations:
        return f"a reply outside its contract: {violations[0]}"
    try:
        send.message_id(body)
    except (NotASuccess, ValueError, KeyError, IndexError, TypeError, ElementTree.ParseError) as error:
        return f"not a success reply ({error})"
    return None


def check_send(running: Running, send: Send) -> list[str | None]:
    """Two requests, each answered with the dialect's success reply; smsmock's two ids must differ."""
    ids = []
    for number in (1, 2):
        status, content_type, body = send_once(running.port, send, f"check{number}")
        problem = reply_problem(send, status, content_type, body)
        if problem:
            raise failure(
                running, f"answered {send.dialect}'s {send.operation} with {problem}: {body[:300]!r}"
            )
        ids.append(send.message_id(body))
    if running.name == "smsmock" and ids[0] is not None and ids[0] == ids[1]:
        raise failure(running, f"gave the same {send.dialect} message id twice ({ids[0]})")
    return ids


def stored_messages(port: int, dialect: str, status: str | None = None) -> int:
    """How many messages of `dialect` (of `status`, a status or its group) the mock's control API lists."""
    filters = {"dialect": dialect, "limit": "1"} | ({"status": status} if status else {})
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", "/_smsmock/messages?" + query(**filters))
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"the control API answered HTTP {response.status} {body[:300]!r}")
        return int(json.loads(body)["total"])
    finally:
        connection.close()


# --- the run --------------------------------------------------------------------------------------


def preflight(names: list[str]) -> list[str]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    if "wiremock" in names and shutil.which("java") is None:
        print("java not found: WireMock skipped (it needs Java 17 or later)\n", file=sys.stderr)
        names = [name for name in names if name != "wiremock"]
    if "wiremock" in names:
        ensure_wiremock()
    if "pytest-httpserver" in names and importlib.util.find_spec("pytest_httpserver") is None:
        raise SystemExit("pytest-httpserver not found: pip install pytest-httpserver (or -e '.[test]')")
    if "smsmock" in names:
        probe = [sys.executable, "-m", "smsmock", "serve", "--help"]
        # From outside the source tree, as the server itself runs: it must be installed.
        if subprocess.run(probe, capture_output=True, cwd=tempfile.gettempdir()).returncode != 0:
            raise SystemExit(
                "`python -m smsmock serve` is not available (pip install -e . from the project root); "
                "--only wiremock,pytest-httpserver measures the peers alone"
            )
    if not names:
        raise SystemExit("no server left to measure")
    return names


def versions(names: list[str]) -> dict[str, str | None]:
    def package(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    found = {
        "python": platform.python_version(),
        "wrk": (wrk.stdout + wrk.stderr).split("Copyright")[0].strip(),
    }
    if "smsmock" in names:
        found["smsmock"] = package("smsmock")
    if "wiremock" in names:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True)
        found["java"] = (java.stderr or java.stdout).splitlines()[0]
        jar = wiremock_jar()
        found["wiremock"] = jar.stem.removeprefix("wiremock-standalone-") if jar else None
    if "pytest-httpserver" in names:
        found["pytest-httpserver"] = package("pytest-httpserver")
        found["werkzeug"] = package("werkzeug")
    return found


def prepare_startup(names: list[str], scratch: Path) -> None:
    """Put each server where a user finds it from the second start on.

    pip byte-compiles a package it installs from a wheel, and Python writes the bytecode of a source
    checkout on its first import, unless PYTHONDONTWRITEBYTECODE says not to: so the smsmock package
    is compiled here. Then every server starts once, unmeasured: smsmock's first start fills its cache
    of parsed tables, and the JVM and the page cache see each program once.
    """
    spec = importlib.util.find_spec("smsmock")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)
    for name in names:
        running = start(name, scratch)
        try:
            wait_for_200(running)
        finally:
            stop(running)


def measure_startup(names: list[str], runs: int, scratch: Path) -> dict[str, list[float]]:
    """Start, wait for the first 200, stop; interleaved, one server at a time."""
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(runs):
        for name in names:
            running = start(name, scratch)
            try:
                seconds[name].append(wait_for_200(running))
            finally:
                stop(running)
    return seconds


def ratios(medians: dict[str, dict[str, float]]) -> dict[str, float]:
    """smsmock's figure over each peer's: above 1 is better for req/s, worse for latency and start-up."""
    found = {}
    if "smsmock" not in medians:
        return found
    ours = medians["smsmock"]
    for figure, label in FIGURES.items():
        for peer in PEERS:
            theirs = medians.get(peer, {})
            if ours.get(figure) and theirs.get(figure):
                found[f"{label}: smsmock / {LABELS[peer]}"] = ours[figure] / theirs[figure]
    # How far any WSGI app served like smsmock could go against WireMock: the bound on that ratio.
    ceiling, wiremock = medians.get("ceiling", {}), medians.get("wiremock", {})
    if ceiling.get("rps") and wiremock.get("rps"):
        found[f"req/s: {LABELS['ceiling']} / WireMock"] = ceiling["rps"] / wiremock["rps"]
    return found


def print_machine(results: dict) -> None:
    """The machine the figures come from: its cores and how busy it was."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = results["machine"]["load"][0]
    print(
        f"\nmachine: {os.cpu_count()} cores ({affinity} usable), load average {load:.2f} before the run, "
        f"Python {platform.python_version()}"
    )


def report(args: argparse.Namespace, results: dict) -> None:
    medians, found, notes = results["medians"], results["ratios"], results["errors"]
    print_machine(results)
    print(
        f"wrk: {args.threads} threads, {args.connections} connections, {args.warmup} s warm-up, then "
        f"{args.rounds} interleaved rounds of {args.duration} s; "
        f"start-up: {args.startup_runs} runs; medians\n"
    )
    print(f"{'server':20} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'start-up s':>11}")
    for name, row in medians.items():
        startup = f"{row['startup_s']:11.3f}" if row.get("startup_s") is not None else f"{'-':>11}"
        print(f"{LABELS[name]:20} {row['rps']:10,.0f} {row['p50_ms']:9.3f} {row['p99_ms']:9.3f} {startup}")
    print()
    if found:
        for label, value in found.items():
            figure, _, pair = label.partition(": ")
            print(f"{figure:10} {pair:32} = {value:6.2f}x")
    else:
        print("(no ratios: smsmock was not measured)")
    if notes:
        print("\nwrk reported errors:")
        for note in notes:
            print(f"  {note}")


def dialect_ratios(medians: dict[str, dict[str, float]]) -> dict[str, float]:
    """smsmock's req/s, p50 and p99 over WireMock's for one dialect: above 1 is better for req/s only."""
    ours, theirs = medians.get("smsmock", {}), medians.get("wiremock", {})
    return {
        f"{label}: smsmock / WireMock": ours[figure] / theirs[figure]
        for figure, label in FIGURES.items()
        if ours.get(figure) and theirs.get(figure)
    }


def measure_dialects(args: argparse.Namespace, names: list[str], dialects: list[str]) -> int:
    """The --dialects measurement: each dialect's send against smsmock and WireMock, rounds interleaved."""
    sends = [SENDS[dialect] for dialect in dialects]
    for send in sends:
        if broken := send.request_violations():
            raise SystemExit(f"the benchmark's {send.dialect} request breaks its contract: {broken[0]}")
    results: dict = {"settings": vars(args) | {"json": str(args.json) if args.json else None}}
    results["machine"] = {"cores": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()}
    results["versions"] = versions(names)
    results["servers"] = names
    found: dict[str, dict] = {
        send.dialect: {
            "operation": send.operation,
            "request": {"method": send.method, "target": send.target, "headers": send.headers},
            "source": send.source,
            "wiremock_stub": send.stub,
            "rounds": {name: [] for name in names},
        }
        for send in sends
    }
    notes: list[str] = []
    runs = itertools.count(1)
    with tempfile.TemporaryDirectory(prefix="smsmock-bench-") as folder, contextlib.ExitStack() as servers:
        scratch = Path(folder)
        # Shortlink's stub as well: the servers are ready when they answer its send (wait_for_200).
        wiremock_root(scratch, tuple(dict.fromkeys([SHORTLINK_STUB, *(send.stub for send in sends)])))

        def load(server: Running, send: Send, seconds: int) -> dict:
            # Every run a token prefix of its own: a token repeated against the same server is refused.
            run = f"w{next(runs)}"
            script = scratch / f"{send.dialect}-{run}.lua"
            script.write_text(send_script(send, run), encoding="utf-8")
            return run_wrk(server, script, args.threads, args.connections, seconds)

        running: dict[str, Running] = {}
        for name in names:
            running[name] = start(name, scratch)
            servers.callback(stop, running[name])
            wait_for_200(running[name])  # shortlink's send: WireMock's root has its stub too
        for send in sends:
            for name, server in running.items():
                ids = check_send(server, send)
                shown = f"ids {ids[0]}, {ids[1]}" if ids[0] is not None else "(the reply names no message)"
                print(f"{send.dialect:9} {LABELS[name]:9} on port {server.port}: success replies, {shown}")
                found[send.dialect].setdefault("checked_ids", {})[name] = ids

        if args.warmup > 0:
            print(f"warm-up: {args.warmup} s each")
            for send in sends:
                for name, server in running.items():
                    figures = load(server, send, args.warmup)
                    found[send.dialect].setdefault("warmup", {})[name] = figures
        for number in range(1, args.rounds + 1):
            for send in sends:
                for name, server in running.items():
                    figures = load(server, send, args.duration)
                    found[send.dialect]["rounds"][name].append(figures)
                    print(
                        f"round {number}/{args.rounds} {send.dialect:9} {LABELS[name]:9} "
                        f"{figures['rps']:10,.0f} req/s p50 {figures['p50_ms']:.3f} ms "
                        f"p99 {figures['p99_ms']:.3f} ms"
                    )
                    if problem := trouble(figures):
                        notes.append(f"round {number}, {send.dialect}, {LABELS[name]}: {problem}")

        # Every reply is a 200, errors too: the store tells whether wrk's requests were accepted sends.
        if "smsmock" in running:
            port = running["smsmock"].port
            for send in sends:
                timed = found[send.dialect].get("warmup", {}).get("smsmock", {}).get("requests") or 0
                timed += sum(figures["requests"] or 0 for figures in found[send.dialect]["rounds"]["smsmock"])
                counted = timed + 2  # the check's two
                stored = stored_messages(port, send.dialect)
                refused = stored_messages(port, send.dialect, "REJECTED")
                found[send.dialect]["smsmock_store"] = {
                    "requests": counted,
                    "messages": stored,
                    "rejected": refused,
                }
                if refused or stored < counted:
                    notes.append(
                        f"{send.dialect}, smsmock: {counted} requests, {stored} messages stored, "
                        f"{refused} of them rejected: not every request was an accepted send"
                    )

    for entry in found.values():
        entry["medians"] = {
            name: {
                figure: statistics.median(r[figure] for r in rounds) for figure in ("rps", "p50_ms", "p99_ms")
            }
            for name, rounds in entry["rounds"].items()
        }
        entry["ratios"] = dialect_ratios(entry["medians"])
    results["dialects"], results["errors"] = found, notes
    report_dialects(args, results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 1 if any("not every request" in note for note in notes) else 0


def report_dialects(args: argparse.Namespace, results: dict) -> None:
    found, notes = results["dialects"], results["errors"]
    print_machine(results)
    print(
        f"wrk: {args.threads} threads, {args.connections} connections, {args.warmup} s warm-up, then "
        f"{args.rounds} interleaved rounds of {args.duration} s; medians\n"
    )
    print(f"{'dialect':10} {'request':32} {'server':9} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for dialect, entry in found.items():
        request = f"{entry['request']['method']} {entry['request']['target'].partition('?')[0]}"
        for number, (name, row) in enumerate(entry["medians"].items()):
            first = f"{dialect:10} {request:32}" if number == 0 else " " * 43
            print(f"{first} {LABELS[name]:9} {row['rps']:10,.0f} {row['p50_ms']:9.3f} {row['p99_ms']:9.3f}")
    if any(entry["ratios"] for entry in found.values()):
        print(f"\n{'smsmock / WireMock':20} {'req/s':>7} {'p50':>7} {'p99':>7}")
        for dialect, entry in found.items():
            cells = [entry["ratios"].get(f"{label}: smsmock / WireMock") for label in ("req/s", "p50", "p99")]
            print(f"{dialect:20} " + " ".join(f"{c:6.2f}x" if c else f"{'-':>7}" for c in cells))
    else:
        print("\n(no ratios: smsmock and WireMock were not both measured)")
    if notes:
        print("\nproblems:")
        for note in notes:
            print(f"  {note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default=",".join(SERVERS), help=f"servers to measure, from {','.join(SERVERS)}"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load per server before the rounds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="write every round's figures and the medians"
    )
    parser.add_argument(
        "--dialects",
        nargs="?",
        const=",".join(DIALECTS),
        metavar="LIST",
        help=f"instead of shortlink's send, one send of each dialect named (default {','.join(DIALECTS)}; "
        f"shortlink too), against smsmock and WireMock; no start-up",
    )
    args = parser.parse_args()
    if min(args.rounds, args.duration, args.connections, args.threads) < 1 or args.startup_runs < 0:
        parser.error("--rounds, --duration, --connections and --threads must be at least 1")
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SERVERS))
    if unknown:
        parser.error(f"unknown server {', '.join(unknown)}; choose from {', '.join(SERVERS)}")
    if args.dialects is not None:
        dialects = [name.strip() for name in args.dialects.split(",") if name.strip()]
        unknown = sorted(set(dialects) - set(SENDS))
        if unknown or not dialects:
            given = f"unknown dialect {', '.join(unknown)}" if unknown else "no dialect named"
            parser.error(f"{given}; choose from {', '.join(SENDS)}")
        peers = [name for name in names if name not in DIALECT_SERVERS]
        if peers and args.only != parser.get_default("only"):
            print(f"--dialects measures smsmock and WireMock: {', '.join(peers)} left out\n", file=sys.stderr)
        names = preflight([name for name in DIALECT_SERVERS if name in names])
        return measure_dialects(args, names, list(dict.fromkeys(dialects)))
    names = preflight([name for name in SERVERS if name in names])

    results: dict = {"settings": vars(args) | {"json": str(args.json) if args.json else None}}
    results["machine"] = {"cores": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()}
    results["versions"] = versions(names)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="smsmock-bench-") as folder, contextlib.ExitStack() as servers:
        scratch = Path(folder)
        script = scratch / "send_text_single.lua"
        script.write_text(lua_script(), encoding="utf-8")

        print(f"start-up: {args.startup_runs} interleaved runs of {', '.join(LABELS[n] for n in names)}")
        prepare_startup(names, scratch)
        startup = measure_startup(names, args.startup_runs, scratch)
        results["startup_s"] = startup

        running: dict[str, Running] = {}
        for name in names:
            running[name] = start(name, scratch)
            servers.callback(stop, running[name])
            results.setdefault("serving_startup_s", {})[name] = wait_for_200(running[name])
        for name, server in running.items():
            ids = check_reply(server)
            print(f"{LABELS[name]:20} on port {server.port}: 200, messageIds {ids[0]}, {ids[1]}")

        if args.warmup > 0:
            print(f"warm-up: {args.warmup} s each")
            for name, server in running.items():
                figures = run_wrk(server, script, args.threads, args.connections, args.warmup)
                results.setdefault("warmup", {})[name] = figures
        rounds: dict[str, list[dict]] = {name: [] for name in names}
        for number in range(1, args.rounds + 1):
            for name, server in running.items():
                figures = run_wrk(server, script, args.threads, args.connections, args.duration)
                rounds[name].append(figures)
                print(
                    f"round {number}/{args.rounds} {LABELS[name]:20} {figures['rps']:10,.0f} req/s "
                    f"p50 {figures['p50_ms']:.3f} ms p99 {figures['p99_ms']:.3f} ms"
                )
                if problem := trouble(figures):
                    notes.append(f"round {number}, {LABELS[name]}: {problem}")
        results["rounds"] = rounds

    medians = {
        name: {
            "rps": statistics.median(r["rps"] for r in rounds[name]),
            "p50_ms": statistics.median(r["p50_ms"] for r in rounds[name]),
            "p99_ms": statistics.median(r["p99_ms"] for r in rounds[name]),
            "startup_s": statistics.median(startup[name]) if startup[name] else None,
        }
        for name in names
    }
    found = ratios(medians)
    results["medians"], results["ratios"], results["errors"] = medians, found, notes
    report(args, results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ServerFailed as error:
        sys.exit(f"server failed: {error}")
