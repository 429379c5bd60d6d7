"""No 5xx on odd input: deep nesting, the calendar's edges, numbers that are not finite, HEAD and OPTIONS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from smsmock.contracts import jsontext
from smsmock.contracts.validation import MAX_XML_ATTRIBUTES, validate
from smsmock.server.app import MockApp
from smsmock.server.config import ConfigError, MockConfig

AUTH = {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}
SINGLE = "/restapi/sms/1/text/single"
ADVANCED = "/restapi/sms/1/text/advanced"
MESSAGE = {"from": "InfoSMS", "to": "41793026727", "text": "hi"}
APP = MockApp()
"""One app for the properties: odd input must leave it serving, so state carried over is part of the test."""
JSON_ROUTES = sorted(
    {path for (path, method), _ in APP._routes.items() if method == "POST"}
    | {
        "/_smsmock/faults",
        "/_smsmock/accounts",
        "/_smsmock/rules",
        "/_smsmock/inbound",
        "/_smsmock/clock/set",
    }
)
"""Every path that reads a JSON body: the dialects' POST routes and the control API's."""
GET_ROUTES = sorted({path for (path, method), _ in APP._routes.items() if method == "GET"})


def _strict(text: str) -> Any:
    """JSON as RFC 8259 defines it: NaN and Infinity are not numbers."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"the reply holds {name}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


def _answered_cleanly(reply: Any) -> None:
    assert reply.status_code < 500, reply.get_data(as_text=True)[:300]
    if "json" in (reply.content_type or ""):
        _strict(reply.get_data(as_text=True))


def nested(depth: int, inner: str = "1") -> st.SearchStrategy[str]:
    return st.sampled_from([("[" * depth) + inner + ("]" * depth), ('{"a":' * depth) + inner + ("}" * depth)])


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(JSON_ROUTES), body=st.integers(0, 5000).flatmap(nested))
def test_deep_nesting_gets_the_documented_error_never_a_500(path: str, body: str) -> None:
    client = Client(APP)
    reply = client.post(path, data=body, headers={**AUTH, "Content-Type": "application/json"})
    _answered_cleanly(reply)
    assert client.post(SINGLE, json=MESSAGE, headers=AUTH).status_code == 200, "the mock keeps serving"


def test_deep_nesting_is_the_dialects_general_error() -> None:
    reply = Client(MockApp()).post(
        SINGLE, data="[" * 500 + "]" * 500, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json == {
        "requestError": {
            "serviceException": {
                "messageId": "BAD_REQUEST",
                "text": f"General error: the body nests deeper than {jsontext.MAX_JSON_DEPTH} levels",
            }
        }
    }


NON_FINITE = st.sampled_from(["1e999999", "-1e999999", "NaN", "Infinity", "-Infinity", "1" + "0" * 5000])


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(JSON_ROUTES), number=NON_FINITE, field=st.sampled_from(["balance", "validityPeriod"])
)
def test_numbers_that_are_not_finite_are_refused(path: str, number: str, field: str) -> None:
    destinations = '[{"destinations": [{"to": "41793026727"}], "text": "x"}]'
    body = f'{{"{field}": {number}, "messages": {destinations}}}'
    reply = Client(APP).post(path, data=body, headers={**AUTH, "Content-Type": "application/json"})
    _answered_cleanly(reply)
    if any(kind in path for kind in ("/text/", "/binary/", "/number/", "/_smsmock/")):
        # These read a JSON body and answer a bad one with a 400; the other dialects' errors come
        # inside a 200, and the reads (reports, logs) take no body.
        assert reply.status_code == 400


@pytest.mark.parametrize("number", ["1e999999", "NaN", "Infinity", '"1e400"'])
def test_a_balance_that_is_not_a_finite_amount_is_refused(number: str) -> None:
    app = MockApp()
    client = Client(app)
    reply = client.post(
        "/_smsmock/accounts/default/balance",
        data=f'{{"balance": {number}}}',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert "balance" in reply.json["message"] or "number" in reply.json["message"]
    balance = client.get("/restapi/account/1/balance", headers=AUTH)
    assert _strict(balance.get_data(as_text=True))["balance"] == 100


@pytest.mark.parametrize(
    ("send_at", "reason"),
    [
        ("9999-12-31T23:59:59.000+0000", "the latest moment smsmock can schedule"),
        ("9998-12-31T00:00:00Z", "the latest moment smsmock can schedule"),
        ("9999-12-31T23:59:59.000-1400", "outside the calendar"),
    ],
)
def test_a_send_at_past_the_calendar_is_refused_and_nothing_breaks(send_at: str, reason: str) -> None:
    app = MockApp()
    client = Client(app)
    body = {
        "messages": [
            {"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": "x", "sendAt": send_at}
        ]
    }
    reply = client.post(ADVANCED, json=body, headers=AUTH)
    assert reply.status_code == 400
    text = reply.json["requestError"]["serviceException"]["text"]
    assert "sendAt" in text and reason in text
    assert client.post(SINGLE, json=MESSAGE, headers=AUTH).status_code == 200
    assert client.get("/_smsmock/messages").status_code == 200


def test_a_send_at_late_but_within_the_calendar_is_scheduled() -> None:
    app = MockApp()
    client = Client(app)
    body = {
        "messages": [
            {
                "from": "InfoSMS",
                "destinations": [{"to": "41793026727"}],
                "text": "x",
                "sendAt": "9990-01-01T00:00:00.000+0000",
            }
        ]
    }
    assert client.post(ADVANCED, json=body, headers=AUTH).status_code == 200
    assert client.post("/_smsmock/clock/set", json={"at": "9990-01-01T00:00:10Z"}).status_code == 200
    (message,) = [m for m in app.control.messages() if m["sendAt"]]
    assert message["status"] != "MESSAGE_ACCEPTED", "sent when its moment came"
    assert client.post(SINGLE, json=MESSAGE, headers=AUTH).status_code == 200


@pytest.mark.parametrize("moment", ["9999-12-31T00:00:00Z", "9999-12-31T23:59:59-14:00"])
def test_the_clock_set_past_the_calendar_is_refused_and_sends_go_on(moment: str) -> None:
    client = Client(MockApp())
    reply = client.post("/_smsmock/clock/set", json={"at": moment})
    assert reply.status_code == 400
    assert "latest moment" in reply.json["message"]
    assert client.post(SINGLE, json=MESSAGE, headers=AUTH).status_code == 200


@given(seconds=st.one_of(st.floats(min_value=1e9, max_value=1e300), st.just(1e308)))
def test_advancing_the_clock_past_the_calendar_is_refused(seconds: float) -> None:
    client = Client(APP)
    reply = client.post("/_smsmock/clock/advance", json={"seconds": seconds})
    _answered_cleanly(reply)
    assert client.post(SINGLE, json=MESSAGE, headers=AUTH).status_code == 200


@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_has_no_side_effect(path: str) -> None:
    app = MockApp()
    app.clock.freeze()
    client = Client(app)
    client.post(SINGLE, json=MESSAGE, headers=AUTH)
    client.post("/_smsmock/inbound", json={"from": "41793026727", "to": "4560", "text": "hello"})
    client.post("/_smsmock/clock/advance", json={"seconds": 60})
    before = (app.backend.store.stats(), app.control.messages(), app.control.accounts())
    query = (
        "?username=Aladdin&password=open%20sesame&key=test-api-key"
        "&type=0&dlr=0&destination=41793026727&source=Shop&message=hi"
    )
    reply = client.head(path + query, headers=AUTH)
    assert reply.status_code == 200
    assert reply.get_data() == b""
    assert (app.backend.store.stats(), app.control.messages(), app.control.accounts()) == before
    # The report HEAD did not consume is still there for the GET.
    reports = client.get("/restapi/sms/1/reports", headers=AUTH).json
    assert len(reports["results"]) == 1


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (SINGLE, "OPTIONS, POST"),
        ("/restapi/sms/1/reports", "GET, HEAD, OPTIONS"),
        ("/api/sms/send_sms.php", "GET, HEAD, OPTIONS, POST"),
        ("/_smsmock/messages", "GET, HEAD, OPTIONS"),
        ("/_smsmock/faults", "DELETE, GET, HEAD, OPTIONS, POST"),
    ],
)
def test_options_answers_with_allow(path: str, allowed: str) -> None:
    reply = Client(MockApp()).options(path)
    assert reply.status_code == 204
    assert reply.headers["Allow"] == allowed


def test_head_on_a_post_only_route_is_not_allowed() -> None:
    app = MockApp()
    reply = Client(app).head(SINGLE, headers=AUTH)
    assert reply.status_code == 405
    assert reply.headers["Allow"] == "OPTIONS, POST"
    assert app.control.messages() == []


def test_a_configured_clock_start_past_the_calendar_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="latest moment smsmock can schedule"):
        MockConfig.from_mapping({"clock": {"start": "9999-12-31T23:59:59+00:00"}})


# Header values reach the app as their octets read as Latin-1 (PEP 3333): any of 0-255 but CR and LF.
LATIN_1 = st.characters(max_codepoint=0xFF, exclude_characters="\r\n")


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(
    scheme=st.sampled_from(["Basic ", "basic ", "Basic  ", "BASIC "]),
    token=st.one_of(
        st.text(LATIN_1, max_size=60),
        st.text(st.characters(exclude_characters="\r\n"), max_size=20).map(
            lambda text: text.encode("utf-8").decode("latin-1")
        ),
    ),
    path=st.sampled_from(["/restapi/account/1/balance", "/sms/1/reports"]),
)
def test_any_basic_token_is_refused_with_401_never_a_500(scheme: str, token: str, path: str) -> None:
    reply = Client(APP).get(path, headers={"Authorization": scheme + token})
    assert reply.status_code == 401, reply.get_data(as_text=True)[:300]
    assert reply.headers["WWW-Authenticate"] == 'Basic realm="smsmock"'


def test_a_basic_token_outside_ascii_is_the_documented_401() -> None:
    # A client that sends its credentials as raw UTF-8 instead of base64: not base64, so not signed in.
    raw = "Basic Ålädдин:😀".encode().decode("latin-1")
    reply = Client(MockApp()).get("/restapi/account/1/balance", headers={"Authorization": raw})
    assert reply.status_code == 401
    assert reply.json["requestError"]["serviceException"]["messageId"] == "UNAUTHORIZED"


def _with_attributes(count: int) -> str:
    attributes = " ".join(f'a{number}="x"' for number in range(count))
    return (
        f'<xml_request name="sms_send" {attributes}><xml_user lgn="Aladdin" pwd="open sesame"/>'
        '<sms sms_id="1" number="41793026727" source_number="Info">hi</sms></xml_request>'
    )


def test_an_element_with_thousands_of_attributes_is_refused_unvalidated() -> None:
    # The validator quotes every attribute of an element in each error it finds there: one error per
    # attribute made a body of 20 000 attributes (200 kB) cost minutes. Past the bound, no validation.
    body = _with_attributes(20_000)
    violations = validate("quicktel", "sms_send", "request", body, "application/xml")
    assert [(item.keyword, item.location) for item in violations] == [("unparseable", "/")]
    assert f"more than {MAX_XML_ATTRIBUTES} attributes" in violations[0].found
    app = MockApp()
    reply = Client(app).post("/quicktel/xml", data=body, content_type="application/xml")
    assert reply.status_code == 200
    assert b'res="-2007"' in reply.data, "quicktel's invalid structure, as for nesting too deep"
    assert app.control.messages() == []


def test_attributes_within_the_bound_are_validated_one_by_one() -> None:
    body = _with_attributes(MAX_XML_ATTRIBUTES - 1)  # and `name`: the bound exactly
    violations = validate("quicktel", "sms_send", "request", body)
    assert len([item for item in violations if item.keyword == "unexpected"]) == MAX_XML_ATTRIBUTES - 1


def test_a_family_xml_body_with_too_many_attributes_is_the_general_error() -> None:
    attributes = " ".join(f'a{number}="x"' for number in range(MAX_XML_ATTRIBUTES + 1))
    body = f"<request {attributes}><from>InfoSMS</from><to>41793026727</to><text>hi</text></request>"
    app = MockApp()
    reply = Client(app).post(SINGLE, data=body, headers={**AUTH, "Content-Type": "application/xml"})
    assert reply.status_code == 400
    assert b"attributes" in reply.data
    assert app.control.messages() == []


LONE_SURROGATES = st.integers(0xD800, 0xDFFF).map(lambda code: f"\\u{code:04x}")
"""JSON escapes of one half of a surrogate pair: grammatical JSON, but no character (RFC 8259 § 8.2)."""


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(JSON_ROUTES),
    surrogate=LONE_SURROGATES,
    where=st.sampled_from(["text", "from", "to", "key", "notifyUrl"]),
    encoded=st.booleans(),
)
def test_a_lone_surrogate_in_a_json_body_is_refused(
    path: str, surrogate: str, where: str, encoded: bool
) -> None:
    message = {"from": "InfoSMS", "to": "41793026727", "text": "hi", "notifyUrl": "http://127.0.0.1:9/"}
    if where == "key":
        body = json.dumps(message)[:-1] + f', "{surrogate}": 1}}'
    else:
        body = json.dumps({**message, where: "x@"}).replace("@", surrogate)
    # As an escape, or as the octets CESU-8 writes for it (which Python's json reads all the same).
    data = (
        body.encode()
        if not encoded
        else body.encode().decode("unicode_escape").encode("utf-8", "surrogatepass")
    )
    reply = Client(APP).post(path, data=data, headers={**AUTH, "Content-Type": "application/json"})
    _answered_cleanly(reply)
    if any(kind in path for kind in ("/text/", "/binary/", "/number/", "/_smsmock/")):
        assert reply.status_code == 400
        assert "surrogate" in reply.get_data(as_text=True) or "JSON" in reply.get_data(as_text=True)
    client = Client(APP)
    for listing in ("/_smsmock/messages", "/_smsmock/journal", "/_smsmock/journal?format=jsonl"):
        assert client.get(listing).status_code == 200, f"{listing} still lists everything"


def test_a_lone_surrogate_is_the_family_general_error() -> None:
    app = MockApp()
    body = b'{"from": "InfoSMS", "to": "41793026727", "text": "\\ud83d"}'
    reply = Client(app).post(SINGLE, data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert reply.status_code == 400
    text = reply.json["requestError"]["serviceException"]["text"]
    assert text == "General error: the body holds a lone surrogate (\\ud83d), which is no character"
    assert app.control.messages() == []
    pair = b'{"from": "InfoSMS", "to": "41793026727", "text": "\\ud83d\\ude00"}'
    reply = Client(app).post(SINGLE, data=pair, headers={**AUTH, "Content-Type": "application/json"})
    assert reply.status_code == 200, "a whole pair is the character it encodes"
    assert app.control.messages()[0]["text"] == "😀"


ANY_CODE_POINT = st.characters(exclude_categories=()) | st.sampled_from(
    ["\ud800", "\udbff", "\udc00", "\udfff"]
)
"""Any code point, a lone surrogate among them often (hypothesis draws one seldom on its own)."""
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(ANY_CODE_POINT, max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(ANY_CODE_POINT, max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)
"""JSON values whose strings may hold any code point, a lone surrogate included."""


def _holds_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(character) <= 0xDFFF for character in value)
    if isinstance(value, dict):
        return any(_holds_surrogate(key) or _holds_surrogate(item) for key, item in value.items())
    return isinstance(value, list) and any(_holds_surrogate(item) for item in value)


def _nesting(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_nesting(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_nesting(item) for item in value), default=0)
    return 0


@settings(max_examples=300)
@given(
    value=JSON_VALUES,
    wrap=st.integers(0, 2) | st.integers(jsontext.MAX_JSON_DEPTH - 6, jsontext.MAX_JSON_DEPTH + 1),
    form=st.sampled_from(["escaped", "utf-8", "utf-16", "utf-32", "text"]),
)
def test_json_is_refused_exactly_when_too_deep_or_holding_a_lone_surrogate(
    value: Any, wrap: int, form: str
) -> None:
    """However the body is written, what is read decides: the scans that skip the walks never skip
    a body that needs them."""
    for _ in range(wrap):
        value = [value]
    text = json.dumps(value, ensure_ascii=form == "escaped")
    body: str | bytes = {
        "escaped": lambda: text.encode(),
        "utf-8": lambda: text.encode("utf-8", "surrogatepass"),  # a lone surrogate as CESU-8 writes it
        "utf-16": lambda: text.encode("utf-16-le", "surrogatepass"),
        "utf-32": lambda: text.encode("utf-32-le", "surrogatepass"),
        "text": lambda: text,
    }[form]()
    read = json.loads(
        body
    )  # what Python's json reads, unchecked: a pair of surrogates may become one character
    too_deep, surrogate = _nesting(read) > jsontext.MAX_JSON_DEPTH, _holds_surrogate(read)
    if too_deep or surrogate:
        with pytest.raises(jsontext.JSONRefused, match="deeper" if too_deep else "surrogate"):
            jsontext.loads(body)
    else:
        assert jsontext.loads(body) == read
