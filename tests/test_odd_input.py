"""No 5xx on odd input: deep nesting, the calendar's edges, numbers that are not finite, HEAD and OPTIONS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from smsmock.contracts import jsontext
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
