"""The client contract suite catches real client bugs: each seeded bug fails the property it breaks.

Each variant is the reference client of examples/clients with one bug of the kind real integrations
have; the suite runs on it in a throwaway project through `pytester`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CLIENTS = Path(__file__).parent.parent / "examples" / "clients"

SHORTLINK_ADAPTER = """
from shortlink_client import ShortlinkClient
from smsmock.suite import Sent, ShortlinkClientContract


class TestClient(ShortlinkClientContract):
    transport = "inprocess"
    client_timeout = 5.0

    def make_client(self, base_url, credentials):
        return Client(base_url, credentials.username, credentials.password, timeout=self.client_timeout)

    def send(self, client, outgoing):
        result = client.send(outgoing.sender, list(outgoing.destinations), outgoing.text)
        return Sent(ok=result.ok, accepted={to: entry.ok for to, entry in result.results.items()})

    def fetch_reports(self, client):
        return [report.message_id for report in client.fetch_reports()]
"""

UNIFIED_ADAPTER = """
import unified_client
from unified_client import UnifiedClient
from smsmock.suite import Sent, UnifiedClientContract


class TestClient(UnifiedClientContract):
    transport = "inprocess"
    client_timeout = 5.0

    def make_client(self, base_url, credentials):
        return Client(base_url, credentials.username, credentials.password, timeout=self.client_timeout)

    def send(self, client, outgoing):
        result = client.send(outgoing.sender, list(outgoing.destinations), outgoing.text)
        return Sent(ok=result.ok, accepted={to: entry.ok for to, entry in result.results.items()},
                    parts=count_parts(outgoing.text))
"""

SEEDED_BUGS = {
    "rejection-as-success": (
        SHORTLINK_ADAPTER,
        """
class Client(ShortlinkClient):
    def send(self, sender, destinations, text):
        result = super().send(sender, destinations, text)
        # the bug: any 200 reply counts as sent, whatever each destination's status says
        for to, entry in result.results.items():
            result.results[to] = type(entry)(True, entry.message_id, entry.status, entry.sms_count)
        return result
""",
        "test_a_rejected_destination_is_not_reported_as_sent",
        "inside its 200 reply, and the client reports it sent",
    ),
    "no-timeout": (
        SHORTLINK_ADAPTER,
        """
import requests

class Client(ShortlinkClient):
    def __init__(self, base_url, username, password, *, timeout):
        super().__init__(base_url, username, password, timeout=None)  # the bug: no timeout at all
""",
        "test_a_stalled_server_makes_the_client_give_up",
        "the client sent a request without a timeout",
    ),
    "any-error-retried": (
        UNIFIED_ADAPTER,
        """
count_parts = unified_client.parts

class Client(UnifiedClient):
    def send(self, sender, destinations, text, **options):
        result = super().send(sender, destinations, text, **options)
        if not result.ok:  # the bug: every error is retried, not just 1709
            result = super().send(sender, destinations, text, **options)
        return result
""",
        "test_every_documented_error_is_a_failure_and_retried_only_where_allowed",
        "requests; the document allows",
    ),
    "emoji-counted-as-one-unit": (
        UNIFIED_ADAPTER,
        """
Client = UnifiedClient

def count_parts(text):
    # the bug: len() counts code points, so an emoji is one unit instead of two UTF-16 units
    if unified_client.is_gsm(text):
        return unified_client.parts(text)
    return 1 if len(text) <= 70 else -(-len(text) // 67)
""",
        "test_the_client_counts_parts_as_the_provider_does",
        "the client counts",
    ),
}


@pytest.mark.parametrize("bug", sorted(SEEDED_BUGS))
def test_the_suite_catches_a_seeded_bug(pytester: pytest.Pytester, bug: str) -> None:
    adapter, variant, failing_test, reason = SEEDED_BUGS[bug]
    pytester.syspathinsert(CLIENTS)
    pytester.makepyfile(test_variant=adapter + variant)
    # A fixed seed: whether hypothesis meets the bug must not depend on the run.
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-k", failing_test, "--hypothesis-seed=1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{reason}*", "*the user meant: Outgoing(*"])


@pytest.mark.parametrize("dialect", ["shortlink", "unified"])
def test_the_reference_clients_pass_the_suite(pytester: pytest.Pytester, dialect: str) -> None:
    pytester.syspathinsert(CLIENTS)
    source = (CLIENTS / f"test_{dialect}_contract.py").read_text(encoding="utf-8")
    pytester.makepyfile(test_reference=source)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=6 if dialect == "shortlink" else 5)
