"""The core's commands: submit, pull reports, logs, balance, inbound, Number Context, and the due events.

A dialect decodes a request into one of these calls and renders what it returns; the backend never
sees HTTP. Every state change goes through the store, every moment comes from the clock.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol

from smsmock.core import lifecycle, numbering
from smsmock.core.accounts import Account, Accounts
from smsmock.core.clock import Clock
from smsmock.core.commands import InboundFilter, LogFilter, NumberAnswer, Submission
from smsmock.core.messages import InboundMessage, Message, WebhookAttempt, new_uuid
from smsmock.core.paging import MAX_LIMIT, Page, every
from smsmock.core.rules import OutcomeRules, normalise_number
from smsmock.core.shared import SharedSettings
from smsmock.core.stores import DuplicateMessageId, Event, MessageQuery, Store, StoreError
from smsmock.core.stores.memory import MemoryStore
from smsmock.core.vocabulary import ACCEPTED, NO_ERROR, vocabulary
from smsmock.encoding import Encoding, TooManyParts, dialect_profiles, measure
from smsmock.encoding.transliteration import transliterate

_log = logging.getLogger("smsmock")

MAX_VALIDITY_MINUTES = 48 * 60
LOG_WINDOW = timedelta(hours=48)
NUMBER_CALLBACK_DELAY = 1.0
"""Seconds between an asynchronous Number Context request and its callback."""
DUE_TOLERANCE = 1e-6
"""An event this close ahead of the clock counts as due. Moments are kept to the microsecond, and a float
timestamp of this century holds about a quarter of one: the same moment reached by two sums (0.9 + 0.1
and 1.0 seconds) may differ in the last bit."""
STEP_BATCH = 1000
"""Events one pop takes: a process holds no more at once, and sends what they changed before the next."""
RETRY_BACKOFF = (1.0, 5.0, 30.0, 120.0)
"""Seconds before each retry of a failed callback; after the last, the report waits to be pulled."""
NO_KEYWORD = "NO_KEYWORD"
DUPLICATE_RETRIES = 3
"""Times a send is stored again after losing a race for client ids (each loss refuses the ids it lost)."""


@dataclass(frozen=True, slots=True)
class Callback:
    """A POST the mock owes a client: a delivery report or a Number Context result."""

    kind: str
    """`dlr` or `number`."""
    dialect: str
    account: str
    url: str
    content_type: str
    subject: str
    """The message id (or bulk id of a Number Context request) the callback is about."""
    payload: Any
    attempt: int = 1


_SHARED_OPTIONS: dict[tuple[tuple[str, type, Any], ...], dict[str, Any]] = {}
SHARED_OPTIONS_MOST = 1024
"""Distinct option sets kept for sharing; past that, each message keeps its own."""


def _shared_options(options: dict[str, Any]) -> dict[str, Any]:
    """One dict for every message with these options (most sends carry the same few): a stored message
    then costs no dict of its own. Shared, so never changed in place: a change replaces it."""
    try:
        # The type too: True and 1 are equal keys, but not the same option in a reply.
        key = tuple((name, type(value), value) for name, value in options.items())
        shared = _SHARED_OPTIONS.get(key)
        if shared is None and len(_SHARED_OPTIONS) < SHARED_OPTIONS_MOST:
            shared = _SHARED_OPTIONS[key] = options
    except TypeError:  # a value that is itself a dict or list (shortlink's tracking): its own
        return options
    return options if shared is None else shared


def _national_request(submission: Submission, account: Account) -> dict[str, Any]:
    """The national tables a text's client asked for, and the policy they were counted by: kept with the
    message, so that the parts can be drawn again as they were counted (the inbox does)."""
    if submission.language is None or submission.text is None:
        return {}
    if not (submission.single_shift or submission.locking_shift):
        return {}
    return {
        "national_language": submission.language,
        "single_shift": submission.single_shift,
        "locking_shift": submission.locking_shift,
        "national_policy": account.national_policy,
    }


_sent_by_request: ContextVar[list[str] | None] = ContextVar("smsmock_sent_by_request", default=None)
"""The ids of the messages the request being handled sent (the access log and the journal name them)."""


@contextmanager
def collecting_message_ids() -> Iterator[list[str]]:
    """Within the block, every message submitted is named in the list it yields."""
    found: list[str] = []
    token = _sent_by_request.set(found)
    try:
        yield found
    finally:
        _sent_by_request.reset(token)


def current_message_ids() -> list[str]:
    """The ids of the messages sent so far by the request being handled (none outside one)."""
    return list(_sent_by_request.get() or ())


class Notifier(Protocol):
    """Delivers callbacks off the request path and reports each attempt back."""

    def submit(self, callback: Callback) -> None: ...


class Backend:
    """All the mock's state and behaviour, shared by every dialect."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        accounts: Accounts | None = None,
        rules: OutcomeRules | None = None,
        store: Store | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.store: Store = store or MemoryStore()
        self.accounts = accounts or Accounts(settings=SharedSettings(self.store))
        self.rules = rules or OutcomeRules.default_rules()
        self.notifier: Notifier | None = None
        self._tick_lock = threading.Lock()
        self._soonest_scheduled = math.inf
        """The earliest moment scheduled since the tick began its latest run of events."""
        self._words = vocabulary()

    # sending

    def submit(
        self,
        account: Account,
        dialect: str,
        submissions: Sequence[Submission],
        *,
        new_id: Callable[[], str] | None = None,
    ) -> list[Message]:
        """Accept (or reject) one message per destination; the reply shows each one's status.

        A message without a client-given id gets `new_id()`, or a UUID: dialects whose ids have
        another form (quicktel's decimal push_id) pass their own.
        """
        self.tick()
        with self.store.atomic():  # the whole send is stored, and charged, or none of it
            return self._submit(account, dialect, submissions, new_id)

    def _submit(
        self,
        account: Account,
        dialect: str,
        submissions: Sequence[Submission],
        new_id: Callable[[], str] | None,
    ) -> list[Message]:
        stamp = self.clock.timestamp()
        now = datetime.fromtimestamp(stamp, timezone.utc)
        profiles = dialect_profiles(dialect)
        messages = []
        seen_ids: set[str] = set()
        for submission in submissions:
            message = self._new_message(account, dialect, submission, profiles, now, seen_ids, new_id)
            messages.append(message)
        self._charge(account, messages, now)
        stored = self._store_new(account, messages, now)
        collected = _sent_by_request.get()
        if collected is not None:
            collected.extend(message.id for message in messages)
        for message in stored:
            if message.status.final:
                self._finished(message)
            elif message.status.group_name == "ACCEPTED" and message.sent_at is None:
                # The clock's own float, not `now` (rounded to microseconds): a send due "now" must
                # not fall a fraction of a microsecond after the clock.
                due = stamp if message.send_at is None else message.send_at.timestamp()
                assert message.outcome is not None
                self._schedule(due + message.outcome.queued, "send", message.id)
            else:
                self._schedule_after_sending(message, stamp)
        return messages

    def _store_new(self, account: Account, messages: list[Message], now: datetime) -> list[Message]:
        """Store a send's messages, as they stand once sent when their send step is due at once; the
        messages stored. One whose client id another send took meanwhile is a duplicate.

        The check at submission reads the store before the messages are added, so two sends racing for
        one id (two threads, two processes on one store) can both pass it: the store's atomic add
        decides, and the loser is refused as the document says, its charge given back.
        """
        for attempt in range(DUPLICATE_RETRIES + 1):
            stored = [self._sent_at_once(message, now) for message in messages]
            try:
                self.store.add_messages(stored)
                return stored
            except DuplicateMessageId as taken:
                if attempt == DUPLICATE_RETRIES:
                    raise
                for message in messages:
                    if message.id in taken.ids:
                        self._refuse_duplicate(account, message)
        raise AssertionError("unreachable")

    def _sent_at_once(self, message: Message, now: datetime) -> Message:
        """The message as its send step leaves it, when that step is due as it is accepted; else itself.

        Run here, the step costs the stores no second write of the message and no event. The reply is
        made from `message`, which stays as accepted: the copy is what is stored.
        """
        outcome = message.outcome
        if message.status.final or message.send_at is not None or outcome is None or outcome.queued:
            return message
        sent = message.copy()  # its history a tuple, shared until the step adds to it
        self._send_step(sent, now)  # the moment it was accepted: one object for both, as it is kept
        return sent

    def _refuse_duplicate(self, account: Account, message: Message) -> None:
        message.id = new_uuid()
        message.options = {**message.options, "client_id": False}  # it may be shared: a copy
        if message.status.final:
            return  # refused already for another reason, and charged nothing
        self.accounts.refund(account, message.price)  # it is not sent
        words, at = self._words, message.submitted_at
        lifecycle.move(message, words.status("REJECTED_DUPLICATE_MESSAGE_ID"), words.error(NO_ERROR), at)
        message.sent_at = at

    def _new_message(
        self,
        account: Account,
        dialect: str,
        submission: Submission,
        profiles: dict[str, Any],
        now: datetime,
        seen_ids: set[str],
        new_id: Callable[[], str] | None,
    ) -> Message:
        text = submission.text
        if text is not None and submission.transliteration:
            text = transliterate(text, submission.transliteration)
        profile = profiles.get(submission.profile) or next(iter(profiles.values()))
        rejection = submission.rejection
        if submission.binary_hex is not None:
            encoding, units = Encoding.BINARY.value, len(submission.binary_hex.replace(" ", "")) // 2
            limits = profile.limits(Encoding.BINARY)
            parts = 1 if units <= limits.single else -(-units // limits.concatenated)
            if parts > limits.max_parts:
                rejection = rejection or "REJECTED_MESSAGE_TOO_LONG"
        else:
            try:
                counted = measure(
                    text or "",
                    language=submission.language,
                    single_shift=submission.single_shift,
                    locking_shift=submission.locking_shift,
                    profile=profile,
                    national_policy=account.national_policy,
                    # A profile that travels as UCS-2 (unified's Unicode types) counts so, whatever the text.
                    encoding=Encoding.UCS2 if profile.encoding is Encoding.UCS2 else None,
                )
                encoding, units, parts = counted.encoding.value, counted.units, counted.segments
            except TooManyParts:
                encoding, units = Encoding.UCS2.value, len(text or "")
                parts = -(-units // profile.limits(Encoding.UCS2).concatenated)
                rejection = rejection or "REJECTED_MESSAGE_TOO_LONG"
        client_id = submission.message_id
        if client_id and (client_id in seen_ids or self.store.has_client_id(account.name, client_id)):
            rejection = rejection or "REJECTED_DUPLICATE_MESSAGE_ID"
            client_id = None
        if client_id:
            seen_ids.add(client_id)
        decision = self.rules.decide(submission.to, dialect, account.name, text)
        outcome = decision.outcome
        if rejection is None and outcome.status.group_name == "REJECTED":
            rejection = outcome.status.name
        validity = min(submission.validity_minutes or MAX_VALIDITY_MINUTES, MAX_VALIDITY_MINUTES)
        send_at = submission.send_at if submission.send_at and submission.send_at > now else None
        network = numbering.lookup(submission.to)
        message = Message(
            id=client_id or (new_id() if new_id is not None else new_uuid()),
            account=account.name,
            dialect=dialect,
            to=submission.to,
            sender=submission.sender,
            text=text,
            binary_hex=submission.binary_hex,
            encoding=encoding,
            units=units,
            parts=parts,
            price_per_part=account.price_per_part,
            currency=account.currency,
            status=self._words.status(ACCEPTED),
            error=self._words.error(NO_ERROR),
            submitted_at=now,
            bulk_id=submission.bulk_id,
            send_at=send_at,
            expires_at=(send_at or now) + timedelta(minutes=validity),
            validity_minutes=validity,
            notify_url=submission.notify_url,
            notify_content_type=submission.notify_content_type,
            callback_data=submission.callback_data,
            outcome=outcome,
            mcc_mnc=None if network is None else sys.intern(network.mcc_mnc),
            options=_shared_options(
                {**submission.options, "client_id": bool(client_id), **_national_request(submission, account)}
            ),
            client_ref=submission.client_ref,
        )
        message.changes = (now, message.status, message.error)
        if rejection is not None:
            # A rule's own rejection keeps the rule's error; the mock's checks carry none.
            error = outcome.error if rejection == outcome.status.name else self._words.error(NO_ERROR)
            message.sent_at = now
            lifecycle.move(message, self._words.status(rejection), error, now)
        return message

    def _charge(self, account: Account, messages: list[Message], now: datetime) -> None:
        """Charge the send's messages that were not refused, in order, in one change of the balance; a
        message the balance no longer covers is refused."""
        unpaid = [message for message in messages if not message.status.final]
        covered = self.accounts.charge_each(account, [message.price for message in unpaid])
        for message, paid in zip(unpaid, covered, strict=True):
            if not paid:
                message.sent_at = now
                words = self._words
                lifecycle.move(
                    message, words.status("REJECTED_NOT_ENOUGH_CREDITS"), words.error(NO_ERROR), now
                )

    # the lifecycle, driven by the clock

    def tick(self) -> int:
        """Run every event that has fallen due by the clock; returns how many ran."""
        upcoming = self.store.next_due()
        nothing_due = upcoming is None or upcoming > self.clock.timestamp() + DUE_TOLERANCE
        # While another thread runs events it popped, they are not in the heap: wait for it, so a
        # caller never reads state an already due event has yet to change.
        if nothing_due and not self._tick_lock.locked():
            return 0
        ran = 0
        # Popping under the tick lock runs events in due order even when requests tick concurrently,
        # and looping runs what the events themselves make due (a send's finish after 0 s, a callback).
        # The store's transaction comes first, the tick lock second, in the order of a request that
        # ticks inside its own transaction: the other order would have each wait for the other.
        with self.store.atomic(), self._tick_lock:  # the events popped run whole, or stay due
            while True:
                self._soonest_scheduled = math.inf
                due = self.store.pop_due(self.clock.timestamp() + DUE_TOLERANCE, STEP_BATCH)
                self._run_all(due)
                ran += len(due)
                # Again if the batch was full, or if the events made more due at once: whatever else
                # falls due meanwhile (another process's) the next tick runs, which saves asking.
                if not due or (
                    len(due) < STEP_BATCH and self._soonest_scheduled > self.clock.timestamp() + DUE_TOLERANCE
                ):
                    return ran

    def _schedule(self, due: float, kind: str, subject: str, **data: Any) -> None:
        self.store.schedule(due, kind, subject, **data)
        self._soonest_scheduled = min(self._soonest_scheduled, due)

    def _run_all(self, due: list[Event]) -> None:
        # A message the store read along with its event is as it stood before the run: one an
        # earlier event of the run moved is taken as it is now.
        moved: dict[str, Message] = {}
        for event in due:
            try:
                message = moved.get(event.subject) or event.message
                if (
                    message := self._run(event.kind, event.subject, event.data, event.due, message)
                ) is not None:
                    moved[message.id] = message
            except StoreError:
                raise  # the store is away: the request that ticked says so
            except Exception:
                # A bug in one message's step must not stop every other message's lifecycle.
                _log.exception("smsmock: the %s step of %s failed", event.kind, event.subject)

    def _run(
        self, kind: str, subject: str, data: dict[str, Any], due: float, message: Message | None = None
    ) -> Message | None:
        """Run one event; the message it moved, if any. `message` is the subject as it stands, if known."""
        at = datetime.fromtimestamp(due, timezone.utc)
        if kind == "callback":
            if self.notifier is not None:
                self.notifier.submit(data["callback"])
            return None
        message = message or self.store.message(subject)
        if message is None or message.status.final:
            return None
        words = self._words
        # A step's follow-ups are stored before the message: a process stopped in between leaves a
        # message one step behind its events, which the next step catches up with, never the reverse.
        if kind == "send":
            self._send_step(message, at)
            self._schedule_after_sending(message, due)
        elif kind == "finish":
            assert message.outcome is not None
            if message.status.group_name == "ACCEPTED":  # its send step was cut short
                message.sent_at = message.sent_at or at
                lifecycle.move(message, words.status("PENDING_ENROUTE"), words.error(NO_ERROR), at)
            if message.outcome.status.name != message.status.name:
                lifecycle.move(message, message.outcome.status, message.outcome.error, at)
        elif kind == "expire":
            lifecycle.move(message, words.status("EXPIRED_EXPIRED"), words.error("EC_ValidityExpired"), at)
        self.store.update_message(message)
        if message.status.final:
            self._finished(message)
        return message

    def _send_step(self, message: Message, at: datetime) -> None:
        """Send the message to the network: on its way, unless its rule keeps it accepted."""
        message.sent_at = at
        assert message.outcome is not None
        # A rule's MESSAGE_ACCEPTED (status 0) keeps the message accepted until its validity ends.
        if message.outcome.status.group_name != "ACCEPTED":
            words = self._words
            lifecycle.move(message, words.status("PENDING_ENROUTE"), words.error(NO_ERROR), at)

    def _schedule_after_sending(self, message: Message, sent: float) -> None:
        """The events a message sent at `sent` waits for: its final status and its expiry."""
        assert message.outcome is not None
        finishes = message.outcome.status.group_name != "ACCEPTED"
        # No expiry for a message whose final status comes first: a delivered message's expiry
        # would wait out the validity (48 hours by default) for nothing, in the store's memory.
        if message.expires_at is not None and not (
            finishes
            and message.outcome.status.final
            and sent + message.outcome.after < message.expires_at.timestamp()
        ):
            self._schedule(message.expires_at.timestamp(), "expire", message.id)
        if finishes:
            self._schedule(sent + message.outcome.after, "finish", message.id)

    def _finished(self, message: Message) -> None:
        """A final status makes a delivery report: pushed to notifyUrl, or queued for pulling."""
        if message.notify_url:
            callback = Callback(
                "dlr",
                message.dialect,
                message.account,
                message.notify_url,
                message.notify_content_type or "application/json",
                message.id,
                message,
            )
            self._schedule_callback(callback, self.clock.timestamp())
        else:
            self.store.push_report((message.account, message.dialect), message.id)

    def _schedule_callback(self, callback: Callback, due: float) -> None:
        self._schedule(due, "callback", callback.subject, callback=callback)

    def callback_attempted(
        self, callback: Callback, status_code: int | None, error: str | None, reply: str | None = None
    ) -> None:
        """Record one POST to a notifyUrl; a failed one is retried with back-off, then given up on.

        A report whose every push failed is queued for pulling, so it is never lost. A report pushed
        successfully is not pulled as well: the client has it already.
        """
        attempt = WebhookAttempt(
            callback.subject,
            callback.url,
            callback.attempt,
            self.clock.now(),
            status_code,
            error,
            callback.content_type,
            reply,
        )
        self.store.add_attempt(attempt)
        if attempt.succeeded:
            return
        if callback.attempt <= len(RETRY_BACKOFF):
            retry = replace(callback, attempt=callback.attempt + 1)
            self._schedule_callback(retry, self.clock.timestamp() + RETRY_BACKOFF[callback.attempt - 1])
        elif callback.kind == "dlr":
            self.store.push_report((callback.account, callback.dialect), callback.subject)

    # reading back

    def pull_reports(
        self,
        account: Account,
        dialect: str,
        *,
        limit: int,
        bulk_ids: Sequence[str] = (),
        message_ids: Sequence[str] = (),
    ) -> list[Message]:
        """Delivery reports not handed out before; each one is handed out exactly once."""
        self.tick()
        wanted_bulks, wanted_ids = set(bulk_ids), set(message_ids)

        def accept(message: Message) -> bool:
            if wanted_bulks and message.bulk_id not in wanted_bulks:
                return False
            return not wanted_ids or message.id in wanted_ids

        return self.store.pull_reports((account.name, dialect), limit, accept)

    def logs(self, account: Account, dialect: str, filters: LogFilter) -> list[Message]:
        """Sent messages of the last 48 hours by the clock, newest first; repeatable."""
        self.tick()
        now = self.clock.now()
        oldest = now - LOG_WINDOW
        group = filters.general_status.upper() if filters.general_status else None

        def accept(message: Message) -> bool:
            sent = message.sent_at or message.submitted_at
            if message.account != account.name or message.dialect != dialect or sent < oldest:
                return False
            if filters.sender is not None and message.sender != filters.sender:
                return False
            if filters.to is not None and normalise_number(message.to) != normalise_number(filters.to):
                return False
            if filters.bulk_ids and message.bulk_id not in filters.bulk_ids:
                return False
            if filters.message_ids and message.id not in filters.message_ids:
                return False
            if group is not None and message.status.group_name != group:
                return False
            if filters.sent_since is not None and sent < filters.sent_since:
                return False
            if filters.sent_until is not None and sent > filters.sent_until:
                return False
            if filters.mcc is not None and not (message.mcc_mnc or "").startswith(filters.mcc):
                return False
            return filters.mnc is None or (message.mcc_mnc or "")[3:] == filters.mnc

        found = _newest_first(self.store.messages(accept))
        return found if filters.limit is None else found[: filters.limit]

    def message(self, account: Account, dialect: str, message_id: str) -> Message | None:
        """One of the account's messages sent through `dialect`, by id; None for anyone else's."""
        self.tick()
        message = self.store.message(message_id)
        if message is None or message.account != account.name or message.dialect != dialect:
            return None
        return message

    def by_client_ref(self, account: Account, dialect: str, ref: str) -> list[Message]:
        """The account's messages sent through `dialect` with this client reference, oldest first."""
        self.tick()
        return self.store.by_client_ref(account.name, dialect, ref)

    def delete_message(self, message_id: str) -> Message | None:
        """The account holder deletes a message: it stays known, but its report is gone for good."""
        self.tick()
        message = self.store.message(message_id)
        if message is not None:
            message.deleted = True
            self.store.update_message(message)
        return message

    def balance(self, account: Account) -> tuple[Decimal, str]:
        return self.accounts.balance(account), account.currency

    # inbound

    def inject_inbound(
        self,
        account: Account,
        dialect: str,
        *,
        sender: str,
        to: str,
        text: str,
        keyword: str | None = None,
        received_at: datetime | None = None,
    ) -> InboundMessage:
        """A mobile-originated message arrives; it waits to be pulled once and stays in the logs."""
        if keyword is None:
            keyword, clean_text = split_keyword(text)
        else:
            clean_text = text[len(keyword) :].lstrip() if text.upper().startswith(keyword.upper()) else text
        try:
            parts = measure(text).segments
        except TooManyParts:
            parts = 255
        message = InboundMessage(
            id=new_uuid(),
            account=account.name,
            dialect=dialect,
            sender=sender,
            to=to,
            text=text,
            keyword=keyword,
            clean_text=clean_text,
            received_at=received_at or self.clock.now(),
            parts=parts,
        )
        self.store.add_inbound(message)
        return message

    def pull_inbound(self, account: Account, dialect: str, *, limit: int) -> list[InboundMessage]:
        return self.store.pull_inbound((account.name, dialect), limit)

    def inbound_logs(self, account: Account, dialect: str, filters: InboundFilter) -> list[InboundMessage]:
        keyword = filters.keyword

        def accept(message: InboundMessage) -> bool:
            if message.account != account.name or message.dialect != dialect:
                return False
            if keyword is not None:
                wanted = "" if keyword.upper() == NO_KEYWORD else keyword.upper()
                if message.keyword.upper() != wanted:
                    return False
            if filters.to is not None and normalise_number(message.to) != normalise_number(filters.to):
                return False
            if filters.received_since is not None and message.received_at < filters.received_since:
                return False
            return filters.received_until is None or message.received_at <= filters.received_until

        found = self.store.inbound(accept)
        found = sorted(reversed(found), key=lambda message: message.received_at, reverse=True)
        return found if filters.limit is None else found[: filters.limit]

    # Number Context

    def number_query(self, account: Account, dialect: str, numbers: Sequence[str]) -> list[NumberAnswer]:
        return [self._number_answer(account, dialect, number) for number in numbers]

    def number_notify(
        self,
        account: Account,
        dialect: str,
        numbers: Sequence[str],
        *,
        notify_url: str,
        content_type: str,
        bulk_id: str | None = None,
    ) -> list[NumberAnswer]:
        """Acknowledge each valid number as pending; the full answers are POSTed to notifyUrl later."""
        words = self._words
        acks, answers = [], []
        for number in numbers:
            answer = self._number_answer(account, dialect, number)
            if answer.status.name == "REJECTED_DESTINATION":
                acks.append(answer)
                continue
            message_id = new_uuid()
            acks.append(
                NumberAnswer(
                    number, words.status("PENDING_ENROUTE"), words.error(NO_ERROR), message_id=message_id
                )
            )
            answers.append(answer)
        if answers:
            callback = Callback(
                "number",
                dialect,
                account.name,
                notify_url,
                content_type,
                bulk_id or acks[0].message_id or "",
                answers,
            )
            self._schedule_callback(callback, self.clock.timestamp() + NUMBER_CALLBACK_DELAY)
        return acks

    def _number_answer(self, account: Account, dialect: str, number: str) -> NumberAnswer:
        words = self._words
        digits = normalise_number(number)
        if not digits.isdigit() or not 3 <= len(digits) <= 15:
            return NumberAnswer(number, words.status("REJECTED_DESTINATION"), words.error(NO_ERROR))
        network = numbering.lookup(digits)
        if network is None:
            return NumberAnswer(
                number, words.status("UNDELIVERABLE_NOT_DELIVERED"), words.error("EC_UNKNOWN_SUBSCRIBER")
            )
        decision = self.rules.decide(number, dialect, account.name)
        outcome = decision.outcome
        ported = numbering.lookup(decision.ported_to + "0000000") if decision.ported_to else None
        roaming = numbering.lookup(decision.roaming_in + "0000000") if decision.roaming_in else None
        serving = roaming or ported or network
        return NumberAnswer(
            to=number,
            status=outcome.status,
            error=outcome.error,
            network=network,
            ported_network=ported,
            roaming_network=roaming,
            imsi=numbering.imsi_for(digits, ported or network),
            serving_msc=numbering.serving_msc_for(serving, digits),
        )

    # the control API's view

    def messages(self, predicate: Callable[[Message], bool] | None = None) -> list[Message]:
        """Every stored message (that `predicate` accepts), newest first; what is due runs first."""
        found = list(every(lambda cursor: self.message_page(MessageQuery(limit=MAX_LIMIT, before=cursor))))
        return found if predicate is None else [message for message in found if predicate(message)]

    def message_page(self, query: MessageQuery) -> Page[Message]:
        """One page of the stored messages, newest first, filtered by the store; what is due runs first."""
        self.tick()
        return self.store.query(query)

    def reset(self) -> None:
        self.store.clear()


def _newest_first(messages: list[Message]) -> list[Message]:
    """By submission time, newest first; messages of the same moment (a frozen clock) latest sent first.

    The store keeps messages in the order they were added, and a stable sort keeps that order among
    equal times, so reversing before the sort puts the later of two same-moment messages first.
    """
    return sorted(reversed(messages), key=lambda message: message.submitted_at, reverse=True)


def split_keyword(text: str) -> tuple[str, str]:
    """The keyword is the first word when it is written in capitals ("KEY Test message"); else none."""
    head, _, rest = text.strip().partition(" ")
    if head and head.isupper() and head.isalnum() and rest:
        return head, rest.lstrip()
    return "", text
