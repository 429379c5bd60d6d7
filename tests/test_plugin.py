"""The pytest plugin, run the way users run it: test files in a throwaway project, through `pytester`."""

from __future__ import annotations

import gc
import json

import pytest
import requests

from smsmock.plugin.handle import SmsMock

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

SEND_TEXT = """
import requests

def send(base, to="41793026727", text="Hello", sender="InfoSMS", auth=("Aladdin", "open sesame"), **extra):
    return requests.post(
        f"{base}/sms/1/text/single",
        json={"from": sender, "to": to, "text": text, **extra},
        auth=auth,
        timeout=5,
    )
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(helpers=SEND_TEXT, test_user=source)
    return pytester.runpytest("-p", "no:cacheprovider", "-q", *args)


@pytest.mark.parametrize("fixture", ["smsmock", "smsmock_inprocess"])
def test_a_sent_message_lands_in_the_outbox(pytester: pytest.Pytester, fixture: str) -> None:
    result = run(
        pytester,
        f"""
from helpers import send

def test_send({fixture}):
    reply = send({fixture}.urls["shortlink"], text="Grüße €5")
    assert reply.status_code == 200
    (message,) = {fixture}.outbox(to="+41793026727")
    assert message.text == "Grüße €5" and message.parts == 1
    {fixture}.assert_sent(to="41793026727", text_contains="€5", encoding="GSM7", parts=1)
    assert {fixture}.outbox(to="4412") == []

def test_every_test_starts_empty({fixture}):
    {fixture}.assert_nothing_sent()
""",
    )
    result.assert_outcomes(passed=2)


def test_the_in_process_mock_needs_no_socket(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import socket
from helpers import send

def test_no_socket(smsmock_inprocess, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert smsmock_inprocess.url == "http://smsmock.test"
    assert send(smsmock_inprocess.urls["shortlink"]).json()["messages"][0]["smsCount"] == 1
""",
    )
    result.assert_outcomes(passed=1)


def test_a_failed_assert_sent_shows_the_closest_messages(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
from helpers import send

def test_wrong_text(smsmock):
    send(smsmock.urls["shortlink"], to="41793026727", text="Your code is 1234")
    send(smsmock.urls["shortlink"], to="4412345678", text="Unrelated")
    smsmock.assert_sent(to="41793026727", text="Your code is 1235")

def test_nothing(smsmock):
    send(smsmock.urls["shortlink"], text="oops")
    smsmock.assert_nothing_sent()
""",
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*no message sent with to='41793026727', text='Your code is 1235'*",
            "*2 message(s) were sent; the closest:*",
            "*to 41793026727 from 'InfoSMS': 'Your code is 1234'*",
            "*differs: text is 'Your code is 1234'*",
            "*expected no message, 1 were sent:*",
        ]
    )


def test_a_request_that_breaks_the_contract_fails_its_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest
import requests

def broken(base):
    return requests.post(f"{base}/sms/1/text/single", json={"to": 41793026727, "txt": "Hi"},
                         auth=("Aladdin", "open sesame"), timeout=5)

def test_breaks(smsmock):
    reply = broken(smsmock.urls["shortlink"])
    assert reply.status_code == 400, reply.text

@pytest.mark.smsmock(expect_violations=True)
def test_expected(smsmock):
    broken(smsmock.urls["shortlink"])
    assert smsmock.violations

def test_expected_in_the_test(smsmock_inprocess):
    smsmock_inprocess.expect_violations()
    assert broken(smsmock_inprocess.urls["shortlink"]).status_code == 400
""",
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*the mock received requests that break the contract*", "*shortlink send_text_single (POST*"]
    )


def test_markers_configure_the_mock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest
from datetime import datetime, timezone
from helpers import send

@pytest.mark.smsmock(balance="0.015")
def test_balance(smsmock):
    first, second = send(smsmock.urls["shortlink"]), send(smsmock.urls["shortlink"])
    assert first.json()["messages"][0]["status"]["name"] == "MESSAGE_ACCEPTED"
    assert second.json()["messages"][0]["status"]["name"] == "REJECTED_NOT_ENOUGH_CREDITS"

@pytest.mark.smsmock(accounts=[{"name": "acme", "username": "acme", "password": "pw", "api_key": "k"}])
def test_accounts(smsmock):
    assert smsmock.credentials.username == "acme" and smsmock.credentials.api_key == "k"
    assert send(smsmock.urls["shortlink"]).status_code == 401
    assert send(smsmock.urls["shortlink"], auth=("acme", "pw")).status_code == 200

@pytest.mark.smsmock(rules={"default": {"status": "REJECTED_DND"}})
def test_rules(smsmock):
    send(smsmock.urls["shortlink"])
    smsmock.assert_sent(status="REJECTED")

@pytest.mark.smsmock(clock_start="2031-05-01T08:00:00")
def test_frozen_clock(smsmock):
    assert smsmock.now == datetime(2031, 5, 1, 8, tzinfo=timezone.utc)
    send(smsmock.urls["shortlink"], to="15550001001")
    smsmock.assert_sent(status="PENDING")
    smsmock.advance(1)
    smsmock.assert_sent(status="DELIVERED_TO_HANDSET")

@pytest.mark.smsmock(dialect="unified")
class TestDialect:
    def test_base_url(self, smsmock):
        assert smsmock.base_url == smsmock.url + "/bulksms"

    @pytest.mark.smsmock(dialect="sendsms")
    def test_closest_marker_wins(self, smsmock):
        assert smsmock.base_url == smsmock.url + "/api/sms"

def test_no_dialect(smsmock):
    with pytest.raises(AttributeError, match="no dialect chosen"):
        smsmock.base_url
""",
    )
    result.assert_outcomes(passed=7)


def test_a_bad_marker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest

@pytest.mark.smsmock(colour="red")
def test_bad(smsmock):
    pass
""",
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown option(s) colour*"])


def test_the_config_fixture_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest
from smsmock.server.config import MockConfig

@pytest.fixture
def smsmock_config(smsmock_config):
    smsmock_config.accounts = [{"name": "shop", "username": "shop", "password": "secret", "balance": "7"}]
    return smsmock_config
"""
    )
    result = run(
        pytester,
        """
def test_override(smsmock):
    assert smsmock.credentials.username == "shop"
    assert smsmock.app.backend.accounts.get("shop").balance == 7
""",
    )
    result.assert_outcomes(passed=1)


def test_command_line_rules_and_journal(pytester: pytest.Pytester) -> None:
    rules = pytester.makefile(
        ".yaml", rules="default: {status: UNDELIVERABLE_NOT_DELIVERED, error: EC_ABSENT_SUBSCRIBER}"
    )
    journal = pytester.path / "journal.jsonl"
    result = run(
        pytester,
        """
from helpers import send

def test_rules_from_the_command_line(smsmock):
    send(smsmock.urls["shortlink"])
    smsmock.advance(3)
    (message,) = smsmock.outbox()
    assert message.error.name == "EC_ABSENT_SUBSCRIBER"
""",
        f"--smsmock-rules={rules}",
        f"--smsmock-journal={journal}",
    )
    result.assert_outcomes(passed=1)
    (entry,) = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert entry["test"] == "test_user.py::test_rules_from_the_command_line"
    assert (entry["dialect"], entry["operation"], entry["response"]["status"]) == (
        "shortlink",
        "send_text_single",
        200,
    )
    assert entry["request"]["violations"] == [] and entry["response"]["violations"] == []


def test_the_real_clock_option(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import time

def test_clock_runs(smsmock):
    before = smsmock.now
    time.sleep(0.01)  # the option under test is a running clock
    assert smsmock.now > before
""",
        "--smsmock-real-clock",
    )
    result.assert_outcomes(passed=1)


def test_in_process_faults_behave_like_a_socket(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import time
import pytest
import requests
from helpers import send

def test_drop(smsmock_inprocess):
    smsmock_inprocess.fault(drop=True, times=1)
    with pytest.raises(requests.ConnectionError, match="dropped"):
        send(smsmock_inprocess.urls["shortlink"])
    assert send(smsmock_inprocess.urls["shortlink"]).status_code == 200

def test_stall_beyond_the_timeout_times_out_at_once(smsmock_inprocess):
    smsmock_inprocess.fault(delay=300, times=1)
    started = time.monotonic()
    with pytest.raises(requests.Timeout, match="longer than the client's read timeout of 5 s"):
        send(smsmock_inprocess.urls["shortlink"])
    assert time.monotonic() - started < 5

def test_a_client_without_a_timeout_fails_the_test(smsmock_inprocess):
    smsmock_inprocess.fault(delay=300, times=1)
    try:
        balance = smsmock_inprocess.urls["shortlink"] + "/account/1/balance"
        requests.get(balance, auth=("Aladdin", "open sesame"))
    except Exception:
        pass  # a client swallowing every error still cannot hide the hang
""",
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*the client sent a request without a timeout*"])


def test_parallel_workers_share_nothing(pytester: pytest.Pytester) -> None:
    tests = "\n".join(
        f"""
def test_{index}(smsmock):
    send(smsmock.urls["shortlink"], text="message {index}")
    (message,) = smsmock.outbox()
    assert message.text == "message {index}"
"""
        for index in range(12)
    )
    pytester.makepyfile(helpers=SEND_TEXT, test_user="from helpers import send\n" + tests)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-n", "2")
    result.assert_outcomes(passed=12)


def test_rules_add_to_the_built_in_ones_unless_they_replace_them(pytester: pytest.Pytester) -> None:
    rules = pytester.makefile(
        ".yaml", rules="rules: [{name: blocked, to: '4470[0-9]*', status: REJECTED_DND}]"
    )
    result = run(
        pytester,
        """
import pytest
from helpers import send

def statuses(smsmock, *numbers):
    for number in numbers:
        send(smsmock.urls["shortlink"], to=number)
    smsmock.advance(10)
    return [smsmock.outbox(to=number)[0].status.name for number in numbers]

@pytest.mark.smsmock(rules={"default": {"status": "UNDELIVERABLE_NOT_DELIVERED"}})
def test_a_marker_adds(smsmock):
    assert statuses(smsmock, "15550001001", "447012", "41793026727") == [
        "DELIVERED_TO_HANDSET", "REJECTED_DND", "UNDELIVERABLE_NOT_DELIVERED"
    ]

@pytest.mark.smsmock(rules={"default": {"status": "UNDELIVERABLE_NOT_DELIVERED"}, "replace": True})
def test_a_marker_replaces(smsmock):
    assert statuses(smsmock, "15550001001", "447012") == ["UNDELIVERABLE_NOT_DELIVERED"] * 2

def test_the_handle_adds(smsmock):
    smsmock.rules({"rules": [{"name": "network", "to": "4471", "status": "REJECTED_NETWORK"}]})
    assert statuses(smsmock, "4471", "447012", "15550001005") == [
        "REJECTED_NETWORK", "REJECTED_DND", "REJECTED_DND"
    ]
""",
        f"--smsmock-rules={rules}",
    )
    result.assert_outcomes(passed=3)


BAD_MARKERS = [
    (
        'dialect="shortlnk"',
        "dialect='shortlnk' is not a dialect (did you mean 'shortlink'?); "
        "the dialects are shortlink, qikli, unified, quicktel, sendsms",
    ),
    (
        "dialct='unified'",
        "unknown option(s) dialct (did you mean 'dialect'?); "
        "the options are accounts, balance, clock_start, dialect, expect_violations, frozen, rules",
    ),
    ('"unified"', "takes keyword arguments only, not 'unified'; the options are accounts, *"),
    ("frozen='no'", "frozen= takes True or False, not 'no'"),
    ("balance='lots'", "balance= must be a number, not 'lots'"),
    ("accounts={'name': 'x'}", "accounts= takes a non-empty list of mappings with name, username, *"),
    (
        "accounts=[{'name': 'x', 'username': 'y', 'colour': 'red'}]",
        "accounts=: unknown account field(s): colour; an account has name, username, password, *",
    ),
    ("rules=['a']", "rules= takes a rule file's path or a mapping with default, rules, replace, not list"),
    ("rules={'default': {'status': 'SENT'}}", "rules=: default: *SENT*"),
    ("rules={'replace': 1}", "rules=: `replace` must be true or false, not 1"),
    (
        "clock_start='tomorrow'",
        "clock_start= takes a datetime or an ISO 8601 text such as '2031-05-01T08:00:00+00:00', "
        "not 'tomorrow'",
    ),
]


@pytest.mark.parametrize(("marker", "message"), BAD_MARKERS)
def test_a_bad_marker_argument_fails_the_test_saying_what_it_takes(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    result = run(
        pytester,
        f"""
import pytest

@pytest.mark.smsmock({marker})
def test_bad(smsmock):
    pass

def test_the_next_test_is_unharmed(smsmock):
    assert smsmock.credentials.username == "Aladdin"
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"@pytest.mark.smsmock: {message}"])
    result.stdout.no_fnmatch_line("*KeyError*")
    result.stdout.no_fnmatch_line("*Traceback*")


def test_the_in_process_mock_keeps_no_request_or_reply_of_its_calls(smsmock_inprocess: SmsMock) -> None:
    """A long test makes thousands of calls: the transport keeps none of the client's request and reply
    objects (the journal keeps each exchange), so the test process's heap does not grow with them."""
    session = requests.Session()
    session.auth = ("Aladdin", "open sesame")
    for _ in range(40):
        reply = session.post(
            smsmock_inprocess.url + "/restapi/sms/1/text/single",
            json={"from": "InfoSMS", "to": "41793026727", "text": "Hello"},
            timeout=5,
        )
        assert reply.status_code == 200
    del reply
    gc.collect()
    alive = [kept for kept in gc.get_objects() if isinstance(kept, requests.Response)]
    assert len(alive) <= 1, f"{len(alive)} replies kept alive"
    assert len(smsmock_inprocess.journal) == 40
