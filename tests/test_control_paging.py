"""Paged listings of the control API (GET /_smsmock/messages and /_smsmock/journal) and their callers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test
from werkzeug.test import Client

from smsmock.cli import main
from smsmock.contracts.journal import DEFAULT_SIZE, Journal
from smsmock.core.commands import Submission
from smsmock.core.messages import Message
from smsmock.core.paging import MAX_LIMIT
from smsmock.core.rules import normalise_number
from smsmock.core.stores import MessageQuery
from smsmock.core.vocabulary import vocabulary
from smsmock.plugin.handle import SmsMock
from smsmock.server.app import MockApp
from smsmock.server.config import ConfigError, MockConfig
from smsmock.server.thread import MockServer

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
ALADDIN = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
DELIVERED_AFTER_1S = "15550001001"
UNDELIVERABLE_AFTER_5S = "15550001003"
REJECTED_AT_ONCE = "15550001005"
PENDING_FOREVER = "15550001006"
QUEUED_600S = "15550001014"
DESTINATIONS = st.sampled_from(
    [
        DELIVERED_AFTER_1S,
        "+15550001001",
        UNDELIVERABLE_AFTER_5S,
        REJECTED_AT_ONCE,
        PENDING_FOREVER,
        QUEUED_600S,
    ]
)
DIALECTS = st.sampled_from(["shortlink", "qikli", "sendsms"])
ACCOUNTS = st.sampled_from(["default", "second"])
STATUSES = st.sampled_from(
    ["ACCEPTED", "PENDING", "DELIVERED", "delivered_to_handset", "UNDELIVERABLE", "REJECTED", "REJECTED_DND"]
)

pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis."""


def new_app(journal_size: int | None = None) -> MockApp:
    """A mock on a frozen clock with a second account, money enough for thousands of messages."""
    app = MockApp(MockConfig(clock_start=START, clock_frozen=True, journal_size=journal_size))
    app.control.put_account({"name": "second", "username": "bob", "password": "pw", "balance": "1000"})
    app.control.set_balance("default", "1000")
    return app


def send(
    app: MockApp, to: str, *, dialect: str = "shortlink", account: str = "default", count: int = 1
) -> None:
    """Store `count` messages through the backend, as a dialect would."""
    owner = app.control.account(account)
    app.backend.submit(owner, dialect, [Submission(to=to, text="Hi")] * count)


def send_over_http(app: MockApp, count: int) -> None:
    """`count` journaled requests: shortlink single sends through the WSGI app."""
    client = Client(app)
    body = json.dumps({"from": "InfoSMS", "to": DELIVERED_AFTER_1S, "text": "Hi"})
    for _ in range(count):
        headers = {"Authorization": ALADDIN, "Content-Type": "application/json"}
        assert client.post("/restapi/sms/1/text/single", data=body, headers=headers).status_code == 200


def get(app: MockApp, listing: str, **params: Any) -> tuple[int, Any]:
    """GET /_smsmock/<listing> with query parameters: the status and the JSON body."""
    answer = Client(app).get(f"/_smsmock/{listing}", query_string=params)
    return answer.status_code, json.loads(answer.get_data())


def page(app: MockApp, listing: str, **params: Any) -> dict[str, Any]:
    status, body = get(app, listing, **params)
    assert status == 200, body
    assert set(body) == {"items", "total", "nextCursor"}
    return body


def walk(app: MockApp, listing: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a listing, page after page, checking each page's size and total on the way."""
    items: list[dict[str, Any]] = []
    cursor = None
    totals = set()
    while True:
        body = page(app, listing, **params, **({} if cursor is None else {"cursor": cursor}))
        totals.add(body["total"])
        limit = int(params.get("limit", 100))
        assert len(body["items"]) <= limit
        if body["nextCursor"] is not None:
            assert len(body["items"]) == limit, "only the last page is short"
        items.extend(body["items"])
        cursor = body["nextCursor"]
        if cursor is None:
            assert totals == {len(items)}, "every page gives the same total, the number walked"
            return items


def stored_newest_first(app: MockApp, **filters: str | None) -> list[Message]:
    """The reference: every stored message, filtered in plain Python, the last stored first."""
    to = filters.get("to")
    status = (filters.get("status") or "").upper()
    return [
        message
        for message in reversed(app.backend.store.messages())
        if filters.get("dialect") in (None, message.dialect)
        and filters.get("account") in (None, message.account)
        and (to is None or normalise_number(message.to) == normalise_number(to))
        and (not status or status in (message.status.name, message.status.group_name))
    ]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


# --- messages: pages, limits and totals --------------------------------------------------------------


def test_a_page_is_100_by_default_newest_first_with_the_total_and_a_cursor() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S, count=250)
    newest = ids(reversed([item.as_dict() for item in app.backend.store.messages()]))
    first = page(app, "messages")
    assert ids(first["items"]) == newest[:100]
    assert first["total"] == 250 and isinstance(first["nextCursor"], str)
    second = page(app, "messages", cursor=first["nextCursor"])
    assert ids(second["items"]) == newest[100:200]
    last = page(app, "messages", cursor=second["nextCursor"])
    assert ids(last["items"]) == newest[200:] and last["nextCursor"] is None
    assert ids(walk(app, "messages", limit=7)) == newest
    assert len(page(app, "messages", limit=MAX_LIMIT)["items"]) == 250
    assert ids(page(app, "messages", limit=1)["items"]) == newest[:1]


def test_a_page_that_ends_the_matches_exactly_says_it_is_the_last() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S, count=10)
    send(app, PENDING_FOREVER, count=3)
    assert page(app, "messages", limit=10, to=DELIVERED_AFTER_1S)["nextCursor"] is None
    first = page(app, "messages", limit=5, to=DELIVERED_AFTER_1S)
    assert (
        page(app, "messages", limit=5, to=DELIVERED_AFTER_1S, cursor=first["nextCursor"])["nextCursor"]
        is None
    )


def test_totals_and_items_follow_each_filter() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S, count=3)
    send(app, "+1 555 000 1001", dialect="qikli")
    send(app, UNDELIVERABLE_AFTER_5S, account="second", count=2)
    send(app, REJECTED_AT_ONCE, dialect="sendsms")
    send(app, QUEUED_600S, count=2)
    app.control.advance(1)

    def total(**filters: str) -> int:
        return int(page(app, "messages", **filters)["total"])

    assert total() == 9
    assert (total(dialect="shortlink"), total(dialect="qikli"), total(dialect="nowhere")) == (7, 1, 0)
    assert (total(account="default"), total(account="second")) == (7, 2)
    assert total(to="15550001001") == total(to="+15550001001") == 4, "to is compared as normalised digits"
    assert (total(status="DELIVERED"), total(status="PENDING"), total(status="REJECTED")) == (4, 2, 1)
    assert total(status="accepted") == total(status="MESSAGE_ACCEPTED") == 2, (
        "a status name or group, any case"
    )
    assert total(dialect="shortlink", status="DELIVERED") == 3
    assert total(dialect="shortlink", account="second", status="PENDING", to=UNDELIVERABLE_AFTER_5S) == 2
    assert total(dialect="shortlink", account="default") == 5
    for filters in (
        {"status": "DELIVERED"},
        {"to": "15550001001", "dialect": "qikli"},
        {"account": "second"},
    ):
        assert ids(walk(app, "messages", limit=2, **filters)) == [
            m.id for m in stored_newest_first(app, **filters)
        ]


def test_the_sender_and_text_search_filter_the_listing_in_any_case() -> None:
    app = new_app()
    sent = app.backend.submit(
        app.control.account("default"),
        "shortlink",
        [
            Submission(to=DELIVERED_AFTER_1S, sender="Straße", text="Your code is 1"),
            Submission(to=DELIVERED_AFTER_1S, sender="InfoSMS", text="HELLO"),
            Submission(to=PENDING_FOREVER, sender="Shop", text="your CODE is 2"),
        ],
    )
    assert ids(walk(app, "messages", limit=1, text="YOUR code")) == [sent[2].id, sent[0].id]
    assert page(app, "messages", sender="STRASSE", text="code")["total"] == 1
    assert page(app, "messages", sender="", text="")["total"] == 3, "an empty search is no filter"
    assert [item["id"] for item in app.control.messages(sender="info", text="hello")] == [sent[1].id]
    status, body = get(app, "messages", search="code")
    assert status == 400 and "sender" in body["message"] and "text" in body["message"]


def test_the_status_filter_follows_each_message_through_its_lifecycle() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S, count=150)
    send(app, UNDELIVERABLE_AFTER_5S, count=150)
    assert page(app, "messages", status="PENDING")["total"] == 300
    app.control.advance(1)
    assert (
        page(app, "messages", status="PENDING")["total"],
        page(app, "messages", status="DELIVERED")["total"],
    ) == (
        150,
        150,
    )
    app.control.advance(4)
    assert page(app, "messages", status="PENDING") == {"items": [], "total": 0, "nextCursor": None}
    undeliverable = walk(app, "messages", status="UNDELIVERABLE_NOT_DELIVERED", limit=40)
    assert ids(undeliverable) == [m.id for m in stored_newest_first(app, to=UNDELIVERABLE_AFTER_5S)]
    assert {item["status"] for item in undeliverable} == {"UNDELIVERABLE_NOT_DELIVERED"}
    send(app, PENDING_FOREVER, count=2)
    pending = walk(app, "messages", status="pending", limit=1)
    assert ids(pending) == [m.id for m in stored_newest_first(app, to=PENDING_FOREVER)]


def test_due_events_run_before_a_page_is_read() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S)
    app.clock.advance(1)  # the clock alone: nothing has ticked yet
    delivered = page(app, "messages", status="DELIVERED")
    assert delivered["total"] == 1 and delivered["items"][0]["status"] == "DELIVERED_TO_HANDSET"


@settings(max_examples=60)
@given(
    sends=st.lists(st.tuples(DESTINATIONS, DIALECTS, ACCOUNTS), min_size=1, max_size=30),
    advances=st.lists(st.sampled_from([0, 1, 5, 600]), min_size=1, max_size=3),
    filters=st.fixed_dictionaries(
        {},
        optional={"dialect": DIALECTS, "account": ACCOUNTS, "to": DESTINATIONS, "status": STATUSES},
    ),
    limit=st.integers(min_value=1, max_value=8),
)
def test_a_walk_through_the_pages_is_the_filtered_store_newest_first(
    sends: list[tuple[str, str, str]], advances: list[int], filters: dict[str, str], limit: int
) -> None:
    app = new_app()
    for number, (to, dialect, account) in enumerate(sends):
        send(app, to, dialect=dialect, account=account)
        if number % 10 == 9:
            app.control.advance(advances[number % len(advances)])
    app.control.advance(advances[0])
    expected = [message.id for message in stored_newest_first(app, **filters)]
    assert ids(walk(app, "messages", limit=limit, **filters)) == expected
    assert [item["id"] for item in app.control.messages(**filters)] == expected


WORDS = vocabulary()
FEW_STATUSES = [
    "MESSAGE_ACCEPTED",
    "PENDING_ENROUTE",
    "PENDING_WAITING_DELIVERY",
    "DELIVERED_TO_HANDSET",
    "REJECTED_DND",
]
"""Few, so that messages often come back to a status they left."""


@settings(max_examples=100)
@given(
    count=st.integers(min_value=1, max_value=12),
    moves=st.lists(
        st.tuples(st.integers(min_value=0, max_value=5), st.sampled_from(FEW_STATUSES)), max_size=60
    ),
    status=st.sampled_from(
        sorted({*FEW_STATUSES, *(WORDS.status(name).group_name for name in FEW_STATUSES)})
    ),
    limit=st.integers(min_value=1, max_value=4),
)
@example(count=3, moves=[(1, "PENDING_ENROUTE"), (1, "MESSAGE_ACCEPTED")], status="ACCEPTED", limit=3)
def test_the_store_status_index_follows_any_moves(
    count: int, moves: list[tuple[int, str]], status: str, limit: int
) -> None:
    """Statuses moved back and forth in any order (the store does not judge the lifecycle)."""
    app = new_app()
    send(app, PENDING_FOREVER, count=count)
    store = app.backend.store
    stored = store.messages()
    for index, name in moves:
        message = stored[index % count]
        message.status = WORDS.status(name)
        store.update_message(message)
    expected = [message.id for message in stored_newest_first(app, status=status)]
    walked: list[str] = []
    cursor = None
    while True:
        found = store.query(MessageQuery(status=status, limit=limit, before=cursor))
        assert found.total == len(expected)
        walked.extend(message.id for message in found.items)
        if found.next_cursor is None:
            break
        cursor = found.next_cursor
    assert walked == expected


@dataclass
class Walk:
    """A walk through a listing's pages begun at some moment: what it must see, and what it saw."""

    filters: dict[str, str]
    limit: int
    expected: list[str]
    seen: list[str] = field(default_factory=list)
    cursor: str | None = None


class SendingWhileWalking(RuleBasedStateMachine):
    """Messages are sent and the clock moves between page reads: a walk still sees each message stored
    before it began exactly once, newest first, and none stored after."""

    def __init__(self) -> None:
        super().__init__()
        self.app = new_app()
        self.walk: Walk | None = None

    @rule(to=DESTINATIONS, dialect=DIALECTS, account=ACCOUNTS, count=st.integers(min_value=1, max_value=4))
    def send(self, to: str, dialect: str, account: str, count: int) -> None:
        send(self.app, to, dialect=dialect, account=account, count=count)

    @rule(seconds=st.sampled_from([0.5, 1, 5, 600]))
    def advance(self, seconds: float) -> None:
        self.app.control.advance(seconds)

    @rule(
        filters=st.fixed_dictionaries(
            {}, optional={"dialect": DIALECTS, "account": ACCOUNTS, "to": DESTINATIONS}
        ),
        limit=st.integers(min_value=1, max_value=4),
    )
    def begin_walk(self, filters: dict[str, str], limit: int) -> None:
        expected = [message.id for message in stored_newest_first(self.app, **filters)]
        self.walk = Walk(filters, limit, expected)
        self.read_page()

    @precondition(lambda self: self.walk is not None)
    @rule()
    def read_page(self) -> None:
        assert self.walk is not None
        cursor = {} if self.walk.cursor is None else {"cursor": self.walk.cursor}
        body = page(self.app, "messages", limit=self.walk.limit, **self.walk.filters, **cursor)
        assert body["total"] == len(stored_newest_first(self.app, **self.walk.filters)), "new ones count"
        self.walk.seen.extend(ids(body["items"]))
        assert self.walk.seen == self.walk.expected[: len(self.walk.seen)]
        self.walk.cursor = body["nextCursor"]
        if self.walk.cursor is None:
            assert self.walk.seen == self.walk.expected
            self.walk = None


def test_sending_while_walking() -> None:
    """The state machine as a plain test, so it takes the module's `every_store` like the others."""
    run_state_machine_as_test(SendingWhileWalking, settings=settings(max_examples=40, stateful_step_count=30))


def test_a_message_sent_between_two_pages_shifts_nothing() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S, count=5)
    before = [message.id for message in stored_newest_first(app)]
    first = page(app, "messages", limit=2)
    send(app, DELIVERED_AFTER_1S, count=3)
    second = page(app, "messages", limit=2, cursor=first["nextCursor"])
    third = page(app, "messages", limit=2, cursor=second["nextCursor"])
    assert ids(first["items"] + second["items"] + third["items"]) == before
    assert (second["total"], third["nextCursor"]) == (8, None)


def test_a_cursor_from_before_a_reset_finds_nothing_newer() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S, count=3)
    cursor = page(app, "messages", limit=1)["nextCursor"]
    app.control.reset()
    send(app, DELIVERED_AFTER_1S, count=3)
    stale = page(app, "messages", cursor=cursor)
    assert (stale["items"], stale["total"]) == ([], 3)


# --- bad paging input --------------------------------------------------------------------------------


@pytest.mark.parametrize("listing", ["messages", "journal"])
@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"limit": "0"}, "limit must be a whole number from 1 to 500, not '0'"),
        ({"limit": "501"}, "limit must be a whole number from 1 to 500, not '501'"),
        ({"limit": "-1"}, "from 1 to 500"),
        ({"limit": "ten"}, "from 1 to 500"),
        ({"limit": "2.5"}, "from 1 to 500"),
        ({"limit": ""}, "from 1 to 500"),
        ({"limit": "٣"}, "from 1 to 500"),
        ({"limit": "9" * 5000}, "from 1 to 500"),
        ({"cursor": "abc"}, "cursor must be the nextCursor of an earlier page, not 'abc'"),
        ({"cursor": "-5"}, "nextCursor of an earlier page"),
        ({"cursor": ""}, "nextCursor of an earlier page"),
        ({"cursor": "1" * 5000}, "nextCursor of an earlier page"),
        ({"limt": "5"}, "unknown parameter(s): limt; expected "),
    ],
)
def test_a_bad_limit_cursor_or_parameter_is_a_400_saying_what_is_wrong(
    listing: str, params: dict[str, str], said: str
) -> None:
    app = new_app()
    send_over_http(app, 1)
    status, body = get(app, listing, **params)
    assert status == 400, body
    assert said in body["message"]


def test_the_python_page_methods_refuse_a_bad_limit() -> None:
    app = new_app()
    for bad in (0, MAX_LIMIT + 1, True, "5"):
        with pytest.raises(ValueError, match="limit must be a whole number from 1 to 500"):
            app.control.messages_page(limit=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="limit must be a whole number from 1 to 500"):
            app.control.journal_page(limit=bad)  # type: ignore[arg-type]


def test_an_empty_filter_is_no_filter() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S, count=2)
    assert page(app, "messages", dialect="", status="")["total"] == 2


# --- Python callers get every match ------------------------------------------------------------------


def test_the_control_methods_and_the_plugin_outbox_read_every_page() -> None:
    app = new_app()
    send(app, DELIVERED_AFTER_1S, count=MAX_LIMIT + 250)
    send(app, PENDING_FOREVER, dialect="qikli", count=250)
    everything = stored_newest_first(app)
    assert [item["id"] for item in app.control.messages()] == [message.id for message in everything]
    assert len(app.control.messages(dialect="qikli")) == 250
    mock = SmsMock(app, "http://smsmock.test")
    outbox = mock.outbox()
    assert [message.id for message in outbox] == [message.id for message in reversed(everything)], (
        "oldest first"
    )
    assert len(mock.outbox(to="+" + PENDING_FOREVER)) == 250
    assert len(mock.outbox(dialect="shortlink", status="pending", text_contains="Hi")) == MAX_LIMIT + 250
    assert mock.outbox(sender="Nobody") == []
    assert len(mock.assert_sent(dialect="qikli")) == 250
    assert len(app.backend.messages()) == MAX_LIMIT + 500


def test_the_plugin_outbox_returns_all_of_250_messages_sent_over_http() -> None:
    app = new_app()
    send_over_http(app, 250)
    mock = SmsMock(app, "http://smsmock.test")
    assert len(mock.outbox()) == 250
    assert len(walk(app, "messages")) == 250


# --- the journal -------------------------------------------------------------------------------------


def test_the_journal_pages_newest_first_and_python_gets_every_exchange() -> None:
    app = new_app()
    send_over_http(app, MAX_LIMIT + 20)
    Client(app).get("/restapi/account/1/balance", headers={"Authorization": ALADDIN})
    first = page(app, "journal")
    assert first["total"] == MAX_LIMIT + 21 and len(first["items"]) == 100
    assert first["items"][0]["operation"] == "get_balance"
    seqs = [item["seq"] for item in walk(app, "journal", limit=MAX_LIMIT)]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == MAX_LIMIT + 21
    assert [entry["seq"] for entry in app.control.journal()] == seqs[::-1], "oldest first, every one"
    assert len(app.control.journal(limit=3)) == 3
    balance = page(app, "journal", operation="get_balance")
    assert (balance["total"], len(balance["items"]), balance["nextCursor"]) == (1, 1, None)
    assert (
        page(app, "journal", dialect="shortlink", operation="send_text_single", limit=1)["total"]
        == MAX_LIMIT + 20
    )
    assert page(app, "journal", dialect="qikli")["total"] == 0
    mock = SmsMock(app, "http://smsmock.test")
    assert [exchange.seq for exchange in mock.journal] == seqs[::-1]
    assert mock.violations == []


def test_a_journal_page_of_a_request_sent_between_pages_shifts_nothing() -> None:
    app = new_app()
    send_over_http(app, 4)
    first = page(app, "journal", limit=2)
    send_over_http(app, 2)
    second = page(app, "journal", limit=2, cursor=first["nextCursor"])
    assert [item["seq"] for item in first["items"] + second["items"]] == [4, 3, 2, 1]
    assert (second["total"], second["nextCursor"]) == (6, None)


def test_the_journal_exports_hold_every_exchange_not_a_page() -> None:
    app = new_app()
    send_over_http(app, 150)
    client = Client(app)
    lines = (
        client.get("/_smsmock/journal", query_string={"format": "jsonl"}).get_data(as_text=True).splitlines()
    )
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, 151)), "oldest first"
    har = json.loads(client.get("/_smsmock/journal", query_string={"format": "har"}).get_data())
    assert len(har["log"]["entries"]) == 150
    newest = client.get("/_smsmock/journal", query_string={"format": "jsonl", "limit": "2"})
    assert [json.loads(line)["seq"] for line in newest.get_data(as_text=True).splitlines()] == [149, 150]
    status, body = get(app, "journal", format="har", cursor="5")
    assert status == 400 and "no cursor" in body["message"]
    status, body = get(app, "journal", format="jsonl", limit="0")
    assert status == 400 and "limit must be a whole number of at least 1" in body["message"]


def test_smsmock_journal_exports_more_than_a_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with MockServer(MockConfig(clock_frozen=True)) as server:
        send_over_http(server.app, MAX_LIMIT + 5)
        out = tmp_path / "run.jsonl"
        assert main(["journal", "--url", server.url, "--out", str(out)]) == 0
    assert f"wrote {MAX_LIMIT + 5} exchange(s)" in capsys.readouterr().out
    assert len(out.read_text(encoding="utf-8").splitlines()) == MAX_LIMIT + 5


JOURNAL_DIALECTS = st.sampled_from(["shortlink", "unified", None])
JOURNAL_OPERATIONS = st.sampled_from(["send_text_single", "submit", "get_reports"])


def record(journal: Journal, dialect: str | None, operation: str) -> None:
    journal.record(
        at=START,
        dialect=dialect,
        operation=operation,
        method="GET",
        path="/",
        query="",
        request_headers={},
        request_body=b"",
        status=200,
        response_content_type="application/json",
        response_body=b"{}",
        request_violations=[],
    )


@given(
    size=st.none() | st.integers(min_value=1, max_value=12),
    steps=st.lists(st.tuples(JOURNAL_DIALECTS, JOURNAL_OPERATIONS) | st.just("clear"), max_size=40),
    dialect=st.none() | JOURNAL_DIALECTS.filter(bool),
    operation=st.none() | JOURNAL_OPERATIONS,
    limit=st.integers(min_value=1, max_value=5),
)
def test_a_bounded_journal_pages_what_it_keeps(
    size: int | None,
    steps: list[Any],
    dialect: str | None,
    operation: str | None,
    limit: int,
) -> None:
    journal = Journal(size)
    for step in steps:
        journal.clear() if step == "clear" else record(journal, *step)
    kept = journal.entries()
    assert size is None or len(kept) <= size
    expected = [
        entry.seq
        for entry in reversed(kept)
        if dialect in (None, entry.dialect) and operation in (None, entry.operation)
    ]
    walked: list[int] = []
    cursor = None
    while True:
        found = journal.page(dialect=dialect, operation=operation, limit=limit, before=cursor)
        assert found.total == len(expected)
        walked.extend(entry.seq for entry in found.items)
        if found.next_cursor is None:
            break
        cursor = found.next_cursor
    assert walked == expected


# --- how much the journal keeps ----------------------------------------------------------------------


def test_serve_keeps_the_newest_10000_exchanges_unless_told() -> None:
    assert MockConfig().journal_size == DEFAULT_SIZE == 10_000
    assert MockApp(MockConfig()).journal.size == 10_000
    assert MockConfig.from_mapping({"journal_size": 50}).journal_size == 50
    assert MockConfig.from_mapping({"journal_size": None}).journal_size is None
    for bad in (0, -1, "many", True, 2.5):
        with pytest.raises(ConfigError, match=r"journal_size: .+ is not a whole number of at least 1"):
            MockConfig.from_mapping({"journal_size": bad})


def test_a_full_journal_drops_the_oldest_and_its_pages_say_so() -> None:
    app = new_app(journal_size=3)
    send_over_http(app, 5)
    kept = page(app, "journal")
    assert [item["seq"] for item in kept["items"]] == [5, 4, 3] and kept["total"] == 3
    gone = page(app, "journal", cursor="3")
    assert gone["items"] == [] and gone["nextCursor"] is None


def test_the_pytest_fixtures_journal_keeps_every_exchange(
    smsmock: SmsMock, smsmock_inprocess: SmsMock
) -> None:
    assert smsmock.app.journal.size is None
    assert smsmock_inprocess.app.journal.size is None
