"""Nothing acknowledged is lost: a send that got its 200 survives a SIGKILL of `smsmock serve`.

With `--store sqlite:PATH` (WAL: every store call has committed before the reply goes out) and with a
Redis store whose server keeps every write on disk (appendonly, appendfsync always), `smsmock serve`
is killed with SIGKILL in the middle of a concurrent send load. Started again on the same store, it
has every message it acknowledged: in shortlink's logs and in the control API, with its status history
intact.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import pytest
from redis_server import LOOPBACK, RedisServer, free_port

STARTUP = 30.0
"""Seconds a server may take to answer readyz on a loaded machine."""
REQUEST_TIMEOUT = 10.0
SENDERS = 6
"""Threads sending at once, each over a keep-alive connection of its own."""
ACKNOWLEDGED_BEFORE_KILL = 300
"""Sends acknowledged before the kill: a count, so a slow machine only makes the test slower."""
LOAD_DEADLINE = 60.0
"""Seconds the load may take to reach that count before the test fails."""
LOGS_BATCH = 50
"""Message ids asked for in one logs request (comma-separated `messageId`)."""

SEND_PATH = "/restapi/sms/1/text/single"
LOGS_PATH = "/restapi/sms/1/logs"
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",  # Aladdin / open sesame
}


class Served:
    """`smsmock serve` on a free loopback port, in a process group of its own.

    `smsmock serve` forks a granian worker that does the serving; the worker ends with the server, so
    a SIGKILL of the started PID (what a user's `kill -9` does) stops the serving too. It runs in a
    process group of its own, so a test that fails still stops a worker left behind.
    """

    def __init__(self, store: str, logs: Path) -> None:
        self.port = free_port()
        self.output = logs / f"serve-{self.port}.txt"
        options = ["--host", LOOPBACK, "--port", str(self.port), "--store", store, "--quiet"]
        with self.output.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "smsmock", "serve", *options],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_ready(self) -> None:
        """Polls readyz until it answers 200; fails at once if the server exits, or at the deadline."""
        deadline = time.monotonic() + STARTUP
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"smsmock serve exited with {code}: {self.said()[-2000:]}")
            probe = self.connection(timeout=1.0)
            try:
                if get_json(probe, "/_smsmock/readyz")[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass  # not listening yet
            finally:
                probe.close()
            if time.monotonic() > deadline:
                raise AssertionError(f"smsmock serve was not ready in {STARTUP} s: {self.said()[-2000:]}")
            time.sleep(0.05)

    def connection(self, timeout: float = REQUEST_TIMEOUT) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL to the server alone, as `kill -9 PID` does; its worker must end with it."""
        self.process.kill()
        self.process.wait()
        deadline = time.monotonic() + STARTUP
        while self.answers():
            if time.monotonic() > deadline:
                # The group's id is the server's, reaped just now: only its own worker can be in it.
                os.killpg(self.process.pid, signal.SIGKILL)
                raise AssertionError("the worker of a killed smsmock serve went on serving")
            time.sleep(0.05)

    def answers(self) -> bool:
        probe = self.connection(timeout=1.0)
        try:
            probe.request("GET", "/_smsmock/livez")
            probe.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            return False
        finally:
            probe.close()

    def stop(self) -> None:
        """Ctrl-C, as a user stops it (its worker is stopped with it); SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def said(self) -> str:
        """Everything the server wrote: its banner, and tracebacks if it met a bug."""
        return self.output.read_text(errors="replace")

    def __enter__(self) -> Served:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def get_json(connection: http.client.HTTPConnection, path: str) -> tuple[int, Any]:
    connection.request("GET", path, headers=HEADERS)
    reply = connection.getresponse()
    body = reply.read()
    return reply.status, json.loads(body) if body else None


class SendLoad:
    """Threads sending shortlink messages in a loop until the server goes away or they are stopped.

    Every send answered 200 is recorded, by message id, with the text it carried: those are what the
    server acknowledged, whenever the reply came (also after the kill was decided on).
    """

    def __init__(
        self, served: Served, senders: int = SENDERS, enough: int = ACKNOWLEDGED_BEFORE_KILL
    ) -> None:
        self.served = served
        self.enough = enough
        self.acknowledged: dict[str, str] = {}
        self.reached = threading.Event()
        self.killing = threading.Event()
        """Set before the kill: a failed request from then on is the kill's doing, not a fault."""
        self.stopping = threading.Event()
        self.problems: list[str] = []
        """What went wrong before the kill: every such send should have succeeded."""
        self.cut_off = 0
        """Senders whose connection the kill broke."""
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._send, args=(number,), name=f"sender-{number}", daemon=True)
            for number in range(senders)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT + 5)
        assert not any(thread.is_alive() for thread in self._threads), "a sender is stuck"

    def _send(self, number: int) -> None:
        connection = self.served.connection()
        try:
            for count in itertools.count():
                if self.stopping.is_set():
                    return
                text = f"durability {number}-{count}"
                body = json.dumps({"from": "InfoSMS", "to": "41793026727", "text": text})
                try:
                    connection.request("POST", SEND_PATH, body=body, headers=HEADERS)
                    reply = connection.getresponse()
                    answer = reply.read()
                except (OSError, http.client.HTTPException) as error:
                    # Connection reset, refused or cut short: expected once the server is killed.
                    self._failed(f"{text}: {error!r}", broken=True)
                    return
                if reply.status != 200:
                    self._failed(f"{text}: {reply.status} {answer[:200]!r}")
                    return
                sent = json.loads(answer)["messages"][0]
                with self._lock:
                    self.acknowledged[sent["messageId"]] = text
                    if len(self.acknowledged) >= self.enough:
                        self.reached.set()
                if sent["status"]["name"] != "MESSAGE_ACCEPTED":
                    self._failed(f"{text}: not accepted: {sent['status']}")
                    return
        finally:
            connection.close()

    def _failed(self, problem: str, *, broken: bool = False) -> None:
        with self._lock:
            if self.killing.is_set():
                self.cut_off += broken
            else:
                self.problems.append(problem)
                self.reached.set()  # no point waiting for the count: the test fails


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty durable store: an SQLite file, or a Redis server writing every command to disk."""
    if request.param == "sqlite":
        yield f"sqlite:{tmp_path / 'smsmock.db'}"
    else:
        with RedisServer(durable=True) as server:
            yield server.url
    # The store file, its -wal and -shm, and what the servers wrote: assertions quote what they need.
    for entry in tmp_path.iterdir():
        entry.unlink()


def test_every_acknowledged_send_survives_a_kill_during_load(store: str, tmp_path: Path) -> None:
    with Served(store, tmp_path) as first:
        first.wait_until_ready()
        load = SendLoad(first)
        load.start()
        try:
            assert load.reached.wait(LOAD_DEADLINE), (
                f"only {len(load.acknowledged)} sends acknowledged in {LOAD_DEADLINE} s"
            )
            assert not load.problems, f"sends failed before the kill: {load.problems[:3]}"
            # The senders are still sending: the kill lands on requests in flight.
            load.killing.set()
            first.kill()
        finally:
            load.stop()
    assert not load.problems, f"sends failed before the kill: {load.problems[:3]}"
    assert load.cut_off > 0, "the kill met no send in flight"
    acknowledged = dict(load.acknowledged)
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL

    # A new port: the old one may still be held by the killed server's connections.
    with Served(store, tmp_path) as again:
        again.wait_until_ready()
        logged = _logged(again, list(acknowledged))
        lost = sorted(set(acknowledged) - set(logged))
        assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged sends not in the logs: {lost[:5]}"
        for message_id, text in acknowledged.items():
            assert logged[message_id]["text"] == text, message_id
            assert logged[message_id]["to"] == "41793026727", message_id
            _assert_history_intact(again, message_id, text)
    # A bug met on the way (in a request, or in the background thread that runs due events) is
    # written to standard error, and may answer no request the checks made.
    for served in (first, again):
        assert "Traceback" not in served.said(), served.said()[-3000:]


def _logged(served: Served, message_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Shortlink's log entries of these messages, by id, asked for a batch of ids at a time."""
    found: dict[str, dict[str, Any]] = {}
    connection = served.connection()
    try:
        for start in range(0, len(message_ids), LOGS_BATCH):
            batch = message_ids[start : start + LOGS_BATCH]
            # `limit` is 50 unless given: asked for exactly the batch, a full batch is never cut short.
            query = urlencode({"messageId": ",".join(batch), "limit": str(len(batch))})
            status, body = get_json(connection, f"{LOGS_PATH}?{query}")
            assert status == 200, body
            found.update((entry["messageId"], entry) for entry in body["results"])
    finally:
        connection.close()
    return found


def _assert_history_intact(served: Served, message_id: str, text: str) -> None:
    """The control API has the message, and its history starts accepted and runs forward in time."""
    # A connection per request: on a kept-alive one, every control reply after the first takes some
    # 40 ms (dialect replies do not), which would make these few hundred reads the test's slowest part.
    connection = served.connection()
    try:
        status, message = get_json(connection, f"/_smsmock/messages/{message_id}")
    finally:
        connection.close()
    assert status == 200, f"GET /_smsmock/messages/{message_id} answered {status}: {message}"
    assert message["text"] == text
    history = message["history"]
    assert history, f"{message_id} has no status history"
    assert history[0]["status"] == "MESSAGE_ACCEPTED", history
    assert history[0]["at"] == message["submittedAt"], (history, message["submittedAt"])
    moments = [datetime.fromisoformat(change["at"]) for change in history]
    assert moments == sorted(moments), f"{message_id}: history out of time order: {history}"
    # The record and its history were written together: the last change is the status it has.
    assert history[-1]["status"] == message["status"], (history, message["status"])
