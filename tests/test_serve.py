"""`smsmock serve` as a user starts it: one owner per port, usage errors, the banner and the access log."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

STARTUP = 30.0
"""Seconds a server may take to print its banner on a loaded machine."""


class Served:
    """A `smsmock serve` process, its standard output read line by line in the background."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "smsmock", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def line(self, timeout: float = STARTUP) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("smsmock serve printed nothing more") from None

    def banner(self) -> list[str]:
        lines = []
        while not (lines and lines[-1].startswith("Ctrl-C")):
            lines.append(self.line())
        return lines

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def served(*args: str) -> Iterator[tuple[Served, int]]:
    server = Served("--port", "0", *args)
    try:
        banner = server.banner()
        port = int(banner[0].rsplit(":", 1)[1])
        yield server, port
    finally:
        server.stop()


def _finished(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smsmock", "serve", *args], capture_output=True, text=True, timeout=60
    )


def _send(port: int, path: str = "/restapi/sms/1/text/single", method: str = "POST") -> int:
    body = json.dumps({"from": "InfoSMS", "to": "41793026727", "text": "hi"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body if method == "POST" else None,
        method=method,
        headers={"Content-Type": "application/json", "Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_port_another_program_listens_on_is_refused_in_one_line() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        finished = _finished("--port", str(port))
    assert finished.returncode == 2
    assert finished.stdout == "", "no banner before the refusal"
    assert finished.stderr.strip().splitlines() == [
        f"smsmock: cannot listen on 127.0.0.1:{port}: the address is already in use"
    ]


def test_a_second_mock_on_a_busy_port_is_refused_and_the_first_keeps_all_traffic() -> None:
    with served() as (first, port):
        second = _finished("--port", str(port))
        assert second.returncode == 2
        assert "already in use" in second.stderr and "Traceback" not in second.stderr
        for _ in range(10):
            assert _send(port) == 200
        # Every request reached the one mock: its access log has a line for each.
        logged = [first.line() for _ in range(10)]
        assert all("send_text_single 200" in line for line in logged)


@pytest.mark.parametrize("port", ["70000", "-1", "eighty"])
def test_an_impossible_port_is_a_usage_error(port: str) -> None:
    finished = _finished("--port", port)
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert "usage:" in finished.stderr and "--port" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_host_that_does_not_resolve_is_a_usage_error() -> None:
    finished = _finished("--host", "no-such-host.invalid", "--port", "0")
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert "--host" in finished.stderr and "does not resolve" in finished.stderr


def _banner_of(*args: str) -> list[str]:
    server = Served("--port", "0", *args)
    try:
        return server.banner()
    finally:
        server.stop()


def test_the_banner_warns_of_a_non_loopback_address_only() -> None:
    wide = "\n".join(_banner_of("--host", "0.0.0.0", "--quiet"))
    local = "\n".join(_banner_of("--quiet"))
    assert "beyond loopback (0.0.0.0)" in wide
    assert "beyond loopback" not in local


def test_every_request_gets_an_access_log_line() -> None:
    with served() as (server, port):
        assert _send(port) == 200
        assert _send(port, "/no/such/path", "GET") == 404
        assert _send(port, "/_smsmock/health", "GET") == 200
        sent, missing, health = server.line(), server.line(), server.line()
    fields = sent.split()
    assert fields[1:6] == ["POST", "/restapi/sms/1/text/single", "shortlink", "send_text_single", "200"]
    assert fields[6].endswith("ms") and float(fields[6].removesuffix("ms")) >= 0
    assert fields[7].startswith("ids=") and len(fields[7]) > len("ids=")
    assert missing.split()[1:6] == ["GET", "/no/such/path", "-", "-", "404"]
    assert health.split()[1:4] == ["GET", "/_smsmock/health", "control"]


def test_the_access_log_as_json_lines() -> None:
    with served("--log-format", "json") as (server, port):
        assert _send(port) == 200
        record = json.loads(server.line())
    assert record["method"] == "POST"
    assert (record["dialect"], record["operation"], record["status"]) == (
        "shortlink",
        "send_text_single",
        200,
    )
    assert record["durationMs"] >= 0 and len(record["messageIds"]) == 1
    assert record["time"].endswith("Z")


def test_quiet_silences_the_access_log() -> None:
    with served("--quiet") as (server, port):
        assert _send(port) == 200
        assert _send(port, "/_smsmock/health", "GET") == 200
        with pytest.raises(AssertionError, match="printed nothing more"):
            server.line(timeout=1.0)
