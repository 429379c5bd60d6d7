"""The contract suite's strategies: an adapter's own are the ones drawn from, each built once per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import smsmock.suite
from smsmock.core.rules import normalise_number

CLIENTS = Path(__file__).parent.parent / "examples" / "clients"

COUNTING_ADAPTER = """
from hypothesis import strategies as st
from shortlink_client import ShortlinkClient

from smsmock.suite import Outgoing, Sent, ShortlinkClientContract

BUILT = []
SENT = []


class TestCounting(ShortlinkClientContract):
    transport = "inprocess"
    client_timeout = 5.0

    def make_client(self, base_url, credentials):
        return ShortlinkClient(base_url, credentials.username, credentials.password, timeout=5)

    def send(self, client, outgoing):
        SENT.append((outgoing.sender, outgoing.text))
        result = client.send(outgoing.sender, list(outgoing.destinations), outgoing.text)
        counts = {entry.sms_count for entry in result.results.values()}
        return Sent(
            ok=result.ok,
            accepted={to: entry.ok for to, entry in result.results.items()},
            parts=counts.pop() if len(counts) == 1 else None,
        )

    def outgoing(self):
        BUILT.append("outgoing")
        return st.builds(
            Outgoing,
            sender=st.just("Counted"),
            destinations=st.just(("41793026727",)),
            text=st.sampled_from(["one", "two", "three"]),
        )

    def boundary_texts(self):
        BUILT.append("boundary texts")
        return st.sampled_from(["x" * 160, "x" * 161, "€" * 80])


def test_zz_each_strategy_was_built_once_for_its_test():
    assert BUILT == ["outgoing", "boundary texts"]
    assert {sender for sender, _ in SENT} == {"InfoSMS", "Counted"}
    assert {text for sender, text in SENT if sender == "Counted"} <= {"one", "two", "three"}
    assert {text for sender, text in SENT if sender == "InfoSMS"} <= {"x" * 160, "x" * 161, "€" * 80}
"""


def test_an_adapters_own_strategies_are_drawn_from_and_built_once_per_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(CLIENTS))
    pytester.makepyfile(test_counting=COUNTING_ADAPTER)
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "-k",
        "what_the_mock_receives or counts_parts or each_strategy",
        "--hypothesis-seed=1",
    )
    result.assert_outcomes(passed=3)


@pytest.mark.parametrize(
    "contract",
    ["ShortlinkClientContract", "UnifiedClientContract", "QuicktelClientContract", "SendsmsClientContract"],
)
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_the_suites_messages_go_to_each_destination_once(contract: str, data: st.DataObject) -> None:
    """However hypothesis draws the numbers, a message names each destination once (`+41…` and `41…`
    are one), and at least one, at most the dialect's number."""
    suite = getattr(smsmock.suite, contract)
    outgoing = data.draw(suite().outgoing())
    destinations = [normalise_number(number) for number in outgoing.destinations]
    assert 1 <= len(destinations) <= suite.max_destinations
    assert len(set(destinations)) == len(destinations)
