"""One truth: what the mock journals for a request is what `validate()` says of the same bytes, and
the same status and citation wherever smsmock answers."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from smsmock.checks.traffic import read_text
from smsmock.contracts import validate
from smsmock.contracts.catalog import document, document_section, errata, operations
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.strategies import request_bodies

BASIC = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
CREDENTIALS = {
    "unified": {"username": "Aladdin", "password": "open sesame"},
    "sendsms": {"key": "test-api-key"},
}
SERVED = [
    (dialect, name, wire)
    for dialect in ("shortlink", "qikli", "unified", "sendsms")
    for name, op in operations(dialect).items()
    if op.paths and name != "error"
    for wire in (("params",) if "params" in op.request_formats else ("json",))
]

Seen = set[tuple[str, str, str]]


@pytest.fixture(scope="module")
def app() -> MockApp:
    return MockApp(MockConfig(clock_frozen=True))


def journaled(app: MockApp) -> tuple[str, Seen]:
    entry = app.journal.entries()[-1]
    assert entry.operation is not None, entry
    return entry.operation, {(str(v.severity), v.location, v.keyword) for v in entry.request_violations}


def offline(dialect: str, operation: str, body: bytes, content_type: str | None = None) -> Seen:
    return {
        (str(v.severity), v.location, v.keyword)
        for v in validate(dialect, operation, "request", body, content_type)
    }


def exchange(app: MockApp, dialect: str, name: str, wire: str, body: Any) -> tuple[str, bytes, str | None]:
    """Send `body` the way the operation takes it; the operation journaled, the bytes and their type."""
    op = operations(dialect)[name]
    client = Client(app)
    if wire == "params":
        params = {**CREDENTIALS.get(dialect, {}), **body} if isinstance(body, dict) else body
        query = urlencode(params, doseq=True).encode()
        client.open(
            op.paths[0], method=op.methods[0], query_string=query.decode(), headers={"Authorization": BASIC}
        )
        operation, _ = journaled(app)
        return operation, query, None
    raw = json.dumps(body).encode()
    client.open(op.paths[0], method="POST", data=raw, headers={"Authorization": BASIC, "Content-Type": JSON})
    operation, _ = journaled(app)
    return operation, raw, JSON


@pytest.mark.parametrize(("dialect", "name", "wire"), SERVED, ids=lambda item: str(item))
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_journal_and_validate_agree_on_generated_requests(
    app: MockApp, dialect: str, name: str, wire: str, data: st.DataObject
) -> None:
    body = data.draw(request_bodies(dialect, name, wire))
    operation, raw, content_type = exchange(app, dialect, name, wire, body)
    assert journaled(app)[1] == offline(dialect, operation, raw, content_type)


UNIFIED_TEXTS = st.sampled_from(
    ["Привет", "naïve €", "Hello", "Ω", "0041", "48656c6c6f", "d800", "x" * 40000]
)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["0", "1", "2", "3", "5", "6", "7", "9"]),
    text=UNIFIED_TEXTS | st.text(max_size=20),
    source=st.sampled_from(["Shop", "Shop\n", "1234567890123456789"]),
)
def test_the_journal_and_validate_agree_on_unified_messages_of_the_wrong_alphabet(
    app: MockApp, kind: str, text: str, source: str
) -> None:
    params = {"type": kind, "dlr": "0", "destination": "41793026727", "source": source, "message": text}
    operation, raw, _ = exchange(app, "unified", "submit", "params", params)
    assert journaled(app)[1] == offline("unified", operation, raw)


def test_unified_cyrillic_under_type_0_is_an_error_offline_and_in_the_journal(app: MockApp) -> None:
    params = {"type": "0", "dlr": "0", "destination": "41793026727", "source": "Shop", "message": "Привет"}
    operation, raw, _ = exchange(app, "unified", "submit", "params", params)
    assert ("error", "message", "alphabet") in offline("unified", operation, raw)
    assert ("error", "message", "alphabet") in journaled(app)[1]


def test_unified_non_hex_under_type_2_warns_offline_too(app: MockApp) -> None:
    params = {"type": "2", "dlr": "0", "destination": "41793026727", "source": "Shop", "message": "Hello"}
    operation, raw, _ = exchange(app, "unified", "submit", "params", params)
    assert offline("unified", operation, raw) == journaled(app)[1] == {("warning", "message", "pattern")}


def test_a_sendsms_post_with_a_json_body_gets_the_same_note_from_check(app: MockApp) -> None:
    body = json.dumps({"mobile": "41793026727"}).encode()
    Client(app).post("/api/sms/send_sms.php?key=test-api-key", data=body, headers={"Content-Type": JSON})
    entry = app.journal.entries()[-1]
    har = {
        "log": {
            "entries": [
                {
                    "request": {
                        "method": "POST",
                        "url": "http://mock/api/sms/send_sms.php?key=test-api-key",
                        "headers": [{"name": "Content-Type", "value": JSON}],
                        "postData": {"mimeType": JSON, "text": body.decode()},
                    },
                    "response": {"status": 200, "content": {"mimeType": "text/plain", "text": "400"}},
                }
            ]
        }
    }
    (recorded,) = read_text(json.dumps(har), "run.har")
    assert recorded.exchange.request_violations == entry.request_violations
    assert ("warning", "/", "contentType") in {
        (str(v.severity), v.location, v.keyword) for v in entry.request_violations
    }


# --- a national number -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/restapi/sms/1/text/single", {"from": "InfoSMS", "to": "0201234567", "text": "Hi"}),
        (
            "/sms/2/text/advanced",
            {"messages": [{"from": "InfoSMS", "destinations": [{"to": "0201234567"}], "text": "Hi"}]},
        ),
    ],
)
def test_a_national_number_gets_one_status_in_the_reply_and_the_store(
    path: str, body: dict[str, Any]
) -> None:
    app = MockApp(MockConfig(clock_frozen=True))
    reply = Client(app).post(path, json=body, headers={"Authorization": BASIC}).get_json()
    (message,) = reply["messages"]
    assert message["status"]["name"] == "REJECTED_PREFIX_MISSING" and message["status"]["id"] == 8
    stored = Client(app).get(f"/_smsmock/messages/{message['messageId']}").get_json()
    assert stored["status"] == "REJECTED_PREFIX_MISSING"


def test_a_national_number_is_stored_with_the_same_status_by_unified() -> None:
    app = MockApp(MockConfig(clock_frozen=True))
    query = {**CREDENTIALS["unified"], "type": "0", "dlr": "0", "source": "Shop", "message": "Hi"}
    reply = Client(app).get("/bulksms/bulksms", query_string={**query, "destination": "0201234567"})
    assert reply.get_data(as_text=True) == "1706|0201234567|"
    listed = Client(app).get("/_smsmock/messages", query_string={"dialect": "unified"}).get_json()
    messages = listed if isinstance(listed, list) else listed["items"]
    assert [message["status"] for message in messages] == ["REJECTED_PREFIX_MISSING"]


@pytest.mark.parametrize(
    "post_data",
    [
        {"mimeType": FORM, "text": "", "params": [{"name": "message", "value": "Привет"}]},
        {"mimeType": FORM, "params": [{"name": "message", "value": "%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82"}]},
    ],
    ids=["decoded-with-empty-text", "as-sent"],
)
def test_har_params_are_checked_as_the_same_body_as_text(post_data: dict[str, Any]) -> None:
    fields = {
        **CREDENTIALS["unified"],
        "type": "0",
        "dlr": "0",
        "destination": "41793026727",
        "source": "Shop",
    }
    params = [{"name": name, "value": value} for name, value in fields.items()] + post_data["params"]
    as_text = {"mimeType": FORM, "text": urlencode({**fields, "message": "Привет"})}

    def violations(posted: dict[str, Any]) -> Seen:
        request = {"method": "POST", "url": "http://mock/bulksms/bulksms", "headers": [], "postData": posted}
        entry = {"request": request, "response": {"status": 200, "content": {"text": "1701|41793026727|x"}}}
        (recorded,) = read_text(json.dumps({"log": {"entries": [entry]}}), "run.har")
        return {(str(v.severity), v.location, v.keyword) for v in recorded.exchange.request_violations}

    assert (
        violations({**post_data, "params": params})
        == violations(as_text)
        == {("error", "message", "alphabet")}
    )


def test_the_readme_names_the_status_a_national_number_gets() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "| a number starting with 0 | `REJECTED_PREFIX_MISSING` |" in readme
    assert errata()["shortlink-national-number-status"]["document"] == "Shortlink SMS API"


# --- citations -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["shortlink", "qikli", "unified", "quicktel", "sendsms"])
def test_violations_cite_the_document_by_its_name(dialect: str) -> None:
    name = next(iter(operations(dialect)))
    cited = document_section(dialect, name)
    assert cited.startswith(f"{document(dialect).name} § ")
    assert ".txt" not in cited and document(dialect).file not in cited


def test_schema_sections_are_cited_by_document_name() -> None:
    (violation,) = [
        v
        for v in validate(
            "shortlink", "send_text_single", "request", b'{"from": "ab", "to": "41793026727"}', JSON
        )
        if v.keyword == "pattern"
    ]
    assert violation.section == "Shortlink SMS API § Send SMS > Single textual message > Parameters"
