"""The fuzzing campaign's fast slice, in process: generated requests over all five dialects find no 5xx,
no traceback, no reply outside its contract and no broken state. benchmarks/fuzz.py runs the long one.

Also here: the campaign's checks catch each kind of finding, so a quiet slice means a sound mock.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fuzz_campaign import (
    CATEGORIES,
    DIALECTS,
    Campaign,
    FindingError,
    InProcess,
    OverSocket,
    campaign_config,
    run,
)
from fuzz_requests import BASIC, Sent

from smsmock.core.messages import Message
from smsmock.dialects.wire import Reply
from smsmock.server.app import MockApp

SLICE = 1500
"""Requests of the slice: about 40 s on one core, most of it spent drawing Schemathesis' cases."""
SEED = 20_240


@pytest.fixture
def in_process() -> InProcess:
    return InProcess(MockApp(campaign_config()))


def test_a_slice_of_the_campaign_finds_nothing(in_process: InProcess) -> None:
    campaign = Campaign(in_process, stop_at_first=True)  # hypothesis shrinks a finding to its smallest
    run(campaign, SLICE, SEED)
    summary = campaign.summary()
    assert campaign.findings == []
    assert summary["requests"] >= SLICE * 0.95
    assert set(summary["byDialect"]) == set(DIALECTS)
    assert set(summary["byCategory"]) == set(CATEGORIES)
    assert all(count >= SLICE / 10 for count in summary["byDialect"].values()), summary["byDialect"]
    # The state check had something to check: sends accepted and looked up, reports and inbound pulled.
    handed_out = summary["handedOut"]
    assert all(handed_out.get(dialect, 0) > 0 for dialect in ("shortlink", "qikli", "unified", "quicktel"))
    assert all(summary["lookedUp"].get(dialect, 0) > 0 for dialect in ("shortlink", "quicktel", "sendsms"))
    assert summary["messagesListed"] >= sum(handed_out.values())
    assert summary["reportsPulled"]["shortlink"] > 0 and summary["reportsPulled"]["qikli"] > 0
    assert summary["inboundPulled"] == len(campaign.injected) > 0


# --- the checks catch what they are for ------------------------------------------------------------------

BALANCE = Sent(
    "shortlink", "headers", "GET", "/restapi/account/1/balance", headers=(("Authorization", BASIC.encode()),)
)
SEND = Sent(
    "shortlink",
    "json",
    "POST",
    "/restapi/sms/1/text/single",
    body=json.dumps({"from": "InfoSMS", "to": "15550001001", "text": "hi"}).encode(),
    headers=(("Authorization", BASIC.encode()), ("Content-Type", b"application/json")),
)


def test_a_server_error_is_a_finding(in_process: InProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    handlers = in_process.app.dialects["shortlink"]._handlers
    monkeypatch.setitem(handlers, "get_balance", lambda *args: 1 / 0)
    campaign = Campaign(in_process)
    campaign.send(BALANCE)
    kinds = {finding.kind for finding in campaign.findings}
    assert kinds == {"5xx", "traceback"}, campaign.findings  # the mock printed its traceback too
    assert "ZeroDivisionError" in next(f.detail for f in campaign.findings if f.kind == "traceback")


def test_a_traceback_printed_on_a_sound_reply_is_a_finding(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    handlers = in_process.app.dialects["shortlink"]._handlers
    answer = handlers["get_balance"]

    def printing(*args):
        print("Traceback (most recent call last):\n  a bug the mock swallowed", file=sys.stderr)
        return answer(*args)

    monkeypatch.setitem(handlers, "get_balance", printing)
    campaign = Campaign(in_process)
    assert campaign.send(BALANCE).status == 200
    assert [finding.kind for finding in campaign.findings] == ["traceback"]


def test_a_logged_exception_is_a_finding(in_process: InProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    handlers = in_process.app.dialects["shortlink"]._handlers
    answer = handlers["get_balance"]

    def logging_one(*args):
        try:
            raise RuntimeError("swallowed")
        except RuntimeError:
            logging.getLogger("smsmock.test").exception("a step failed")
        return answer(*args)

    monkeypatch.setitem(handlers, "get_balance", logging_one)
    campaign = Campaign(in_process)
    campaign.send(BALANCE)
    assert [finding.kind for finding in campaign.findings] == ["traceback"]


def test_a_reply_outside_its_contract_is_a_finding(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    shortlink = in_process.app.dialects["shortlink"]
    monkeypatch.setattr(
        shortlink,
        "_render",
        lambda operation, answer, wire: Reply(200, "application/json", b'{"balance": "lots"}', operation),
    )
    campaign = Campaign(in_process)
    campaign.send(BALANCE)
    assert [finding.kind for finding in campaign.findings] == ["contract"]


def test_a_report_pulled_twice_is_a_finding(in_process: InProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    campaign = Campaign(in_process)
    campaign.send(SEND)
    backend = in_process.app.backend
    pull = backend.pull_reports
    handed: list = []

    def pull_again(*args, **kwargs):
        found = pull(*args, **kwargs)
        handed.extend(found)
        return found or handed[:1]  # the first report handed out once more

    monkeypatch.setattr(backend, "pull_reports", pull_again)
    campaign.check_state()
    details = [finding.detail for finding in campaign.findings]
    assert any("pulled 2 times" in detail for detail in details), details


def test_a_lost_report_and_a_message_without_history_are_findings(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = Campaign(in_process)
    campaign.send(SEND)
    listed = Message.as_dict
    monkeypatch.setattr(Message, "as_dict", lambda message: {**listed(message), "history": []})
    monkeypatch.setattr(in_process.app.backend, "pull_reports", lambda *args, **kwargs: [])  # never come
    campaign.check_state()
    details = " | ".join(finding.detail for finding in campaign.findings)
    assert "has no history" in details
    assert "was never pulled" in details


def test_the_first_finding_stops_a_campaign_that_asks_for_it(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(in_process.app.dialects["shortlink"]._handlers, "get_balance", lambda *args: 1 / 0)
    with pytest.raises(FindingError, match="HTTP 500"):
        Campaign(in_process, stop_at_first=True).send(BALANCE)


def test_the_campaign_runs_against_a_served_mock_too(tmp_path: Path) -> None:
    target = OverSocket(tmp_path)
    try:
        campaign = Campaign(target, stop_at_first=True)
        run(campaign, 60, SEED, huge=False, rounds=1)
        assert campaign.summary()["requests"] >= 50
        assert campaign.findings == []
    finally:
        target.stop()
    assert target.process.returncode is not None
