"""The SQLite store (`sqlite:PATH`): the mock's state in one file, shared by every process that opens it.

Durability: WAL journal with `synchronous=NORMAL`. Every store call that returns has committed, so a
process killed at any moment (SIGKILL included) loses nothing it acknowledged. A power loss or an
operating-system crash may lose the last commits before a checkpoint (the WAL is synced then, not at
every commit); it never corrupts the file.

Concurrency: a pool of connections, one borrowed per store call and given back at its end, so
threads never wait for one another's reads and no lock is held between calls. Every
read-modify-write runs in `BEGIN IMMEDIATE`, so two processes on one file never hand out one report,
inbound message or due event twice; the threads of one process take turns to write on a lock of the
process's own, woken as the writer before them ends.

Cost: a send is one transaction (its message, its events, the charge, the journal's entry, and the
steps of other messages that fell due), and what it costs is mostly its commit, a page of the
write-ahead log for every table and index it writes to, and its statements. So the schema keeps only
the indexes a query walks, the message counts move in the calls' own statements (not in triggers),
a step reads back the message its predecessor wrote without parsing it (records.WrittenMessages), and
a request's first two reads (the settings version and the soonest due moment) are one statement.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import os
import sqlite3
import stat
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from smsmock.core import records
from smsmock.core.messages import LONE_SURROGATE, InboundMessage, Message, WebhookAttempt
from smsmock.core.paging import Page
from smsmock.core.rules import normalise_number
from smsmock.core.stores import (
    DuplicateMessageId,
    Event,
    MessageQuery,
    Queue,
    StoreError,
    StoreStats,
    keep_look,
    search_forms,
    take_look,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0
"""Seconds a call waits for another process's write to finish before the store is called locked."""
CHUNK = 1000
"""Rows read at a time when every message is walked: memory stays bounded by what matches."""
ID_BATCH = 500
"""Ids one statement looks up: below the 999 parameters of SQLite before 3.32."""
CHECKPOINT_INTERVAL = 0.5
"""Seconds between two checkpoints of the store's checkpoint thread."""
CHECKPOINT_RESTART_PAGES = 4_000
"""WAL pages (16 MB) past which the checkpoint thread makes the next write start the WAL over."""
CHECKPOINT_PAGES = 50_000
"""WAL pages (200 MB) past which a commit checkpoints itself: only when the thread falls behind."""
SEARCH_INDEX_RATIO = 8
"""A search walks the search index (every message) unless the other filters' indexes walk fewer than
an eighth as many: an entry of theirs costs a read of the table's row, about eight entries of the
search index (measured with 100,000 messages)."""
_SCHEMA_PACKAGE = "smsmock.core.stores.sqlite_schema"

_REASONS = {
    "file is not a database": "is not an SQLite database (a corrupt file, or another kind of file)",
    "database disk image is malformed": "is corrupt (the database disk image is malformed)",
    "database is locked": "is locked by another process",
    "attempt to write a readonly database": "is read-only",
    "unable to open database file": "cannot be opened or created (is its directory there and writable?)",
    "disk I/O error": "cannot be read or written (disk I/O error)",
    "database or disk is full": "cannot grow: the disk is full",
}


def schema_versions() -> dict[int, str]:
    """The DDL of every schema version, by version number: each one's own file under sqlite_schema/."""
    found = {}
    for entry in resources.files(_SCHEMA_PACKAGE).iterdir():
        stem, _, suffix = entry.name.partition(".")
        if suffix == "sql" and stem.isdigit():
            found[int(stem)] = entry.read_text(encoding="utf-8")
    return dict(sorted(found.items()))


SCHEMA_VERSION = max(schema_versions())
"""The version this smsmock writes; an older file is migrated to it, a newer one is refused."""


_in_sqlite = threading.Lock()
"""Held by a checkpoint thread while it is inside SQLite, and by a fork: a process forked then would
inherit SQLite's own locks held by a thread it does not have, and hang at its first call."""
os.register_at_fork(
    before=_in_sqlite.acquire, after_in_parent=_in_sqlite.release, after_in_child=_in_sqlite.release
)


def _checkpoint_until(path: Path, stop: threading.Event, writing: threading.Lock) -> None:
    """Checkpoint the WAL at `path` every CHECKPOINT_INTERVAL until `stop` is set.

    PASSIVE: it copies what no reader still needs and never waits for a writer or holds one up; a
    checkpoint that fails (the file went away, a lock) is simply tried again at the next interval.
    Under a steady stream of writes a passive checkpoint is never complete when the next write
    begins, so the WAL would never start over: past CHECKPOINT_RESTART_PAGES, a RESTART holds the
    writers back for what the passive one left (a few pages) and one sync.
    """
    try:
        with _in_sqlite:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error:
        return
    try:
        while not stop.wait(CHECKPOINT_INTERVAL):
            with _in_sqlite, contextlib.suppress(sqlite3.Error):
                _, in_wal, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if in_wal > CHECKPOINT_RESTART_PAGES:
                    # The writers of this process wait for it on their lock, woken as it ends, not
                    # in SQLite's busy handler (see SqliteStore._writing).
                    with writing:
                        connection.execute("PRAGMA wal_checkpoint(RESTART)")
    finally:
        with _in_sqlite:
            connection.close()


class _StoreCall:
    """One store call's connection: the open `atomic` block's, else one borrowed from the pool (in a
    transaction of its own when a mode is given) and given back at the end; SQLite's errors come out as
    StoreError. A call that writes outside a block holds the process's write lock while it does (see
    SqliteStore._writing). A class, not a generator's context manager: a request makes a dozen store
    calls, and the generator's costs three times as much."""

    __slots__ = ("_borrowed", "_db", "_keeps_look", "_locked", "_mode", "_store", "_writes")

    def __init__(
        self, store: SqliteStore, mode: str | None, *, writes: bool, keeps_look: bool = False
    ) -> None:
        self._store = store
        self._mode = mode
        self._writes = writes
        self._keeps_look = keeps_look
        self._borrowed = self._locked = False

    def __enter__(self) -> sqlite3.Connection:
        store = self._store
        unit = store._unit
        if not self._keeps_look:
            unit.upcoming = None  # another call came first: the look is not this request's any more
        db = getattr(unit, "db", None)
        if db is not None:
            self._db = db
            return db
        if os.getpid() != store._pid:
            store._leave_inherited()
        if self._writes:
            if not store._writing.acquire(timeout=store.timeout):
                raise store._problem(sqlite3.OperationalError("database is locked"))
            self._locked = True
        try:
            try:
                db = store._idle.pop()
            except IndexError:
                db = store._checked(store._connect)
            self._db, self._borrowed = db, True
            if self._mode is not None:
                try:
                    db.execute(f"BEGIN {self._mode}")
                except sqlite3.Error as error:
                    store._idle.append(db)
                    raise store._problem(error) from None
        except BaseException:
            if self._locked:
                store._writing.release()
            raise
        return db

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _: Any) -> None:
        store, db = self._store, self._db
        if self._borrowed:
            try:
                if self._mode is not None:
                    if kind is None:
                        db.execute("COMMIT")
                    elif db.in_transaction:
                        db.execute("ROLLBACK")
            except sqlite3.Error as failed:
                # A commit that failed (another process held the lock past the timeout) leaves its
                # transaction open: rolled back, the connection goes back to the pool clean.
                with contextlib.suppress(sqlite3.Error):
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                if kind is None:
                    raise store._problem(failed) from None
            finally:
                store._idle.append(db)
                if self._locked:
                    store._writing.release()
        if kind is not None and issubclass(kind, sqlite3.Error):
            raise store._problem(error) from None  # type: ignore[arg-type]


class _Block:
    """An `atomic` block: its transaction is this thread's unit of work until it ends (an inner block
    is part of the outer one's). A class for the reason _StoreCall is one."""

    __slots__ = ("_call", "_store")

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._call: _StoreCall | None = None

    def __enter__(self) -> None:
        store = self._store
        if getattr(store._unit, "db", None) is not None:
            return  # the outer block commits
        # The look a request took before the block is still its own (see `settings_version`).
        call = _StoreCall(store, "IMMEDIATE", writes=True, keeps_look=True)
        store._unit.db = call.__enter__()
        store._unit.known = {}
        self._call = call

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        call, self._call = self._call, None
        if call is not None:
            unit = self._store._unit
            unit.db = unit.known = None
            call.__exit__(kind, error, trace)


class SqliteStore:
    """The Store protocol on SQLite: columns for what queries filter on, each record as JSON."""

    def __init__(self, path: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self._idle: list[sqlite3.Connection] = []
        """The pool's connections not in use, the one given back last on top: a thread takes the
        connection it used before, whose page cache SQLite keeps while no other connection writes
        (it drops the whole cache when another one has: taking them in turn, every call read every
        page it needed again)."""
        self._opened: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        """The process the connections were opened in: SQLite's locks do not cross a fork."""
        self._inherited: list[sqlite3.Connection] = []
        """Connections a forked process holds from its parent, never used nor closed."""
        self._unit = threading.local()
        """The connection of this thread's `atomic` block, while one is open, and its look ahead (see
        `settings_version`). `known`: the counted columns (dialect, account, status, group) of the
        messages the block read or wrote, by id; what it read is so until it changes it, as it holds
        the write lock."""
        self._writing = threading.Lock()
        """Held while a thread of this process writes: the others wait for it here, woken as it ends,
        not in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between looks at a lock held by
        another connection (other processes' writes are still waited for there)."""
        self._checkpoints: tuple[threading.Event, threading.Thread] | None = None
        """This process's checkpoint thread, and the event that stops it."""
        self._written = records.WrittenMessages()
        """The messages this process stored last: a step reads back what the one before it wrote."""

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT) -> SqliteStore:
        """The store in the file at `path`, created or migrated to the current schema.

        Raises StoreError, naming the path, for a file that is corrupt, of a newer schema, locked past
        `timeout`, read-only, or not smsmock's, and for a directory that is missing or unwritable.
        """
        if not str(path):
            raise StoreError("sqlite store: no path given (write sqlite:PATH)")
        location = Path(path).expanduser()
        _refuse_unwritable(location)
        store = cls(location, timeout)
        try:
            store._prepare()
        except BaseException:
            store.close()
            raise
        store._start_checkpoints()
        return store

    def close(self) -> None:
        """Close every connection; the store is not used after."""
        if self._checkpoints is not None:
            stop, thread = self._checkpoints
            stop.set()
            thread.join()  # its connection closed too: the file is left as SQLite leaves it
        for connection in self._opened:
            connection.close()
        self._opened.clear()

    def _start_checkpoints(self) -> None:
        """Copy the WAL back into the file from a thread of this process, every CHECKPOINT_INTERVAL."""
        stop = threading.Event()
        thread = threading.Thread(
            target=_checkpoint_until,
            args=(self.path, stop, self._writing),
            name="smsmock-sqlite-checkpoints",
            daemon=True,
        )
        self._checkpoints = (stop, thread)
        # The thread holds no reference to the store: one dropped without close() stops it too.
        weakref.finalize(self, stop.set)
        thread.start()

    # connections and transactions

    def _connect(self) -> sqlite3.Connection:
        # Autocommit (isolation_level None): one statement is its own transaction, and a
        # read-modify-write opens its own with BEGIN IMMEDIATE.
        connection = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA synchronous = NORMAL")
            # A checkpoint syncs twice and copies the latest version of each page the WAL holds. The
            # checkpoint thread does that work off the requests' path; a commit that found the WAL past
            # SQLite's 1,000 pages would do it while its request waits (it made commits 40% slower).
            connection.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
            # Schema version 3 fills the search's folded columns of the messages stored before it.
            connection.create_function("casefold", 1, _casefold, deterministic=True)
        except BaseException:
            connection.close()
            raise
        self._opened.append(connection)
        return connection

    def atomic(self) -> AbstractContextManager[None]:
        """Every call this thread makes in the block is one transaction, committed at its end or not at
        all: a step of the core (a send, a due event) is never half stored, and costs one commit."""
        return _Block(self)

    def _connection(self) -> _StoreCall:
        """A connection for one store call that reads: the `atomic` block's, else one of the pool;
        SQLite's errors come out of it as StoreError."""
        return _StoreCall(self, None, writes=False)

    def _write(self) -> _StoreCall:
        """A connection for one store call that writes in one statement (its own transaction)."""
        return _StoreCall(self, None, writes=True)

    def _transaction(self, mode: str = "IMMEDIATE") -> _StoreCall:
        """One transaction: IMMEDIATE takes the write lock first, DEFERRED reads one snapshot. Inside an
        `atomic` block it is part of the block's transaction, which holds the write lock already and
        is rolled back whole if the call fails."""
        return _StoreCall(self, mode, writes=mode == "IMMEDIATE")

    def _leave_inherited(self) -> None:
        """In a forked process (`smsmock serve`'s worker), open connections of its own.

        A connection opened before the fork carries the parent's view of the file locks, which SQLite
        forbids using in the child; closing it here (as freeing it would) could disturb the parent's,
        so it is kept, unused.
        """
        self._inherited.extend(self._opened)
        self._idle = []
        self._opened = []
        self._writing = threading.Lock()  # a thread of the parent may have held it at the fork
        self._pid = os.getpid()
        self._start_checkpoints()  # threads do not cross a fork either

    @contextmanager
    def _savepoint(self, db: sqlite3.Connection, needed: bool = True) -> Iterator[None]:
        """Within an `atomic` block, a part that can be undone alone (a batch that met a taken id)."""
        if not needed or getattr(self._unit, "db", None) is None:
            yield  # a transaction of its own, or one statement: undone whole
            return
        db.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK TO part")
            db.execute("RELEASE part")
            raise
        db.execute("RELEASE part")

    def _checked(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except sqlite3.Error as error:
            raise self._problem(error) from None

    def _problem(self, error: sqlite3.Error) -> StoreError:
        text = str(error)
        reason = next((said for known, said in _REASONS.items() if known in text), text)
        if "locked" in reason:
            reason += f" (waited {self.timeout:g} s)"
        return StoreError(f"sqlite store {self.path}: {reason}")

    # opening and migrating

    def _prepare(self) -> None:
        with self._connection() as db:
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(
                    f"sqlite store {self.path}: cannot use a write-ahead log (journal is {mode})"
                )
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"sqlite store {self.path}: schema version {version} is newer than this smsmock's "
                    f"({SCHEMA_VERSION}); open it with a newer smsmock"
                )
            if version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StoreError(f"sqlite store {self.path}: not an smsmock store (it holds other tables)")
            for number, ddl in schema_versions().items():
                if number > version:
                    for statement in _statements(ddl):
                        db.execute(statement)
            # Written even when unchanged: a file that cannot be written fails here, at the start.
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # messages

    def add_messages(self, messages: Iterable[Message]) -> None:
        """Store the batch whole, or none of it when an id is taken already (DuplicateMessageId): the
        unique index decides, inside the transaction, which of two racing sends wins a client id."""
        batch = list(messages)
        rows = [_message_row(message, self._written.dump(message)) for message in batch]
        if not rows:
            return
        try:
            # A statement that fails stores nothing: a batch of one needs no savepoint of its own.
            with self._transaction() as db, self._savepoint(db, len(rows) > 1):
                try:
                    db.executemany(_INSERT_MESSAGE, rows)
                except sqlite3.IntegrityError:
                    raise _Clash from None  # rolls back the rows of the batch before the clash
                counted = Counter(_counted_columns(message) for message in batch)
                db.executemany(_COUNT, [(*columns, change) for columns, change in counted.items()])
                known = getattr(self._unit, "known", None)
                if known is not None:
                    known.update((message.id, _counted_columns(message)) for message in batch)
        except _Clash:
            ids = [row[0] for row in rows]
            with self._connection() as db:
                taken = [found for (found,) in db.execute(_ids_in(len(ids)), ids)]
            repeated = sorted({found for found in ids if ids.count(found) > 1})
            raise DuplicateMessageId(f"sqlite store {self.path}", taken or repeated) from None

    def message(self, message_id: str) -> Message | None:
        with self._connection() as db:
            row = db.execute("SELECT record FROM messages WHERE id = ?", (message_id,)).fetchone()
        return None if row is None else self._written.read(message_id, row[0])

    def messages(self, predicate: Callable[[Message], bool] | None = None) -> list[Message]:
        """Every stored message (that `predicate` accepts), oldest first."""
        return self._walk("messages", _load_message, predicate)

    def update_message(self, message: Message) -> None:
        """Keep the whole record, and the counts; a message cleared or pruned away since stays gone."""
        record = self._written.dump(message)
        name, group = message.status.name, message.status.group_name
        with self._transaction() as db:
            known = getattr(self._unit, "known", None)
            stored = None if known is None else known.get(message.id)
            if stored is None:
                stored = db.execute(_COUNTED_COLUMNS, (message.id,)).fetchone()
                if stored is None:
                    return
            updated = db.execute(
                "UPDATE messages SET status_name = ?, status_group = ?, record = ? WHERE id = ?",
                (name, group, record, message.id),
            ).rowcount
            if not updated:
                return  # gone since the block read it (a prune)
            dialect, account, was, was_group = stored
            if (was, was_group) != (name, group):
                db.execute(
                    _MOVE_COUNT, (dialect, account, was, was_group, -1, dialect, account, name, group, 1)
                )
            if known is not None:
                known[message.id] = (dialect, account, name, group)

    def query(self, query: MessageQuery) -> Page[Message]:
        """A page of the stored messages that match, newest first, read from one snapshot."""
        filters = _Filters.of(query)
        wanted = None if query.limit is None else query.limit + 1
        with self._transaction("DEFERRED") as db:
            branches = filters.branches(db)
            rows = filters.newest(db, branches, query.before, wanted)
            if query.before is None and (wanted is None or len(rows) < wanted):
                total = len(rows)  # the walk met every match: a search of few matches walks once, not twice
            else:
                total = filters.total(db, branches)
        cursor = None
        if query.limit is not None and len(rows) > query.limit:
            rows = rows[: query.limit]
            cursor = rows[-1][0] - 1
        return Page([_load_message(record) for _, record in rows], total, cursor)

    def has_client_id(self, account: str, message_id: str) -> bool:
        # A client-given id is the message's id, so any stored message with it is a clash.
        with self._connection() as db:
            return db.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,)).fetchone() is not None

    def by_client_ref(self, account: str, dialect: str, ref: str) -> list[Message]:
        """The account's messages of a dialect that carry this client reference, oldest first."""
        with self._connection() as db:
            rows = db.execute(
                "SELECT record FROM messages WHERE account = ? AND dialect = ? AND client_ref = ?"
                " AND client_ref IS NOT NULL ORDER BY seq",
                (account, dialect, ref),
            ).fetchall()
        return [_load_message(record) for (record,) in rows]

    # due events

    def schedule(self, due: float, kind: str, subject: str, **data: Any) -> None:
        encoded = _dump(records.encode_event_data(data)) if data else None
        with self._write() as db:
            db.execute(
                "INSERT INTO events (due, kind, subject, data) VALUES (?, ?, ?, ?)",
                (due, kind, subject, encoded),
            )

    def pop_due(self, now: float, limit: int | None = None) -> list[Event]:
        # Outside an `atomic` block, a look first spares taking the write lock when nothing is due.
        if getattr(self._unit, "db", None) is None:
            upcoming = self.next_due()
            if upcoming is None or upcoming > now:
                return []
        with self._transaction() as db:
            rows = db.execute(
                "DELETE FROM events WHERE seq IN"
                " (SELECT seq FROM events WHERE due <= ? ORDER BY due, seq LIMIT ?)"
                " RETURNING due, seq, kind, subject, data",
                (now, -1 if limit is None else limit),
            ).fetchall()
            # The messages the steps are about, read in the same transaction: a statement for the batch,
            # not one per step, and what this process wrote is not parsed again (see WrittenMessages).
            subjects = {subject for _, _, kind, subject, _ in rows if kind != "callback"}
            found = _records_by_id(db, subjects)
        known = getattr(self._unit, "known", None)
        # RETURNING gives no order: due order, and storage order among equals, as the memory heap does.
        events = sorted(_event(*row) for row in rows)
        for event in events:
            row = found.get(event.subject) if event.kind != "callback" else None
            if row is not None:
                *columns, record = row
                event.message = self._written.read(event.subject, record)
                if known is not None:
                    known[event.subject] = tuple(columns)
        return events

    def next_due(self) -> float | None:
        """The soonest due moment; the one `settings_version` read, if this thread made no other store
        call since (the two are a request's first looks at the store: one statement for both)."""
        known, soonest = take_look(self._unit)
        if known:
            return soonest
        with self._connection() as db:
            return db.execute("SELECT min(due) FROM events").fetchone()[0]

    # read-once queues

    def push_report(self, queue: Queue, message_id: str) -> None:
        account, dialect = queue
        with self._transaction() as db:
            db.execute(
                "INSERT INTO reports (account, dialect, message_id) VALUES (?, ?, ?)",
                (account, dialect, message_id),
            )
            db.execute("INSERT OR IGNORE INTO queues VALUES ('reports', ?, ?)", (account, dialect))

    def pull_reports(self, queue: Queue, limit: int, accept: Callable[[Message], bool]) -> list[Message]:
        """Up to `limit` accepted reports, oldest first, each handed out once: they leave the queue in
        the transaction that reads them, and `accept` runs inside it, so no other puller sees them."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT reports.seq, reports.message_id, messages.record FROM reports"
                " LEFT JOIN messages ON messages.id = reports.message_id"
                " WHERE reports.account = ? AND reports.dialect = ? ORDER BY reports.seq",
                queue,
            )
            taken, leaving = _take_reports(rows, limit, accept, self._written)
            rows.close()
            db.executemany("DELETE FROM reports WHERE seq = ?", [(seq,) for seq in leaving])
        return taken

    def add_inbound(self, message: InboundMessage) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO inbound (account, dialect, pending, received_at, record) VALUES (?, ?, 1, ?, ?)",
                (
                    message.account,
                    message.dialect,
                    message.received_at.timestamp(),
                    _dump(records.encode_inbound(message)),
                ),
            )
            db.execute(
                "INSERT OR IGNORE INTO queues VALUES ('inbound', ?, ?)", (message.account, message.dialect)
            )

    def pull_inbound(self, queue: Queue, limit: int) -> list[InboundMessage]:
        """The queue's first `limit` inbound messages; one statement takes them, so each goes out once."""
        account, dialect = queue
        with self._write() as db:
            rows = db.execute(
                "UPDATE inbound SET pending = 0 WHERE seq IN (SELECT seq FROM inbound WHERE pending = 1"
                " AND account = ? AND dialect = ? ORDER BY seq LIMIT ?) RETURNING seq, record",
                (account, dialect, limit),
            ).fetchall()
        return [_load_inbound(record) for _, record in sorted(rows)]

    def inbound(self, predicate: Callable[[InboundMessage], bool] | None = None) -> list[InboundMessage]:
        return self._walk("inbound", _load_inbound, predicate)

    # webhook attempts

    def add_attempt(self, attempt: WebhookAttempt) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO attempts (subject, succeeded, record) VALUES (?, ?, ?)",
                (attempt.subject, attempt.succeeded, _dump(records.encode_attempt(attempt))),
            )

    def attempts(self, subject: str | None = None) -> list[WebhookAttempt]:
        with self._connection() as db:
            if subject is None:
                rows = db.execute("SELECT record FROM attempts ORDER BY seq").fetchall()
            else:
                rows = db.execute(
                    "SELECT record FROM attempts WHERE subject = ? ORDER BY seq", (subject,)
                ).fetchall()
        return [records.decode_attempt(json.loads(record)) for (record,) in rows]

    # what it holds

    def clear(self) -> None:
        """Empty every table; sequence numbers go on growing (AUTOINCREMENT), as cursors need, and so
        does the settings version."""
        tables = (
            "messages",
            "message_counts",
            "events",
            "reports",
            "inbound",
            "queues",
            "attempts",
            "settings",
        )
        with self._transaction() as db:
            for table in tables:
                db.execute(f"DELETE FROM {table}")
            db.execute("UPDATE settings_version SET version = version + 1")
        self._written.clear()  # not needed (nothing stored is read back), but memory given back

    # the request journal

    def add_entry(
        self, at: float, dialect: str | None, operation: str | None, record: str, keep: int | None
    ) -> int:
        with self._transaction() as db:
            (seq,) = db.execute(
                "INSERT INTO journal (at, dialect, operation, record) VALUES (?, ?, ?, ?) RETURNING seq",
                (at, dialect, operation, record),
            ).fetchone()
            if keep is not None and seq > keep:
                # Sequence numbers are consecutive from the oldest kept (only the oldest ever go).
                db.execute("DELETE FROM journal WHERE seq <= ?", (seq - keep,))
        return int(seq)

    def entry_page(
        self, dialect: str | None, operation: str | None, limit: int | None, before: int | None
    ) -> Page[tuple[int, str]]:
        where = "(?1 IS NULL OR dialect = ?1) AND (?2 IS NULL OR operation = ?2)"
        with self._transaction("DEFERRED") as db:
            total = db.execute(
                f"SELECT count(*) FROM journal WHERE {where}", (dialect, operation)
            ).fetchone()[0]
            rows = db.execute(
                f"SELECT seq, record FROM journal WHERE {where} AND (?3 IS NULL OR seq < ?3)"
                " ORDER BY seq DESC LIMIT ?4",
                (dialect, operation, before, -1 if limit is None else limit + 1),
            ).fetchall()
        cursor = None
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            cursor = rows[-1][0]
        return Page([(int(seq), record) for seq, record in rows], total, cursor)

    def entry_count(self) -> int:
        with self._connection() as db:
            return int(db.execute("SELECT count(*) FROM journal").fetchone()[0])

    def clear_entries(self) -> None:
        with self._write() as db:
            db.execute("DELETE FROM journal")

    def prune_entries(self, before: float) -> int:
        """Drop the oldest entries while they are older than `before`, as the journal in memory does."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM journal WHERE seq < coalesce((SELECT seq FROM journal WHERE at >= ?"
                " ORDER BY seq LIMIT 1), (SELECT max(seq) + 1 FROM journal))",
                (before,),
            ).rowcount

    # shared settings

    def settings_version(self) -> int:
        """The version, and the soonest due moment along with it, kept for this thread's next call if
        that is `next_due`: read a moment earlier than it asks, as if the request had ticked then."""
        with self._connection() as db:
            version, upcoming = db.execute(
                "SELECT version, (SELECT min(due) FROM events) FROM settings_version"
            ).fetchone()
        keep_look(self._unit, upcoming)
        return int(version)

    def settings(self) -> tuple[int, dict[str, str]]:
        with self._transaction("DEFERRED") as db:
            version = int(db.execute("SELECT version FROM settings_version").fetchone()[0])
            return version, dict(db.execute("SELECT name, value FROM settings").fetchall())

    def setting(self, name: str) -> str | None:
        with self._connection() as db:
            row = db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def swap_setting(
        self, name: str, expected: str | None, value: str | None, *, announce: bool = True
    ) -> bool:
        # One statement changes the setting only if it holds what was expected; its count says whether.
        with self._transaction() as db:
            if expected is None and value is None:  # nothing to remove: done if it is not set
                changed = db.execute("SELECT 1 FROM settings WHERE name = ?", (name,)).fetchone() is None
            elif expected is None:
                insert = "INSERT INTO settings VALUES (?, ?) ON CONFLICT DO NOTHING"
                changed = db.execute(insert, (name, value)).rowcount == 1
            elif value is None:
                remove = "DELETE FROM settings WHERE name = ? AND value = ?"
                changed = db.execute(remove, (name, expected)).rowcount == 1
            else:
                update = "UPDATE settings SET value = ? WHERE name = ? AND value = ?"
                changed = db.execute(update, (value, name, expected)).rowcount == 1
            if changed and announce:
                db.execute("UPDATE settings_version SET version = version + 1")
        return changed

    def prune(self, *, submitted_before: datetime | None = None, keep_newest: int | None = None) -> int:
        """Drop the messages submitted before a moment or beyond the newest `keep_newest`, with their
        reports, client ids, references and webhook attempts, and the inbound messages received
        before the moment; returns how many messages were dropped."""
        conditions, values = [], []
        if submitted_before is not None:
            conditions.append("submitted_at < ?")
            values.append(submitted_before.timestamp())
        if keep_newest is not None:
            conditions.append("seq <= (SELECT seq FROM messages ORDER BY seq DESC LIMIT 1 OFFSET ?)")
            values.append(max(keep_newest, 0))
        if not conditions:
            return 0
        with self._transaction() as db:
            dropped = db.execute(
                f"DELETE FROM messages WHERE {' OR '.join(conditions)} RETURNING id", values
            ).fetchall()
            if dropped:
                _drop_what_hangs_on(db, dropped)
            if submitted_before is not None:
                db.execute("DELETE FROM inbound WHERE received_at < ?", (submitted_before.timestamp(),))
        return len(dropped)

    def stats(self) -> StoreStats:
        with self._transaction("DEFERRED") as db:
            messages = db.execute("SELECT coalesce(sum(n), 0) FROM message_counts").fetchone()[0]
            inbound = db.execute("SELECT count(*) FROM inbound").fetchone()[0]
            report_queues = db.execute(
                "SELECT account, dialect, (SELECT count(*) FROM reports"
                " WHERE reports.account = queues.account AND reports.dialect = queues.dialect)"
                " FROM queues WHERE kind = 'reports'"
            ).fetchall()
            inbound_queues = db.execute(
                "SELECT account, dialect, (SELECT count(*) FROM inbound WHERE pending = 1"
                " AND inbound.account = queues.account AND inbound.dialect = queues.dialect)"
                " FROM queues WHERE kind = 'inbound'"
            ).fetchall()
            attempts, failures = db.execute(
                "SELECT count(*), coalesce(sum(NOT succeeded), 0) FROM attempts"
            ).fetchone()
        return StoreStats(
            messages=messages,
            inbound=inbound,
            report_queues={(account, dialect): count for account, dialect, count in report_queues},
            inbound_queues={(account, dialect): count for account, dialect, count in inbound_queues},
            webhook_attempts=attempts,
            webhook_failures=failures,
        )

    def _walk(self, table: str, load: Callable[[str], T], predicate: Callable[[T], bool] | None) -> list[T]:
        """Every record of a table in storage order, read a chunk at a time: no connection is held
        while the predicate runs, and only what matches is kept."""
        found: list[T] = []
        after = 0
        while True:
            with self._connection() as db:
                rows = db.execute(
                    f"SELECT seq, record FROM {table} WHERE seq > ? ORDER BY seq LIMIT {CHUNK}", (after,)
                ).fetchall()
            for _, record in rows:
                item = load(record)
                if predicate is None or predicate(item):
                    found.append(item)
            if len(rows) < CHUNK:
                return found
            after = rows[-1][0]


Branch = tuple[str, str, list[Any]]
"""One walk of a query: its index clause, its condition, and the condition's values."""


class _Filters:
    """A message query's filters as SQL: its total, and its newest matches along the shortest index.

    A status filter names a status or a status group, so it is a branch for the status of that name
    and one for each other status of that group (the counts name them), each walked newest first
    along the status index (or a shorter one) and merged: a status change moves a message in one
    index, not in one per status column. A sender or text search compares the folded columns with
    instr() (see `search_forms`), in one walk of the search index, or along the other filters' indexes
    when they hold far fewer messages.
    """

    def __init__(
        self,
        dialect: str | None,
        account: str | None,
        to: str | None,
        status: str | None,
        sender: str | None = None,
        text: str | None = None,
    ) -> None:
        self.dialect, self.account, self.to, self.status = dialect, account, to, status
        self.sender, self.text = sender, text

    @classmethod
    def of(cls, query: MessageQuery) -> _Filters:
        to = None if query.to is None else normalise_number(query.to)
        status = None if query.status is None else query.status.upper()
        return cls(query.dialect, query.account, to, status, *query.needles())

    @property
    def searching(self) -> bool:
        return self.sender is not None or self.text is not None

    def _fixed(self) -> tuple[list[str], list[Any]]:
        conditions, values = [], []
        for column, value in (("dialect", self.dialect), ("account", self.account), ("destination", self.to)):
            if value is not None:
                conditions.append(f"{column} = ?")
                values.append(value)
        for column, needle in (("sender_folded", self.sender), ("content_folded", self.text)):
            if needle is not None:
                conditions.append(f"instr({column}, ?) > 0")
                values.append(needle)
        return conditions, values

    def total(self, db: sqlite3.Connection, branches: list[Branch]) -> int:
        """How many messages match: summed from the counts, or counted along the branches' walks."""
        if self.to is None and not self.searching:
            conditions, values = self._fixed()
            if self.status is not None:
                conditions.append("(status_name = ? OR status_group = ?)")
                values += [self.status, self.status]
            where = " AND ".join(conditions) or "1"
            return db.execute(
                f"SELECT coalesce(sum(n), 0) FROM message_counts WHERE {where}", values
            ).fetchone()[0]
        return sum(
            db.execute(f"SELECT count(*) FROM messages {index} WHERE {where}", values).fetchone()[0]
            for index, where, values in branches
        )

    def newest(
        self, db: sqlite3.Connection, branches: list[Branch], before: int | None, limit: int | None
    ) -> list[tuple[int, str]]:
        """Up to `limit` matches (seq, record) below the cursor `before`, newest first."""
        if len(branches) == 1:
            return self._walk(db, branches[0], "seq, record", before, limit)
        # Several branches: their sequence numbers are merged, and only the page's records are read.
        walks = [[seq for (seq,) in self._walk(db, branch, "seq", before, limit)] for branch in branches]
        merged = heapq.merge(*walks, reverse=True)
        chosen = list(merged if limit is None else itertools.islice(merged, limit))
        found: dict[int, str] = {}
        for start in range(0, len(chosen), ID_BATCH):
            part = chosen[start : start + ID_BATCH]
            found.update(
                db.execute(
                    f"SELECT seq, record FROM messages WHERE seq IN ({', '.join('?' * len(part))})", part
                )
            )
        return [(seq, found[seq]) for seq in chosen]

    @staticmethod
    def _walk(
        db: sqlite3.Connection, branch: Branch, columns: str, before: int | None, limit: int | None
    ) -> list[Any]:
        index, where, values = branch
        if before is not None:
            where += " AND seq <= ?"  # positions are seq - 1: below position `before`
            values = [*values, before]
        sql = f"SELECT {columns} FROM messages {index} WHERE {where} ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return db.execute(sql, values).fetchall()

    def branches(self, db: sqlite3.Connection) -> list[Branch]:
        """(index clause, condition, values) of each branch, each on the index that walks the fewest rows."""
        conditions, values = self._fixed()
        if self.status is None:
            plan = [(self._shortest(db, None), conditions, values)]
        else:
            plan = [
                (self._shortest(db, self.status), [*conditions, "status_name = ?"], [*values, self.status])
            ]
            others = db.execute(
                "SELECT DISTINCT status_name FROM message_counts"
                " WHERE status_group = ? AND status_name != ? AND n > 0",
                (self.status, self.status),
            ).fetchall()
            for (name,) in others:
                where = [*conditions, "status_name = ?", "status_group = ?"]
                plan.append((self._shortest(db, name), where, [*values, name, self.status]))
        walked = [size for (_, size), _, _ in plan]
        if self.searching and (
            None in walked or sum(size or 0 for size in walked) * SEARCH_INDEX_RATIO > _stored(db)
        ):
            if self.status is not None:
                conditions = [*conditions, "(status_name = ? OR status_group = ?)"]
                values = [*values, self.status, self.status]
            return [("INDEXED BY messages_search", " AND ".join(conditions), values)]
        return [(index, " AND ".join(where) or "1", given) for (index, _), where, given in plan]

    def _shortest(self, db: sqlite3.Connection, status: str | None) -> tuple[str, int | None]:
        """The index with the fewest entries for the filters (the memory store's shortest list), and how
        many it walks; None when no filter has an index and every message is walked.

        The counts table sizes dialect, account and status at once; a destination's list is counted
        only up to the shortest of those, so a number that got every message costs no full count.
        SQLite's planner, without statistics, would take any of them.
        """
        sizes: dict[str, int] = {}
        for column, value in (("dialect", self.dialect), ("account", self.account), ("status_name", status)):
            if value is not None:
                sizes[_INDEXES[column]] = db.execute(
                    f"SELECT coalesce(sum(n), 0) FROM message_counts WHERE {column} = ?", (value,)
                ).fetchone()[0]
        if self.to is not None:
            bound = min(sizes.values(), default=None)
            limit = "" if bound is None else f" LIMIT {int(bound)}"
            sizes[_INDEXES["destination"]] = db.execute(
                "SELECT count(*) FROM (SELECT 1 FROM messages INDEXED BY messages_by_destination"
                f" WHERE destination = ?{limit})",
                (self.to,),
            ).fetchone()[0]
        if not sizes:
            return "NOT INDEXED", None  # every message, walked along the rowid
        shortest = min(sizes, key=lambda index: sizes[index])
        return f"INDEXED BY {shortest}", sizes[shortest]


def _stored(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT coalesce(sum(n), 0) FROM message_counts").fetchone()[0])


_INDEXES = {
    "dialect": "messages_by_dialect",
    "account": "messages_by_account",
    "destination": "messages_by_destination",
    "status_name": "messages_by_status",
}


def _take_reports(
    rows: Iterable[tuple[int, str, str | None]],
    limit: int,
    accept: Callable[[Message], bool],
    written: records.WrittenMessages,
) -> tuple[list[Message], list[int]]:
    """The reports handed out, and the queue entries that leave: those taken, and those of messages
    gone or deleted on the way (as the memory store drops them), up to the first one kept past a full page."""
    taken: list[Message] = []
    leaving: list[int] = []
    for seq, message_id, record in rows:
        message = None if record is None else written.read(message_id, record)
        if message is None or message.deleted:
            leaving.append(seq)
            continue
        if len(taken) < limit and accept(message):
            taken.append(message)
            leaving.append(seq)
        elif len(taken) >= limit:
            break
    return taken, leaving


def _drop_what_hangs_on(db: sqlite3.Connection, dropped: list[tuple[str]]) -> None:
    """The reports, webhook attempts and pending events of pruned messages go with them (a temporary
    table of their ids lets each table be walked once)."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS pruned (id TEXT PRIMARY KEY)")
    db.execute("DELETE FROM temp.pruned")
    db.executemany("INSERT OR IGNORE INTO temp.pruned VALUES (?)", dropped)
    db.execute("DELETE FROM reports WHERE message_id IN (SELECT id FROM temp.pruned)")
    db.execute("DELETE FROM attempts WHERE subject IN (SELECT id FROM temp.pruned)")
    db.execute("DELETE FROM events WHERE subject IN (SELECT id FROM temp.pruned)")
    db.execute("DELETE FROM temp.pruned")


class _Clash(Exception):
    """A batch of messages met an id taken already: its transaction is rolled back."""


def _refuse_unwritable(location: Path) -> None:
    """A file or directory without any write permission is refused, also to root (who could write it).

    SQLite keeps its -wal and -shm files beside the store, so the directory must be writable too.
    """
    if location.is_dir():
        raise StoreError(f"sqlite store {location}: is a directory, not a file")
    directory = location.parent
    if not directory.is_dir():
        raise StoreError(f"sqlite store {location}: the directory {directory} does not exist")
    if location.exists() and not _writable(location):
        raise StoreError(f"sqlite store {location}: is read-only")
    if not _writable(directory):
        raise StoreError(
            f"sqlite store {location}: the directory {directory} is not writable "
            "(SQLite keeps its -wal and -shm files beside the store)"
        )


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and bool(stat.S_IMODE(path.stat().st_mode) & 0o222)


def _statements(ddl: str) -> Iterator[str]:
    """The statements of a schema file, one at a time (a trigger's body holds semicolons of its own)."""
    pending = ""
    for line in ddl.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if any(text.strip() and not text.lstrip().startswith("--") for text in pending.splitlines()):
        raise ValueError(f"an unfinished statement in the schema: {pending.strip()[:80]}")


def _records_by_id(db: sqlite3.Connection, ids: Iterable[str]) -> dict[str, tuple[str, str, str, str, str]]:
    """The counted columns and the record of the stored messages among these ids, by id (a statement
    per ID_BATCH of them)."""
    wanted = list(ids)
    found = {}
    for start in range(0, len(wanted), ID_BATCH):
        part = wanted[start : start + ID_BATCH]
        marks = ", ".join("?" * len(part))
        for message_id, *row in db.execute(
            "SELECT id, dialect, account, status_name, status_group, record FROM messages"
            f" WHERE id IN ({marks})",
            part,
        ):
            found[message_id] = tuple(row)
    return found


def _ids_in(count: int) -> str:
    return f"SELECT id FROM messages WHERE id IN ({', '.join('?' * count)})"


def _dump(record: records.Record) -> str:
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    if not text.isascii() and LONE_SURROGATE.search(text):
        # SQLite stores UTF-8, which has no lone surrogate (a client's JSON may send "\ud800"):
        # escaped, it is stored as JSON text and read back as it came.
        return json.dumps(record, separators=(",", ":"))
    return text


def _load_message(record: str) -> Message:
    return records.decode_message(json.loads(record))


def _load_inbound(record: str) -> InboundMessage:
    return records.decode_inbound(json.loads(record))


def _casefold(text: str | None) -> str | None:
    """SQL's casefold(): Python's own, as the search folds (SQLite's lower() folds ASCII only)."""
    return None if text is None else str(text).casefold()


_COUNTED_COLUMNS = "SELECT dialect, account, status_name, status_group FROM messages WHERE id = ?"
_COUNT = "INSERT INTO message_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n"
_MOVE_COUNT = (
    "INSERT INTO message_counts VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)"
    " ON CONFLICT DO UPDATE SET n = n + excluded.n"
)
"""The counts a status change moves (a count left at 0 is harmless, and a prune's trigger drops it)."""


def _counted_columns(message: Message) -> tuple[str, str, str, str]:
    return (message.dialect, message.account, message.status.name, message.status.group_name)


_INSERT_MESSAGE = (
    "INSERT INTO messages (id, account, dialect, destination, status_name, status_group, client_ref,"
    " submitted_at, record, sender_folded, content_folded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _message_row(message: Message, record: str) -> tuple[Any, ...]:
    return (
        message.id,
        message.account,
        message.dialect,
        normalise_number(message.to),
        message.status.name,
        message.status.group_name,
        message.client_ref,
        message.submitted_at.timestamp(),
        record,
        *search_forms(message),
    )


def _event(due: float, seq: int, kind: str, subject: str, data: str | None) -> Event:
    return Event(
        due, seq - 1, kind, subject, {} if data is None else records.decode_event_data(json.loads(data))
    )
