"""`smsmock openapi`: OpenAPI 3.1 documents generated from the contracts, checked as their users use them."""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_cases import ACCOUNT, DIALECTS, load_documents, on_loopback, served_operations, walk
from openapi_spec_validator import validate as validate_openapi
from schemathesis.checks import not_a_server_error, response_schema_conformance

from smsmock.cli import main
from smsmock.contracts import catalog, decode_params, operations
from smsmock.contracts.openapi import (
    DEFAULT_SERVER_URL,
    ERROR_OPERATION,
    MEDIA_TYPES,
    UnsupportedDialect,
    openapi_document,
)
from smsmock.contracts.validation import answered_by, schema_violations
from smsmock.server.thread import MockServer

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

MAX_EXAMPLES = 4
"""Cases Schemathesis draws per operation: drawing from the contracts' patterns is slow, and four
cases for each of the 23 operations keep this file within a minute and a half."""


@cache
def document(dialect: str) -> dict[str, Any]:
    return openapi_document(dialect)


def operations_of(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path or webhook name, method, operation) for every operation of a document."""
    found = []
    for section in ("paths", "webhooks"):
        for where, item in doc.get(section, {}).items():
            found += [(where, method, op) for method, op in item.items() if method in HTTP_METHODS]
    return found


def by_operation_id(doc: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (where, method, op) for where, method, op in operations_of(doc)}


def pointer(doc: dict[str, Any], reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node = doc
    for token in reference[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def accepts(doc: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    """Whether `value` meets a schema of the document, its `#/components/...` references resolved in it."""
    return Draft202012Validator({**schema, "components": doc["components"]}).is_valid(value)


def query_credentials(doc: dict[str, Any]) -> set[str]:
    schemes = doc["components"]["securitySchemes"].values()
    return {scheme["name"] for scheme in schemes if scheme["type"] == "apiKey" and scheme["in"] == "query"}


def accepts_params(doc: dict[str, Any], op: dict[str, Any], params: dict[str, Any]) -> bool:
    """Whether decoded query parameters meet an operation: its parameters, and one security requirement."""
    credentials = query_credentials(doc)
    own = {name: value for name, value in params.items() if name not in credentials}
    declared = op.get("parameters", [])
    schema = {
        "type": "object",
        "properties": {parameter["name"]: parameter["schema"] for parameter in declared},
        "required": [parameter["name"] for parameter in declared if parameter["required"]],
        "additionalProperties": False,
    }
    schemes = doc["components"]["securitySchemes"]
    authenticated = any(
        all(schemes[name]["type"] != "apiKey" or schemes[name]["name"] in params for name in requirement)
        for requirement in op["security"]
    )
    return authenticated and accepts(doc, schema, own)


def contract_schema(dialect: str, name: str, direction: str, wire: str) -> tuple[dict[str, Any], Any]:
    """Where the document holds one contract: (operation, schema); params have no single schema (None)."""
    doc = document(dialect)
    if name == ERROR_OPERATION:
        reply = next(iter(doc["components"]["responses"].values()))
        return {}, reply["content"][MEDIA_TYPES[wire]]["schema"]
    _, _, op = by_operation_id(doc)[name]
    if wire == "params":
        return op, None
    if direction == "request":
        return op, op["requestBody"]["content"][MEDIA_TYPES[wire]]["schema"]
    return op, op["responses"]["200"]["content"][MEDIA_TYPES[wire]]["schema"]


def document_accepts(dialect: str, name: str, direction: str, wire: str, value: Any) -> bool:
    op, schema = contract_schema(dialect, name, direction, wire)
    if schema is None:
        return accepts_params(document(dialect), op, value)
    return accepts(document(dialect), schema, value)


# --- the document ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_document_is_valid_openapi_31(dialect):
    doc = document(dialect)
    assert doc["openapi"] == "3.1.0"
    validate_openapi(doc)


def test_quicktel_gets_no_document_and_says_why():
    assert "quicktel" in catalog.dialects()
    assert set(DIALECTS) == set(catalog.dialects()) - {"quicktel"}
    with pytest.raises(UnsupportedDialect, match="share one path"):
        openapi_document("quicktel")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_catalog_operation_appears_with_its_fixed_operation_id(dialect):
    doc = document(dialect)
    found = by_operation_id(doc)
    assert len(found) == len(operations_of(doc)), "operation ids must be unique"
    for name, contract in operations(dialect).items():
        if name == ERROR_OPERATION:
            continue
        assert name in found, f"{dialect} {name} is missing"
        where, method, op = found[name]
        if contract.paths:
            assert (where, method) == (contract.paths[0], contract.methods[0].lower())
            assert op.get("x-accepted-paths", [where]) == list(contract.paths)
            for other in contract.methods[1:]:
                variant = doc["paths"][where][other.lower()]
                assert variant["x-smsmock-operation"] == name
                assert variant["operationId"] == f"{name}_{other.lower()}"
        else:
            assert (where, method) == (name, "post"), "a callback the mock sends is a webhook"
        assert op["x-section"] == f"{contract.document} § {contract.section}"
    named = {op["x-smsmock-operation"] for _, _, op in operations_of(doc)}
    assert named == set(operations(dialect)) - {ERROR_OPERATION}


@pytest.mark.parametrize("dialect", ["shortlink", "qikli"])
def test_the_error_pseudo_operation_is_every_operations_error_reply(dialect):
    doc = document(dialect)
    table = catalog.code_tables(dialect)["request_errors_own"].rows
    by_status = {str(row["http_status"]): row["message_id"] for row in table}
    for where, _, op in operations_of(doc):
        if where not in doc["paths"]:
            continue
        errors = {status: reply for status, reply in op["responses"].items() if status != "200"}
        assert errors, f"{op['operationId']} lists no error reply"
        for status, reply in errors.items():
            assert reply == {"$ref": f"#/components/responses/{by_status[status]}"}
    for reply in doc["components"]["responses"].values():
        assert reply["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/error.response"
        }
        assert reply["content"]["application/xml"]["schema"]["x-xsd"] == "error.response.xsd"


@pytest.mark.parametrize(
    ("dialect", "table", "code", "names"),
    [
        ("unified", "error_codes", "code", ("submit", "submit_post", "schedule", "schedule_post")),
        ("sendsms", "numeric_codes", "code", ("send_sms", "send_sms_post")),
        ("sendsms", "dlr_status_own", "dlr_status", ("dlr", "dlr_post")),
    ],
)
def test_the_code_tables_describe_the_replies(dialect, table, code, names):
    found = by_operation_id(document(dialect))
    for name in names:
        description = found[name][2]["responses"]["200"]["description"]
        for row in catalog.code_tables(dialect)[table].rows:
            assert f"`{row[code]}` |" in description, (name, row[code])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_document_is_self_contained(dialect):
    doc = document(dialect)
    for node in walk(doc):
        assert not {"$id", "$schema", "$defs"} & set(node)
        if isinstance(node.get("$ref"), str):
            pointer(doc, node["$ref"])  # resolves inside the document


@pytest.mark.parametrize("dialect", ["unified", "sendsms"])
def test_query_credentials_are_security_schemes_not_parameters(dialect):
    doc = document(dialect)
    credentials = query_credentials(doc)
    assert credentials == {"unified": {"username", "password"}, "sendsms": {"key", "Key"}}[dialect]
    for where, method, op in operations_of(doc):
        names = {parameter["name"] for parameter in op.get("parameters", [])}
        assert not names & credentials
        if where in doc["paths"] and method == "post":  # the same parameters, as a form body
            body = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
            assert not set(body["properties"]) & credentials
            assert "oneOf" not in body


@given(port=st.integers(1, 65535), path=st.sampled_from(["", "/", "/mock", "/mock/"]))
@settings(max_examples=10, deadline=None)
def test_the_server_url_is_the_only_part_that_depends_on_it(port, path):
    url = f"http://localhost:{port}{path}"
    doc = openapi_document("qikli", url)
    assert doc["servers"] == [{"url": url.rstrip("/"), "description": "smsmock serve"}]
    assert {**doc, "servers": None} == {**document("qikli"), "servers": None}


# --- the examples and the contracts ---------------------------------------------------------------------

# XML bodies are strings in the document: it cannot refuse one, so only the valid XML examples are here.
EXAMPLES = [
    (dialect, example)
    for dialect in DIALECTS
    for example in catalog.examples(dialect)
    if example["format"] != "xml" or not example.get("expected_violation")
]


def example_value(example: dict[str, Any]) -> Any:
    if example["format"] == "json":
        return json.loads(example["body"])
    if example["format"] == "params":
        return decode_params(example.get("query", ""))
    return example["body"]


@pytest.mark.parametrize(("dialect", "example"), EXAMPLES, ids=[example["id"] for _, example in EXAMPLES])
def test_the_documented_examples_meet_the_document_as_they_meet_the_contract(dialect, example):
    try:
        value = example_value(example)
    except ValueError:
        accepted = False  # a body no JSON parser reads (qikli's no-break spaces)
    else:
        wire = example["format"]
        accepted = document_accepts(dialect, example["operation"], example["direction"], wire, value)
    # The document states the format the provider asks for; the contract also takes an address the
    # provider answers in its reply (a per-destination rejection) as a warning, which the document refuses.
    raw = example.get("body", example.get("query", ""))
    answered = example["format"] != "xml" and any(
        answered_by(dialect, violation) is not None
        for violation in schema_violations(dialect, example["operation"], example["direction"], raw)
    )
    expected = not example.get("expected_violation") and not answered
    assert accepted == expected, example.get("expected_violation")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_valid_examples_travel_with_their_operations(dialect):
    doc = document(dialect)
    shown = {
        key
        for node in walk(doc)
        for key in node.get("examples", {})
        if isinstance(node.get("examples"), dict)
    }
    credentials = query_credentials(doc)
    showable = {
        example["id"]
        for example in catalog.examples(dialect)
        if not example.get("expected_violation")
        # a query of credentials alone, or none, has no parameter to show it on
        and (example["format"] != "params" or set(example_value(example)) - credentials)
    }
    assert shown == showable


JSON_SHAPED = [
    (dialect, name, direction, wire)
    for dialect in DIALECTS
    for name, contract in operations(dialect).items()
    for direction in catalog.DIRECTIONS
    for wire in ("json", "params", "text")
    if wire in contract.formats(direction) and catalog.schema_file(dialect, name, direction, wire)
]


def inlined(doc: dict[str, Any], node: Any) -> Any:
    """A schema of the document with its references replaced by their targets, as the catalog inlines."""
    if isinstance(node, list):
        return [inlined(doc, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = inlined(doc, pointer(doc, node["$ref"]))
        rest = {key: value for key, value in node.items() if key not in ("$ref", "title", "description")}
        return {"allOf": [target, inlined(doc, rest)]} if rest else target
    return {key: inlined(doc, value) for key, value in node.items()}


@pytest.mark.parametrize("contract", JSON_SHAPED, ids=lambda contract: "-".join(contract))
def test_each_schema_of_the_document_means_what_its_contract_means(contract):
    dialect, name, direction, wire = contract
    doc = document(dialect)
    expected = catalog.inlined_schema(dialect, name, direction, wire)
    op, schema = contract_schema(dialect, name, direction, wire)
    if schema is not None:
        assert inlined(doc, schema) == expected
        return
    # Parameters: one per property of the contract, but those a security scheme carries.
    credentials = query_credentials(doc)
    parameters = {parameter["name"]: parameter for parameter in op.get("parameters", [])}
    assert set(parameters) == set(expected["properties"]) - credentials
    for parameter_name, parameter in parameters.items():
        assert inlined(doc, parameter["schema"]) == expected["properties"][parameter_name]
        assert parameter["required"] == (parameter_name in expected.get("required", ()))


# --- the command ---------------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_prints_json_by_default(capsys):
    code, out, _ = run(capsys, "openapi", "--dialect", "sendsms")
    assert code == 0
    assert json.loads(out) == openapi_document("sendsms", DEFAULT_SERVER_URL)


def test_the_command_writes_yaml_by_file_name_and_names_the_server(capsys, tmp_path):
    target = tmp_path / "unified.yaml"
    code, out, _ = run(
        capsys, "openapi", "--dialect", "unified", "--server", "http://mock:9000", "--out", str(target)
    )
    assert (code, out) == (0, "")
    text = target.read_text(encoding="utf-8")
    assert "&id" not in text, "no YAML anchors: every tool reads the document"
    assert yaml.safe_load(text) == openapi_document("unified", "http://mock:9000")


def test_the_format_option_wins_over_the_file_name(capsys, tmp_path):
    target = tmp_path / "shortlink.yml"
    code, _, _ = run(capsys, "openapi", "--dialect", "shortlink", "--format", "json", "--out", str(target))
    assert code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["info"]["x-smsmock-dialect"] == "shortlink"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dialect", "quicktel"], "quicktel has no OpenAPI document"),
        (["--dialect", "nosuch"], "unknown dialect 'nosuch'"),
        (["--dialect", "qikli", "--server", "localhost:8080"], "--server must be an http(s) URL"),
        (
            ["--dialect", "qikli", "--out", "missing-folder/qikli.json"],
            "cannot write missing-folder/qikli.json",
        ),
    ],
)
def test_unusable_input_is_a_message_and_exit_code_2(capsys, monkeypatch, tmp_path, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "openapi", *argv)
    assert (code, out) == (2, "")
    assert err.startswith("smsmock: ") and message in err
    assert "Traceback" not in err


# --- Schemathesis against a live server -----------------------------------------------------------


LIVE = served_operations()


def _seed(mock: MockServer) -> None:
    """Something for the read operations to read: sent messages with final reports, inbound messages."""
    auth = (ACCOUNT["username"], ACCOUNT["password"])
    for to in ("41793026727", "15550001003", "15550001005", "15550001009"):
        single = {"from": "InfoSMS", "to": to, "text": "Seeded"}
        requests.post(f"{mock.url}/restapi/sms/1/text/single", json=single, auth=auth, timeout=10)
        advanced = {"messages": [{"from": "InfoSMS", "destinations": [{"to": to}], "text": "Seeded"}]}
        requests.post(f"{mock.url}/sms/2/text/advanced", json=advanced, auth=auth, timeout=10)
    mock.control.inject_inbound(sender="41793026727", to="41793026700", text="STOP please")
    mock.control.inject_inbound(sender="41793026728", to="41793026700", text="Hello")
    mock.control.advance(60)


@pytest.fixture(scope="module")
def live():
    """One mock for every dialect, and each dialect's document loaded by Schemathesis against it."""
    with MockServer() as mock:
        _seed(mock)
        schemas = load_documents(mock.url)
        yield mock, schemas


@pytest.mark.parametrize(("dialect", "path", "method"), LIVE, ids=lambda value: str(value))
def test_schemathesis_finds_no_server_error_and_no_reply_outside_the_schema(live, dialect, path, method):
    mock, schemas = live
    operation = schemas[dialect][path][method]
    sink = f"{mock.url}/_smsmock/health"

    # Positive cases (the strategy's default): requests the document allows, so every reply must be
    # one the document describes. Cases are drawn fresh (the fuzzing phase): the documented examples
    # name notifyUrls off this machine.
    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case):
        on_loopback(case.body, sink)
        case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

    check()
    # Every callback the mock tried went to this machine (an empty notifyUrl goes nowhere at all).
    hosts = {urlsplit(attempt["url"]).hostname for attempt in mock.control.webhook_attempts()}
    assert hosts <= {"127.0.0.1", None}, hosts
