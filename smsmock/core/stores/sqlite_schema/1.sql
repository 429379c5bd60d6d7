-- Schema version 1 of the SQLite store: what queries filter on as columns, each record as JSON
-- (smsmock.core.records). Positions (the cursors of pages, the order of events) are `seq - 1`:
-- AUTOINCREMENT never hands out a number twice, also after every row is deleted, so a cursor given
-- before a reset finds nothing newer.

CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    dialect TEXT NOT NULL,
    destination TEXT NOT NULL,      -- the normalised digits of `to` (rules.normalise_number)
    status_name TEXT NOT NULL,
    status_group TEXT NOT NULL,
    client_ref TEXT,
    submitted_at REAL NOT NULL,     -- a POSIX timestamp, for retention
    record TEXT NOT NULL
);

-- Every index ends with the rowid (seq), so an equality on its column walks newest first in order.
CREATE INDEX messages_by_dialect ON messages (dialect);
CREATE INDEX messages_by_account ON messages (account);
CREATE INDEX messages_by_destination ON messages (destination);
CREATE INDEX messages_by_status ON messages (status_name);
CREATE INDEX messages_by_group ON messages (status_group);
CREATE INDEX messages_by_client_ref ON messages (account, dialect, client_ref) WHERE client_ref IS NOT NULL;
CREATE INDEX messages_by_submission ON messages (submitted_at);

-- How many messages each (dialect, account, status) holds: the total of any filter without a
-- destination is a sum over a few rows, not a count over the messages. Triggers keep it exact.
CREATE TABLE message_counts (
    dialect TEXT NOT NULL,
    account TEXT NOT NULL,
    status_name TEXT NOT NULL,
    status_group TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (dialect, account, status_name, status_group)
) WITHOUT ROWID;

CREATE TRIGGER messages_counted_in AFTER INSERT ON messages BEGIN
    INSERT INTO message_counts VALUES (new.dialect, new.account, new.status_name, new.status_group, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER messages_counted_out AFTER DELETE ON messages BEGIN
    UPDATE message_counts SET n = n - 1
        WHERE dialect = old.dialect AND account = old.account
        AND status_name = old.status_name AND status_group = old.status_group;
    DELETE FROM message_counts WHERE n = 0;
END;

CREATE TRIGGER messages_counted_again AFTER UPDATE OF dialect, account, status_name, status_group ON messages
WHEN old.dialect != new.dialect OR old.account != new.account
    OR old.status_name != new.status_name OR old.status_group != new.status_group
BEGIN
    UPDATE message_counts SET n = n - 1
        WHERE dialect = old.dialect AND account = old.account
        AND status_name = old.status_name AND status_group = old.status_group;
    DELETE FROM message_counts WHERE n = 0;
    INSERT INTO message_counts VALUES (new.dialect, new.account, new.status_name, new.status_group, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- Due events; `data` is records.encode_event_data as JSON, NULL when the event carries nothing.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    due REAL NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    data TEXT
);
CREATE INDEX events_by_due ON events (due);

-- The read-once delivery report queues, in the order reports were pushed.
CREATE TABLE reports (
    seq INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    dialect TEXT NOT NULL,
    message_id TEXT NOT NULL
);
CREATE INDEX reports_by_queue ON reports (account, dialect);

-- Inbound messages stay (for the inbox logs); `pending` ones wait in their read-once queue.
CREATE TABLE inbound (
    seq INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    dialect TEXT NOT NULL,
    pending INTEGER NOT NULL,
    received_at REAL NOT NULL,      -- a POSIX timestamp, for retention
    record TEXT NOT NULL
);
CREATE INDEX inbound_pending ON inbound (account, dialect) WHERE pending = 1;
CREATE INDEX inbound_by_arrival ON inbound (received_at);

-- Every queue used since the last reset, so the stats name a queue that has been emptied.
CREATE TABLE queues (
    kind TEXT NOT NULL,             -- 'reports' or 'inbound'
    account TEXT NOT NULL,
    dialect TEXT NOT NULL,
    PRIMARY KEY (kind, account, dialect)
) WITHOUT ROWID;

CREATE TABLE attempts (
    seq INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    succeeded INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX attempts_by_subject ON attempts (subject);
