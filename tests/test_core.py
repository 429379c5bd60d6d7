"""The core without HTTP: clock, lifecycle, rules, read-once queues, accounts, validity, rejections."""

from __future__ import annotations

import ipaddress
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from smsmock.core.accounts import Account, Accounts
from smsmock.core.backend import Backend
from smsmock.core.clock import Clock
from smsmock.core.commands import InboundFilter, LogFilter, Submission
from smsmock.core.lifecycle import TRANSITIONS, IllegalTransition, can_move, move
from smsmock.core.messages import Message, uuid4_text
from smsmock.core.rules import OutcomeRules, RuleError
from smsmock.core.shared import SharedSettings
from smsmock.core.stores.memory import MemoryStore
from smsmock.core.vocabulary import vocabulary

pytestmark = pytest.mark.usefixtures("every_store")
"""Every test here runs on each store: memory, SQLite and Redis."""

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
DIALECT = "shortlink"
WORDS = vocabulary()
DEFAULT_RULES = OutcomeRules.default_rules()

T = TypeVar("T")


def frozen_backend(accounts: Sequence[dict[str, Any]] | None = None, **kwargs: Any) -> Backend:
    """A backend on a clock frozen at START, with the default accounts unless others are given.

    Given ones keep their balances in the backend's store too, as a mock's accounts do, so the store
    under test charges them.
    """
    backend = Backend(clock=Clock(START, frozen=True), **kwargs)
    if accounts is not None:
        backend.accounts = Accounts(accounts, settings=SharedSettings(backend.store))
    return backend


def default_account(backend: Backend) -> Account:
    """The out-of-the-box account (Aladdin / open sesame)."""
    account = backend.accounts.get("default")
    assert account is not None
    return account


def send(
    backend: Backend, to: str, text: str = "Hello", account: Account | None = None, **fields: Any
) -> Message:
    """Submit one message; what submit() returned, a snapshot on SQLite and Redis (see `current`)."""
    owner = account or default_account(backend)
    (message,) = backend.submit(owner, DIALECT, [Submission(to=to, text=text, **fields)])
    return message


def current(backend: Backend, message: Message) -> Message:
    """The message as the store keeps it now.

    What `submit()` returned is a snapshot on SQLite and Redis (only the memory store hands back the
    object it goes on changing), so a test reads the message again after the clock moved.
    """
    found = backend.store.message(message.id)
    assert found is not None, f"{message.id} is not stored"
    return found


def advance(backend: Backend, seconds: float) -> int:
    """Move the backend's clock forward and run what falls due."""
    backend.clock.advance(seconds)
    return backend.tick()


def drain(pull: Callable[[int], list[T]], limit: int = 1000) -> list[T]:
    """Everything a read-once pull hands out, pulling until it hands out nothing."""
    taken: list[T] = []
    while batch := pull(limit):
        taken.extend(batch)
    return taken


# the clock


def test_frozen_clock_stands_still() -> None:
    clock = Clock(START, frozen=True)
    first = clock.timestamp()
    time.sleep(0.01)  # real time passes; the frozen clock must not see it
    assert clock.timestamp() == first
    assert clock.now() == START
    assert clock.frozen


def test_advance_and_set_move_the_frozen_clock() -> None:
    clock = Clock(START, frozen=True)
    clock.advance(90.5)
    assert clock.now() == START + timedelta(seconds=90.5)
    clock.set(START + timedelta(days=2))
    assert clock.now() == START + timedelta(days=2)
    assert clock.after(10) == START + timedelta(days=2, seconds=10)


def test_a_naive_moment_is_read_as_utc() -> None:
    clock = Clock(frozen=True)
    clock.set(datetime(2031, 5, 6, 7, 8, 9))
    assert clock.now() == datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


@given(steps=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=20))
def test_the_clock_never_moves_backwards(steps: list[float]) -> None:
    clock = Clock(START, frozen=True)
    previous = clock.timestamp()
    for step in steps:
        clock.advance(step)
        assert clock.timestamp() >= previous
        previous = clock.timestamp()
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-0.001)
    assert clock.timestamp() == previous


def test_unfreeze_continues_from_the_frozen_moment() -> None:
    clock = Clock(START, frozen=True)
    clock.advance(100)
    clock.unfreeze()
    assert not clock.frozen
    elapsed = clock.timestamp() - (START.timestamp() + 100)
    assert 0 <= elapsed < 1, f"the running clock should pick up at the frozen moment, is {elapsed:+.3f} s off"
    clock.freeze()
    assert clock.frozen
    assert clock.timestamp() >= START.timestamp() + 100


def test_a_running_clock_follows_real_time_with_its_offset() -> None:
    clock = Clock()
    clock.advance(3600)
    assert abs(clock.timestamp() - (time.time() + 3600)) < 1
    clock.reset()
    assert abs(clock.timestamp() - time.time()) < 1


# the lifecycle state machine

WELL_KNOWN = [f"155500010{n:02d}" for n in range(1, 14)]
ANY_STATUS = [f"155500030{status.id:02d}" for status in WORDS.statuses.values()]
ANY_ERROR = [f"1555002{error.id:04d}" for error in WORDS.errors.values()]
DESTINATIONS = st.one_of(
    st.sampled_from(WELL_KNOWN),
    st.sampled_from(ANY_STATUS),
    st.sampled_from(ANY_ERROR),
    st.from_regex(re.compile(r"\+?[1-9][0-9]{6,14}"), fullmatch=True),
    st.from_regex(re.compile(r"0[0-9]{6,10}"), fullmatch=True),
)
TEXTS = st.sampled_from(["Hi", "Test message", "€uro", "x" * 300, "Ünïcødé ✓" * 10])
STEPS = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 30.0, 600.0, 3600.0, 48 * 3600.0]),
    st.floats(min_value=0, max_value=7200, allow_nan=False),
)
MACHINE_BALANCE = Decimal("0.40")
"""Small, so credits run out during a run and REJECTED_NOT_ENOUGH_CREDITS happens too."""


class LifecycleMachine(RuleBasedStateMachine):
    """A backend on a frozen clock, driven through submit / advance / pull_reports / logs steps."""

    def __init__(self) -> None:
        super().__init__()
        self.backend = frozen_backend([{"name": "main", "username": "u", "balance": str(MACHINE_BALANCE)}])
        self.account = self.backend.accounts.get("main")
        assert self.account is not None
        self.pulled: Counter[str] = Counter()
        self.first_final: dict[str, tuple[str, str, datetime | None, int]] = {}

    def _messages(self) -> list[Message]:
        return self.backend.store.messages()

    @rule(
        destinations=st.lists(DESTINATIONS, min_size=1, max_size=4),
        text=TEXTS,
        validity=st.none() | st.integers(min_value=1, max_value=120),
        send_in=st.none() | st.integers(min_value=1, max_value=7200),
    )
    def submit(self, destinations: list[str], text: str, validity: int | None, send_in: int | None) -> None:
        assert self.account is not None
        send_at = None if send_in is None else self.backend.clock.after(send_in)
        submissions = [
            Submission(to=to, text=text, validity_minutes=validity, send_at=send_at) for to in destinations
        ]
        messages = self.backend.submit(self.account, DIALECT, submissions)
        assert [message.to for message in messages] == destinations
        for message in messages:
            assert message.status.group_name in ("ACCEPTED", "REJECTED"), message.status.name

    @rule(seconds=STEPS)
    def advance(self, seconds: float) -> None:
        advance(self.backend, seconds)

    @rule(limit=st.integers(min_value=1, max_value=25))
    def pull_reports(self, limit: int) -> None:
        assert self.account is not None
        reports = self.backend.pull_reports(self.account, DIALECT, limit=limit)
        assert len(reports) <= limit
        for report in reports:
            assert report.status.final, f"{report.id} handed out while {report.status.name}"
            assert report.account == "main"
            self.pulled[report.id] += 1

    @rule(limit=st.none() | st.integers(min_value=1, max_value=10), status=st.sampled_from([None, "PENDING"]))
    def logs(self, limit: int | None, status: str | None) -> None:
        assert self.account is not None
        before = dict(self.pulled)
        found = self.backend.logs(self.account, DIALECT, LogFilter(general_status=status, limit=limit))
        assert limit is None or len(found) <= limit
        moments = [message.submitted_at for message in found]
        assert moments == sorted(moments, reverse=True), "logs are newest first"
        assert all(status is None or message.status.group_name == status for message in found)
        assert dict(self.pulled) == before, "reading the logs hands out no report"

    @precondition(lambda self: self.backend.store.messages())
    @rule()
    def drain_reports(self) -> None:
        """Pull everything; afterwards every final message has been handed out exactly once."""
        assert self.account is not None
        for report in drain(lambda limit: self.backend.pull_reports(self.account, DIALECT, limit=limit)):
            self.pulled[report.id] += 1
        final = {message.id for message in self._messages() if message.status.final}
        assert set(self.pulled) == final

    @invariant()
    def history_takes_allowed_transitions(self) -> None:
        for message in self._messages():
            assert message.history, message.id
            assert message.history[0].status.group_name == "ACCEPTED"
            assert message.history[-1].status == message.status
            for before, after in zip(message.history, message.history[1:], strict=False):
                assert after.status.group_name in TRANSITIONS[before.status.group_name], (
                    f"{message.id} to {message.to}: {before.status.name} -> {after.status.name}"
                )
                assert after.at >= before.at

    @invariant()
    def done_at_set_iff_final(self) -> None:
        for message in self._messages():
            assert (message.done_at is not None) == message.status.final, (
                f"{message.id}: {message.status.name}, doneAt {message.done_at}"
            )

    @invariant()
    def a_final_status_never_changes(self) -> None:
        for message in self._messages():
            if not message.status.final:
                continue
            seen = (message.status.name, message.error.name, message.done_at, len(message.history))
            assert self.first_final.setdefault(message.id, seen) == seen, message.id

    @invariant()
    def each_report_handed_out_at_most_once(self) -> None:
        repeated = [message_id for message_id, count in self.pulled.items() if count != 1]
        assert not repeated, f"handed out more than once: {repeated}"

    @invariant()
    def balance_is_start_minus_what_was_charged(self) -> None:
        assert self.account is not None
        charged = sum(
            (message.price for message in self._messages() if message.status.group_name != "REJECTED"),
            Decimal(0),
        )
        balance, _ = self.backend.balance(self.account)
        assert balance == MACHINE_BALANCE - charged
        assert balance >= 0

    def teardown(self) -> None:
        assert self.account is not None
        for report in drain(lambda limit: self.backend.pull_reports(self.account, DIALECT, limit=limit)):
            self.pulled[report.id] += 1
        final = {message.id for message in self._messages() if message.status.final}
        assert set(self.pulled) == final
        assert all(count == 1 for count in self.pulled.values())


def test_lifecycle() -> None:
    """The state machine as a plain test, so it takes the module's `every_store` like the others: each
    run's backend opens a fresh store of the kind under test."""
    run_state_machine_as_test(
        LifecycleMachine, settings=settings(max_examples=40, stateful_step_count=25, deadline=None)
    )


def test_a_final_status_moves_nowhere() -> None:
    backend = frozen_backend()
    message = send(backend, "15550001001")
    advance(backend, 10)
    message = current(backend, message)
    assert message.status.name == "DELIVERED_TO_HANDSET"
    for status in WORDS.statuses.values():
        assert not can_move(message.status, status)
    with pytest.raises(IllegalTransition, match="cannot become"):
        move(message, WORDS.status("PENDING_ENROUTE"), WORDS.error("NO_ERROR"), backend.clock.now())


# every documented status and GSM error is reachable through a rule


@pytest.mark.parametrize("status", sorted(WORDS.statuses.values(), key=lambda s: s.id), ids=lambda s: s.name)
def test_every_documented_status_is_reachable(status: Any) -> None:
    backend = frozen_backend()
    to = f"155500030{status.id:02d}"
    message = send(backend, to)
    assert message.outcome is not None and message.outcome.rule == "any-status"
    advance(backend, 1.5)
    message = current(backend, message)
    assert message.status == status, f"{to} should reach {status.name}, is {message.status.name}"
    reports = backend.pull_reports(default_account(backend), DIALECT, limit=10)
    if status.final:
        assert [report.id for report in reports] == [message.id]
        assert message.done_at is not None
    else:
        assert reports == []
        assert message.done_at is None


def test_statuses_are_the_documented_ids_1_to_25() -> None:
    assert sorted(status.id for status in WORDS.statuses.values() if status.id) == list(range(1, 26))


@pytest.mark.parametrize("error", sorted(WORDS.errors.values(), key=lambda e: e.id), ids=lambda e: e.name)
def test_every_documented_gsm_error_is_reachable(error: Any) -> None:
    backend = frozen_backend()
    to = f"1555002{error.id:04d}"
    message = send(backend, to)
    advance(backend, 0.5)
    assert not current(backend, message).status.final, "not before the rule's `after` (1 s)"
    advance(backend, 1)
    (report,) = backend.pull_reports(default_account(backend), DIALECT, limit=10)
    assert report.id == message.id
    assert report.status.name == "UNDELIVERABLE_NOT_DELIVERED"
    assert report.error == error, f"{to} should end with {error.name}, ends with {report.error.name}"


def test_well_known_numbers_reach_their_documented_outcomes() -> None:
    backend = frozen_backend()
    cases = {
        "15550001001": ("DELIVERED_TO_HANDSET", "NO_ERROR", 1),
        "15550001002": ("DELIVERED_TO_OPERATOR", "NO_ERROR", 1),
        "15550001003": ("UNDELIVERABLE_NOT_DELIVERED", "EC_ABSENT_SUBSCRIBER", 5),
        "15550001004": ("UNDELIVERABLE_NOT_DELIVERED", "EC_UNKNOWN_SUBSCRIBER", 2),
        "15550001008": ("UNDELIVERABLE_REJECTED_OPERATOR", "EC_CALL_BARRED", 2),
        "15550001009": ("EXPIRED_UNKNOWN", "EC_TIME_OUT", 30),
    }
    messages = {to: send(backend, to) for to in cases}
    rejected = {to: send(backend, to) for to in ("15550001005", "15550001007", "15550001010", "0201234567")}
    assert {to: message.status.name for to, message in rejected.items()} == {
        "15550001005": "REJECTED_DND",
        "15550001007": "REJECTED_NOT_ENOUGH_CREDITS",
        "15550001010": "REJECTED_NETWORK",
        "0201234567": "REJECTED_PREFIX_MISSING",
    }
    assert rejected["15550001005"].error.name == "EC_DEST_ADDRESS_BLACKLISTED"
    for to, (_, _, after) in cases.items():
        message = messages[to]
        assert message.done_at is None
        assert message.outcome is not None and message.outcome.after == after
    advance(backend, 30)
    for to, (status, error, after) in cases.items():
        message = current(backend, messages[to])
        assert (message.status.name, message.error.name) == (status, error), to
        assert message.done_at == START + timedelta(seconds=after)


@given(
    fraction=st.floats(min_value=0, max_value=1, exclude_max=True, allow_nan=False),
    pieces=st.integers(min_value=1, max_value=12),
)
def test_an_outcome_falls_due_however_the_clock_reaches_it(fraction: float, pieces: int) -> None:
    """A clock between two microseconds, moved in equal steps that add up to the rule's `after`."""
    backend = frozen_backend()
    advance(backend, fraction)
    message = send(backend, "15550001004")  # undeliverable after 2 s
    for _ in range(pieces):
        advance(backend, 2 / pieces)
    assert current(backend, message).status.name == "UNDELIVERABLE_NOT_DELIVERED"


def test_status_zero_keeps_a_message_accepted_until_it_expires() -> None:
    backend = frozen_backend()
    message = send(backend, "15550003000", validity_minutes=5)
    advance(backend, 60)
    assert current(backend, message).status.name == "MESSAGE_ACCEPTED"
    advance(backend, 5 * 60)
    assert current(backend, message).status.name == "EXPIRED_EXPIRED"


# custom rules


def rules(entries: list[dict[str, Any]], default: str = "DELIVERED_TO_HANDSET") -> OutcomeRules:
    """Outcome rules from a list of rule entries and a default status."""
    return OutcomeRules.from_mapping({"default": {"status": default}, "rules": entries})


PREFIXES = st.text(alphabet="1234", min_size=1, max_size=3)
OUTCOMES = st.sampled_from(["DELIVERED_TO_OPERATOR", "REJECTED_DND", "UNDELIVERABLE_NOT_DELIVERED", "5"])


@given(
    entries=st.lists(st.tuples(PREFIXES, OUTCOMES, st.booleans()), max_size=6),
    number=st.text(alphabet="1234", min_size=1, max_size=6),
)
def test_the_first_matching_rule_wins(entries: list[tuple[str, str, bool]], number: str) -> None:
    """Rules for one plain number and pattern rules, mixed: the first in the list that matches decides."""
    outcome = rules(
        [
            {"name": f"r{i}", "to": prefix if plain else f"{prefix}[0-9]*", "status": status}
            for i, (prefix, status, plain) in enumerate(entries)
        ]
    )
    decided = outcome.decide(number, DIALECT, "default").outcome
    first = next(
        (
            i
            for i, (prefix, _, plain) in enumerate(entries)
            if (number == prefix if plain else number.startswith(prefix))
        ),
        None,
    )
    if first is None:
        assert decided.rule == "default"
        assert decided.status.name == "DELIVERED_TO_HANDSET"
    else:
        assert decided.rule == f"r{first}"
        assert decided.status == WORDS.status(entries[first][1])


def test_rules_match_the_whole_number_after_normalising() -> None:
    outcome = rules([{"name": "exact", "to": "4412", "status": "REJECTED_DND"}])
    for number in ("4412", "+4412", "004412", "44 12", "44-12"):
        assert outcome.decide(number, DIALECT, "a").outcome.rule == "exact", number
    assert outcome.decide("44123", DIALECT, "a").outcome.rule == "default"


def test_dialect_and_account_filters() -> None:
    outcome = rules(
        [
            {"name": "qikli-only", "to": "44.*", "dialect": "qikli", "status": "REJECTED_NETWORK"},
            {"name": "for-b", "to": "44.*", "account": "b", "status": "REJECTED_DND"},
            {"name": "whole-account-c", "account": "c", "status": "DELIVERED_TO_OPERATOR"},
        ]
    )
    assert outcome.decide("4470", "qikli", "a").outcome.rule == "qikli-only"
    assert outcome.decide("4470", "shortlink", "a").outcome.rule == "default"
    assert outcome.decide("4470", "shortlink", "b").outcome.rule == "for-b"
    assert outcome.decide("3370", "shortlink", "c").outcome.rule == "whole-account-c"
    backend = frozen_backend(
        [{"name": "a", "username": "ua"}, {"name": "b", "username": "ub"}], rules=outcome
    )
    a, b = backend.accounts.get("a"), backend.accounts.get("b")
    assert send(backend, "4470", account=a).status.name == "MESSAGE_ACCEPTED"
    assert send(backend, "4470", account=b).status.name == "REJECTED_DND"


def test_named_groups_choose_status_and_error() -> None:
    outcome = rules(
        [
            {
                "name": "coded",
                "to": "99(?P<status>[0-9]{2})(?P<error>[0-9]{3})",
                "status": "{status}",
                "error": "{error}",
                "after": 7,
            }
        ]
    )
    decided = outcome.decide("9909001", DIALECT, "a").outcome
    assert (decided.status.name, decided.error.name, decided.after) == (
        "UNDELIVERABLE_NOT_DELIVERED",
        WORDS.error(1).name,
        7,
    )
    unknown = outcome.decide("9999999", DIALECT, "a").outcome
    assert unknown.status.name == "PENDING_WAITING_DELIVERY", "an id the table lacks stays pending"
    assert unknown.error.name == "EC_UNKNOWN_ERROR"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"to": "1", "status": "DELIVERED_TO_HANDSET", "colour": "red"}, "unknown field"),
        ({"to": "1(", "status": "DELIVERED_TO_HANDSET"}, "regular expression"),
        ({"to": "1", "status": "DELIVERED_SOMEWHERE"}, "unknown status"),
        ({"to": "1", "status": "DELIVERED_TO_HANDSET", "error": "EC_NOPE"}, "unknown GSM error"),
        ({"to": "1"}, "`status` is required"),
        ({"status": "DELIVERED_TO_HANDSET"}, "needs `to`"),
        ({"to": "1", "status": "REJECTED_DND", "after": -1}, "negative"),
        ({"to": "1", "status": "REJECTED_DND", "after": "soon"}, "number of seconds"),
        ({"to": "1[0-9]", "status": "{status}"}, "no named group"),
        ({"to": "1", "status": "REJECTED_DND", "queued": -5}, "negative"),
        ({"to": "1", "text": "(", "status": "REJECTED_DND"}, "`text` is not a regular expression"),
        ({"to": "1", "status": "REJECTED_DND", "code": 1028}, "needs `dialect`"),
        ({"to": "1", "dialect": "unified", "status": "REJECTED_DND", "code": "spam"}, "whole number"),
        ({"to": "1", "dialect": "unified", "status": "DELIVERED_TO_HANDSET", "code": 1028}, "REJECTED"),
        ("just a string", "mapping"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(entry: Any, reason: str, tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=re.escape(reason)) as raised:
        OutcomeRules.from_mapping({"default": {"status": "DELIVERED_TO_HANDSET"}, "rules": [entry]})
    assert "rules[0]" in str(raised.value)
    path = tmp_path / "rules.yaml"
    path.write_text(
        "default: {status: DELIVERED_TO_HANDSET}\nrules:\n  - " + repr(entry).replace("'", '"') + "\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match=re.escape(reason)):
        OutcomeRules.from_file(path)


def test_bad_rule_files_are_rule_errors(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="default"):
        OutcomeRules.from_mapping({"default": {"status": "NOPE"}})
    with pytest.raises(RuleError):
        OutcomeRules.from_mapping(["not", "a", "mapping"])  # type: ignore[arg-type]
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"broken\.yaml"):
        OutcomeRules.from_file(broken)
    with pytest.raises(RuleError, match=r"missing\.yaml"):
        OutcomeRules.from_file(tmp_path / "missing.yaml")


@given(text=st.text(max_size=30), marker=st.sampled_from(["WIN", "free", "$$"]))
def test_a_text_rule_matches_only_messages_containing_its_pattern(text: str, marker: str) -> None:
    outcome = rules([{"name": "marked", "text": re.escape(marker), "status": "REJECTED_FLOODING_FILTER"}])
    decided = outcome.decide("4470", DIALECT, "a", text).outcome.rule
    assert decided == ("marked" if marker in text else "default")
    assert outcome.decide("4470", DIALECT, "a", None).outcome.rule == "default", "binary has no text"


def test_a_coded_rule_refuses_at_once_and_carries_its_dialect_code() -> None:
    outcome = rules(
        [
            {
                "name": "spam",
                "to": "4470",
                "dialect": "unified",
                "code": 1028,
                "status": "REJECTED_FLOODING_FILTER",
            }
        ]
    )
    backend = frozen_backend(rules=outcome)
    account = default_account(backend)
    (refused,) = backend.submit(account, "unified", [Submission(to="4470", text="Hi")])
    assert refused.status.name == "REJECTED_FLOODING_FILTER"
    assert refused.outcome is not None and refused.outcome.code == 1028
    assert backend.balance(account)[0] == Decimal("100"), "a refused message costs nothing"
    assert send(backend, "4470").status.name == "MESSAGE_ACCEPTED", "the rule is unified's only"


@given(queued=st.integers(min_value=1, max_value=3600), after=st.integers(min_value=0, max_value=60))
def test_a_queued_message_stays_accepted_until_it_leaves_the_queue(queued: int, after: int) -> None:
    entry = {
        "name": "slow-queue",
        "to": "4470",
        "status": "DELIVERED_TO_HANDSET",
        "queued": queued,
        "after": after,
    }
    backend = frozen_backend(rules=rules([entry]))
    message = send(backend, "4470")
    advance(backend, queued - 0.5)
    waiting = current(backend, message)
    assert waiting.status.name == "MESSAGE_ACCEPTED" and waiting.sent_at is None
    advance(backend, 0.5)
    assert current(backend, message).status.group_name == ("DELIVERED" if after == 0 else "PENDING")
    advance(backend, after)
    assert current(backend, message).status.name == "DELIVERED_TO_HANDSET"


def test_the_default_rules_load_and_list_themselves() -> None:
    listed = DEFAULT_RULES.as_list()
    assert listed[-1]["name"] == "default"
    assert {"any-status", "any-gsm-error", "never-delivered"} <= {entry["name"] for entry in listed}


# a user's rules added to the built-in ones

BUILT_IN_NUMBERS = st.sampled_from(["15550001003", "15550001005", "15550003007", "15550020001", "0791234567"])
USER_NUMBERS = st.text(alphabet="1234", min_size=1, max_size=4)


@given(
    user=st.lists(st.tuples(PREFIXES, OUTCOMES), max_size=4),
    user_default=st.one_of(st.none(), OUTCOMES),
    replaces=st.booleans(),
    number=st.one_of(BUILT_IN_NUMBERS, USER_NUMBERS),
)
def test_user_rules_come_first_then_the_built_in_ones_unless_they_replace_them(
    user: list[tuple[str, str]], user_default: str | None, replaces: bool, number: str
) -> None:
    """The first matching user rule decides; else the first built-in rule (dropped with
    `replace: true`); else the user's default, or the built-in one when the user gives none."""
    data: dict[str, Any] = {
        "rules": [
            {"name": f"u{i}", "to": f"{prefix}[0-9]*", "status": status}
            for i, (prefix, status) in enumerate(user)
        ],
        "replace": replaces,
    }
    if user_default is not None:
        data["default"] = {"status": user_default}
    decided = DEFAULT_RULES.extended(data).decide(number, DIALECT, "default").outcome

    first_user = next((i for i, (prefix, _) in enumerate(user) if number.startswith(prefix)), None)
    built_in = DEFAULT_RULES.decide(number, DIALECT, "default").outcome
    if first_user is not None:
        assert decided.rule == f"u{first_user}"
    elif built_in.rule != "default" and not replaces:
        assert decided == built_in
    elif user_default is not None:
        assert (decided.rule, decided.status) == ("default", WORDS.status(user_default))
    else:
        assert decided == DEFAULT_RULES.decide("999999", DIALECT, "default").outcome


def test_a_users_default_keeps_the_documented_special_numbers() -> None:
    """The README's special numbers keep working under a rule file that only changes the default."""
    added = DEFAULT_RULES.extended({"default": {"status": "REJECTED_DND"}})
    assert added.decide("15550001003", DIALECT, "default").outcome.error.name == "EC_ABSENT_SUBSCRIBER"
    assert added.decide("41793026727", DIALECT, "default").outcome.status.name == "REJECTED_DND"
    alone = DEFAULT_RULES.extended({"default": {"status": "REJECTED_DND"}, "replace": True})
    assert alone.decide("15550001003", DIALECT, "default").outcome.status.name == "REJECTED_DND"
    assert [entry["name"] for entry in alone.as_list()] == ["default"]


def test_an_extended_rule_set_extends_again_from_its_own_rules() -> None:
    """A marker's rules add to the session's, which add to the built-in ones."""
    session = DEFAULT_RULES.extended({"rules": [{"name": "session", "to": "4470", "status": "REJECTED_DND"}]})
    test = session.extended({"rules": [{"name": "test", "to": "4471", "status": "REJECTED_NETWORK"}]})
    decided = [
        test.decide(number, DIALECT, "default").outcome.rule
        for number in ("4471", "4470", "15550001001", "4472")
    ]
    assert decided == ["test", "session", "delivered", "default"]


def test_a_user_rule_file_adds_to_the_rules_and_may_replace_them(tmp_path: Path) -> None:
    adding = tmp_path / "adding.yaml"
    adding.write_text(
        "rules:\n  - {name: blocked, to: '4470[0-9]*', status: REJECTED_DND}\n", encoding="utf-8"
    )
    replacing = tmp_path / "replacing.yaml"
    replacing.write_text(adding.read_text(encoding="utf-8") + "replace: true\n", encoding="utf-8")
    added, replaced = DEFAULT_RULES.extended_from_file(adding), DEFAULT_RULES.extended_from_file(replacing)
    assert (
        added.as_list()[0]["name"] == "blocked" and len(added.as_list()) == len(DEFAULT_RULES.as_list()) + 1
    )
    assert [entry["name"] for entry in replaced.as_list()] == ["blocked", "default"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"replace": "yes"}, "`replace` must be true or false"),
        ({"rule": []}, "unknown key(s) rule; a rule file has default, rules, replace"),
        ({"default": "REJECTED_DND"}, "`default` must be a mapping"),
        ({"rules": [{"to": "1", "status": "REJECTED_DND", "colour": "red"}]}, "a rule has account, after"),
    ],
)
def test_a_bad_rule_mapping_says_what_a_rule_file_takes(data: dict[str, Any], reason: str) -> None:
    with pytest.raises(RuleError, match=re.escape(reason)):
        DEFAULT_RULES.extended(data)


# read-once under concurrency


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Threads switch every few microseconds, so 8 threads really interleave their pulls."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def concurrent_pulls(pull: Callable[[int], list[Any]], threads: int = 8) -> list[list[Any]]:
    """Each thread pulls with random limits until a pull comes back empty; what each one got.

    Every thread makes its first pull before any makes its second, so all of them take part even
    when one alone could empty the queue within its time slice; after that they race freely.
    """
    got: list[list[Any]] = [[] for _ in range(threads)]
    start, first_pulled = threading.Barrier(threads), threading.Barrier(threads)

    def work(index: int) -> None:
        chance = random.Random(index)
        start.wait()
        got[index].extend(pull(chance.randint(1, 60)))
        first_pulled.wait()
        while batch := pull(chance.randint(1, 60)):
            got[index].extend(batch)

    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
        assert not worker.is_alive()
    return got


def test_reports_are_read_once_under_concurrent_pulls(busy_switching: None) -> None:
    backend = frozen_backend([{"name": "default", "username": "u", "balance": "1000"}])
    account = default_account(backend)
    sent = backend.submit(account, DIALECT, [Submission(to="447700900123", text="Hi") for _ in range(3000)])
    advance(backend, 10)
    assert all(message.status.final for message in backend.store.messages())
    got = concurrent_pulls(lambda limit: backend.pull_reports(account, DIALECT, limit=limit))
    ids = Counter(message.id for batch in got for message in batch)
    assert [message_id for message_id, count in ids.items() if count > 1] == []
    assert set(ids) == {message.id for message in sent}, f"{3000 - len(ids)} reports lost"
    assert all(got), "every thread took part"
    assert backend.pull_reports(account, DIALECT, limit=100) == []


def test_inbound_is_read_once_under_concurrent_pulls(busy_switching: None) -> None:
    backend = frozen_backend()
    account = default_account(backend)
    injected = [
        backend.inject_inbound(account, DIALECT, sender="447700900001", to="4412345", text=f"KEY text {n}")
        for n in range(3000)
    ]
    got = concurrent_pulls(lambda limit: backend.pull_inbound(account, DIALECT, limit=limit))
    ids = Counter(message.id for batch in got for message in batch)
    assert [message_id for message_id, count in ids.items() if count > 1] == []
    assert set(ids) == {message.id for message in injected}
    assert all(got), "every thread took part"
    assert backend.pull_inbound(account, DIALECT, limit=100) == []
    assert len(backend.inbound_logs(account, DIALECT, InboundFilter())) == 3000, "the logs keep them all"


def test_reports_filtered_by_id_leave_the_others_queued() -> None:
    backend = frozen_backend()
    account = default_account(backend)
    first, second, third = (send(backend, "15550001001") for _ in range(3))
    advance(backend, 2)
    assert backend.pull_reports(account, DIALECT, limit=10, message_ids=[second.id]) == [
        current(backend, second)
    ]
    assert backend.pull_reports(account, DIALECT, limit=10, message_ids=[second.id]) == []
    assert {message.id for message in backend.pull_reports(account, DIALECT, limit=10)} == {
        first.id,
        third.id,
    }


# accounts are isolated from each other

TWO_ACCOUNTS = [
    {"name": "alpha", "username": "alice", "password": "a-secret", "api_key": "key-a", "balance": "10"},
    {"name": "beta", "username": "bob", "password": "b-secret", "api_key": "key-b", "balance": "20"},
]


def test_accounts_are_isolated() -> None:
    backend = frozen_backend(TWO_ACCOUNTS)
    alpha, beta = backend.accounts.get("alpha"), backend.accounts.get("beta")
    assert alpha is not None and beta is not None
    mine = [send(backend, "15550001001", account=alpha) for _ in range(3)]
    theirs = [send(backend, "15550001001", account=beta, text="x" * 200)]
    backend.inject_inbound(alpha, DIALECT, sender="4470", to="4412", text="for alpha")
    backend.inject_inbound(beta, DIALECT, sender="4470", to="4412", text="for beta")
    advance(backend, 5)

    assert backend.balance(alpha) == (Decimal("10") - Decimal("0.03"), "EUR")
    assert backend.balance(beta) == (Decimal("20") - Decimal("0.02"), "EUR")
    assert {m.id for m in backend.logs(alpha, DIALECT, LogFilter())} == {m.id for m in mine}
    assert {m.id for m in backend.logs(beta, DIALECT, LogFilter())} == {m.id for m in theirs}
    assert {m.id for m in drain(lambda n: backend.pull_reports(beta, DIALECT, limit=n))} == {theirs[0].id}
    assert {m.id for m in drain(lambda n: backend.pull_reports(alpha, DIALECT, limit=n))} == {
        m.id for m in mine
    }
    assert [m.text for m in backend.pull_inbound(beta, DIALECT, limit=10)] == ["for beta"]
    assert [m.text for m in backend.pull_inbound(alpha, DIALECT, limit=10)] == ["for alpha"]
    # a message id of one account is not seen by the other's id filter either
    assert backend.logs(beta, DIALECT, LogFilter(message_ids=(mine[0].id,))) == []


def test_credentials_authenticate_only_their_own_account() -> None:
    accounts = Accounts(TWO_ACCOUNTS)
    assert accounts.authenticate("alice", "a-secret").name == "alpha"  # type: ignore[union-attr]
    assert accounts.authenticate("bob", "b-secret").name == "beta"  # type: ignore[union-attr]
    assert accounts.authenticate("alice", "b-secret") is None
    assert accounts.authenticate("bob", "a-secret") is None
    assert accounts.authenticate("Aladdin", "open sesame") is None
    assert accounts.by_api_key("key-a").name == "alpha"  # type: ignore[union-attr]
    assert accounts.by_api_key("key-c") is None
    with pytest.raises(ValueError, match="already belongs"):
        accounts.put(Account(name="gamma", username="alice", password="x"))


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"name": "x", "username": "y", "balance": "lots"}, "balance"),
        ({"name": "x", "username": "y", "balance": "NaN"}, "finite"),
        ({"name": "x", "username": "y", "price_per_part": "Infinity"}, "finite"),
        ({"name": "x", "username": "y", "colour": "red"}, "unknown"),
        ({"name": "x"}, "username"),
    ],
)
def test_bad_accounts_are_value_errors(entry: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Account.from_mapping(entry)


@given(address=st.ip_addresses())
def test_ip_lists_refuse_denied_and_unlisted_addresses(address: Any) -> None:
    account = Account.from_mapping(
        {"name": "x", "username": "y", "denied_ips": ["10.0.0.0/8"], "allowed_ips": ["10.1.0.0/16", "::1"]}
    )
    expected = None
    if address.version == 4 and address in ipaddress.ip_network("10.0.0.0/8"):
        expected = "denied"
    elif not (
        (address.version == 4 and address in ipaddress.ip_network("10.1.0.0/16"))
        or address == ipaddress.ip_address("::1")
    ):
        expected = "not_allowed"
    assert account.refuses(str(address)) == expected
    assert Account.from_mapping({"name": "x", "username": "y"}).refuses(str(address)) is None


def test_ip_lists_must_be_lists_of_addresses() -> None:
    with pytest.raises(ValueError, match="allowed_ips"):
        Account.from_mapping({"name": "x", "username": "y", "allowed_ips": "10.0.0.1"})
    with pytest.raises(ValueError, match="denied_ips"):
        Account.from_mapping({"name": "x", "username": "y", "denied_ips": ["not an address"]})
    unknown_address = Account.from_mapping({"name": "x", "username": "y", "allowed_ips": ["10.0.0.1"]})
    assert unknown_address.refuses("unix-socket") == "not_allowed"


# client references, ids and deletion


def test_client_references_find_messages_per_account_and_dialect() -> None:
    backend = frozen_backend([{"name": "a", "username": "ua"}, {"name": "b", "username": "ub"}])
    a, b = backend.accounts.get("a"), backend.accounts.get("b")
    assert a is not None and b is not None
    first = send(backend, "4470", account=a, client_ref="ref-1")
    second = send(backend, "4471", account=a, client_ref="ref-1")
    send(backend, "4470", account=b, client_ref="ref-1")
    first, second = current(backend, first), current(backend, second)
    assert backend.by_client_ref(a, DIALECT, "ref-1") == [first, second]
    assert backend.by_client_ref(a, "qikli", "ref-1") == []
    assert backend.by_client_ref(a, DIALECT, "ref-2") == []
    assert backend.message(a, DIALECT, first.id) == current(backend, first)
    assert backend.message(b, DIALECT, first.id) is None, "another account's message is not found"
    assert backend.message(a, "qikli", first.id) is None


def test_a_dialect_may_issue_its_own_ids() -> None:
    backend = frozen_backend()
    counter = iter(range(1000, 2000))
    messages = backend.submit(
        default_account(backend),
        DIALECT,
        [Submission(to="4470", text="a"), Submission(to="4471", text="b", message_id="mine")],
        new_id=lambda: str(next(counter)),
    )
    assert [message.id for message in messages] == ["1000", "mine"]


def test_a_deleted_message_keeps_its_record_but_loses_its_report() -> None:
    backend = frozen_backend()
    account = default_account(backend)
    message = send(backend, "15550001001")
    deleted = backend.delete_message(message.id)
    assert deleted is not None and deleted.id == message.id and deleted.deleted
    advance(backend, 5)
    message = current(backend, message)
    assert message.deleted, "the deletion was kept"
    assert message.status.name == "DELIVERED_TO_HANDSET"
    assert backend.pull_reports(account, DIALECT, limit=10) == []
    assert backend.delete_message("no-such-id") is None


# validity and scheduled sends


def test_a_never_delivered_message_expires_at_its_validity_end() -> None:
    backend = frozen_backend()
    message = send(backend, "15550001006", validity_minutes=30)
    assert message.expires_at == START + timedelta(minutes=30)
    advance(backend, 30 * 60 - 1)
    assert current(backend, message).status.name == "PENDING_WAITING_DELIVERY"
    assert backend.pull_reports(default_account(backend), DIALECT, limit=10) == []
    advance(backend, 1)
    message = current(backend, message)
    assert (message.status.name, message.error.name) == ("EXPIRED_EXPIRED", "EC_ValidityExpired")
    assert message.done_at == START + timedelta(minutes=30)
    assert backend.pull_reports(default_account(backend), DIALECT, limit=10) == [message]


def test_a_delivered_message_leaves_no_step_pending() -> None:
    """Its expiry would wait out the validity (48 hours) for nothing, in the store's memory."""
    backend = frozen_backend()
    message = send(backend, "15550001001")
    advance(backend, 5)
    assert current(backend, message).status.name == "DELIVERED_TO_HANDSET"
    assert backend.store.next_due() is None


def test_a_delivery_due_after_the_validity_end_expires_instead() -> None:
    late = {"to": "4179[0-9]+", "status": "DELIVERED_TO_HANDSET", "after": 3600}
    backend = frozen_backend(rules=rules([late]))
    message = send(backend, "41793026727", validity_minutes=30)
    advance(backend, 30 * 60)
    assert current(backend, message).status.name == "EXPIRED_EXPIRED"
    advance(backend, 3600)
    assert current(backend, message).status.name == "EXPIRED_EXPIRED", "a final status stays"


def test_validity_is_at_most_48_hours() -> None:
    backend = frozen_backend()
    message = send(backend, "15550001006", validity_minutes=10_000)
    assert message.validity_minutes == 48 * 60
    advance(backend, 48 * 3600 - 1)
    assert current(backend, message).status.group_name == "PENDING"
    advance(backend, 1)
    assert current(backend, message).status.name == "EXPIRED_EXPIRED"


def test_send_at_keeps_a_message_accepted_until_due() -> None:
    backend = frozen_backend()
    due = START + timedelta(hours=1)
    message = send(backend, "15550001001", send_at=due)
    assert message.send_at == due
    advance(backend, 3600 - 1)
    waiting = current(backend, message)
    assert waiting.status.name == "MESSAGE_ACCEPTED"
    assert waiting.sent_at is None
    advance(backend, 1)
    sent = current(backend, message)
    assert sent.status.name == "PENDING_ENROUTE"
    assert sent.sent_at == due
    advance(backend, 1)
    message = current(backend, message)
    assert message.status.name == "DELIVERED_TO_HANDSET"
    assert message.done_at == due + timedelta(seconds=1)


def test_a_past_send_at_sends_at_once() -> None:
    backend = frozen_backend()
    message = send(backend, "15550001001", send_at=START - timedelta(hours=1))
    assert message.send_at is None
    advance(backend, 1)
    assert current(backend, message).status.name == "DELIVERED_TO_HANDSET"


# rejections


def test_a_duplicate_client_message_id_is_rejected() -> None:
    backend = frozen_backend()
    account = default_account(backend)
    first = send(backend, "15550001001", message_id="order-17")
    assert first.id == "order-17"
    again = send(backend, "15550001001", message_id="order-17")
    assert again.id != "order-17"
    assert again.status.name == "REJECTED_DUPLICATE_MESSAGE_ID"
    same_request = backend.submit(
        account, DIALECT, [Submission(to="4470", text="a", message_id="x-1") for _ in range(2)]
    )
    assert [message.status.name for message in same_request] == [
        "MESSAGE_ACCEPTED",
        "REJECTED_DUPLICATE_MESSAGE_ID",
    ]
    assert backend.balance(account)[0] == Decimal("100") - Decimal("0.02"), "duplicates are not charged"


def test_not_enough_credits_rejects_without_charging() -> None:
    backend = frozen_backend([{"name": "default", "username": "u", "balance": "0.02"}])
    account = default_account(backend)
    three_parts = send(backend, "4470", text="x" * 400)
    assert three_parts.parts == 3
    assert three_parts.status.name == "REJECTED_NOT_ENOUGH_CREDITS"
    assert backend.balance(account)[0] == Decimal("0.02")
    two_parts = send(backend, "4470", text="x" * 300)
    assert two_parts.status.name == "MESSAGE_ACCEPTED"
    assert backend.balance(account)[0] == Decimal("0")
    assert send(backend, "4470").status.name == "REJECTED_NOT_ENOUGH_CREDITS"


def test_a_message_of_more_than_255_parts_is_rejected() -> None:
    backend = frozen_backend()
    account = default_account(backend)
    longest = send(backend, "4470", text="x" * (153 * 255))
    assert (longest.parts, longest.status.name) == (255, "MESSAGE_ACCEPTED")
    balance = backend.balance(account)[0]
    too_long = send(backend, "4470", text="x" * (153 * 255 + 1))
    assert too_long.status.name == "REJECTED_MESSAGE_TOO_LONG"
    assert backend.balance(account)[0] == balance, "a rejected message costs nothing"
    binary = backend.submit(
        account, DIALECT, [Submission(to="4470", binary_hex="00" * (134 * 255 + 1), profile="binary")]
    )[0]
    assert binary.status.name == "REJECTED_MESSAGE_TOO_LONG"
    assert backend.balance(account)[0] == balance


@given(st.binary(min_size=16, max_size=16))
def test_a_message_id_is_the_version_4_uuid_of_its_random_octets(octets: bytes) -> None:
    assert uuid4_text(octets) == str(uuid.UUID(bytes=octets, version=4))


@settings(max_examples=25, deadline=None)
@given(
    numbers=st.lists(
        st.sampled_from(["41793026727", "+41793026727", "0041 79 302 67 28"]), min_size=2, max_size=8
    ),
    senders=st.lists(st.sampled_from(["InfoSMS", "Info", "infosms"]), min_size=8, max_size=8),
)
def test_the_memory_store_keeps_one_string_per_destination_and_sender(
    numbers: list[str], senders: list[str]
) -> None:
    """Messages to one destination, or from one sender id, share its string: a million of them take no
    million copies. Each still reads as it was sent."""
    backend = Backend(clock=Clock(frozen=True), store=MemoryStore())
    account = backend.accounts.get("default")
    sent = []
    for number, sender in zip(numbers, senders, strict=False):
        # Strings of their own, as each parsed request body has.
        to, sender_id = "".join(("", number)), "".join(("", sender))
        backend.submit(account, "shortlink", [Submission(to=to, sender=sender_id, text="Hi")])
        sent.append((number, sender))
    stored = backend.store.messages()
    assert [(message.to, message.sender) for message in stored] == sent
    for one in stored:
        for other in stored:
            if one.to == other.to:
                assert one.to is other.to
            if one.sender == other.sender:
                assert one.sender is other.sender
