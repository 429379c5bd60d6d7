"""`smsmock check`: recorded traffic (HAR, the journal) against the contracts and the semantic checks.

Each semantic check is shown firing on a crafted bad exchange and staying quiet on good ones and on
the documents' own examples; HAR recorded from real `requests` calls to a running mock, and a HAR
written the way browsers write it, are checked end to end through the command line.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from smsmock.checks.findings import Finding
from smsmock.checks.recorded import check_recorded
from smsmock.checks.routing import route
from smsmock.checks.semantics import CHECKS, check_exchanges
from smsmock.checks.traffic import Recorded, build_exchange, read_text
from smsmock.cli import main
from smsmock.contracts import errata, examples, operation, operations
from smsmock.contracts.journal import Exchange
from smsmock.contracts.validation import Severity
from smsmock.encoding import measure
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.thread import MockServer
from smsmock.strategies import gsm_texts, national_texts, phone_numbers, sms_texts, ucs2_texts

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
AUTH = ("Aladdin", "open sesame")
BASIC = "Basic " + base64.b64encode(b"Aladdin:open sesame").decode()
JSON = "application/json"
SINGLE = "/restapi/sms/1/text/single"
DIALECTS = ("shortlink", "qikli", "unified", "quicktel", "sendsms")


_FIELDS = [
    "messages",
    "to",
    "text",
    "bulkId",
    "results",
    "messageId",
    "smsCount",
    "destinations",
    "status",
    "binary",
    "hex",
    "language",
    "languageCode",
    "groupName",
]
"""Field names the checks read: malformed bodies built from them reach the checks' every branch."""


def exchange(
    method: str,
    path: str,
    *,
    query: str = "",
    body: Any = b"",
    headers: dict[str, str] | None = None,
    status: int = 200,
    content_type: str = JSON,
    reply: Any = b"",
    seq: int = 1,
) -> Exchange:
    """An exchange as a recording gives it: routed by method and path, its request validated.

    A dict or list `body`/`reply` is sent as JSON; a str as UTF-8.
    """
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", JSON)
    if isinstance(reply, (dict, list)):
        reply = json.dumps(reply)
    built, _ = build_exchange(
        seq=seq,
        at=START,
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body.encode() if isinstance(body, str) else body,
        status=status,
        content_type=content_type,
        reply=reply.encode() if isinstance(reply, str) else reply,
    )
    return built


def fired(exchanges: list[Exchange], check: str) -> list[Finding]:
    return [finding for finding in check_exchanges(exchanges) if finding.check == check]


def accepted(to: str, sms_count: int, message_id: str = "m-1", group: str = "ACCEPTED") -> dict[str, Any]:
    """One message object of a shortlink send reply."""
    status = {"groupId": 0, "groupName": group, "id": 0, "name": "MESSAGE_ACCEPTED", "description": "ok"}
    return {"to": to, "status": status, "smsCount": sms_count, "messageId": message_id}


def send_single(text: str, sms_count: int, to: Any = "41793026727", **reply: Any) -> Exchange:
    numbers = to if isinstance(to, list) else [to]
    messages = [accepted(number, sms_count, f"m-{n}") for n, number in enumerate(numbers)]
    return exchange(
        "POST",
        SINGLE,
        body={"from": "InfoSMS", "to": to, "text": text},
        reply={**reply, "messages": messages},
    )


def report(message_id: str, bulk_id: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"bulkId": bulk_id} if bulk_id else {}
    entry.update(
        messageId=message_id,
        to="41793026727",
        sentAt="2030-01-01T12:00:00.000+0000",
        doneAt="2030-01-01T12:00:03.000+0000",
        smsCount=1,
        price={"pricePerMessage": 0.01, "currency": "EUR"},
        status={"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
    )
    return entry


def reports(*entries: dict[str, Any], path: str = "/restapi/sms/1/reports") -> Exchange:
    return exchange("GET", path, headers={"Authorization": BASIC}, reply={"results": list(entries)})


def unified(reply: str, **params: str) -> Exchange:
    values = {"username": "Aladdin", "password": "open sesame", "type": "0", "dlr": "0", "source": "Shop"}
    values.update(params)
    query = "&".join(f"{name}={requests.utils.quote(value, safe=',')}" for name, value in values.items())
    return exchange("GET", "/bulksms/bulksms", query=query, content_type="text/plain", reply=reply)


# --- sms-count -------------------------------------------------------------------------------------


def test_sms_count_fires_on_a_euro_counted_as_one_septet() -> None:
    # 81 euro signs are 162 septets: two parts, not the one a client counting characters expects.
    (finding,) = fired([send_single("€" * 81, 1)], "sms-count")
    assert finding.severity is Severity.ERROR
    assert finding.location == "response /messages/0/smsCount"
    assert "takes 2 part(s)" in finding.message and "GSM7, 162 septets" in finding.message
    assert finding.section.startswith("Shortlink SMS API § Send SMS > Single textual message")


def test_sms_count_fires_on_an_emoji_counted_as_one_unit() -> None:
    (finding,) = fired([send_single("😀" * 36, 1)], "sms-count")  # 72 UTF-16 units: 2 parts of 67
    assert "UCS2, 72 UTF-16 units" in finding.message


def test_sms_count_follows_the_national_tables_and_transliteration_a_request_asks_for() -> None:
    text = "ğüşıöç" * 30  # 180 septets with the Turkish tables, UCS-2 without them
    body = {
        "messages": [
            {
                "from": "InfoSMS",
                "destinations": [{"to": "41793026727"}],
                "text": text,
                "language": {"languageCode": "TR", "singleShift": True, "lockingShift": True},
            }
        ]
    }
    with_tables = measure(text, language="TR", single_shift=True, locking_shift=True).segments
    good = exchange(
        "POST",
        "/restapi/sms/1/text/advanced",
        body=body,
        reply={"messages": [accepted("41793026727", with_tables)]},
    )
    bad = exchange(
        "POST",
        "/restapi/sms/1/text/advanced",
        body=body,
        reply={"messages": [accepted("41793026727", measure(text).segments)]},
    )
    assert with_tables != measure(text).segments
    assert fired([good], "sms-count") == []
    assert len(fired([bad], "sms-count")) == 1


def test_sms_count_counts_binary_payloads_in_octets() -> None:
    body = {"from": "InfoSMS", "to": "41793026727", "binary": {"hex": "0f " * 141, "dataCoding": 4}}
    reply = {"messages": [accepted("41793026727", 1)]}
    (finding,) = fired(
        [exchange("POST", "/restapi/sms/1/binary/single", body=body, reply=reply)], "sms-count"
    )
    assert "141 octets" in finding.message and "takes 2 part(s)" in finding.message


def test_sms_count_reads_quicktel_pushes() -> None:
    xml = (
        '<xml_request name="sms_send"><xml_user lgn="Aladdin" pwd="open sesame"/>'
        '<sms sms_id="1" number="41793026727" source_number="Shop">{}</sms>'
        '<sms sms_id="2" number="41793026728" source_number="Shop">Hi</sms></xml_request>'
    ).format("x" * 200)
    pushes = (
        '<xml_result xml_name="sms_send" res="0">'
        '<push sms_id="1" push_id="100" res="0" number="41793026727" sms_count="{}"/>'
        '<push sms_id="2" push_id="101" res="0" number="41793026728" sms_count="1"/></xml_result>'
    )
    good = exchange("POST", "/quicktel/xml", body=xml, content_type="application/xml", reply=pushes.format(2))
    bad = exchange("POST", "/quicktel/xml", body=xml, content_type="application/xml", reply=pushes.format(1))
    assert good.operation == "sms_send" and fired([good], "sms-count") == []
    (finding,) = fired([bad], "sms-count")
    assert finding.location == "response /xml_result/push[1]/@sms_count"


def test_sms_count_passes_over_a_rejected_message() -> None:
    rejected = accepted("41793026727", 0, group="REJECTED")
    sent = exchange(
        "POST",
        SINGLE,
        body={"from": "InfoSMS", "to": "41793026727", "text": "Hi"},
        reply={"messages": [rejected]},
    )
    assert fired([sent], "sms-count") == []


@given(text=st.one_of(gsm_texts(max_size=400), ucs2_texts(astral=True, max_size=200)))
def test_sms_count_holds_exactly_the_engines_count(text: str) -> None:
    parts = measure(text).segments
    assert fired([send_single(text, parts)], "sms-count") == []
    assert len(fired([send_single(text, parts + 1)], "sms-count")) == 1


def send_advanced(text: str, sms_count: int, language: dict[str, Any] | None) -> Exchange:
    """A recorded advanced send of one message, with the national tables `language` asks for."""
    message: dict[str, Any] = {"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": text}
    if language is not None:
        message["language"] = language
    return exchange(
        "POST",
        "/restapi/sms/1/text/advanced",
        body={"messages": [message]},
        reply={"messages": [accepted("41793026727", sms_count)]},
    )


def test_sms_count_takes_either_national_policys_count_and_names_both_when_neither_matches() -> None:
    single_shift = {"languageCode": "TR", "singleShift": True, "lockingShift": False}
    # 160 septets: one part in the default alphabet (fewest), 149 + 11 with the single shift IE counted.
    assert fired([send_advanced("a" * 160, 1, single_shift)], "sms-count") == []
    assert fired([send_advanced("a" * 160, 2, single_shift)], "sms-count") == []
    (finding,) = fired([send_advanced("a" * 160, 3, single_shift)], "sms-count")
    assert finding.message.startswith("the count is 3, but the text ")
    assert finding.message.endswith(
        " takes 1 part(s) counting the national tables by the policy fewest"
        " (GSM7, 160 septets, 160 in one part, 153 per part)"
        " or 2 part(s) counting the national tables by the policy requested"
        " (GSM7, 160 septets, 155 in one part, 149 per part with 1 national-language IE(s) in each part)"
    )
    (finding,) = fired([send_advanced("a" * 10, 2, single_shift)], "sms-count")
    assert finding.message.endswith(
        " takes 1 part(s) by either national policy"
        " (fewest: GSM7, 10 septets, 160 in one part, 153 per part;"
        " requested: GSM7, 10 septets, 155 in one part, 149 per part"
        " with 1 national-language IE(s) in each part)"
    )
    # Without national tables asked for, the policies agree: the other count is still wrong.
    (finding,) = fired([send_advanced("a" * 160, 2, None)], "sms-count")
    assert "takes 1 part(s) (GSM7, 160 septets" in finding.message and "policy" not in finding.message


NATIONAL_REQUESTS = st.sampled_from(
    [
        {"languageCode": code, "singleShift": single, "lockingShift": locking}
        for code in ("TR", "ES", "PT")
        for single, locking in ((True, False), (False, True), (True, True))
    ]
)


@settings(max_examples=80)
@given(
    text=st.one_of(
        gsm_texts(max_size=330),
        st.text(alphabet="aæñçŞğüı€{", max_size=330),
        national_texts("TR", locking_shift=True, max_size=330),
        national_texts("PT", locking_shift=True, max_size=330),
    ),
    language=NATIONAL_REQUESTS,
    off_by=st.integers(min_value=1, max_value=3),
)
def test_sms_count_of_a_national_request_holds_either_policys_count_and_no_other(
    text: str, language: dict[str, Any], off_by: int
) -> None:
    options = {
        "language": language["languageCode"],
        "single_shift": language["singleShift"],
        "locking_shift": language["lockingShift"],
    }
    fewest = measure(text, **options).segments
    requested = measure(text, national_policy="requested", **options).segments
    assert requested >= fewest
    assert fired([send_advanced(text, fewest, language)], "sms-count") == []
    assert fired([send_advanced(text, requested, language)], "sms-count") == []
    (finding,) = fired([send_advanced(text, requested + off_by, language)], "sms-count")
    if requested == fewest:
        assert f"takes {fewest} part(s) (" in finding.message or (
            f"takes {fewest} part(s) by either national policy (fewest: " in finding.message
        )
    else:
        assert (
            f"takes {fewest} part(s) counting the national tables by the policy fewest (" in finding.message
        )
        assert f" or {requested} part(s) counting the national tables by the policy requested (" in (
            finding.message
        )


# --- reply-messages --------------------------------------------------------------------------------


def test_reply_messages_fires_when_a_destination_goes_unanswered() -> None:
    sent = exchange(
        "POST",
        SINGLE,
        body={"from": "InfoSMS", "to": ["41793026727", "41793026728"], "text": "Hi"},
        reply={"bulkId": "b-1", "messages": [accepted("41793026727", 1)]},
    )
    (finding,) = fired([sent], "reply-messages")
    assert "1 message(s) for the 2 destination(s)" in finding.message
    assert (
        fired([send_single("Hi", 1, to=["41793026727", "41793026728"], bulkId="b-1")], "reply-messages") == []
    )


# --- bulk-id -----------------------------------------------------------------------------------------


def test_bulk_id_fires_on_a_bulk_id_for_one_destination() -> None:
    (finding,) = fired([send_single("Hi", 1, bulkId="b-1")], "bulk-id")
    assert finding.location == "response /bulkId" and "one destination" in finding.message
    assert finding.section.endswith("Send SMS > Single textual message > Response format")


def test_bulk_id_is_quiet_for_many_destinations_and_for_the_clients_own() -> None:
    assert fired([send_single("Hi", 1, to=["41793026727", "41793026728"], bulkId="b-1")], "bulk-id") == []
    assert fired([send_single("Hi", 1, to=["41793026727", "41793026728"])], "bulk-id") == []
    own = exchange(
        "POST",
        "/sms/2/text/advanced",
        body={
            "bulkId": "mine",
            "messages": [{"from": "Shop", "destinations": [{"to": "41793026727"}], "text": "Hi"}],
        },
        reply={"bulkId": "mine", "messages": [accepted("41793026727", 1)]},
    )
    assert fired([own], "bulk-id") == []


def test_bulk_id_fires_when_the_clients_own_is_not_echoed() -> None:
    body = {
        "bulkId": "mine",
        "messages": [{"from": "Shop", "destinations": [{"to": "41793026727"}], "text": "Hi"}],
    }
    sent = exchange(
        "POST",
        "/sms/2/text/advanced",
        body=body,
        reply={"bulkId": "other", "messages": [accepted("4179302672", 1)]},
    )
    (finding,) = fired([sent], "bulk-id")
    assert "'other'" in finding.message and "'mine'" in finding.message


def test_bulk_id_of_a_report_must_be_its_sends() -> None:
    sent = send_single("Hi", 1)  # one destination: no bulkId
    (finding,) = fired([sent, reports(report("m-0", bulk_id="b-9"))], "bulk-id")
    assert finding.location == "response /results/0/bulkId" and "gave none" in finding.message
    assert fired([sent, reports(report("m-0"))], "bulk-id") == []


# --- read-once -----------------------------------------------------------------------------------------


def test_read_once_fires_on_a_report_handed_out_twice() -> None:
    first, second = reports(report("m-1"), report("m-2")), reports(report("m-2"))
    (finding,) = fired([first, second], "read-once")
    assert finding.index == 1 and finding.location == "response /results/0/messageId"
    assert "already handed out by exchange 0" in finding.message
    assert finding.section.endswith("Send SMS > Delivery reports")


def test_read_once_fires_within_one_reply_and_for_inbound_messages() -> None:
    assert len(fired([reports(report("m-1"), report("m-1"))], "read-once")) == 1
    inbound = {"messageId": "in-1", "from": "41793026727", "to": "13372", "text": "HEY", "smsCount": 1}
    pull = exchange("GET", "/restapi/sms/1/inbox/reports", reply={"results": [inbound]})
    (finding,) = fired([pull, pull], "read-once")
    assert "inbound message" in finding.message


def test_read_once_is_quiet_on_distinct_reports_and_other_dialects_ids() -> None:
    assert fired([reports(report("m-1")), reports(report("m-2"))], "read-once") == []
    qikli = reports(report("m-1"), path="/sms/1/reports")
    assert qikli.dialect == "qikli"
    assert fired([reports(report("m-1")), qikli], "read-once") == []


# --- unified-reply ---------------------------------------------------------------------------------


def test_unified_reply_fires_on_a_missing_line_and_a_wrong_destination() -> None:
    findings = fired(
        [unified("1701|41793026727|id-1", destination="41793026727,41793026728")], "unified-reply"
    )
    assert [finding.message for finding in findings] == [
        "the reply has 1 line(s) for the 2 destination(s) of its request"
    ]
    (wrong,) = fired([unified("1701|41793026799|id-1", destination="41793026727")], "unified-reply")
    assert wrong.location == "response line 1" and "'41793026799'" in wrong.message


def test_unified_reply_fires_on_ids_that_contradict_codes() -> None:
    (no_id,) = fired([unified("1701|41793026727|", destination="41793026727")], "unified-reply")
    assert "without a message id" in no_id.message
    (with_id,) = fired([unified("1706|41793026727|id-1", destination="41793026727")], "unified-reply")
    assert "only a sent message has one" in with_id.message
    (bare,) = fired([unified("1706", destination="41793026727")], "unified-reply")
    assert "1706 is an error of one destination" in bare.message
    assert "errata unified-reply-error-shape" in bare.section


def test_unified_reply_is_quiet_on_the_documented_shapes() -> None:
    good = "1701|41793026727|id-1\n1732|15550001005|"
    assert fired([unified(good, destination="41793026727,15550001005")], "unified-reply") == []
    assert fired([unified("1703", destination="41793026727")], "unified-reply") == []
    echoed = unified("1701|%2B41793026727|id-1", destination="+41793026727")
    assert fired([echoed], "unified-reply") == []


# --- unified-type ----------------------------------------------------------------------------------


def message_violations(recorded: Exchange) -> list[tuple[str, str, str]]:
    """(severity, keyword, found) of what a recorded unified request breaks in its message."""
    return [
        (str(item.severity), item.keyword, item.found)
        for item in recorded.request_violations
        if item.location == "message"
    ]


def test_unicode_sent_as_plain_text_is_the_contract_error_the_mock_journals() -> None:
    recorded = unified("1701|41793026727|id-1", destination="41793026727", message="Привет")
    assert message_violations(recorded) == [("error", "alphabet", '"П, р, и, в, е, т"')]
    (violation,) = recorded.request_violations
    assert violation.section == (
        "Unified Communications API § 1. - Submit Messages > 1.2 - GET Message Submission API > 3 type"
    )
    assert fired([recorded], "unified-type") == []  # one finding, not a second from the semantic checks


def test_characters_iso_8859_1_lacks_are_a_contract_error() -> None:
    recorded = unified("1701|4179|id", destination="4179", type="5", message="5 €")
    assert message_violations(recorded) == [("error", "alphabet", '"€"')]


def test_iso_8859_1_octets_are_read_under_the_types_that_name_them() -> None:
    credentials = "username=Aladdin&password=open+sesame&dlr=0&source=Shop&destination=4179"
    latin1 = exchange(
        "GET", "/bulksms/bulksms", query=f"{credentials}&type=5&message=%E9t%E9", reply="1701|4179|id"
    )
    utf8_euro = exchange(
        "GET", "/bulksms/bulksms", query=f"{credentials}&type=5&message=%E2%82%AC", reply="1701|4179|id"
    )
    assert message_violations(latin1) == [("warning", "encoding", '"été"')]
    assert message_violations(utf8_euro) == [("error", "alphabet", '"€"')]


def test_plain_text_under_a_unicode_type_warns_and_costly_unicode_warns() -> None:
    plain = unified("1701|4179|id", destination="4179", type="2", message="Hello")
    assert message_violations(plain) == [("warning", "pattern", '"Hello"')]
    assert fired([plain], "unified-type") == []
    costly = (
        ("a" * 100).encode("utf-16-be").hex().upper()
    )  # 100 GSM characters: 1 part as type 0, 2 as type 2
    (warning,) = fired(
        [unified("1701|4179|id", destination="4179", type="2", message=costly)], "unified-type"
    )
    assert warning.severity is Severity.WARNING and "2 part(s) where type 0 takes 1" in warning.message


def test_unified_type_is_quiet_when_the_type_fits() -> None:
    hex_cyrillic = "Привет".encode("utf-16-be").hex()
    for params in (
        {"message": "Hello € [ok]"},  # extension characters are GSM 03.38 too
        {"type": "2", "message": hex_cyrillic},
        {"type": "7", "message": "Grüße"},
    ):
        assert fired([unified("1701|4179|id", destination="4179", **params)], "unified-type") == []


# --- the mock's own replies --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app() -> MockApp:
    return MockApp(MockConfig(clock_frozen=True, clock_start=START))


@settings(max_examples=30)
@given(
    text=sms_texts(max_size=300),
    numbers=st.lists(phone_numbers(plus=False), min_size=1, max_size=3, unique=True),
)
def test_the_mocks_own_replies_pass_every_semantic_check(app: MockApp, text: str, numbers: list[str]) -> None:
    client = Client(app)
    client.post(
        SINGLE, json={"from": "InfoSMS", "to": numbers, "text": text}, headers={"Authorization": BASIC}
    )
    gsm = measure(text).encoding.value == "GSM7"
    params = {
        "username": "Aladdin",
        "password": "open sesame",
        "type": "0" if gsm else "2",
        "dlr": "0",
        "destination": ",".join(numbers),
        "source": "Shop",
        "message": text if gsm else text.encode("utf-16-be").hex(),
    }
    client.get("/bulksms/bulksms", query_string=params)
    app.control.advance(10)
    client.get("/restapi/sms/1/reports", headers={"Authorization": BASIC})
    entries = app.journal.entries()[-3:]
    assert [(entry.operation, entry.status) for entry in entries] == [
        ("send_text_single", 200),
        ("submit", 200),
        ("get_reports", 200),
    ]
    assert check_exchanges(entries) == []


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_FIELDS), inner, max_size=4),
    max_leaves=12,
)
_ROUTES = [
    (method, path)
    for method, path in (
        ("POST", SINGLE),
        ("POST", "/restapi/sms/1/text/multi"),
        ("POST", "/restapi/sms/1/text/advanced"),
        ("POST", "/restapi/sms/1/binary/multi"),
        ("GET", "/restapi/sms/1/reports"),
        ("GET", "/restapi/sms/1/logs"),
        ("GET", "/restapi/sms/1/inbox/reports"),
        ("POST", "/restapi/number/1/query"),
        ("POST", "/sms/2/text/advanced"),
        ("POST", "/quicktel/xml"),
    )
]


@settings(max_examples=100)
@given(
    where=st.sampled_from(_ROUTES),
    request=_JSON,
    replies=st.lists(
        _JSON | st.binary(max_size=30).map(lambda raw: raw.decode("latin-1")), min_size=1, max_size=3
    ),
)
def test_the_checks_never_raise_on_malformed_bodies(
    where: tuple[str, str], request: Any, replies: list[Any]
) -> None:
    method, path = where
    exchanges = [
        exchange(
            method,
            path,
            body=json.dumps(request),
            headers={"Content-Type": JSON},
            reply=reply if isinstance(reply, str) else json.dumps(reply),
        )
        for reply in replies
    ]
    assert all(isinstance(finding, Finding) for finding in check_exchanges(exchanges))


# --- the documents' own examples --------------------------------------------------------------------

_MEDIA = {"json": JSON, "xml": "application/xml", "text": "text/plain"}


def _stem(example: dict[str, Any]) -> str:
    return re.split(r"-(?:request|response|result-format)(?:-|$)", example["id"])[0]


def documented_exchanges(dialect: str) -> Iterator[tuple[str, Exchange]]:
    """Each documented response with the request the document shows it for (same example, same
    format where both are given), and each request no response answers.

    unified's reply is given as a template (`1701|<CELL_NO>|<MESSAGE ID>`) for a request of
    placeholders (destination=Q): a shape, not an exchange, so each is taken alone.
    """
    items = examples(dialect)
    paired: set[str] = set()
    for answer in (item for item in items if item["direction"] == "response"):
        asks = [
            item
            for item in items
            if item["direction"] == "request"
            and item["operation"] == answer["operation"]
            and _stem(item) == _stem(answer)
        ]
        if answer["format"] == "text" and "<" in answer["body"]:
            asks = []
        ask = next(
            (item for item in asks if item["id"].endswith(answer["format"])), asks[0] if asks else None
        )
        if ask is not None:
            paired.add(ask["id"])
        yield f"{ask['id'] if ask else '-'} / {answer['id']}", _documented(dialect, ask, answer)
    for ask in items:
        if ask["direction"] == "request" and ask["id"] not in paired:
            yield f"{ask['id']} / -", _documented(dialect, ask, None)


def _documented(dialect: str, ask: dict[str, Any] | None, answer: dict[str, Any] | None) -> Exchange:
    contract = operation(dialect, (answer or ask or {})["operation"])
    ask, answer = ask or {}, answer or {}
    built = exchange(
        ask.get("method") or contract.methods[0],
        ask.get("path") or (contract.paths[0] if contract.paths else "/"),
        query=ask.get("query") or "",
        body=(ask.get("body") or "").encode(),
        headers=dict(ask.get("headers") or {}),
        status=(answer.get("status") or 200) if answer else 0,
        content_type=(answer.get("headers") or {}).get("Content-Type")
        or _MEDIA.get(answer.get("format"), ""),
        reply=(answer.get("body") or "").encode(),
    )
    # Callbacks are POSTed to a client's notifyUrl: no path routes them, the example names them.
    built.dialect, built.operation = dialect, contract.name
    return built


DOCUMENTED = [
    (dialect, label, built) for dialect in DIALECTS for label, built in documented_exchanges(dialect)
]
KNOWN_MISTAKES = {
    # errata shortlink-example-data-mismatch: "The text multi and binary multi 'Result Format' blocks
    # answer 3 destinations with 2 messages".
    ("reply-messages", "text-multi-request-json / text-multi-result-format-json"),
    ("reply-messages", "binary-multi-request-json / binary-multi-result-format-json"),
}


def test_the_documented_examples_are_paired_as_exchanges() -> None:
    labels = {label for _, label, _ in DOCUMENTED}
    assert "text-single-many-request-json / text-single-many-response-json" in labels
    assert "send-text-advanced-request-json / send-text-advanced-response-json" in labels
    assert "sms-send-request-xml / sms-send-response-xml" in labels
    assert {dialect for dialect, _, _ in DOCUMENTED} == set(DIALECTS)


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_each_check_is_quiet_on_the_documented_examples(check: str) -> None:
    # Each example is its own session: the documents reuse ids across unrelated examples.
    fired_on = {(finding.check, label) for _, label, built in DOCUMENTED for finding in fired([built], check)}
    assert fired_on <= KNOWN_MISTAKES


def test_the_known_mistakes_are_the_documents_and_are_found() -> None:
    assert "answer 3 destinations with 2 messages" in errata()["shortlink-example-data-mismatch"]["found"]
    found = {(finding.check, label) for _, label, built in DOCUMENTED for finding in check_exchanges([built])}
    assert found >= KNOWN_MISTAKES


# --- routing -------------------------------------------------------------------------------------------


def test_every_route_the_mock_serves_routes_back_to_its_operation() -> None:
    from smsmock.server.app import DIALECTS as SERVED

    for kind in SERVED:
        dialect = kind()
        for path, methods, name in dialect.routes():
            for method in methods:
                found = route(method, path)
                assert found.dialect == dialect.name, (method, path)
                if name in operations(dialect.name):
                    assert (found.operation, found.problem) == (name, None), (method, path)
                else:  # qikli's pseudo-operation for a method its paths do not take
                    assert found.operation is None and found.problem is not None, (method, path)


def test_routing_reads_what_the_path_alone_does_not_tell() -> None:
    assert route("GET", "/bulksms/bulksms", "username=a&date=01/01/2030").operation == "schedule"
    assert (
        route(
            "POST", "/bulksms/bulksms", body=b"Date=x", content_type="application/x-www-form-urlencoded"
        ).operation
        == "schedule"
    )
    status = b"xml=%3Cxml_request+name%3D%22sms_status2%22%3E%3C%2Fxml_request%3E"
    assert (
        route(
            "POST", "/quicktel/xml", body=status, content_type="application/x-www-form-urlencoded"
        ).operation
        == "sms_status2"
    )
    # The erroneous spellings of the binary paths the document also uses (errata).
    assert route("POST", "/restapi/1/sms/binary/single").operation == "send_binary_single"


def test_routing_strips_a_prefix_and_names_a_wrong_method() -> None:
    under = route("GET", "/gateway/v2/restapi/sms/1/reports")
    assert (under.dialect, under.operation, under.prefix) == ("shortlink", "get_reports", "/gateway/v2")
    wrong = route("GET", SINGLE)
    assert (wrong.dialect, wrong.operation) == ("shortlink", None)
    assert wrong.problem == f"GET is not a method of {SINGLE}; it takes POST"
    assert route("GET", "/favicon.ico").dialect is None


# --- recorded with a real HTTP client ----------------------------------------------------------------


def har_of(responses: list[requests.Response]) -> dict[str, Any]:
    """A HAR 1.2 log of what `requests` sent and got, as a recording proxy writes it."""
    entries = []
    for response in responses:
        sent = response.request
        body = sent.body.encode() if isinstance(sent.body, str) else (sent.body or b"")
        request: dict[str, Any] = {
            "method": sent.method,
            "url": sent.url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": name, "value": value} for name, value in sent.headers.items()],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": len(body),
        }
        if body:
            request["postData"] = {"mimeType": sent.headers.get("Content-Type", ""), "text": body.decode()}
        entries.append(
            {
                "startedDateTime": "2030-01-01T12:00:00.000Z",
                "time": response.elapsed.total_seconds() * 1000,
                "request": request,
                "response": {
                    "status": response.status_code,
                    "statusText": response.reason,
                    "httpVersion": "HTTP/1.1",
                    "headers": [{"name": name, "value": value} for name, value in response.headers.items()],
                    "cookies": [],
                    "content": {
                        "size": len(response.content),
                        "mimeType": response.headers.get("Content-Type", ""),
                        "text": base64.b64encode(response.content).decode(),
                        "encoding": "base64",
                    },
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": len(response.content),
                },
                "cache": {},
                "timings": {"send": 0, "wait": 0, "receive": 0},
            }
        )
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """HAR files of one client session against a running mock: a clean one, one with client bugs,
    and the mock's own export of the same traffic."""
    folder = tmp_path_factory.mktemp("har")
    with MockServer(MockConfig(clock_frozen=True, clock_start=START)) as mock, requests.Session() as client:
        client.auth = AUTH

        def post(path: str, **kwargs: Any) -> requests.Response:
            return client.post(mock.url + path, timeout=10, **kwargs)

        def get(path: str, **kwargs: Any) -> requests.Response:
            return client.get(mock.url + path, timeout=10, **kwargs)

        credentials = {"username": "Aladdin", "password": "open sesame", "dlr": "0", "source": "Shop"}
        clean = [
            post(SINGLE, json={"from": "InfoSMS", "to": "41793026727", "text": "€" * 81}),
            post(SINGLE, json={"from": "InfoSMS", "to": ["41793026727", "15550001005"], "text": "Hi 😀"}),
            post(
                "/sms/2/text/advanced",
                json={
                    "bulkId": "B-1",
                    "messages": [{"from": "Shop", "destinations": [{"to": "41793026727"}], "text": "Hi"}],
                },
            ),
            post(
                "/restapi/sms/1/text/advanced",
                data="<request><messages><from>InfoSMS</from><destinations><to>41793026727</to></destinations>"
                "<text>Çok güzel</text><languageCode>TR</languageCode></messages></request>",
                headers={"Content-Type": "application/xml", "Accept": "application/xml"},
            ),
            get(
                "/bulksms/bulksms",
                params={
                    **credentials,
                    "type": "0",
                    "destination": "41793026727,15550001005",
                    "message": "Hi + €",
                },
            ),
            get(
                "/bulksms/bulksms",
                params={
                    **credentials,
                    "type": "2",
                    "destination": "41793026727",
                    "message": "Привет".encode("utf-16-be").hex(),
                },
            ),
            post(
                "/quicktel/xml",
                data={
                    "xml": '<xml_request name="sms_send"><xml_user lgn="Aladdin" pwd="open sesame"/>'
                    '<sms sms_id="1" number="41793026727" source_number="Shop">'
                    f"{'x' * 170}</sms></xml_request>"
                },
            ),
            get(
                "/api/sms/send_sms.php",
                params={
                    "key": "test-api-key",
                    "mobile": "41793026727",
                    "sender": "Shop",
                    "msgtext": "Hi",
                    "ref": "r-1",
                },
            ),
        ]
        mock.control.advance(10)
        clean += [get("/restapi/sms/1/reports"), get("/restapi/sms/1/reports"), get("/sms/1/reports")]
        assert len(clean[-3].json()["results"]) == 4 and clean[-2].json()["results"] == []
        buggy = [
            get(
                "/bulksms/bulksms",
                params={**credentials, "type": "0", "destination": "41793026727", "message": "Привет"},
            ),
            post(SINGLE, json={"from": "ab", "to": "41793026727", "text": "Hi"}),
            get(SINGLE),
        ]
        export = get("/_smsmock/journal", params={"format": "har"})
    files = {
        "clean": folder / "clean.har",
        "buggy": folder / "buggy.har",
        "export": folder / "export.har",
    }
    files["clean"].write_text(json.dumps(har_of(clean)), encoding="utf-8")
    files["buggy"].write_text(json.dumps(har_of(clean + buggy)), encoding="utf-8")
    files["export"].write_text(export.text, encoding="utf-8")
    return files


def test_a_clean_recording_passes_end_to_end(
    recorded: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(recorded["clean"])]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:-1] == [
        "shortlink send_text_single: 2 exchange(s), ok",
        "qikli send_text_advanced: 1 exchange(s), ok",
        "shortlink send_text_advanced: 1 exchange(s), ok",
        "unified submit: 2 exchange(s), ok",
        "quicktel sms_send: 1 exchange(s), ok",
        "sendsms send_sms: 1 exchange(s), ok",
        "shortlink get_reports: 2 exchange(s), ok",
        "qikli get_reports: 1 exchange(s), ok",
    ]
    assert "checked 11 exchange(s) in 1 file(s): 0 error(s)" in out


def test_a_recording_with_client_bugs_fails_with_each_bug(
    recorded: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "report.xml"
    assert main(["check", str(recorded["buggy"]), "--junit-xml", str(junit)]) == 1
    out = capsys.readouterr().out
    assert "unified submit: 3 exchange(s), 1 error(s)" in out
    assert (
        "error: request message: expected only characters of type 0, Plain text (GSM 3.38 Character"
        ' encoding), found "П, р, и, в, е, т" [alphabet] [schema-request]' in out
    )
    assert "error: request /from: expected a string matching" in out
    assert f"GET is not a method of {SINGLE}; it takes POST [route]" in out
    assert (
        "see Unified Communications API § 1. - Submit Messages > 1.2 - GET Message Submission API > 3 type"
        in out
    )
    suites = ElementTree.parse(junit).getroot()
    assert suites.get("tests") == "14" and suites.get("failures") == "3"
    failed = [case for case in suites.iter("testcase") if case.find("failure") is not None]
    assert sorted(case.get("classname") for case in failed) == [
        "smsmock.shortlink.route",
        "smsmock.shortlink.send_text_single",
        "smsmock.unified.submit",
    ]
    assert sorted(case.find("failure").get("type") for case in failed) == [
        "route",
        "schema-request",
        "schema-request",
    ]


def test_the_mocks_own_har_export_reads_as_the_client_recorded_it(recorded: dict[str, Path]) -> None:
    def routed(path: Path) -> list[tuple[str | None, str | None, str, bytes]]:
        exchanges = [item.exchange for item in read_text(path.read_text(encoding="utf-8"), path.name)]
        return [(item.dialect, item.operation, item.method, item.response_body) for item in exchanges]

    # Every request is in the journal, the client's wrong-method call too: the same requests with the
    # same replies.
    assert routed(recorded["buggy"]) == routed(recorded["export"])


def test_a_browser_har_is_read_as_browsers_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = json.dumps({"messages": [accepted("41793026727", 1, "m-1")]}).encode()
    favicon = {
        "startedDateTime": "2030-01-01T12:00:00.1+01:00",
        "request": {"method": "GET", "url": "https://sms.example.com/favicon.ico", "headers": []},
        "response": {"status": 404, "content": {"mimeType": "text/html", "text": ""}},
    }
    send = {
        "startedDateTime": "2030-01-01T12:00:01.123456789Z",
        "time": 12.5,
        "_initiator": {"type": "script"},
        "request": {
            "method": "post",
            "url": "https://sms.example.com/gateway/restapi/sms/1/text/single",
            "httpVersion": "h2",
            "headers": [
                {"name": ":authority", "value": "sms.example.com"},
                {"name": "content-type", "value": "application/json;charset=UTF-8"},
                {"name": "AUTHORIZATION", "value": BASIC},
            ],
            "postData": {
                "mimeType": "application/json;charset=UTF-8",
                "text": json.dumps({"from": "InfoSMS", "to": "41793026727", "text": "€" * 81}),
            },
        },
        "response": {
            "status": 200,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {
                "size": len(reply),
                "mimeType": "application/json",
                "text": base64.b64encode(reply).decode(),
                "encoding": "base64",
            },
        },
    }
    form = {
        "startedDateTime": "2030-01-01T12:00:02Z",
        "request": {
            "method": "POST",
            "url": "https://sms.example.com/bulksms/bulksms",
            "headers": [{"name": "Content-Type", "value": "application/x-www-form-urlencoded"}],
            "postData": {
                "mimeType": "application/x-www-form-urlencoded",
                "params": [
                    {"name": name, "value": value}
                    for name, value in (
                        ("username", "Aladdin"),
                        ("password", "open sesame"),
                        ("type", "0"),
                        ("dlr", "0"),
                        ("destination", "41793026727"),
                        ("source", "Shop"),
                        ("message", "Привет"),
                    )
                ],
            },
        },
        "response": {"status": 200, "content": {"mimeType": "text/plain", "text": "1701|41793026727|id-1"}},
    }
    unkept = {  # a body the browser did not keep: its size, no text
        "startedDateTime": "2030-01-01T12:00:03Z",
        "request": {
            "method": "GET",
            "url": "https://sms.example.com/restapi/account/1/balance",
            "headers": [],
        },
        "response": {"status": 200, "content": {"size": 40, "mimeType": "application/json"}},
    }
    har = tmp_path / "browser.har"
    entries = [favicon, send, form, unkept]
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}), encoding="utf-8")

    (skipped, sent, posted, balance) = read_text(har.read_text(encoding="utf-8"), "browser.har")
    assert balance.exchange.reply_operation is None
    assert skipped.route.dialect is None
    assert (sent.exchange.dialect, sent.exchange.operation, sent.route.prefix) == (
        "shortlink",
        "send_text_single",
        "/gateway",
    )
    assert sent.exchange.response_body == reply and sent.exchange.method == "POST"
    assert sent.exchange.at == datetime(2030, 1, 1, 12, 0, 1, 123456, tzinfo=timezone.utc)
    assert ":authority" not in sent.exchange.request_headers
    assert posted.exchange.request_body.startswith(b"username=Aladdin&password=open+sesame")

    assert main(["check", str(har)]) == 1
    out = capsys.readouterr().out
    assert "browser.har entry 2 (seq 2): POST /gateway/restapi/sms/1/text/single -> 200" in out
    assert "[sms-count]" in out and '"П, р, и, в, е, т" [alphabet] [schema-request]' in out
    assert "passed over 1 exchange(s) of no dialect: GET /favicon.ico" in out
    assert "shortlink get_balance: 1 exchange(s), ok" in out


# --- the journal as JSON Lines --------------------------------------------------------------------------


def journal_line(test: str, built: Exchange) -> str:
    return json.dumps({"test": test, **built.as_dict()}, ensure_ascii=False)


def test_a_journal_keeps_each_tests_reports_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The mock starts afresh for every test: a client-chosen messageId may come back in the next test.
    pull = reports(report("client-id-1"))
    apart = tmp_path / "apart.jsonl"
    apart.write_text(
        journal_line("t.py::test_a", pull) + "\n" + journal_line("t.py::test_b", pull) + "\n",
        encoding="utf-8",
    )
    assert main(["check", str(apart)]) == 0
    together = tmp_path / "together.jsonl"
    together.write_text(
        journal_line("t.py::test_a", pull) + "\n" + journal_line("t.py::test_a", pull) + "\n",
        encoding="utf-8",
    )
    assert main(["check", str(together)]) == 1
    assert (
        "together.jsonl line 2 [t.py::test_a] (seq 1): GET /restapi/sms/1/reports -> 200"
        in capsys.readouterr().out
    )


def test_findings_index_the_whole_recording_across_sessions() -> None:
    pull = reports(report("m-1"))
    items = [
        Recorded(pull, route("GET", pull.path), f"f line {n}", session) for n, session in enumerate("aab")
    ]
    (finding,) = [finding for finding in check_recorded(items) if finding.check == "read-once"]
    assert (finding.index, finding.source) == (1, "f line 1")


# --- the command line: thresholds, reports, unusable input -----------------------------------------------


def test_fail_on_warning_fails_on_a_warning_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = unified("1701|4179|id-1", destination="4179", type="2", message="Hello")
    path = tmp_path / "warned.jsonl"
    path.write_text(json.dumps(plain.as_dict()) + "\n", encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "passed at --fail-on error" in capsys.readouterr().out
    assert main(["check", "--fail-on", "warning", str(path)]) == 1
    assert "failed at --fail-on warning" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("", "is empty"),
        ("hello, not a recording\n", "is neither HAR"),
        ('{"log": {"entries": []}}', "holds no exchanges"),
        ('{"log": {"entries": [{"request": {}}]}}', "entry 1 needs a request and a response"),
        ('{"seq": 1, "request": {"method": "GET"}, "response": {}}\n{"a"', "line 1: a journal entry needs"),
        ('{"seq": 1}\n{broken', "line 1 is not a journal entry"),
        (
            '{"log": {"entries": [{"request": {"method": "GET", "url": "http://x/favicon.ico"},'
            ' "response": {"status": 200}}]}}',
            "is a call of any dialect's API",
        ),
    ],
)
def test_unusable_input_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "input.har"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.err.startswith("smsmock: ")


def test_an_unwritable_junit_path_exits_2(
    recorded: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["check", str(recorded["clean"]), "--junit-xml", str(tmp_path / "no" / "such" / "dir.xml")]) == 2
    )
    assert "cannot write" in capsys.readouterr().err
