"""What happened is always visible: every request journaled, internal errors named, health and metrics."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.test import Client

from smsmock.server.app import MockApp

AUTH = {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}
SINGLE = "/restapi/sms/1/text/single"
MESSAGE = {"from": "InfoSMS", "to": "41793026727", "text": "hi"}


@pytest.fixture
def app() -> MockApp:
    return MockApp()


@pytest.fixture
def client(app: MockApp) -> Client:
    return Client(app)


def test_an_unknown_path_is_journaled(app: MockApp, client: Client) -> None:
    assert client.get("/no/such/operation").status_code == 404
    (entry,) = app.journal.entries()
    assert (entry.method, entry.path, entry.status, entry.dialect) == ("GET", "/no/such/operation", 404, None)
    assert b"not an operation of any dialect" in entry.response_body


def test_a_wrong_method_is_journaled_with_its_dialect(app: MockApp, client: Client) -> None:
    reply = client.put(SINGLE, json=MESSAGE, headers=AUTH)
    assert reply.status_code == 405
    assert reply.headers["Allow"] == "OPTIONS, POST"
    (entry,) = app.journal.entries()
    assert (entry.method, entry.status, entry.dialect) == ("PUT", 405, "shortlink")


def test_an_internal_error_is_answered_written_out_and_journaled(
    app: MockApp, client: Client, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(app.dialects["shortlink"], "handle", broken)
    reply = client.post(SINGLE, json=MESSAGE, headers=AUTH)
    assert reply.status_code == 500
    assert "KeyError" in reply.json["message"] and "standard error" in reply.json["message"]
    assert "Traceback" in capsys.readouterr().err
    (entry,) = app.journal.entries()
    assert entry.error == "KeyError: 'a bug'"
    assert (entry.dialect, entry.operation, entry.status) == ("shortlink", "send_text_single", 500)
    assert entry.as_dict()["error"] == "KeyError: 'a bug'"


def test_the_journal_names_the_messages_a_request_sent(app: MockApp, client: Client) -> None:
    reply = client.post(SINGLE, json=MESSAGE, headers=AUTH)
    (entry,) = app.journal.entries()
    assert entry.message_ids == (reply.json["messages"][0]["messageId"],)


def test_control_calls_are_not_sms_traffic(app: MockApp, client: Client) -> None:
    client.get("/_smsmock/health")
    client.post("/_smsmock/clock/advance", json={"seconds": 1})
    assert app.journal.entries() == []


@pytest.mark.parametrize("path", ["livez", "readyz", "health"])
def test_liveness_and_readiness(client: Client, path: str) -> None:
    reply = client.get(f"/_smsmock/{path}")
    assert reply.status_code == 200
    assert reply.json["status"] in ("ok", "ready")


def test_readiness_fails_closed_when_the_store_does_not_answer(
    app: MockApp, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable() -> None:
        raise ConnectionError("store down")

    monkeypatch.setattr(app.backend.store, "stats", unreachable)
    reply = client.get("/_smsmock/readyz")
    assert reply.status_code == 503
    assert "store down" in reply.json["message"]
    assert client.get("/_smsmock/livez").status_code == 200, "alive, though not ready"


def _metrics(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = client.get("/_smsmock/metrics")
    assert reply.status_code == 200
    assert reply.content_type.startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_count_requests_by_dialect_operation_and_status(client: Client) -> None:
    for _ in range(3):
        client.post(SINGLE, json=MESSAGE, headers=AUTH)
    client.post(SINGLE, json={}, headers=AUTH)
    client.get("/nowhere")
    found = _metrics(client)
    labels = (("dialect", "shortlink"), ("operation", "send_text_single"))
    assert found[("smsmock_requests_total", (*labels, ("status", "200")))] == 3
    assert found[("smsmock_requests_total", (*labels, ("status", "400")))] == 1
    assert found[("smsmock_requests_total", (("dialect", ""), ("operation", ""), ("status", "404")))] == 1
    assert found[("smsmock_messages_stored", ())] == 3


def test_metrics_show_queue_depths_and_webhooks(app: MockApp, client: Client) -> None:
    app.clock.freeze()
    client.post(SINGLE, json=MESSAGE, headers=AUTH)
    client.post("/_smsmock/inbound", json={"from": "41793026727", "to": "4560", "text": "STOP"})
    client.post("/_smsmock/clock/advance", json={"seconds": 10})
    found = _metrics(client)
    queue = (("account", "default"), ("dialect", "shortlink"))
    assert found[("smsmock_report_queue_depth", queue)] == 1
    assert found[("smsmock_inbound_queue_depth", queue)] == 1
    assert found[("smsmock_webhook_attempts_total", ())] == 0
    client.get("/restapi/sms/1/reports", headers=AUTH)
    assert _metrics(client)[("smsmock_report_queue_depth", queue)] == 0
