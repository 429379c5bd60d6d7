"""One behaviour for every store: the same tests run against memory, SQLite and Redis."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from smsmock.contracts.journal import journal_for
from smsmock.contracts.validation import Severity, Violation
from smsmock.core.accounts import Account
from smsmock.core.backend import Backend
from smsmock.core.clock import Clock
from smsmock.core.commands import Submission
from smsmock.core.messages import Message, WebhookAttempt
from smsmock.core.paging import every
from smsmock.core.rules import OutcomeRules
from smsmock.core.stores import MessageQuery, Store, open_store
from smsmock.core.vocabulary import vocabulary

STORES = ("memory", "sqlite", "redis")
WORDS = vocabulary()
_prefixes = itertools.count()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[object]:
    from redis_server import RedisServer

    with RedisServer() as server:
        yield server


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A URL naming a fresh, empty store of each kind."""
    if request.param == "memory":
        return "memory"
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'smsmock.db'}"
    server = request.getfixturevalue("redis_server")
    return f"{server.url}?prefix=contract-{next(_prefixes)}:"


@pytest.fixture
def opened(store_url: str) -> Callable[[], Store]:
    """Opens the store again, as another process would (memory: the same one, there is no other)."""
    first = open_store(store_url)
    return lambda: first if store_url == "memory" else open_store(store_url)


@pytest.fixture
def store(opened: Callable[[], Store]) -> Store:
    return opened()


def backend_on(store: Store) -> Backend:
    rules = OutcomeRules.from_mapping(
        {"default": {"status": "DELIVERED_TO_HANDSET", "after": 1}, "rules": []}
    )
    return Backend(clock=Clock(frozen=True), rules=rules, store=store)


def account(backend: Backend) -> Account:
    found = backend.accounts.get("default")
    assert found is not None
    return found


def send(backend: Backend, *numbers: str, dialect: str = "shortlink", **fields) -> list[str]:
    submissions = [Submission(to=number, sender="InfoSMS", text="Hello", **fields) for number in numbers]
    return [message.id for message in backend.submit(account(backend), dialect, submissions)]


def ids(page) -> list[str]:
    return [message.id for message in page.items]


# messages


def test_a_stored_message_reads_back_whole(store: Store) -> None:
    backend = backend_on(store)
    (sent,) = backend.submit(account(backend), "shortlink", [Submission(to="41793026727", text="Ça va? 😀")])
    found = store.message(sent.id)
    # The reply shows the message as accepted; the store keeps it as its send step, due at once, left it.
    assert sent.status.name == "MESSAGE_ACCEPTED" and found.status.name == "PENDING_ENROUTE"
    assert found.history[0] == sent.history[0] and found.sent_at == sent.submitted_at
    backend.clock.advance(600)
    backend.tick()
    delivered = store.message(sent.id)
    assert [change.status.name for change in delivered.history] == [
        "MESSAGE_ACCEPTED",
        "PENDING_ENROUTE",
        "DELIVERED_TO_HANDSET",
    ]
    twin = dataclasses.replace(delivered, id="twin-of-a-delivered-message")
    store.add_messages([twin])
    assert store.message(twin.id) == twin
    assert store.message("no-such-id") is None


def test_pages_are_newest_first_with_totals_and_cursors(store: Store) -> None:
    backend = backend_on(store)
    sent = send(backend, *(f"4179302{n:04d}" for n in range(25)))
    first = store.query(MessageQuery(limit=10))
    assert ids(first) == sent[::-1][:10]
    assert first.total == 25 and first.next_cursor is not None
    walked = list(every(lambda cursor: store.query(MessageQuery(limit=10, before=cursor))))
    assert [message.id for message in walked] == sent[::-1]


def test_filters_count_every_match(store: Store) -> None:
    backend = backend_on(store)
    shortlink = send(backend, "41793026727", "41793026728")
    qikli = send(backend, "41793026727", dialect="qikli")
    assert ids(store.query(MessageQuery(dialect="qikli"))) == qikli
    assert store.query(MessageQuery(dialect="shortlink")).total == 2
    to_one = store.query(MessageQuery(to="+41 79 302 67 27"))
    assert ids(to_one) == [qikli[0], shortlink[0]]
    backend.tick()  # each is sent: pending
    assert store.query(MessageQuery(account="default", status="PENDING")).total == 3
    assert store.query(MessageQuery(account="nobody")).total == 0


def test_a_status_change_is_kept_and_filtered_on(store: Store) -> None:
    backend = backend_on(store)
    (sent,) = send(backend, "41793026727")
    backend.clock.advance(5)
    backend.tick()
    found = store.message(sent)
    assert found is not None and found.status.name == "DELIVERED_TO_HANDSET"
    assert [change.status.name for change in found.history][-1] == "DELIVERED_TO_HANDSET"
    assert ids(store.query(MessageQuery(status="DELIVERED"))) == [sent]
    assert store.query(MessageQuery(status="PENDING")).total == 0


def test_a_deleted_message_stays_known_and_its_report_is_gone(store: Store) -> None:
    backend = backend_on(store)
    (sent,) = send(backend, "41793026727")
    backend.clock.advance(5)
    backend.delete_message(sent)
    found = store.message(sent)
    assert found is not None and found.deleted
    assert backend.pull_reports(account(backend), "shortlink", limit=10) == []


def test_a_reused_client_id_is_refused(store: Store) -> None:
    backend = backend_on(store)
    send(backend, "41793026727", message_id="order-1")
    (again,) = backend.submit(
        account(backend), "shortlink", [Submission(to="41793026727", text="x", message_id="order-1")]
    )
    assert again.status.name == "REJECTED_DUPLICATE_MESSAGE_ID"
    assert store.has_client_id("default", "order-1")


def test_messages_are_found_by_client_reference(store: Store) -> None:
    backend = backend_on(store)
    first = send(backend, "41793026727", dialect="quicktel", client_ref="ref-1")
    second = send(backend, "41793026728", dialect="quicktel", client_ref="ref-1")
    found = store.by_client_ref("default", "quicktel", "ref-1")
    assert [message.id for message in found] == first + second
    assert store.by_client_ref("default", "shortlink", "ref-1") == []


# the sender and text search

# Letters whose case folding is more than ASCII's: ß and ẞ fold to "ss", final ς and Σ to σ, ﬁ to "fi",
# the Kelvin sign to k, İ to i and a combining dot, while dotless ı folds to itself; Cherokee folds
# to its capitals; é comes precomposed and as e and a combining accent, which no folding joins. LIKE's
# wildcards and a NUL are plain characters to a search.
_FOLDING = "sSßẞſσςΣﬁfFiIİıkK\u212aKeEé\u0301Ꭰꭰ😀 0aAbB%_\x00"
_SEARCH_DIALECTS = ("shortlink", "qikli")
_search_ids = itertools.count()


@st.composite
def _searchable(draw: st.DrawFn) -> Message:
    """A message with a sender and a text (or a binary body, or neither) made of folding letters."""
    letters = st.text(alphabet=_FOLDING, max_size=6)
    body = draw(st.sampled_from(("text", "binary", "none")))
    hex_digits = st.text(alphabet="0123456789abcdefABCDEF ", min_size=2, max_size=8)
    return _stored_message(
        next(_search_ids),
        sender=draw(st.one_of(st.none(), letters)),
        text=draw(letters) if body == "text" else None,
        binary_hex=draw(hex_digits) if body == "binary" else None,
        dialect=draw(st.sampled_from(_SEARCH_DIALECTS)),
    )


def _stored_message(number: int, **fields: Any) -> Message:
    at = datetime(2030, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=number)
    status, error = WORDS.status("MESSAGE_ACCEPTED"), WORDS.error("NO_ERROR")
    values: dict[str, Any] = {
        "id": f"search-{number}",
        "account": "default",
        "to": "41793026727",
        "encoding": "UCS2",
        "units": 1,
        "parts": 1,
        "price_per_part": Decimal("0.01"),
        "currency": "EUR",
        "status": status,
        "error": error,
        "submitted_at": at,
        "changes": (at, status, error),
        **fields,
    }
    return Message(**values)


def _needle(draw: st.DrawFn, messages: list[Message], part: Callable[[Message], str | None]) -> str | None:
    """No search, a few folding letters, or a piece of a stored message's part in another case."""
    kind = draw(st.sampled_from(("none", "letters", "piece")))
    if kind == "none":
        return None
    if kind == "letters":
        return draw(st.text(alphabet=_FOLDING, max_size=3))
    whole = part(draw(st.sampled_from(messages))) or ""
    start = draw(st.integers(0, len(whole)))
    piece = whole[start : draw(st.integers(start, len(whole)))]
    return draw(st.sampled_from((str.upper, str.lower, str.swapcase, str.title)))(piece)


def _reference(messages: list[Message], query: MessageQuery) -> list[str]:
    """What a search finds, newest first, written out plainly: casefold both sides, compare parts."""

    def found(needle: str | None, where: str | None) -> bool:
        return needle is None or needle.casefold() in (where or "").casefold()

    return [
        message.id
        for message in reversed(messages)
        if (query.dialect is None or message.dialect == query.dialect)
        and (query.status is None or query.status.upper() in (message.status.name, message.status.group_name))
        and found(query.sender, message.sender)
        and found(query.text, message.text if message.text is not None else message.binary_hex)
    ]


@hypothesis.settings(
    max_examples=60,
    deadline=None,
    # The store is emptied at the start of each example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_search_finds_what_casefolding_both_sides_finds_page_by_page(
    store: Store, data: st.DataObject
) -> None:
    """Each store against one plain reference: so the three agree, on non-ASCII folding too."""
    store.clear()
    messages = data.draw(st.lists(_searchable(), min_size=1, max_size=14))
    split = data.draw(st.integers(0, len(messages)))
    store.add_messages(messages[:split])
    store.add_messages(messages[split:])
    delivered = data.draw(st.sets(st.sampled_from([message.id for message in messages])))
    for message in messages:
        if message.id in delivered:
            message.status = WORDS.status("DELIVERED_TO_HANDSET")
            store.update_message(message)
    query = MessageQuery(
        dialect=data.draw(st.sampled_from((None, *_SEARCH_DIALECTS))),
        status=data.draw(st.sampled_from((None, "delivered", "MESSAGE_ACCEPTED"))),
        sender=_needle(data.draw, messages, lambda message: message.sender),
        text=_needle(data.draw, messages, lambda message: message.text or message.binary_hex),
        limit=data.draw(st.integers(1, 4)),
    )
    expected = _reference(messages, query)
    walked: list[str] = []
    cursor = None
    while True:
        page = store.query(replace(query, before=cursor))
        assert page.total == len(expected), "every page gives the total of every match"
        assert 0 < len(page.items) <= (query.limit or 0) or not expected
        walked.extend(message.id for message in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert walked == expected, "the cursors walk every match once, newest first"
    whole = store.query(replace(query, limit=None))
    assert (ids(whole), whole.total, whole.next_cursor) == (expected, len(expected), None)


@pytest.mark.parametrize(
    ("stored", "needle", "found"),
    [
        ("Straße", "STRASSE", True),
        ("STRASSE", "ß", True),
        ("Straẞe", "strasse", True),
        ("ΣΟΦΟΣ", "σοφος", True),
        ("ﬁne", "FI", True),
        ("\u212a", "k", True),
        ("İstanbul", "i", True),
        ("ıspanak", "I", False),
        ("Ꭰ", "ꭰ", True),
        ("café", "cafe\u0301", False),
        ("café 😀", "É 😀", True),
    ],
)
def test_every_store_folds_non_ascii_text_alike(store: Store, stored: str, needle: str, found: bool) -> None:
    """Python's full case folding, in every store: not SQLite's ASCII LIKE, not Lua's lower()."""
    message = _stored_message(next(_search_ids), sender=stored, text=stored, binary_hex=None, dialect="qikli")
    store.add_messages([message])
    for query in (MessageQuery(text=needle), MessageQuery(sender=needle)):
        page = store.query(query)
        assert (ids(page), page.total) == (([message.id], 1) if found else ([], 0))


def test_a_binary_message_is_searched_by_its_hex_and_an_empty_needle_is_no_filter(store: Store) -> None:
    binary = _stored_message(next(_search_ids), sender=None, text=None, binary_hex="0A0B FF", dialect="qikli")
    empty = _stored_message(next(_search_ids), sender="", text="", binary_hex=None, dialect="qikli")
    store.add_messages([binary, empty])
    assert ids(store.query(MessageQuery(text="a0b ff"))) == [binary.id]
    assert ids(store.query(MessageQuery(text="", sender=""))) == [empty.id, binary.id]
    assert store.query(MessageQuery(sender="a")).total == 0


def test_a_search_finds_what_was_sent_and_forgets_what_was_pruned(store: Store) -> None:
    backend = backend_on(store)
    me = account(backend)
    submissions = [
        Submission(to="41793026727", sender=f"Shop{number % 2}", text=f"Your code is {number}")
        for number in range(6)
    ]
    sent = [message.id for message in backend.submit(me, "shortlink", submissions)]
    assert ids(store.query(MessageQuery(sender="SHOP1", text="code"))) == sent[5::-2]
    assert store.prune(keep_newest=2) == 4
    assert ids(store.query(MessageQuery(text="your CODE"))) == sent[:3:-1]
    assert store.query(MessageQuery(sender="shop0")).total == 1


# due events


def test_due_events_come_in_order_once(store: Store) -> None:
    store.schedule(30.0, "expire", "c")
    store.schedule(10.0, "send", "a")
    store.schedule(20.0, "finish", "b")
    assert store.next_due() == 10.0
    assert store.pop_due(5.0) == []
    due = store.pop_due(20.0)
    assert [(event.due, event.kind, event.subject) for event in due] == [
        (10.0, "send", "a"),
        (20.0, "finish", "b"),
    ]
    assert store.pop_due(20.0) == []
    assert store.next_due() == 30.0


def test_a_pop_takes_at_most_its_limit_soonest_first(store: Store) -> None:
    for number, due in enumerate([5.0, 1.0, 3.0, 1.0, 2.0]):
        store.schedule(due, "send", f"m-{number}")
    first = store.pop_due(4.0, 2)
    second = store.pop_due(4.0, 2)
    assert [(event.due, event.subject) for event in first] == [(1.0, "m-1"), (1.0, "m-3")]
    assert [(event.due, event.subject) for event in second] == [(2.0, "m-4"), (3.0, "m-2")]
    assert store.pop_due(4.0, 2) == [] and store.next_due() == 5.0


# read-once queues


def test_reports_are_handed_out_once_and_a_filter_leaves_the_rest_in_order(store: Store) -> None:
    backend = backend_on(store)
    bulk = send(backend, "41793026727", "41793026728", bulk_id="bulk-1")
    other = send(backend, "41793026729")
    backend.clock.advance(5)
    me = account(backend)
    assert [m.id for m in backend.pull_reports(me, "shortlink", limit=10, bulk_ids=["bulk-1"])] == bulk
    assert [m.id for m in backend.pull_reports(me, "shortlink", limit=10)] == other
    assert backend.pull_reports(me, "shortlink", limit=10) == []


def test_a_limit_leaves_the_rest_for_the_next_pull(store: Store) -> None:
    backend = backend_on(store)
    sent = send(backend, *(f"4179302{n:04d}" for n in range(5)))
    backend.clock.advance(5)
    me = account(backend)
    first = [m.id for m in backend.pull_reports(me, "shortlink", limit=2)]
    rest = [m.id for m in backend.pull_reports(me, "shortlink", limit=10)]
    assert first + rest == sent


def test_concurrent_pulls_through_several_handles_hand_out_each_report_once(opened) -> None:
    backend = backend_on(opened())
    sent = send(backend, *(f"4179{n:07d}" for n in range(300)))
    backend.clock.advance(5)
    backend.tick()
    handles = [opened() for _ in range(8)]
    taken: list[str] = []
    lock = threading.Lock()

    def pull(store: Store) -> None:
        while True:
            found = store.pull_reports(("default", "shortlink"), 7, lambda message: True)
            if not found:
                return
            with lock:
                taken.extend(message.id for message in found)

    threads = [threading.Thread(target=pull, args=(handle,)) for handle in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(taken) == sorted(sent), "every report exactly once"


def test_inbound_messages_are_pulled_once_and_stay_in_the_logs(store: Store) -> None:
    backend = backend_on(store)
    me = account(backend)
    first = backend.inject_inbound(me, "shortlink", sender="41793026727", to="4560", text="KEY one")
    second = backend.inject_inbound(me, "shortlink", sender="41793026727", to="4560", text="two")
    assert [m.id for m in backend.pull_inbound(me, "shortlink", limit=1)] == [first.id]
    assert [m.id for m in backend.pull_inbound(me, "shortlink", limit=10)] == [second.id]
    assert backend.pull_inbound(me, "shortlink", limit=10) == []
    assert {m.id for m in store.inbound()} == {first.id, second.id}


# webhook attempts, stats, clear, prune


def test_webhook_attempts_are_kept_per_message(store: Store) -> None:
    backend = backend_on(store)
    (sent,) = send(backend, "41793026727")
    at = backend.clock.now()
    store.add_attempt(
        WebhookAttempt(sent, "http://127.0.0.1:9/dlr", 1, at, None, "refused", "application/json")
    )
    store.add_attempt(WebhookAttempt(sent, "http://127.0.0.1:9/dlr", 2, at, 200, None, "application/json"))
    assert [attempt.attempt for attempt in store.attempts(sent)] == [1, 2]
    assert store.attempts("other") == []
    stats = store.stats()
    assert (stats.messages, stats.webhook_attempts, stats.webhook_failures) == (1, 2, 1)


def test_stats_count_what_waits_in_the_queues(store: Store) -> None:
    backend = backend_on(store)
    send(backend, "41793026727", "41793026728")
    backend.clock.advance(5)
    backend.tick()
    backend.inject_inbound(account(backend), "qikli", sender="41793026727", to="4560", text="hi")
    stats = store.stats()
    assert stats.report_queues.get(("default", "shortlink")) == 2
    assert stats.inbound_queues.get(("default", "qikli")) == 1
    assert stats.inbound == 1


def test_clear_empties_the_store_and_an_old_cursor_finds_nothing_newer(store: Store) -> None:
    backend = backend_on(store)
    send(backend, *(f"4179302{n:04d}" for n in range(5)))
    cursor = store.query(MessageQuery(limit=2)).next_cursor
    store.clear()
    assert store.query(MessageQuery()).total == 0
    assert store.next_due() is None
    send(backend, "41793026727")
    assert store.query(MessageQuery(before=cursor)).items == []
    assert store.query(MessageQuery()).total == 1


def test_prune_drops_what_is_older_than_the_window(store: Store) -> None:
    backend = backend_on(store)
    old = send(backend, "41793026727", "41793026728", message_id=None)
    backend.clock.advance(49 * 3600)
    backend.tick()
    new = send(backend, "41793026729")
    dropped = store.prune(submitted_before=backend.clock.now() - timedelta(hours=48))
    assert dropped == 2
    assert [m.id for m in every(lambda c: store.query(MessageQuery(before=c)))] == new
    assert all(store.message(message_id) is None for message_id in old)
    assert backend.pull_reports(account(backend), "shortlink", limit=10) == []
    assert store.stats().messages == 1


def test_prune_keeps_the_newest(store: Store) -> None:
    backend = backend_on(store)
    sent = send(backend, *(f"4179302{n:04d}" for n in range(10)))
    assert store.prune(keep_newest=3) == 7
    assert ids(store.query(MessageQuery())) == sent[::-1][:3]
    assert store.query(MessageQuery(dialect="shortlink")).total == 3
    assert store.prune(keep_newest=3) == 0


def test_sends_racing_for_one_client_id_store_it_once(opened) -> None:
    backends = [backend_on(opened()) for _ in range(8)]
    statuses: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(backends))

    def send_once(backend: Backend) -> None:
        start.wait()
        submission = Submission(to="41793026727", text="x", message_id="race-1")
        (message,) = backend.submit(account(backend), "shortlink", [submission])
        with lock:
            statuses.append(message.status.name)

    threads = [threading.Thread(target=send_once, args=(backend,)) for backend in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses).count("REJECTED_DUPLICATE_MESSAGE_ID") == len(backends) - 1
    charged = Decimal(100) - backends[0].balance(account(backends[0]))[0]
    assert charged == Decimal("0.01"), "only the message that was stored is charged"
    store = opened()
    assert store.message("race-1") is not None
    assert store.query(MessageQuery()).total == len(backends)


def test_prune_takes_a_dropped_message_s_report_out_of_every_queue(store: Store) -> None:
    backend = backend_on(store)
    (sent,) = send(backend, "41793026727", dialect="qikli")
    store.push_report(("default", "shortlink"), sent)  # a queue other than the message's own
    assert store.prune(keep_newest=0) == 1
    assert store.stats().report_queues.get(("default", "shortlink"), 0) == 0
    assert store.pull_reports(("default", "shortlink"), 10, lambda message: True) == []


# shared settings: what several processes on one store agree on


def test_a_setting_is_swapped_only_from_the_value_it_holds(store: Store) -> None:
    start = store.settings_version()
    assert store.setting("s") is None
    assert store.swap_setting("s", None, '"a"')
    assert not store.swap_setting("s", None, '"b"'), "set already: a swap from unset fails"
    assert not store.swap_setting("s", '"b"', '"c"')
    assert store.swap_setting("s", '"a"', '"c"')
    assert store.setting("s") == '"c"'
    moved = store.settings_version()
    assert moved == start + 2, "each announced swap moves the version once"
    assert store.swap_setting("quiet", None, "1", announce=False)
    assert store.settings_version() == moved, "a balance's swap does not make every process reload"
    assert store.settings() == (moved, {"s": '"c"', "quiet": "1"})
    assert store.swap_setting("s", '"c"', None)
    assert store.setting("s") is None
    store.clear()
    assert store.settings()[1] == {}
    assert store.settings_version() > moved, "a clear moves the version on, never back"


def test_concurrent_charges_on_one_balance_never_go_wrong(opened: Callable[[], Store]) -> None:
    """Eight processes (stores opened apart) send at once from one account that can pay for 20."""
    backends = [backend_on(opened()) for _ in range(8)]
    first = backends[0]
    first.accounts.set_balance(account(first), Decimal("0.20"))
    statuses: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(backends))

    def send_some(backend: Backend) -> None:
        start.wait()
        for _ in range(5):
            (message,) = backend.submit(account(backend), "shortlink", [Submission(to="4179302", text="x")])
            with lock:
                statuses.append(message.status.name)

    threads = [threading.Thread(target=send_some, args=(backend,)) for backend in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses.count("REJECTED_NOT_ENOUGH_CREDITS") == 40 - 20
    assert all(backend.balance(account(backend))[0] == 0 for backend in backends)


def test_the_clock_and_faults_set_in_one_process_hold_in_every_other(opened: Callable[[], Store]) -> None:
    from smsmock.core.shared import SharedSettings
    from smsmock.server.faults import Faults

    processes = [SharedSettings(opened()) for _ in range(3)]
    clocks = [Clock(frozen=True) for _ in processes]
    faults = [Faults(settings) for settings in processes]
    for clock, settings in zip(clocks, processes, strict=True):
        clock.share(settings)
    moment = clocks[0].timestamp()
    clocks[1].advance(30)
    faults[2].add({"status": 503, "times": 4})
    for settings in processes:
        settings.refresh()
    assert [clock.timestamp() for clock in clocks] == [moment + 30] * 3
    taken = [fault.take("POST", "/x", None, None) for _ in range(2) for fault in faults]
    assert sum(found is not None for found in taken) == 4, "a fault of 4 uses is used 4 times in all"
    for settings in processes:
        settings.refresh()
    assert all(fault.all() == [] for fault in faults)


def _exchange_fields(n: int, dialect: str | None, operation: str | None) -> dict[str, Any]:
    return {
        "at": datetime(2030, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=n),
        "dialect": dialect,
        "operation": operation,
        "method": "POST",
        "path": f"/p/{n}",
        "query": "a=1",
        "request_headers": {"Content-Type": "application/json"},
        "request_body": b"\xff not utf-8 \xe2\x82",
        "status": 200,
        "response_content_type": "application/json",
        "response_body": '{"ok": "ü"}'.encode(),
        "request_violations": [Violation(Severity.ERROR, "/to", "type", "string", "number", "2.1")],
        "message_ids": (f"m{n}",),
        "fault": {"id": 1, "status": 503} if n % 4 == 0 else None,
    }


def test_the_journal_keeps_pages_and_bounds_alike_in_every_store(store: Store) -> None:
    journal = journal_for(store, size=7)
    kinds = [("shortlink", "send"), ("qikli", "send"), (None, None), ("shortlink", "logs")]
    recorded = [journal.record(**_exchange_fields(n, *kinds[n % 4])) for n in range(10)]
    kept = recorded[-7:]
    assert len(journal) == 7, "the oldest beyond the journal's size go"
    assert [entry.path for entry in journal.entries()] == [entry.path for entry in kept]
    stored = journal.entries()[0]
    assert stored.request_body == kept[0].request_body, "every byte of a body comes back"
    assert stored.as_dict() == kept[0].as_dict()
    for dialect, operation in [(None, None), ("shortlink", None), (None, "send"), ("shortlink", "logs")]:
        wanted = [
            entry.seq
            for entry in reversed(kept)
            if (dialect is None or entry.dialect == dialect)
            and (operation is None or entry.operation == operation)
        ]
        pages = every(
            lambda cursor, d=dialect, o=operation: journal.page(
                dialect=d, operation=o, limit=2, before=cursor
            )
        )
        assert [entry.seq for entry in pages] == wanted
        assert journal.page(dialect=dialect, operation=operation, limit=2).total == len(wanted)
    assert journal.prune(kept[3].at) == 3
    assert [entry.seq for entry in journal.entries()] == [entry.seq for entry in kept[3:]]
    journal.clear()
    assert len(journal) == 0
    assert journal.record(**_exchange_fields(99, "qikli", "send")).seq > kept[-1].seq, "numbers go on"


class _Stopped(Exception):
    """Stands in for a process killed in the middle of a step."""


def test_a_step_cut_short_by_a_stopped_process_is_caught_up(
    opened: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend_on(opened())
    (message_id,) = send(first, "41793026727")

    def stopped(message: object) -> None:
        raise _Stopped

    # The send step stores its follow-ups, then the process stops before the message is saved.
    with monkeypatch.context() as patched:
        patched.setattr(first.store, "update_message", stopped)
        first.tick()
    restarted = backend_on(opened())
    restarted.clock.advance(5)
    restarted.tick()
    message = restarted.store.message(message_id)
    assert message is not None
    assert [change.status.name for change in message.history] == [
        "MESSAGE_ACCEPTED",
        "PENDING_ENROUTE",
        "DELIVERED_TO_HANDSET",
    ]
    assert message.sent_at is not None
    assert [report.id for report in restarted.pull_reports(account(restarted), "shortlink", limit=5)] == [
        message_id
    ]


def test_prune_takes_a_dropped_message_s_pending_events(store: Store) -> None:
    """A message's pending steps go with it when it is pruned: memory stays bounded."""
    backend = backend_on(store)
    dropped, kept = send(backend, "41793026727"), send(backend, "41793026728")
    assert store.next_due() is not None, "each message's send step is pending"
    assert store.prune(keep_newest=1) == 1
    backend.clock.advance(49 * 3600)
    events = store.pop_due(backend.clock.timestamp())
    assert [event.subject for event in events] == kept, f"{dropped[0]}'s step went with it"


@pytest.mark.parametrize("limit", [0, -1])
def test_a_page_of_no_messages_is_refused_when_asked_for(limit: int) -> None:
    with pytest.raises(ValueError, match="at least one message"):
        MessageQuery(limit=limit)
