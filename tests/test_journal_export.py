"""The journal exported as HAR 1.2 and JSON Lines: the control API, `smsmock journal`, the pytest
plugin's `--smsmock-journal`, and the HAR reader that takes them all back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from smsmock.checks.har import har_log, jsonl
from smsmock.checks.routing import route
from smsmock.checks.traffic import read_text
from smsmock.cli import main
from smsmock.contracts.journal import Exchange
from smsmock.server.config import MockConfig
from smsmock.server.thread import MockServer

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
AUTH = ("Aladdin", "open sesame")
SINGLE = "/restapi/sms/1/text/single"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    """A mock with a few exchanges of three dialects in its journal, one of them not UTF-8."""
    with MockServer(MockConfig(clock_frozen=True, clock_start=START)) as server:
        requests.post(
            server.url + SINGLE,
            json={"from": "InfoSMS", "to": "41793026727", "text": "Grüße €5"},
            auth=AUTH,
            timeout=10,
        )
        requests.get(
            server.url + "/bulksms/bulksms",
            params={
                "username": "Aladdin",
                "password": "open sesame",
                "type": "0",
                "dlr": "0",
                "destination": "41793026727",
                "source": "Shop",
                "message": "Hi + welcome",
            },
            timeout=10,
        )
        requests.post(
            server.url + "/quicktel/xml",
            data=b"\xff\xfe<not utf-8>",
            headers={"Content-Type": "application/xml"},
            timeout=10,
        )
        yield server


def journal(server: MockServer, **params: str) -> requests.Response:
    return requests.get(server.url + "/_smsmock/journal", params=params, timeout=10)


def test_the_journal_as_har_1_2(mock: MockServer) -> None:
    reply = journal(mock, format="har")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    log = reply.json()["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "smsmock"
    first = log["entries"][0]
    assert set(first) >= {"startedDateTime", "time", "request", "response", "cache", "timings"}
    assert first["startedDateTime"] == "2030-01-01T12:00:00.000+00:00"
    request, response = first["request"], first["response"]
    assert (request["method"], request["url"], request["httpVersion"]) == (
        "POST",
        mock.url + SINGLE,
        "HTTP/1.1",
    )
    assert {"name": "Content-Type", "value": "application/json"} in request["headers"]
    assert json.loads(request["postData"]["text"])["text"] == "Grüße €5"
    assert request["postData"]["mimeType"] == "application/json"
    assert (response["status"], response["statusText"]) == (200, "OK")
    assert response["content"]["mimeType"] == "application/json"
    assert json.loads(response["content"]["text"])["messages"][0]["smsCount"] == 1
    assert response["content"]["size"] == len(response["content"]["text"].encode())
    assert first["cache"] == {} and set(first["timings"]) >= {"send", "wait", "receive"}


def test_har_query_strings_are_decoded_and_bodies_not_utf8_are_base64(mock: MockServer) -> None:
    entries = journal(mock, format="har").json()["log"]["entries"]
    query = {item["name"]: item["value"] for item in entries[1]["request"]["queryString"]}
    assert query["message"] == "Hi + welcome" and query["password"] == "open sesame"
    assert entries[2]["request"]["postData"] == {
        "mimeType": "application/xml",
        "text": "//48bm90IHV0Zi04Pg==",
        "encoding": "base64",
    }


def test_the_journal_as_json_lines_is_the_json_list_a_line(mock: MockServer) -> None:
    listed = journal(mock).json()["items"][::-1]  # a page is newest first, an export oldest first
    reply = journal(mock, format="jsonl")
    assert reply.headers["Content-Type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in reply.text.splitlines()] == listed
    assert journal(mock, format="json").json()["items"][::-1] == listed


def test_the_journal_filters_apply_to_every_format(mock: MockServer) -> None:
    (entry,) = journal(mock, format="har", dialect="unified").json()["log"]["entries"]
    assert entry["request"]["url"].startswith(mock.url + "/bulksms/bulksms?")
    assert len(journal(mock, format="jsonl", limit="2").text.splitlines()) == 2


def test_an_unknown_format_is_a_400_that_says_which_there_are(mock: MockServer) -> None:
    reply = journal(mock, format="xml")
    assert reply.status_code == 400
    assert reply.json()["message"] == "format must be json, jsonl or har, not 'xml'"


def test_the_control_method_gives_the_har_document_in_python(mock: MockServer) -> None:
    document = mock.control.journal_har("http://sms.test/", dialect="shortlink")
    (entry,) = document["log"]["entries"]
    assert entry["request"]["url"] == "http://sms.test" + SINGLE


# --- the HAR export read back --------------------------------------------------------------------------

_TOKEN = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
_PATHS = st.one_of(
    st.sampled_from(
        [SINGLE, "/restapi/sms/1/reports", "/bulksms/bulksms", "/quicktel/xml", "/sms/1/reports"]
    ),
    st.lists(st.text("abcxyz019._~-", min_size=1, max_size=8), min_size=1, max_size=4).map(
        lambda parts: "/" + "/".join(parts)
    ),
)
_QUERIES = st.lists(st.tuples(_TOKEN, st.text("abcXYZ0189%+._~-", max_size=10)), max_size=4).map(
    lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)
)
_HEADER_VALUES = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)


_BODIES = st.binary(max_size=60) | st.text(max_size=60).map(str.encode)
_METHODS = st.sampled_from(["GET", "POST", "DELETE"])
_MEDIA_TYPES = st.sampled_from(["application/json", "text/plain", "application/xml", ""])
_HEADERS = st.dictionaries(_TOKEN.map(str.title), _HEADER_VALUES, max_size=4)


@st.composite
def journal_exchanges(draw: st.DrawFn) -> Exchange:
    return Exchange(
        seq=draw(st.integers(1, 10**9)),
        at=START + timedelta(milliseconds=draw(st.integers(0, 10**11))),
        dialect=None,
        operation=None,
        method=draw(_METHODS),
        path=draw(_PATHS),
        query=draw(_QUERIES),
        request_headers=draw(_HEADERS),
        request_body=draw(_BODIES),
        status=draw(st.integers(100, 599)),
        response_content_type=draw(_MEDIA_TYPES),
        response_body=draw(_BODIES),
        request_violations=[],
    )


@given(st.lists(journal_exchanges(), min_size=1, max_size=4))
def test_the_har_export_reads_back_to_the_same_exchanges(exchanges: list[Exchange]) -> None:
    text = json.dumps(har_log(exchanges, "http://127.0.0.1:8080/"))
    read = [item.exchange for item in read_text(text, "export.har")]
    assert len(read) == len(exchanges)
    for back, sent in zip(read, exchanges, strict=True):
        assert (back.seq, back.at, back.method, back.path, back.query) == (
            sent.seq,
            sent.at,
            sent.method,
            sent.path,
            sent.query,
        )
        assert back.request_headers == sent.request_headers
        assert (back.request_body, back.status, back.response_content_type, back.response_body) == (
            sent.request_body,
            sent.status,
            sent.response_content_type,
            sent.response_body,
        )
        routed = route(
            sent.method, sent.path, sent.query, sent.request_body, sent.request_headers.get("Content-Type")
        )
        assert (back.dialect, back.operation) == (routed.dialect, routed.operation)


def test_the_exports_read_back_as_the_journal_routed_them(mock: MockServer) -> None:
    recorded = mock.app.journal.entries()
    listed = json.dumps(mock.control.journal())  # the default format=json, saved as it comes
    for text in (json.dumps(har_log(recorded, mock.url)), jsonl(recorded), listed):
        read = [item.exchange for item in read_text(text, "journal")]
        assert [(item.dialect, item.operation) for item in read] == [
            (item.dialect, item.operation) for item in recorded
        ]


# --- smsmock journal ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "form"), [("run.har", "har"), ("run.jsonl", "jsonl"), ("run.txt", "jsonl")])
def test_smsmock_journal_writes_the_format_its_file_name_says(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, form: str
) -> None:
    out = tmp_path / name
    assert main(["journal", "--url", mock.url, "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote 3 exchange(s) to {out} ({form})\n"
    text = out.read_text(encoding="utf-8")
    if form == "har":
        assert json.loads(text)["log"]["version"] == "1.2"
    else:
        assert [json.loads(line) for line in text.splitlines()] == journal(mock).json()["items"][::-1]


def test_smsmock_journal_takes_a_format_filters_and_the_control_url(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "shortlink.json"
    arguments = ["journal", "--url", mock.url + "/_smsmock/", "--out", str(out), "--format", "har"]
    assert main([*arguments, "--dialect", "shortlink"]) == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["log"]["entries"]) == 1
    assert "wrote 1 exchange(s)" in capsys.readouterr().out


def test_a_saved_journal_is_checked_by_smsmock_check(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("saved.har", "saved.jsonl"):
        out = tmp_path / name
        assert main(["journal", "--url", mock.url, "--out", str(out)]) == 0
        # The request that is not UTF-8 is a contract error of quicktel's; the others are clean.
        assert main(["check", str(out)]) == 1
        report = capsys.readouterr().out
        assert "shortlink send_text_single: 1 exchange(s), ok" in report
        assert "unified submit: 1 exchange(s), ok" in report
        assert "quicktel sms_send: 1 exchange(s), 1 error(s)" in report


def test_smsmock_journal_exits_2_when_the_url_is_not_a_smsmock(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.jsonl"
    assert main(["journal", "--url", mock.url + "/restapi", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"smsmock: {mock.url}/restapi/_smsmock/journal?format=jsonl answered 404: ")
    assert "Traceback" not in err and not out.exists()


def test_smsmock_journal_exits_2_when_nothing_listens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with MockServer() as stopped:
        url = stopped.url
    assert main(["journal", "--url", url, "--out", str(tmp_path / "x.har")]) == 2
    assert "smsmock: cannot read" in capsys.readouterr().err
    assert main(["journal", "--url", "ftp://example.org", "--out", str(tmp_path / "x.har")]) == 2
    assert "must be an http:// or https:// URL" in capsys.readouterr().err


# --- the pytest plugin's journal ----------------------------------------------------------------------


def test_the_plugins_journal_is_read_by_smsmock_check(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(
        test_user="""
import requests

def send(base, text):
    return requests.post(
        f"{base}/sms/1/text/single",
        json={"from": "InfoSMS", "to": "41793026727", "text": text},
        auth=("Aladdin", "open sesame"),
        timeout=5,
    )

def test_one(smsmock):
    send(smsmock.urls["shortlink"], "Hello")
    smsmock.advance(5)
    requests.get(smsmock.urls["shortlink"] + "/sms/1/reports", auth=("Aladdin", "open sesame"), timeout=5)

def test_two(smsmock):
    send(smsmock.urls["shortlink"], "€" * 81)
"""
    )
    path = pytester.path / "journal.jsonl"
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", f"--smsmock-journal={path}")
    result.assert_outcomes(passed=2)
    assert main(["check", str(path)]) == 0
    report = capsys.readouterr().out
    assert "shortlink send_text_single: 2 exchange(s), ok" in report
    assert "shortlink get_reports: 1 exchange(s), ok" in report
    lines: list[dict[str, Any]] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["test"] for line in lines] == [
        "test_user.py::test_one",
        "test_user.py::test_one",
        "test_user.py::test_two",
    ]
