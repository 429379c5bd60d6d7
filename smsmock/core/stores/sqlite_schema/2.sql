-- Schema version 2: the settings every process on the store shares (the clock, outcome rules,
-- faults, accounts, balances), each JSON text by name, and the version that moves when one of them
-- is changed for every process to reload (smsmock.core.shared).

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE settings_version (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    version INTEGER NOT NULL
);
INSERT INTO settings_version VALUES (1, 0);

-- The request journal, shared by every process on the store: each exchange a JSON record
-- (smsmock.contracts.journal.encode_exchange), with what its listings filter on as columns.
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,               -- a POSIX timestamp of the mock's clock, for retention
    dialect TEXT,
    operation TEXT,
    record TEXT NOT NULL
);
CREATE INDEX journal_by_dialect ON journal (dialect, operation);
CREATE INDEX journal_by_operation ON journal (operation);
CREATE INDEX journal_by_moment ON journal (at);

-- A prune takes the pending events of the messages it drops (a delivered message's expiry waits 48
-- hours): found by subject.
CREATE INDEX events_by_subject ON events (subject);
