"""The contracts themselves: valid schemas, complete manifests, every documented example accounted for."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

import pytest
import xmlschema
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from werkzeug.test import Client

from smsmock.contracts import catalog, errata, errors, examples, operations, validate
from smsmock.contracts.validation import Severity, parse_xml
from smsmock.resources import schemas_dir
from smsmock.server.app import MockApp

DIALECTS = ("qikli", "quicktel", "sendsms", "shortlink", "unified")

# The fixed operation ids and documented paths of the design.
FIXED_OPERATIONS = {
    ("shortlink", "send_text_single"): "/restapi/sms/1/text/single",
    ("shortlink", "send_text_multi"): "/restapi/sms/1/text/multi",
    ("shortlink", "send_text_advanced"): "/restapi/sms/1/text/advanced",
    ("shortlink", "send_binary_single"): "/restapi/sms/1/binary/single",
    ("shortlink", "send_binary_multi"): "/restapi/sms/1/binary/multi",
    ("shortlink", "get_reports"): "/restapi/sms/1/reports",
    ("shortlink", "get_logs"): "/restapi/sms/1/logs",
    ("shortlink", "get_balance"): "/restapi/account/1/balance",
    ("shortlink", "get_inbox"): "/restapi/sms/1/inbox/reports",
    ("shortlink", "get_inbox_logs"): "/restapi/sms/1/inbox/logs",
    ("shortlink", "number_query"): "/restapi/number/1/query",
    ("shortlink", "number_notify"): "/restapi/number/1/notify",
    ("shortlink", "dlr_callback"): None,
    ("shortlink", "number_callback"): None,
    ("qikli", "send_text_advanced"): "/sms/2/text/advanced",
    ("qikli", "get_reports"): "/sms/1/reports",
    ("unified", "submit"): "/bulksms/bulksms",
    ("unified", "schedule"): "/bulksms/schedulemsg",
    ("quicktel", "sms_send"): "/quicktel/xml",
    ("quicktel", "sms_status2"): "/quicktel/xml",
    ("sendsms", "send_sms"): "/api/sms/send_sms.php",
    ("sendsms", "dlr"): "/api/sms/dlr.php",
}


def test_every_dialect_has_contracts():
    assert catalog.dialects() == DIALECTS


@pytest.mark.parametrize(("key", "path"), FIXED_OPERATIONS.items(), ids=lambda v: str(v))
def test_fixed_operations_exist_at_their_documented_paths(key, path):
    dialect, name = key
    contract = operations(dialect)[name]
    if path is None:
        assert contract.paths == ()
    else:
        assert contract.paths[0] == path


def _schema_files():
    return sorted(schemas_dir().glob("*/*.schema.json"))


@pytest.mark.parametrize("path", _schema_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_json_schema_is_valid_and_its_references_resolve(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    dialect = path.parent.name
    assert schema["$id"].startswith(f"urn:smsmock:{dialect}:")
    assert "x-section" in schema
    resolver = catalog.registry(dialect).resolver()
    for reference in re.findall(r'"\$ref":\s*"([^"]+)"', path.read_text(encoding="utf-8")):
        resolver.lookup(reference)


@pytest.mark.parametrize(
    "path", sorted(schemas_dir().glob("*/*.xsd")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_xsd_loads(path):
    xmlschema.XMLSchema10(str(path))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_declared_format_has_its_schema(dialect):
    for contract in operations(dialect).values():
        for direction in ("request", "response"):
            for wire in contract.formats(direction):
                if wire == "none" or (wire == "form" and "form_field" in contract.extra):
                    continue
                assert catalog.schema_file(dialect, contract.name, direction, wire), (
                    f"{dialect} {contract.name} {direction} declares {wire} but has no schema for it"
                )


def _all_examples():
    return [(dialect, example) for dialect in DIALECTS for example in examples(dialect)]


def _example_body(example):
    if example["format"] in ("params", "form"):
        return example.get("query", "")
    return example["body"]


@pytest.mark.parametrize(
    ("dialect", "example"), _all_examples(), ids=lambda v: v if isinstance(v, str) else v["id"]
)
def test_documented_example_validates_or_is_a_listed_erratum(dialect, example):
    found = errors(validate(dialect, example["operation"], example["direction"], _example_body(example)))
    expected = example.get("expected_violation")
    if expected is None:
        assert found == [], "\n".join(map(str, found))
        return
    assert example["erratum"] in errata(), f"erratum {example['erratum']} is not in fixtures/errata.yaml"
    places = {(violation.location, violation.keyword) for violation in found}
    assert (expected["location"], expected["reason"]) in places, "\n".join(map(str, found))
    if "other_violations" in example:
        listed = {(other["location"], other["reason"]) for other in example["other_violations"]}
        assert places == listed | {(expected["location"], expected["reason"])}


def test_examples_cover_every_operation_with_a_document_example():
    covered = {(dialect, example["operation"]) for dialect, example in _all_examples()}
    missing = {key for key in FIXED_OPERATIONS if key not in covered}
    # The delivery-report callback is the one body the document never shows (erratum).
    assert missing == {("shortlink", "dlr_callback")}
    assert "shortlink-dlr-callback-body" in errata()


def test_example_ids_are_unique_and_point_into_the_documents():
    seeds = {"shortlink": "004", "qikli": "000", "unified": "001", "quicktel": "002", "sendsms": "003"}
    for dialect in DIALECTS:
        ids = [example["id"] for example in examples(dialect)]
        assert len(ids) == len(set(ids))
        for example in examples(dialect):
            assert example["line"] > 0 and example["section"]
            assert example["operation"] in operations(dialect)
    for entry in errata().values():
        assert entry["kind"] in ("contradiction", "mistake", "own")
        assert entry["file"].startswith(seeds[entry["dialect"]])
        assert entry["choice"] and entry["reason"]


REQUIRED_ERRATA = [
    "shortlink-binary-paths",
    "shortlink-status-message-accepted",
    "shortlink-binary-multi-status-groupid-7",
    "shortlink-text-single-groupname-queue-accepted",
    "shortlink-nc-results-key",
    "shortlink-nc-query-xml-root-mismatch",
    "shortlink-logs-post",
    "shortlink-dlr-callback-body",
    "shortlink-error-body-undocumented",
    "unified-schedule-path",
    "unified-unicode-hex-message",
    "quicktel-no-path",
    "quicktel-result-name-attribute",
    "quicktel-typographic-quotes",
    "quicktel-empty-source-number",
    "quicktel-request-error-codes",
    "sendsms-numeric-codes-body",
    "qikli-send-sample-malformed",
    "qikli-reports-sample-malformed",
    "qikli-general-error-body",
]


@pytest.mark.parametrize("erratum", REQUIRED_ERRATA)
def test_known_contradictions_are_recorded(erratum):
    assert erratum in errata()


_PER_DESTINATION = [
    (
        "shortlink",
        "number_query",
        "/restapi/number/1/query",
        "application/json",
        '{"to": ["41793026727", "Alphanumeric"]}',
        "REJECTED_DESTINATION",
    ),
    (
        "shortlink",
        "send_text_multi",
        "/restapi/sms/1/text/multi",
        "application/json",
        '{"messages": [{"from": "InfoSMS", "to": ["41793026727", "not-a-number"], "text": "hi"}]}',
        "REJECTED_DESTINATION",
    ),
    (
        "quicktel",
        "sms_send",
        "/quicktel/xml",
        "application/xml",
        '<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_send"><xml_user lgn="Aladdin"'
        ' pwd="open sesame"/><sms sms_id="1" number="abc" source_number="InfoSMS">hi</sms></xml_request>',
        'res="-3001"',
    ),
    (
        "unified",
        "submit",
        "/bulksms/bulksms?username=Aladdin&password=open%20sesame&type=0&dlr=0"
        "&destination=41793026727,abc&source=Shop&message=hi",
        None,
        None,
        "1706|abc|",
    ),
]


@pytest.mark.parametrize(
    ("dialect", "operation", "path", "media", "body", "answer"),
    _PER_DESTINATION,
    ids=[f"{dialect}-{operation}" for dialect, operation, *_ in _PER_DESTINATION],
)
def test_a_destination_the_provider_rejects_in_its_reply_is_a_warning_and_the_mock_answers_it(
    dialect: str, operation: str, path: str, media: str | None, body: str | None, answer: str
) -> None:
    """The contract and the mock are one truth: a request answered with a per-destination rejection is
    taken (200) by the mock, and validate() says what the provider does instead of calling it an error."""
    client = Client(MockApp())
    headers = {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Accept": "application/json"}
    if body is None:
        reply = client.get(path, headers=headers)
        raw: Any = path.partition("?")[2]
    else:
        reply = client.post(path, data=body, headers={**headers, "Content-Type": media})
        raw = body
    assert reply.status_code == 200 and answer in reply.get_data(as_text=True)
    found = validate(dialect, operation, "request", raw, media)
    assert errors(found) == []
    assert any(
        violation.severity is Severity.WARNING and "the provider" in violation.expected for violation in found
    )


XML_NAMES = st.sampled_from(["sms", "xml_user", "push", "a", "b-c", "d.e"])
XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6)
XML_ELEMENTS = st.recursive(
    st.builds(lambda name, text: f"<{name}>{escape(text)}</{name}>", XML_NAMES, XML_TEXT),
    lambda inner: st.builds(
        lambda name, attributes, children: (
            f"<{name}"
            + "".join(f" {key}={quoteattr(value)}" for key, value in attributes.items())
            + ">"
            + "".join(children)
            + f"</{name}>"
        ),
        XML_NAMES,
        st.dictionaries(XML_NAMES, XML_TEXT, max_size=3),
        st.lists(inner, max_size=3),
    ),
    max_leaves=8,
)


def _read_defused(text: str) -> bytes | str:
    """The document as xmlschema's defusing parse reads it (a tree's octets), or "refused"."""
    try:
        return ElementTree.tostring(xmlschema.XMLResource(text, defuse="always", allow="none").root)
    except (xmlschema.XMLResourceError, SyntaxError, PermissionError, UnicodeError):
        return "refused"


@given(
    element=XML_ELEMENTS,
    doctype=st.sampled_from(
        ["", "<!DOCTYPE xml_request []>", '<!DOCTYPE a [<!ENTITY e "x">]>', "<!DOCTYPE a SYSTEM 'x.dtd'>"]
    ),
    declaration=st.booleans(),
    entity=st.sampled_from(["", "&amp;", "&e;", "&#65;"]),
)
def test_xml_reads_as_the_defusing_parse_reads_it(
    element: str, doctype: str, declaration: bool, entity: str
) -> None:
    """A plain document skips the defusing pass: what is read, or refused, is the same as with it."""
    element = element.replace("</", entity + "</", 1)
    text = ('<?xml version="1.0" encoding="UTF-8"?>' if declaration else "") + doctype + element
    try:
        read: bytes | str = ElementTree.tostring(parse_xml(text.encode()).root)
    except ValueError:
        read = "refused"
    assert read == _read_defused(text)
