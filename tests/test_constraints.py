"""Every constraint the documents state, broken one at a time: exactly the expected error, nothing else."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from smsmock.contracts import Severity, errors, validate
from smsmock.contracts.validation import answered_by

ADVANCED = {
    "bulkId": "BULK-ID-123-xyz",
    "messages": [
        {
            "from": "InfoSMS",
            "destinations": [{"to": "41793026727", "messageId": "MESSAGE-ID-123-xyz"}],
            "text": "Artık Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz.",
            "flash": False,
            "language": {"languageCode": "TR", "singleShift": True, "lockingShift": False},
            "transliteration": "TURKISH",
            "notifyUrl": "http://www.example.com/sms/advanced",
            "notifyContentType": "application/json",
            "callbackData": "DLR callback data",
            "validityPeriod": 720,
            "sendAt": "2015-07-07T17:00:00.000+01:00",
        }
    ],
}
SINGLE = {"from": "InfoSMS", "to": "41793026727", "text": "Test SMS."}
BINARY = {
    "from": "InfoSMS",
    "to": "41793026727",
    "binary": {"hex": "54 65 73 74", "dataCoding": 0, "esmClass": 0},
}
UNIFIED = {
    "username": "Aladdin",
    "password": "open sesame",
    "type": "0",
    "dlr": "1",
    "destination": "41793026727,+41793026731",
    "source": "InfoSMS",
    "message": "Hello",
}
SCHEDULE = {**UNIFIED, "date": "03/03/2018", "time": "03:45 am", "gmt": "GMT +1:30"}
SENDSMS = {
    "key": "test-api-key",
    "mobile": "447483938220",
    "sender": "InfoSMS",
    "msgtext": "Hi",
    "ref": "h01",
}
QUICKTEL = (
    '<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_send">'
    '<xml_user lgn="Aladdin" pwd="open sesame"/>{sms}</xml_request>'
)
QUICKTEL_SMS = '<sms sms_id="{sms_id}" number="{number}" source_number="InfoSMS" ttl="10">text</sms>'


def replaced(base: dict, pointer: str, value: Any) -> dict:
    body = copy.deepcopy(base)
    *parents, last = pointer.strip("/").split("/")
    node = body
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def quicktel(**sms) -> str:
    fields = {"sms_id": "1", "number": "79161234567", **sms}
    return QUICKTEL.format(sms=QUICKTEL_SMS.format(**fields))


M0 = "/messages/0"
CASES = [
    # shortlink: sender ids, destinations, the advanced API's enums and limits, binary content
    ("shortlink", "send_text_single", replaced(SINGLE, "/from", "ab"), "/from", "pattern"),
    ("shortlink", "send_text_single", replaced(SINGLE, "/from", "CompanyName1"), "/from", "pattern"),
    ("shortlink", "send_text_single", replaced(SINGLE, "/from", "123456789012345"), "/from", "pattern"),
    ("shortlink", "send_text_single", replaced(SINGLE, "/to", "4179302672712345"), "/to", "pattern"),
    ("shortlink", "send_text_single", replaced(SINGLE, "/to", "+41 79 302"), "/to", "pattern"),
    ("shortlink", "send_text_single", replaced(SINGLE, "/to", ["41793026727", "abc"]), "/to/1", "pattern"),
    ("shortlink", "send_text_single", {"from": "InfoSMS", "text": "x"}, "/to", "required"),
    (
        "shortlink",
        "send_text_advanced",
        replaced(ADVANCED, f"{M0}/validityPeriod", 2881),
        f"{M0}/validityPeriod",
        "maximum",
    ),
    (
        "shortlink",
        "send_text_advanced",
        replaced(ADVANCED, f"{M0}/notifyContentType", "text/plain"),
        f"{M0}/notifyContentType",
        "enum",
    ),
    (
        "shortlink",
        "send_text_advanced",
        replaced(ADVANCED, f"{M0}/transliteration", "LATIN"),
        f"{M0}/transliteration",
        "enum",
    ),
    (
        "shortlink",
        "send_text_advanced",
        replaced(ADVANCED, f"{M0}/language/languageCode", "DE"),
        f"{M0}/language/languageCode",
        "enum",
    ),
    ("shortlink", "send_text_advanced", replaced(ADVANCED, f"{M0}/flash", "yes"), f"{M0}/flash", "type"),
    (
        "shortlink",
        "send_text_advanced",
        replaced(ADVANCED, f"{M0}/sendAt", "07/07/2015 17:00"),
        f"{M0}/sendAt",
        "pattern",
    ),
    (
        "shortlink",
        "send_text_advanced",
        replaced(ADVANCED, f"{M0}/destinations/0/to", "0041793026727x"),
        f"{M0}/destinations/0/to",
        "pattern",
    ),
    (
        "shortlink",
        "send_binary_single",
        replaced(BINARY, "/binary/hex", "5465 7374"),
        "/binary/hex",
        "pattern",
    ),
    ("shortlink", "send_binary_single", replaced(BINARY, "/binary/hex", "zz"), "/binary/hex", "pattern"),
    (
        "shortlink",
        "send_binary_single",
        replaced(BINARY, "/binary/dataCoding", "8"),
        "/binary/dataCoding",
        "type",
    ),
    (
        "shortlink",
        "send_binary_single",
        replaced(BINARY, "/binary/esmClass", 1.5),
        "/binary/esmClass",
        "type",
    ),
    # qikli
    (
        "qikli",
        "send_text_advanced",
        replaced(ADVANCED, f"{M0}/destinations/0/to", "12345678901234567"),
        f"{M0}/destinations/0/to",
        "pattern",
    ),
    # unified: type 0-7, dlr 0/1, destinations, source lengths, the scheduler's formats
    ("unified", "submit", {**UNIFIED, "type": "8"}, "type", "enum"),
    ("unified", "submit", {**UNIFIED, "dlr": "2"}, "dlr", "enum"),
    ("unified", "submit", {**UNIFIED, "destination": "41793026727;41793026731"}, "destination", "pattern"),
    ("unified", "submit", {**UNIFIED, "source": "1234567890123456789"}, "source", "pattern"),
    ("unified", "submit", {**UNIFIED, "source": "CompanyName1"}, "source", "pattern"),
    (
        "unified",
        "submit",
        {key: value for key, value in UNIFIED.items() if key != "message"},
        "message",
        "required",
    ),
    ("unified", "submit", {**UNIFIED, "message": ""}, "message", "minLength"),
    ("unified", "schedule", {**SCHEDULE, "date": "2018-03-03"}, "date", "pattern"),
    ("unified", "schedule", {**SCHEDULE, "time": "15:45"}, "time", "pattern"),
    ("unified", "schedule", {**SCHEDULE, "gmt": "GMT 1:30"}, "gmt", "pattern"),
    # sendsms
    ("sendsms", "send_sms", {**SENDSMS, "mobile": "+447483938220"}, "mobile", "pattern"),
    ("sendsms", "send_sms", {**SENDSMS, "mobile": "00447483938220"}, "mobile", "pattern"),
    ("sendsms", "send_sms", {**SENDSMS, "response": "xml"}, "response", "enum"),
    (
        "sendsms",
        "send_sms",
        {key: value for key, value in SENDSMS.items() if key != "ref"},
        "ref",
        "required",
    ),
    ("unified", "schedule", {**SCHEDULE, "time": "13:45 pm"}, "time", "pattern"),
    ("unified", "schedule", {**SCHEDULE, "gmt": "+13:00"}, "gmt", "pattern"),
    ("unified", "schedule", {**SCHEDULE, "date": "13/03/2018"}, "date", "pattern"),
    (
        "sendsms",
        "dlr",
        {"key": "test-api-key", "full_number": "+447483938220", "ref": "h01"},
        "full_number",
        "pattern",
    ),
    # quicktel: sms_id up to 50, number up to 25, at most 250 <sms>
    ("quicktel", "sms_send", quicktel(sms_id="x" * 51), "/xml_request/sms/@sms_id", "maxLength"),
    ("quicktel", "sms_send", quicktel(number="7" * 26), "/xml_request/sms/@number", "maxLength"),
    ("quicktel", "sms_send", quicktel(number=""), "/xml_request/sms/@number", "pattern"),
    ("quicktel", "sms_send", quicktel().replace('ttl="10"', 'ttl="ten"'), "/xml_request/sms/@ttl", "pattern"),
]


@pytest.mark.parametrize(
    ("dialect", "operation", "body", "location", "keyword"),
    CASES,
    ids=[f"{case[0]}-{case[1]}-{case[3]}-{case[4]}" for case in CASES],
)
def test_broken_constraint_gives_exactly_its_error(dialect, operation, body, location, keyword):
    """Exactly its error, or, for a breach the provider answers in its reply (a destination it
    rejects, a validity it clamps), exactly its warning, saying what the provider does."""
    found = validate(dialect, operation, "request", body)
    answered = [violation for violation in found if answered_by(dialect, violation) is not None]
    kept = answered if answered else errors(found)
    assert {(violation.location, violation.keyword) for violation in kept} >= {(location, keyword)}
    assert {violation.location for violation in kept} == {location}, "\n".join(map(str, found))
    if answered:
        assert errors(found) == [], "a breach answered in the reply is not also an error"
        assert all(violation.severity is Severity.WARNING for violation in answered)


@pytest.mark.parametrize(
    ("dialect", "operation", "body"),
    [
        ("shortlink", "send_text_single", SINGLE),
        ("shortlink", "send_text_advanced", ADVANCED),
        ("shortlink", "send_binary_single", BINARY),
        ("qikli", "send_text_advanced", ADVANCED),
        ("unified", "submit", UNIFIED),
        ("unified", "schedule", SCHEDULE),
        ("sendsms", "send_sms", SENDSMS),
        ("quicktel", "sms_send", quicktel()),
    ],
)
def test_the_unbroken_bodies_are_valid(dialect, operation, body):
    assert errors(validate(dialect, operation, "request", body)) == []


def test_quicktel_250_messages_and_not_251():
    sms = [QUICKTEL_SMS.format(sms_id=index, number="79161234567") for index in range(251)]
    assert errors(validate("quicktel", "sms_send", "request", QUICKTEL.format(sms="".join(sms[:250])))) == []
    found = errors(validate("quicktel", "sms_send", "request", QUICKTEL.format(sms="".join(sms))))
    assert [violation.keyword for violation in found] == ["unexpected"]


# --- tolerant reading --------------------------------------------------------------------------


def warnings_only(dialect, operation, direction, body, content_type=None):
    found = validate(dialect, operation, direction, body, content_type)
    assert errors(found) == [], "\n".join(map(str, found))
    return [(violation.location, violation.keyword) for violation in found]


def test_unknown_fields_are_warnings():
    body = {**SINGLE, "type": "text", "includeSmsCountInResponse": False}
    assert warnings_only("shortlink", "send_text_single", "request", body) == [
        ("/type", "additionalProperties"),
        ("/includeSmsCountInResponse", "additionalProperties"),
    ]


def test_null_in_an_optional_field_is_a_warning_and_in_a_required_one_an_error():
    assert warnings_only("shortlink", "send_text_single", "request", {**SINGLE, "from": None}) == [
        ("/from", "null")
    ]
    found = validate("shortlink", "send_text_single", "request", {**SINGLE, "to": None})
    assert [(v.location, v.keyword, v.severity) for v in found] == [
        ("/to", "null", Severity.WARNING),
        ("/to", "required", Severity.ERROR),
    ]


def test_list_filters_as_repeated_or_php_style_parameters():
    assert warnings_only("shortlink", "get_logs", "request", "bulkId=a&bulkId=b&limit=2") == []
    assert warnings_only("shortlink", "get_logs", "request", "bulkId[]=a&bulkId[]=b") == [
        ("bulkId[]", "name")
    ]


def test_dates_with_or_without_milliseconds():
    assert warnings_only("shortlink", "get_logs", "request", "sentSince=2015-02-22T17:42:05%2B0100") == []
    assert (
        warnings_only("shortlink", "get_logs", "request", "sentSince=2015-02-22T17:42:05.390%2B01:00") == []
    )
    # Without a time zone: read as UTC, and only a warning.
    assert warnings_only("shortlink", "get_logs", "request", "sentSince=2015-02-22T17:42:05") == [
        ("sentSince", "pattern")
    ]
    # An unencoded '+' arrives as a space: that is the client's bug, and an error.
    found = errors(validate("shortlink", "get_logs", "request", "sentSince=2015-02-22T17:42:05.390+0100"))
    assert [(v.location, v.keyword) for v in found] == [("sentSince", "pattern")]


def test_content_type_on_a_get_is_a_warning():
    assert warnings_only("shortlink", "get_reports", "request", "limit=2", "application/json") == [
        ("Content-Type", "contentType")
    ]
    assert warnings_only("qikli", "get_reports", "request", "", "application/xml; charset=utf-8") == [
        ("Content-Type", "contentType")
    ]


def test_unparseable_bodies():
    found = validate("shortlink", "send_text_single", "request", '{"to": "41793026727",}')
    assert [(v.location, v.keyword) for v in found] == [("/", "unparseable")]
    found = validate("quicktel", "sms_send", "request", "<xml_request name='sms_send'><sms></xml_request>")
    assert [(v.location, v.keyword) for v in found] == [("/", "unparseable")]


@pytest.mark.parametrize(
    "hostile",
    [
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
        '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><xml_request/>',
        "<a>" * 100 + "</a>" * 100,
        "<xml_request>" + "x" * (1 << 20) + "</xml_request>",
    ],
    ids=["entity-expansion", "external-dtd", "deep", "huge"],
)
def test_hostile_xml_is_refused_not_parsed(hostile):
    found = validate("quicktel", "sms_send", "request", hostile)
    assert [(v.location, v.keyword) for v in found] == [("/", "unparseable")]


def test_xml_inside_the_form_field():
    from urllib.parse import urlencode

    form = urlencode({"xml": quicktel()})
    assert warnings_only("quicktel", "sms_send", "request", form, "application/x-www-form-urlencoded") == []


def test_text_reply_grammar():
    assert warnings_only("unified", "submit", "response", "1701|41793026727|a1b2c3") == []
    found = errors(validate("unified", "submit", "response", "1701|41793026727"))
    assert [(v.location, v.keyword) for v in found] == [("/", "pattern")]
    assert warnings_only("sendsms", "send_sms", "response", "200", "text/plain") == []
    assert errors(validate("sendsms", "send_sms", "response", "201", "text/plain"))


def test_violations_say_where_the_rule_comes_from():
    (violation,) = errors(
        validate("shortlink", "send_text_single", "request", replaced(SINGLE, "/from", "ab"))
    )
    assert violation.section.startswith("Shortlink SMS API §")
    assert violation.expected.startswith("a string matching")
    assert violation.found == '"ab"'
    assert str(violation).startswith("error: /from: expected a string matching")
