"""`smsmock verify`: it passes against smsmock itself, and fails, for the right reason, against servers
broken on purpose (the mock behind a WSGI middleware that spoils one thing)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from xml.etree import ElementTree

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from smsmock.cli import main
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.thread import MockServer
from smsmock.verify.runner import Session, verify

FEW = "2"
"""Generated requests per operation: enough to send some of each kind, few enough to stay fast."""

Spoil = Callable[[Request, Response], None]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["verify", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@contextlib.contextmanager
def broken_server(spoil: Spoil) -> Iterator[str]:
    """The mock behind a middleware that lets `spoil` change each reply, on an ephemeral loopback port."""
    app = MockApp()

    def middleware(environ, start_response):
        request = Request(environ)
        response = Response.from_app(app, environ)
        spoil(request, response)
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, middleware, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.stop_background()


def json_reply(request: Request, response: Response, path_end: str) -> dict | None:
    if (
        not request.path.endswith(path_end)
        or response.status_code != 200
        or response.mimetype != "application/json"
    ):
        return None
    return json.loads(response.get_data())


# against smsmock


@pytest.mark.parametrize("dialect", ["shortlink", "qikli", "unified", "quicktel", "sendsms"])
def test_passes_against_the_mock(capsys, tmp_path, dialect):
    report_path = tmp_path / "verify.xml"
    with MockServer() as mock:
        code, out, _ = run(
            capsys,
            *("--target", mock.url, "--dialect", dialect, "--max-examples", FEW),
            *("--junit-xml", str(report_path)),
        )
    assert code == 0, out
    assert out.rstrip().endswith(f"{dialect}: passed")
    assert "FAILED" not in out
    report = ElementTree.parse(report_path).getroot()
    assert report.get("failures") == "0"
    suites = {suite.get("name"): int(suite.get("tests")) for suite in report}
    for group in ("examples", "valid", "invalid", "auth"):
        assert suites.get(f"{dialect} {group}", 0) > 0, suites
        assert f"\n{group} " in out  # a row of the summary table
    if dialect in ("shortlink", "qikli"):
        assert suites[f"{dialect} negotiation"] > 0 and suites[f"{dialect} read-once"] > 0


# the mock's clock


def clock_state(mock: MockServer) -> tuple[datetime, bool]:
    state = mock.control.clock()
    return datetime.fromisoformat(state["now"]), state["frozen"]


@pytest.mark.parametrize("frozen", [True, False], ids=["frozen", "running"])
def test_the_clock_is_left_as_found_and_its_move_forward_is_told(capsys, frozen):
    with MockServer(MockConfig(clock_frozen=frozen)) as mock:
        before, _ = clock_state(mock)
        code, out, _ = run(capsys, "--target", mock.url, "--dialect", "qikli", "--max-examples", "0")
        after, left_frozen = clock_state(mock)
    assert code == 0, out
    opening, clock_line = out.splitlines()[:2]
    assert opening.endswith("(smsmock's control API found: the clock is moved, not waited for)")
    moved = float(re.fullmatch(r"the mock's clock was moved (\S+) s forward .*", clock_line).group(1))
    assert moved > 0
    state = "frozen" if frozen else "running"
    assert clock_line.endswith(f"and left {state}, as it was found")
    assert left_frozen is frozen
    if frozen:
        assert (after - before).total_seconds() == pytest.approx(moved, abs=0.001)
    else:
        assert (after - before).total_seconds() >= moved


def test_a_clock_changed_during_the_run_is_put_back(monkeypatch):
    """Whatever a probe does to frozen or running, the run ends with the clock as it found it."""
    advance = Session.advance

    def advance_and_unfreeze(session: Session, seconds: float) -> None:
        advance(session, seconds)
        session.control("POST", "clock/unfreeze")

    monkeypatch.setattr(Session, "advance", advance_and_unfreeze)
    with MockServer(MockConfig(clock_frozen=True)) as mock:
        verification = verify(mock.url, "shortlink", max_examples=0)
        assert mock.control.clock()["frozen"] is True
    assert verification.clock is not None
    assert verification.clock.frozen is True and verification.clock.problem is None
    assert verification.clock.moved > 0


def test_a_server_without_the_control_api_has_no_clock_to_speak_of(capsys):
    def no_control_api(request: Request, response: Response) -> None:
        if request.path.startswith("/_smsmock/"):
            response.status_code = 404

    with broken_server(no_control_api) as target:
        _, out, _ = run(capsys, "--target", target, "--dialect", "unified", "--max-examples", "0")
    assert out.splitlines()[0].endswith("(no control API: reports are polled for)")
    assert "clock" not in out.splitlines()[1]


# against servers broken on purpose


def test_a_wrong_sms_count_fails(capsys):
    def one_part_more(request: Request, response: Response) -> None:
        reply = json_reply(request, response, "/text/advanced")
        if reply is not None:
            for message in reply["messages"]:
                message["smsCount"] = message.get("smsCount", 1) + 1
            response.set_data(json.dumps(reply))

    with broken_server(one_part_more) as url:
        code, out, _ = run(capsys, "--target", url, "--dialect", "qikli", "--max-examples", FEW)
    assert code == 1
    assert "semantic check sms-count" in out
    assert "qikli: FAILED" in out


def test_a_missing_field_fails(capsys):
    def without_status(request: Request, response: Response) -> None:
        reply = json_reply(request, response, "/text/advanced")
        if reply is not None:
            for message in reply["messages"]:
                message.pop("status", None)
            response.set_data(json.dumps(reply))

    with broken_server(without_status) as url:
        code, out, _ = run(capsys, "--target", url, "--dialect", "qikli", "--max-examples", FEW)
    assert code == 1
    assert "/messages/0/status: expected a required field, found nothing" in out


def test_a_report_served_twice_fails(capsys):
    replayed: list[bytes] = []

    def served_twice(request: Request, response: Response) -> None:
        """The reply to a pull of reports is given again to the next pull."""
        if not request.path.endswith("/reports") or response.status_code != 200:
            return
        if replayed:
            response.set_data(replayed.pop())
        elif b'"messageId"' in response.get_data():
            replayed.append(response.get_data())

    with broken_server(served_twice) as url:
        code, out, _ = run(capsys, "--target", url, "--dialect", "qikli", "--max-examples", FEW)
    assert code == 1
    assert "semantic check read-once" in out
    assert "already handed out" in out


def test_a_server_error_on_bad_input_fails(capsys, tmp_path):
    def server_error(request: Request, response: Response) -> None:
        if response.status_code == 400:
            response.status_code = 500
            response.set_data(b"<h1>Internal Server Error</h1>")
            response.mimetype = "text/html"

    report_path = tmp_path / "verify.xml"
    with broken_server(server_error) as url:
        code, out, _ = run(
            capsys,
            *("--target", url, "--dialect", "qikli", "--max-examples", FEW),
            *("--junit-xml", str(report_path)),
        )
    assert code == 1
    assert "FAILED invalid: malformed JSON" in out
    assert "HTTP 500 is not what the document gives here (400)" in out
    report = ElementTree.parse(report_path).getroot()
    failed = [case.get("name") for case in report.iter("testcase") if case.find("failure") is not None]
    assert "malformed JSON" in failed
    assert "qikli auth" in {suite.get("name") for suite in report if suite.get("failures") == "0"}
    assert int(report.get("failures")) == len(failed)


# unusable input


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("target", "dialect", "message"),
    [
        (f"http://127.0.0.1:{closed_port()}", "shortlink", "cannot reach http://127.0.0.1:"),
        ("http://127.0.0.1:9", "klingon", "unknown dialect 'klingon'"),
        ("ftp://127.0.0.1/", "unified", "the target must be an http:// or https:// URL"),
    ],
    # Named, not numbered by the port: every xdist worker must collect the same ids.
    ids=["closed-port", "unknown-dialect", "not-http"],
)
def test_unusable_input_exits_2(capsys, target, dialect, message):
    code, out, err = run(capsys, "--target", target, "--dialect", dialect)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""
