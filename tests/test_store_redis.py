"""The Redis store against a real redis-server: opening, sharing one server, losing it, and behaving
exactly as the memory store does under any sequence of operations."""

from __future__ import annotations

import gc
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from redis_server import RedisServer, free_port

from smsmock.core import stores
from smsmock.core.accounts import Accounts
from smsmock.core.backend import Backend
from smsmock.core.clock import Clock
from smsmock.core.commands import Submission
from smsmock.core.lifecycle import move
from smsmock.core.messages import InboundMessage, Message, StatusChange, WebhookAttempt
from smsmock.core.paging import every
from smsmock.core.stores import MessageQuery, StoreError, open_store
from smsmock.core.stores.memory import MemoryStore
from smsmock.core.stores.redis import SEARCH_BLOCK, DuplicateMessageId, RedisStore
from smsmock.core.vocabulary import vocabulary

WORDS = vocabulary()
START = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
QUEUE = ("default", "shortlink")
_prefixes = itertools.count()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def url(redis_server: RedisServer) -> str:
    """A URL of a fresh, empty store on the shared server: a prefix of its own."""
    return f"{redis_server.url}?prefix=redis-test-{next(_prefixes)}:"


@pytest.fixture
def handles(url: str) -> Iterator[Callable[[], RedisStore]]:
    """Opens the store again, with connections of its own, as another mock process would."""
    opened: list[RedisStore] = []

    def open_one() -> RedisStore:
        opened.append(RedisStore.open(url))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


def a_message(number: int, **fields: Any) -> Message:
    values: dict[str, Any] = {
        "id": f"message-{number}",
        "account": "default",
        "dialect": "shortlink",
        "to": "41793026727",
        "sender": "InfoSMS",
        "text": "Hello",
        "binary_hex": None,
        "encoding": "GSM7",
        "units": 5,
        "parts": 1,
        "price_per_part": Decimal("0.01"),
        "currency": "EUR",
        "status": WORDS.status("MESSAGE_ACCEPTED"),
        "error": WORDS.error("NO_ERROR"),
        "submitted_at": START + timedelta(seconds=number),
        **fields,
    }
    message = Message(**values)
    message.history += (StatusChange(message.submitted_at, message.status, message.error),)
    return message


def an_inbound(number: int, account: str = "default", dialect: str = "shortlink") -> InboundMessage:
    return InboundMessage(
        f"inbound-{number}",
        account,
        dialect,
        "41793026727",
        "4560",
        "hi",
        "",
        "hi",
        START + timedelta(seconds=number),
        1,
    )


def round_trips(store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The round trips made from here on, on any connection: each one's command names."""
    trips: list[list[str]] = []
    kind = type(store._line())
    real = kind.send_packed_command

    def counted(connection: Any, packed: Any, check_health: bool = True) -> Any:
        trips.append(_command_names(b"".join(packed if isinstance(packed, list) else [packed])))
        return real(connection, packed, check_health)

    monkeypatch.setattr(kind, "send_packed_command", counted)
    return trips


def _command_names(sent: bytes) -> list[str]:
    """The names of the commands in what was sent (RESP arrays of bulk strings, the name first); a
    script's with its SHA1 after a colon."""
    names, at = [], 0
    while at < len(sent):
        end = sent.index(b"\r\n", at)
        count, at = int(sent[at + 1 : end]), end + 2
        words = []
        for _ in range(count):
            end = sent.index(b"\r\n", at)
            size = int(sent[at + 1 : end])
            words.append(sent[end + 2 : end + 2 + size])
            at = end + 2 + size + 2
        name = words[0].decode()
        names.append(f"{name}:{words[1].decode()}" if name == "EVALSHA" else name)
    return names


def backend_on(store: RedisStore) -> Backend:
    return Backend(clock=Clock(START, frozen=True), accounts=Accounts(), store=store)


# opening


def test_a_closed_port_is_a_one_line_error_naming_the_url() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreError) as refused:
        open_store(url)
    message = str(refused.value)
    assert url in message and "\n" not in message


def test_the_error_shows_the_url_without_its_password() -> None:
    with pytest.raises(StoreError) as refused:
        RedisStore.open(f"redis://user:hunter2@127.0.0.1:{free_port()}/0")
    assert "hunter2" not in str(refused.value) and "user:***@127.0.0.1" in str(refused.value)


def test_a_url_that_is_not_one_is_a_store_error() -> None:
    with pytest.raises(StoreError, match=r"redis://127\.0\.0\.1:port"):
        open_store("redis://127.0.0.1:port/0")


def test_open_store_opens_a_redis_store_with_its_prefix(url: str) -> None:
    store = open_store(url)
    assert isinstance(store, RedisStore) and store.prefix.startswith("redis-test-")
    store.close()


# several processes, one server


def test_two_prefixes_on_one_server_share_nothing(redis_server: RedisServer) -> None:
    team_a = RedisStore.open(f"{redis_server.url}?prefix=team-a:")
    team_b = RedisStore.open(f"{redis_server.url}?prefix=team-b:")
    team_a.add_messages([a_message(1, client_ref="ref-1")])
    team_a.push_report(QUEUE, "message-1")
    team_a.schedule(1.0, "send", "message-1")
    team_a.add_inbound(an_inbound(1))
    assert team_b.message("message-1") is None and not team_b.has_client_id("default", "message-1")
    assert team_b.query(MessageQuery()).total == 0
    assert team_b.pull_reports(QUEUE, 10, lambda message: True) == []
    assert team_b.pop_due(10.0) == [] and team_b.pull_inbound(QUEUE, 10) == []
    team_b.clear()
    assert team_a.stats().messages == 1 and team_a.by_client_ref("default", "shortlink", "ref-1")
    assert [message.id for message in team_a.pull_reports(QUEUE, 10, lambda message: True)] == ["message-1"]
    team_a.clear()
    team_a.close()
    team_b.close()


def test_eight_processes_pulling_at_once_get_each_report_exactly_once(
    handles: Callable[[], RedisStore],
) -> None:
    writer = handles()
    sent = [a_message(n, bulk_id="bulk-1" if n % 3 == 0 else None) for n in range(2000)]
    writer.add_messages(sent)
    for message in sent:
        writer.push_report(QUEUE, message.id)
    taken: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def pull(store: RedisStore, accept: Callable[[Message], bool]) -> None:
        start.wait()
        while found := store.pull_reports(QUEUE, 7, accept):
            with lock:
                taken.extend(message.id for message in found)

    # Half pull everything, half only one bulk: a filtered pull leaves the rest to the others.
    pullers = [
        threading.Thread(target=pull, args=(handles(), everything if n % 2 else bulk_one)) for n in range(8)
    ]
    for thread in pullers:
        thread.start()
    for thread in pullers:
        thread.join(timeout=120)
    assert len(taken) == len(set(taken)), "a report was handed out twice"
    assert sorted(taken) == sorted(message.id for message in sent), "a report was lost"
    assert writer.stats().report_queues[QUEUE] == 0


def everything(message: Message) -> bool:
    return True


def bulk_one(message: Message) -> bool:
    return message.bulk_id == "bulk-1"


def test_concurrent_sends_with_one_client_id_store_one_message(handles: Callable[[], RedisStore]) -> None:
    stores = [handles() for _ in range(8)]
    start = threading.Barrier(len(stores))
    outcomes: list[str] = []
    lock = threading.Lock()

    def send(store: RedisStore) -> None:
        start.wait()
        try:
            store.add_messages([a_message(1, id="order-1", options={"client_id": True})])
            outcome = "stored"
        except DuplicateMessageId as refused:
            assert refused.ids == ["order-1"]
            outcome = "refused"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=send, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * 7 + ["stored"]
    assert stores[0].stats().messages == 1


def test_concurrent_submits_through_backends_accept_a_client_id_once(
    handles: Callable[[], RedisStore],
) -> None:
    backends = [backend_on(handles()) for _ in range(8)]
    start = threading.Barrier(len(backends))
    accepted: list[str] = []
    lock = threading.Lock()

    def submit(backend: Backend) -> None:
        account = backend.accounts.get("default")
        assert account is not None
        start.wait()
        try:
            found = backend.submit(
                account, "shortlink", [Submission(to="41793026727", text="hi", message_id="o-1")]
            )
        except StoreError:
            return  # lost the race after its check: refused whole, nothing stored
        with lock:
            accepted.extend(m.id for m in found if m.status.name != "REJECTED_DUPLICATE_MESSAGE_ID")

    threads = [threading.Thread(target=submit, args=(backend,)) for backend in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert accepted == ["o-1"]


def test_a_batch_with_a_taken_id_stores_none_of_it(handles: Callable[[], RedisStore]) -> None:
    store = handles()
    store.add_messages([a_message(1)])
    with pytest.raises(DuplicateMessageId):
        store.add_messages([a_message(2), a_message(1)])
    with pytest.raises(DuplicateMessageId):
        store.add_messages([a_message(3), a_message(3)])
    assert store.stats().messages == 1 and store.message("message-2") is None
    assert store.query(MessageQuery()).total == 1


def test_due_events_popped_by_several_processes_run_once(handles: Callable[[], RedisStore]) -> None:
    writer = handles()
    for n in range(1000):
        writer.schedule(float(n % 50), "send", f"message-{n}")
    popped: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def pop(store: RedisStore) -> None:
        start.wait()
        for now in range(0, 60, 5):
            found = store.pop_due(float(now))
            assert [(event.due, event.seq) for event in found] == sorted(
                (event.due, event.seq) for event in found
            )
            with lock:
                popped.extend(event.subject for event in found)

    threads = [threading.Thread(target=pop, args=(handles(),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(popped) == sorted(f"message-{n}" for n in range(1000))
    assert writer.next_due() is None


def test_events_taken_in_a_block_are_held_until_what_they_changed_is_stored(
    handles: Callable[[], RedisStore],
) -> None:
    """Another process sees held events as due, and its pop waits for them instead of reading state
    they have yet to change."""
    taker, other = handles(), handles()
    taker.add_messages([a_message(1)])
    taker.schedule(1.0, "finish", "message-1")
    seen_by_other: list[Any] = []

    def pop_while_held() -> None:
        seen_by_other.append(other.next_due())
        seen_by_other.append(other.pop_due(5.0))
        seen_by_other.append(other.message("message-1"))

    with taker.atomic():
        (event,) = taker.pop_due(5.0)
        moved = event.message
        assert moved is not None
        move(moved, WORDS.status("PENDING_ENROUTE"), WORDS.error("NO_ERROR"), START)
        move(moved, WORDS.status("DELIVERED_TO_HANDSET"), WORDS.error("NO_ERROR"), START)
        taker.update_message(moved)  # deferred: sent with the block's end
        reader = threading.Thread(target=pop_while_held)
        reader.start()
        reader.join(timeout=0.2)
        assert reader.is_alive(), "the other process waits while the event is held"
    reader.join(timeout=5)
    next_due, popped, message = seen_by_other
    assert next_due == 1.0 and popped == []
    assert message is not None and message.status.name == "DELIVERED_TO_HANDSET"
    assert other.next_due() is None


def test_a_pop_of_more_events_than_a_script_can_spread_at_once_holds_and_releases_them_all(
    handles: Callable[[], RedisStore],
) -> None:
    store = handles()
    with store.atomic():  # the schedules go in one round trip
        for number in range(9000):
            store.schedule(float(number % 7), "send", f"message-{number}")
    with store.atomic():
        assert len(store.pop_due(10.0)) == 9000
    assert store.next_due() is None, "every one of them released when the block ended"


def test_events_a_stopped_process_held_fall_due_again_when_their_lease_ends(
    handles: Callable[[], RedisStore],
) -> None:
    taker, other = handles(), handles()
    taker.schedule(1.0, "send", "message-1")
    taker._unit.deferred = []  # inside a block that never ends: the process stopped in its steps
    (event,) = taker.pop_due(5.0)
    taker._unit.deferred = None
    assert other.next_due() == 1.0
    # The lease runs on the Redis server's clock: end it there rather than wait for it.
    taker.client.zadd(f"{taker.prefix}running-until", {f"{event.seq:020d}": 0})
    (again,) = other.pop_due(5.0)
    assert (again.due, again.kind, again.subject) == (1.0, "send", "message-1")
    assert other.pop_due(5.0) == [] and other.next_due() is None


def test_a_message_sent_through_one_process_is_seen_and_finished_by_another(
    handles: Callable[[], RedisStore],
) -> None:
    first, second = backend_on(handles()), backend_on(handles())
    account = first.accounts.get("default")
    assert account is not None
    (sent,) = first.submit(account, "shortlink", [Submission(to="41793026727", text="hi")])
    second.clock.advance(3600)
    second.tick()
    found = first.store.message(sent.id)
    assert found is not None and found.status.final
    assert [m.id for m in first.pull_reports(account, "shortlink", limit=10)] == [sent.id]
    assert second.pull_reports(account, "shortlink", limit=10) == []


# losing the server


def test_a_lost_server_is_a_store_error_and_work_resumes_when_it_is_back() -> None:
    with RedisServer(durable=True) as server:
        store = RedisStore.open(server.url)
        store.add_messages([a_message(1)])
        store.push_report(QUEUE, "message-1")
        server.stop()
        for operation in (
            lambda: store.message("message-1"),
            lambda: store.add_messages([a_message(2)]),
            lambda: store.pull_reports(QUEUE, 10, everything),
            lambda: store.next_due(),
        ):
            with pytest.raises(StoreError, match=r"Redis store redis://127\.0\.0\.1"):
                operation()
        server.start()
        # appendfsync always: what was acknowledged before the stop is still there.
        assert store.message("message-1") == a_message(1)
        store.add_messages([a_message(2)])
        assert [m.id for m in store.pull_reports(QUEUE, 10, everything)] == ["message-1"]
        assert store.stats().messages == 2
        store.close()


# the same behaviour as the memory store

STATUSES = [
    "MESSAGE_ACCEPTED",
    "PENDING_ENROUTE",
    "DELIVERED_TO_HANDSET",
    "UNDELIVERABLE_NOT_DELIVERED",
    "EXPIRED_EXPIRED",
]
FILTER_STATUSES = ["PENDING", "delivered", "DELIVERED_TO_HANDSET", "ACCEPTED", "EXPIRED", "NOSUCH"]
NUMBERS = ["41793026727", "+41 79 302 67 28", "0041793026729"]
DIALECTS = ["shortlink", "qikli"]
ACCOUNTS = ["default", "other"]
SENDERS_AND_TEXTS = [
    ("InfoSMS", "Hello", None),
    ("Straße", "Straße 1", None),
    (None, None, "0A0B"),
    ("", "", None),
]
"""A message's (sender, text, binary body): what the searches of the state machine below look for."""


class SameAsMemory(RuleBasedStateMachine):
    """Any sequence of operations gives the same answers from the Redis store as from the memory one."""

    url = ""

    @initialize()
    def open_stores(self) -> None:
        self.memory = MemoryStore()
        self.redis = RedisStore.open(f"{self.url}?prefix=same-as-memory-{next(_prefixes)}:")
        self.numbers = itertools.count()
        self.ids: list[str] = []
        self.cursors: list[int] = []

    def teardown(self) -> None:
        if hasattr(self, "redis"):
            self.redis.clear()
            self.redis.close()

    def both(self, operation: Callable[[Any], Any]) -> Any:
        expected, found = operation(self.memory), operation(self.redis)
        assert found == expected
        return found

    @rule(
        count=st.integers(1, 3),
        dialect=st.sampled_from(DIALECTS),
        account=st.sampled_from(ACCOUNTS),
        to=st.sampled_from(NUMBERS),
        ref=st.sampled_from([None, "ref-1", "ref-2"]),
        bulk=st.sampled_from([None, "bulk-1"]),
        client_id=st.booleans(),
        words=st.sampled_from(SENDERS_AND_TEXTS),
    )
    def add(
        self,
        count: int,
        dialect: str,
        account: str,
        to: str,
        ref: str | None,
        bulk: str | None,
        client_id: bool,
        words: tuple[str | None, str | None, str | None],
    ) -> None:
        numbers = [next(self.numbers) for _ in range(count)]
        sender, text, binary = words

        def batch() -> list[Message]:
            fields = {"dialect": dialect, "account": account, "to": to, "client_ref": ref, "bulk_id": bulk}
            fields |= {"sender": sender, "text": text, "binary_hex": binary}
            return [a_message(n, options={"client_id": client_id}, **fields) for n in numbers]

        self.memory.add_messages(batch())
        self.redis.add_messages(batch())
        self.ids.extend(f"message-{n}" for n in numbers)

    @rule(data=st.data(), status=st.sampled_from(STATUSES), deleted=st.booleans())
    def change(self, data: st.DataObject, status: str, deleted: bool) -> None:
        if not self.ids:
            return
        message_id = data.draw(st.sampled_from(self.ids))
        for store in (self.memory, self.redis):
            message = store.message(message_id)
            if message is None:
                continue
            message.status = WORDS.status(status)
            message.deleted = message.deleted or deleted
            message.history += (StatusChange(message.submitted_at, message.status, message.error),)
            store.update_message(message)

    @rule(
        data=st.data(),
        dialect=st.sampled_from([None, *DIALECTS]),
        account=st.sampled_from([None, *ACCOUNTS]),
        to=st.sampled_from([None, *NUMBERS]),
        status=st.sampled_from([None, *FILTER_STATUSES]),
        sender=st.sampled_from([None, "", "info", "STRASSE"]),
        text=st.sampled_from([None, "hello", "SS", "a0"]),
        limit=st.sampled_from([None, 1, 2, 5]),
    )
    def query(
        self,
        data: st.DataObject,
        dialect: str | None,
        account: str | None,
        to: str | None,
        status: str | None,
        sender: str | None,
        text: str | None,
        limit: int | None,
    ) -> None:
        before = data.draw(st.sampled_from([None, *self.cursors]))
        wanted = MessageQuery(
            dialect=dialect,
            account=account,
            to=to,
            status=status,
            sender=sender,
            text=text,
            limit=limit,
            before=before,
        )
        page = self.both(lambda store: store.query(wanted))
        if page.next_cursor is not None:
            self.cursors.append(page.next_cursor)

    @rule(data=st.data(), queue=st.sampled_from([("default", "shortlink"), ("other", "qikli")]))
    def push_report(self, data: st.DataObject, queue: tuple[str, str]) -> None:
        message_id = data.draw(st.sampled_from([*self.ids, "no-such-message"]))
        for store in (self.memory, self.redis):
            store.push_report(queue, message_id)

    @rule(
        queue=st.sampled_from([("default", "shortlink"), ("other", "qikli")]),
        limit=st.integers(0, 4),
        only_bulk=st.booleans(),
    )
    def pull_reports(self, queue: tuple[str, str], limit: int, only_bulk: bool) -> None:
        accept = bulk_one if only_bulk else everything
        self.both(lambda store: store.pull_reports(queue, limit, accept))

    @rule(due=st.integers(0, 20), kind=st.sampled_from(["send", "finish", "expire"]))
    def schedule(self, due: int, kind: str) -> None:
        for store in (self.memory, self.redis):
            store.schedule(due + 0.5, kind, "message-0")

    @rule(now=st.integers(0, 25))
    def pop_due(self, now: int) -> None:
        # Event numbers are the store's own; the order they give is compared, not their values.
        self.both(lambda store: [(e.due, e.kind, e.subject, e.data) for e in store.pop_due(float(now))])

    @rule(account=st.sampled_from(ACCOUNTS), dialect=st.sampled_from(DIALECTS))
    def add_inbound(self, account: str, dialect: str) -> None:
        number = next(self.numbers)
        for store in (self.memory, self.redis):
            store.add_inbound(an_inbound(number, account, dialect))

    @rule(account=st.sampled_from(ACCOUNTS), dialect=st.sampled_from(DIALECTS), limit=st.integers(0, 3))
    def pull_inbound(self, account: str, dialect: str, limit: int) -> None:
        self.both(lambda store: store.pull_inbound((account, dialect), limit))

    @rule(data=st.data(), status_code=st.sampled_from([None, 200, 500]))
    def add_attempt(self, data: st.DataObject, status_code: int | None) -> None:
        subject = data.draw(st.sampled_from([*self.ids, "bulk-9"]))
        attempt = WebhookAttempt(
            subject, "http://127.0.0.1:9/dlr", 1, START, status_code, None, "application/json"
        )
        for store in (self.memory, self.redis):
            store.add_attempt(attempt)

    @rule(keep=st.one_of(st.none(), st.integers(0, 6)), seconds=st.one_of(st.none(), st.integers(0, 30)))
    def prune(self, keep: int | None, seconds: int | None) -> None:
        bound = None if seconds is None else START + timedelta(seconds=seconds)
        self.both(lambda store: store.prune(submitted_before=bound, keep_newest=keep))

    @rule()
    def clear(self) -> None:
        for store in (self.memory, self.redis):
            store.clear()

    @invariant()
    def hold_the_same(self) -> None:
        if not hasattr(self, "redis"):
            return
        self.both(lambda store: store.stats())
        self.both(lambda store: store.messages())
        self.both(lambda store: store.next_due())
        self.both(lambda store: store.inbound())
        self.both(lambda store: store.attempts())
        self.both(lambda store: [store.by_client_ref(a, "shortlink", "ref-1") for a in ACCOUNTS])
        self.both(lambda store: [store.has_client_id("default", message_id) for message_id in self.ids[-5:]])


def test_the_redis_store_behaves_as_the_memory_store(redis_server: RedisServer) -> None:
    SameAsMemory.url = redis_server.url
    run_state_machine_as_test(
        SameAsMemory,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            # Under a loaded machine drawing the steps is slow; that is not what this test is about.
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_while_redis_is_away_each_dialect_answers_its_documented_server_error() -> None:
    """unified's 1710 "Internal error", sendsms's 400 "server unable to accept", else a 503 to retry."""
    from transports import documented_requests, over_wsgi
    from werkzeug.test import Client

    from smsmock.server.app import DIALECTS, MockApp
    from smsmock.server.config import MockConfig

    names = [dialect.name for dialect in DIALECTS]
    with RedisServer() as server:
        app = MockApp(MockConfig(store=f"{server.url}?prefix=outage:"))
        client = Client(app)
        server.stop()
        for dialect, example in documented_requests(names):
            body = (example.get("body") or "").encode()
            answer = over_wsgi(
                client, example["method"], example["path"], query=example.get("query") or "", body=body
            )
            if dialect == "unified":
                assert (answer.status, answer.body.decode().split("|")[0]) == (200, "1710"), example["id"]
            elif dialect == "sendsms":
                # Its numeric reply, or the JSON one the document gives for code 400.
                assert answer.body in (b"400", b'{"status":false,"error":"Message not accepted"}'), example[
                    "id"
                ]
            else:
                assert (answer.status, answer.headers["retry-after"]) == (503, "1"), example["id"]
                assert b"the Redis store" in answer.body
        server.start()
        sent = over_wsgi(
            client,
            "POST",
            "/restapi/sms/1/text/single",
            body=b'{"from": "InfoSMS", "to": "41793026727", "text": "back"}',
            headers={"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="},
            content_type="application/json",
        )
        assert sent.status == 200, "serving resumes when Redis is back"
        assert app.backend.store.stats().messages == 1, "nothing of the refused requests was stored"
        app.backend.store.close()  # type: ignore[attr-defined]


def test_a_search_reads_across_blocks_and_past_pruned_messages_in_one_round_trip(
    handles: Callable[[], RedisStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sequence numbers that cross two search blocks, a block pruned in part and then whole: every
    search finds what the memory store finds, and a page of it is one script."""
    store, memory = handles(), MemoryStore()
    store.client.set(f"{store.prefix}seq", 2 * SEARCH_BLOCK - 30)  # the numbers run into the third block
    messages = [
        a_message(
            number,
            dialect=DIALECTS[number % 2],
            sender=("InfoSMS", "Straße", None)[number % 3],
            text=f"Code {number} ß" if number % 4 else None,
            binary_hex=None if number % 4 else "0A0B",
        )
        for number in range(60)
    ]
    store.add_messages(messages[:25])
    store.add_messages(messages[25:])
    memory.add_messages(messages)
    queries = [
        MessageQuery(dialect=dialect, sender=sender, text=text, limit=limit)
        for dialect in (None, "qikli")
        for sender in (None, "STRASSE")
        for text in (None, "code 1", "ss", "a0b")
        for limit in (4, None)
        if sender or text
    ]

    def same_as_memory() -> None:
        for query in queries:
            expected = [
                message.id for message in every(lambda c, q=query: memory.query(replace(q, before=c)))
            ]
            found = [message.id for message in every(lambda c, q=query: store.query(replace(q, before=c)))]
            assert found == expected, query
            assert store.query(query).total == len(expected)

    same_as_memory()
    for keep in (45, 25):
        assert store.prune(keep_newest=keep) == memory.prune(keep_newest=keep)
        same_as_memory()
    # The second block's messages are all gone now, and its search strings with them.
    block = f"sx:t:{(2 * SEARCH_BLOCK - 30) // SEARCH_BLOCK}"
    assert not store.client.exists(store.prefix + block)
    assert not store.client.sismember(store.prefix + "keys", block)
    trips = round_trips(store, monkeypatch)
    assert store.query(MessageQuery(text="ß", limit=5)).total == 19
    assert [[name.partition(":")[0] for name in trip] for trip in trips] == [["EVALSHA"]]


def test_a_process_that_read_a_message_before_another_moved_it_on_does_not_move_it_back(
    handles: Callable[[], RedisStore],
) -> None:
    """Two processes run steps of one message at once: the later step's record stays."""
    first, second = handles(), handles()
    first.add_messages([a_message(1)])
    stale = first.message("message-1")
    moved = second.message("message-1")
    assert stale is not None and moved is not None
    at = moved.submitted_at
    move(moved, WORDS.status("PENDING_ENROUTE"), WORDS.error("NO_ERROR"), at)
    move(moved, WORDS.status("DELIVERED_TO_HANDSET"), WORDS.error("NO_ERROR"), at)
    second.update_message(moved)
    move(stale, WORDS.status("PENDING_ENROUTE"), WORDS.error("NO_ERROR"), at)
    first.update_message(stale)
    found = first.message("message-1")
    assert found is not None and found.status.name == "DELIVERED_TO_HANDSET"
    assert first.query(MessageQuery(status="DELIVERED")).total == 1
    assert first.query(MessageQuery(status="PENDING")).total == 0


# what a send costs: its round trips


SEND = b'{"from": "InfoSMS", "to": "41793026727", "text": "Hello"}'


def _scripts(store: RedisStore, trips: list[list[str]]) -> list[list[str]]:
    """The round trips as the scripts they ran (EVALSHA named by its script)."""
    names = {f"EVALSHA:{script.sha}": name for name, script in store._scripts.items()}
    return [[names.get(name, name) for name in trip] for trip in trips]


def test_a_send_is_three_round_trips_and_one_more_when_steps_are_due(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look (settings version and soonest due moment), the charge, then every write with the
    journal's entry; the steps that fell due meanwhile cost a pop, their writes going with the charge."""
    from transports import over_wsgi
    from werkzeug.test import Client

    from smsmock.server.app import MockApp
    from smsmock.server.config import MockConfig

    app = MockApp(MockConfig.from_mapping({"store": url}))
    app.clock.freeze()
    client = Client(app)
    store = app.backend.store
    assert isinstance(store, RedisStore)

    def send() -> list[list[str]]:
        trips = round_trips(store, monkeypatch)
        names = store._scripts
        answer = over_wsgi(
            client,
            "POST",
            "/restapi/sms/1/text/single",
            body=SEND,
            headers={"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="},
            content_type="application/json",
        )
        assert answer.status == 200 and names is store._scripts
        monkeypatch.undo()
        return _scripts(store, trips)

    try:
        send()
        assert send() == [["look"], ["swap_setting"], ["add_messages", "schedule", "add_entry"]]
        app.clock.advance(10)  # both messages are delivered as the next send begins
        assert send() == [
            ["look"],
            ["pop_due"],
            [*["update_message", "push_report"] * 2, "finish_events", "swap_setting"],
            ["add_messages", "schedule", "add_entry"],
        ]
        assert store.stats().report_queues == {("default", "shortlink"): 2}
    finally:
        store.close()


def test_a_client_id_is_checked_as_it_is_stored(handles: Callable[[], RedisStore]) -> None:
    """Inside a block, messages whose ids the mock drew go with the block's writes; a client's own id
    is stored at once, so a taken one is refused there, whole."""
    store = handles()
    drawn = a_message(1, id="4f1c2a8e-59b1-4c43-9f8e-0d6a1b2c3d4e", options={"client_id": False})
    clients = a_message(2, id="my-own-id", options={"client_id": True})
    with store.atomic():
        store.add_messages([drawn])
        assert store._unit.deferred, "waiting for the block's end"
        store.add_messages([clients])
        with pytest.raises(DuplicateMessageId, match="my-own-id"):
            store.add_messages([a_message(3, id="my-own-id", options={"client_id": True})])
    assert [message.id for message in store.messages()] == [drawn.id, clients.id]


def test_a_look_ahead_is_used_by_the_next_due_call_that_comes_right_after_it(
    handles: Callable[[], RedisStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stores, "LOOK_FRESH", 3600.0)  # however slow the machine
    store, other = handles(), handles()
    store.schedule(5.0, "finish", "message-1")
    store.settings_version()
    other.schedule(1.0, "finish", "message-2")  # another process, after the look
    trips = round_trips(store, monkeypatch)
    assert store.next_due() == 5.0 and trips == [], "as it was when the request looked, at no cost"
    assert store.next_due() == 1.0 and len(trips) == 1, "the look is used once"
    store.settings_version()
    store.schedule(0.5, "finish", "message-3")
    assert store.next_due() == 0.5
    store.settings_version()
    looked = len(trips)
    with store.atomic():  # a request's block begins between its look and its tick
        assert store.next_due() == 0.5 and len(trips) == looked
    monkeypatch.setattr(stores, "LOOK_FRESH", 0.0)  # a delay fault held the request back past it
    store.settings_version()
    other.schedule(0.25, "finish", "message-4")
    assert store.next_due() == 0.25


def test_a_threads_connection_goes_back_to_the_pool_when_the_thread_ends(
    handles: Callable[[], RedisStore],
) -> None:
    store = handles()
    pool = store.client.connection_pool
    worker = threading.Thread(target=store.next_due)
    worker.start()
    worker.join(5)
    gc.collect()
    assert not pool._in_use_connections, "given back"
    assert store.next_due() is None


def test_a_forked_process_talks_to_redis_on_connections_of_its_own(url: str) -> None:
    """`smsmock serve` forks its worker after opening the store: the parent's connection is not used."""
    store = RedisStore.open(url)
    try:
        store.schedule(1.0, "finish", "before")
        parents = store._line()
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through the pipe
            try:
                store.schedule(2.0, "finish", "in-the-child")
                answer = b"own" if store._line() is not parents and store.next_due() == 1.0 else b"shared"
            except BaseException as problem:  # any failure is the child's answer
                answer = repr(problem).encode()
            os.write(writer, answer)
            os._exit(0)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            answer = pipe.read()
        os.waitpid(child, 0)
        assert answer == b"own"
        assert store.pop_due(5.0)[1].subject == "in-the-child", "the parent's connection still works too"
    finally:
        store.close()
