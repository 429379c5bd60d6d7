"""The reference clients against smsmock's mock server, with a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from qikli_client import QikliClient
from quicktel_client import QuicktelClient, Sms
from sendsms_client import SendsmsClient
from unified_client import UnifiedClient, parts

from smsmock.server.config import MockConfig
from smsmock.server.thread import MockServer

USER, PASSWORD, API_KEY = "Aladdin", "open sesame", "test-api-key"
PHONE, OTHER_PHONE, DND = "41793026727", "41793026728", "15550001005"
TRICKY = "1+1=2 & 50% off? a%20b #tag <x> \"q\" 'a'"
UNICODE = "Привет, мир! 😀 €"


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(MockConfig(clock_frozen=True)) as server:
        yield server


def text_of(mock: MockServer, to: str) -> str:
    """The text of the newest message the mock holds for `to`."""
    return mock.control.messages(to=to)[0]["text"]


def request_errors(mock: MockServer) -> list[dict[str, Any]]:
    """Contract errors the mock found in the requests it was sent."""
    return [
        violation
        for entry in mock.control.journal()
        for violation in entry["request"]["violations"]
        if violation["severity"] == "error"
    ]


# unified


def unified(mock: MockServer, password: str = PASSWORD, **options: Any) -> UnifiedClient:
    return UnifiedClient(mock.urls()["unified"], USER, password, **options)


def test_unified_sends_gsm_text(mock: MockServer) -> None:
    result = unified(mock).send("Shop", ["+" + PHONE], "Hello there")
    assert result.ok
    sent = result.results["+" + PHONE]
    assert sent.code == 1701
    (message,) = mock.control.messages(dialect="unified")
    assert message["id"] == sent.message_id
    assert (message["text"], message["encoding"]) == ("Hello there", "GSM7")
    assert "type=0" in mock.control.journal()[-1]["request"]["query"]
    assert request_errors(mock) == []


def test_unified_sends_unicode_as_hex_ucs2(mock: MockServer) -> None:
    assert unified(mock).send("Shop", [PHONE], UNICODE).ok
    assert text_of(mock, PHONE) == UNICODE
    query = mock.control.journal()[-1]["request"]["query"]
    assert "type=2" in query
    assert "message=" + UNICODE.encode("utf-16-be").hex().upper() in query
    assert request_errors(mock) == []


def test_unified_flash_types(mock: MockServer) -> None:
    client = unified(mock)
    assert client.send("Shop", [PHONE], "Flash", flash=True).ok
    assert client.send("Shop", [OTHER_PHONE], UNICODE, flash=True).ok
    queries = [entry["request"]["query"] for entry in mock.control.journal()]
    assert "type=1" in queries[0] and "type=6" in queries[1]


def test_unified_special_characters_arrive_intact(mock: MockServer) -> None:
    assert unified(mock).send("+4412345", [PHONE], TRICKY).ok
    (message,) = mock.control.messages(dialect="unified")
    assert (message["text"], message["from"]) == (TRICKY, "+4412345")


def test_unified_wrong_password_is_retried_twice(mock: MockServer) -> None:
    result = unified(mock, password="wrong").send("Shop", [PHONE, OTHER_PHONE], "Hello")
    assert not result.ok
    assert {r.code for r in result.results.values()} == {1709}
    assert len(mock.control.journal(dialect="unified")) == 3
    assert mock.control.messages() == []


@pytest.mark.parametrize("code", [1715, 1710, 1725])
def test_unified_other_errors_are_never_retried(mock: MockServer, code: int) -> None:
    mock.control.add_fault({"dialect": "unified", "code": code})
    result = unified(mock).send("Shop", [PHONE], "Hello")
    assert not result.ok
    assert result.results[PHONE].code == code
    assert len(mock.control.journal(dialect="unified")) == 1


def test_unified_per_destination_rejection(mock: MockServer) -> None:
    result = unified(mock).send("Shop", [PHONE, DND, "0123"], "Hello")
    assert not result.ok
    assert result.results[PHONE].ok
    assert (result.results[DND].ok, result.results[DND].code) == (False, 1732)
    assert result.results["0123"].code == 1706


@pytest.mark.parametrize(
    "text",
    [
        "a" * 160,
        "a" * 161,
        "a" * 306,
        "a" * 307,
        "a" * 152 + "€" + "b" * 10,
        "a" * 152 + "€" + "b" * 152,
        "€" * 80,
        "€" * 81,
        "\f" * 81,
        "ж" * 70,
        "ж" * 71,
        "ж" * 66 + "😀" + "ж" * 66,
        "😀" * 35,
        "😀" * 36,
    ],
)
def test_unified_parts_agree_with_the_mock(mock: MockServer, text: str) -> None:
    assert unified(mock).send("Shop", [PHONE], text).ok
    assert parts(text) == mock.control.messages()[0]["parts"]


def test_unified_flash_parts() -> None:
    assert parts("a" * 140, flash=True) == 1
    assert parts("a" * 141, flash=True) == 2
    assert parts("a" * 141) == 1


def test_unified_transport_errors_raise(mock: MockServer) -> None:
    mock.control.add_fault({"dialect": "unified", "delay": 1.0})
    with pytest.raises(requests.Timeout):
        unified(mock, timeout=0.2).send("Shop", [PHONE], "Hello")
    with pytest.raises(requests.ConnectionError):
        UnifiedClient("http://127.0.0.1:9/bulksms", USER, PASSWORD).send("Shop", [PHONE], "Hello")


# sendsms


def sendsms(mock: MockServer, key: str = API_KEY) -> SendsmsClient:
    return SendsmsClient(mock.urls()["sendsms"], key)


def test_sendsms_send_and_delivery(mock: MockServer) -> None:
    client = sendsms(mock)
    result = client.send("Shop", "+" + PHONE, "Hello there", "ref-1")
    assert (result.ok, result.code, result.error) == (True, 200, None)
    assert text_of(mock, PHONE) == "Hello there"
    assert mock.control.messages()[0]["to"] == PHONE
    status = client.delivery("00" + PHONE, "ref-1")
    assert (status.state, status.cost) == ("sending", Decimal("0.01"))
    mock.control.advance(5)
    assert client.delivery(PHONE, "ref-1").state == "delivered"
    assert request_errors(mock) == []


@pytest.mark.parametrize("text", [TRICKY, UNICODE])
def test_sendsms_text_arrives_intact(mock: MockServer, text: str) -> None:
    assert sendsms(mock).send("Shop", PHONE, text, "ref-1").ok
    assert text_of(mock, PHONE) == text


def test_sendsms_wrong_key(mock: MockServer) -> None:
    result = sendsms(mock, key="wrong").send("Shop", PHONE, "Hello", "ref-1")
    assert (result.ok, result.code, result.error) == (False, 407, "Invalid API Key")
    assert sendsms(mock, key="wrong").delivery(PHONE, "ref-1").state == "notfound"


def test_sendsms_rejection_and_states(mock: MockServer) -> None:
    client = sendsms(mock)
    rejected = client.send("Shop", DND, "Hello", "ref-1")
    assert (rejected.ok, rejected.code) == (False, 400)
    assert client.delivery(DND, "ref-1").state == "notfound"
    assert client.send("Shop", "15550001014", "Hello", "ref-2").ok
    assert client.delivery("15550001014", "ref-2").state == "pending"
    assert client.send("Shop", "15550001003", "Hello", "ref-3").ok
    assert client.send("Shop", PHONE, "Hello", "ref-4").ok
    assert not client.send("Shop", PHONE, "Hello", "ref-4").ok  # a reference is used once
    mock.control.advance(5)
    assert client.delivery("15550001003", "ref-3").state == "failed"
    mock.control.delete_message(mock.control.messages(to=PHONE)[0]["id"])
    assert client.delivery(PHONE, "ref-4").state == "deleted"
    assert client.delivery(PHONE, "no-such-ref").state == "notfound"


# quicktel


def quicktel(mock: MockServer, password: str = PASSWORD) -> QuicktelClient:
    return QuicktelClient(mock.urls()["quicktel"], USER, password)


def test_quicktel_send_and_status(mock: MockServer) -> None:
    client = quicktel(mock)
    (push,) = client.send([Sms("s-1", PHONE, "Shop", "Hello there", ttl=60)])
    assert (push.ok, push.res, push.sms_count) == (True, 0, 1)
    assert push.push_id == mock.control.messages()[0]["id"]
    assert client.status([push.push_id]) == {push.push_id: 2}
    mock.control.advance(5)
    assert client.status([push.push_id, "123"]) == {push.push_id: 4, "123": -1}
    assert request_errors(mock) == []


@pytest.mark.parametrize("text", [TRICKY + "\r\nline & <tag>", UNICODE])
def test_quicktel_text_arrives_intact(mock: MockServer, text: str) -> None:
    (push,) = quicktel(mock).send([Sms("s-1", PHONE, "Shop", text)])
    assert push.ok
    assert text_of(mock, PHONE) == text
    assert request_errors(mock) == []


def test_quicktel_bad_password_fails_every_message(mock: MockServer) -> None:
    pushes = quicktel(mock, password="wrong").send(
        [Sms("a", PHONE, "Shop", "x"), Sms("b", PHONE, "Shop", "y")]
    )
    assert [(p.sms_id, p.ok, p.res) for p in pushes] == [("a", False, -2003), ("b", False, -2003)]
    assert quicktel(mock, password="wrong").status(["123"]) == {}
    assert mock.control.messages() == []


def test_quicktel_rejections_and_reused_sms_id(mock: MockServer) -> None:
    client = quicktel(mock)
    first, dnd, broke = client.send(
        [Sms("a", PHONE, "Shop", "x"), Sms("b", DND, "Shop", "y"), Sms("c", "15550001007", "Shop", "z")]
    )
    assert first.ok and dnd.ok  # a DND refusal shows in the status, not in the push
    assert client.status([dnd.push_id or ""]) == {dnd.push_id: -1004}
    assert (broke.ok, broke.res, broke.push_id) == (False, -3007, None)
    (again,) = client.send([Sms("a", PHONE, "Shop", "x")])
    assert (again.ok, again.res, again.push_id) == (True, 1, first.push_id)


def test_quicktel_sends_at_most_250_per_request(mock: MockServer) -> None:
    pushes = quicktel(mock).send([Sms(f"id-{n}", PHONE, "Shop", f"text {n}") for n in range(251)])
    assert len(pushes) == 251 and all(push.ok for push in pushes)
    assert len(mock.control.journal(dialect="quicktel")) == 2


# qikli


def qikli(mock: MockServer, password: str = PASSWORD) -> QikliClient:
    return QikliClient(mock.urls()["qikli"], USER, password)


def test_qikli_send_and_reports(mock: MockServer) -> None:
    client = qikli(mock)
    result = client.send("Shop", [PHONE], "Hello there")
    assert result.ok and result.bulk_id is None
    sent = result.results[PHONE]
    assert (sent.status_group, sent.sms_count) == ("PENDING", 1)
    assert client.fetch_reports() == []
    mock.control.advance(5)
    (report,) = client.fetch_reports()
    assert (report.message_id, report.status_group, report.error_name) == (
        sent.message_id,
        "DELIVERED",
        "NO_ERROR",
    )
    assert client.fetch_reports() == []  # reports are handed out once
    assert request_errors(mock) == []


@pytest.mark.parametrize("text", [TRICKY, UNICODE])
def test_qikli_text_arrives_intact(mock: MockServer, text: str) -> None:
    assert qikli(mock).send("Shop", [PHONE], text).ok
    assert text_of(mock, PHONE) == text


def test_qikli_per_destination_rejection(mock: MockServer) -> None:
    result = qikli(mock).send("Shop", ["+" + PHONE, DND], "Hello")
    assert not result.ok and result.bulk_id is not None
    assert result.results["+" + PHONE].ok
    assert (result.results[DND].ok, result.results[DND].status_group) == (False, "REJECTED")
    mock.control.advance(5)
    groups = {report.message_id: report.status_group for report in qikli(mock).fetch_reports()}
    assert groups[result.results[DND].message_id or ""] == "REJECTED"


def test_qikli_unauthorized(mock: MockServer) -> None:
    result = qikli(mock, password="wrong").send("Shop", [PHONE], "Hello")
    assert (result.ok, result.error) == (False, "Invalid login details")
    assert not result.results[PHONE].ok
    assert qikli(mock, password="wrong").fetch_reports() == []
