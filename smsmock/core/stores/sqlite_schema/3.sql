-- Schema version 3: the sender and text search as a filter of the store. Each message keeps its
-- sender and its text (a binary message's hex) case folded as Python folds them
-- (smsmock.core.stores.search_forms), '' where it has none: a search compares them with instr(), as
-- SQLite's own lower() and LIKE fold ASCII letters only. `casefold()` is Python's str.casefold, which
-- the store gives each of its connections, so the messages stored before are filled from their records
-- (a record leaves out what is None, or holds it as null).

ALTER TABLE messages ADD COLUMN sender_folded TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN content_folded TEXT NOT NULL DEFAULT '';

UPDATE messages SET
    sender_folded = casefold(coalesce(json_extract(record, '$.sender'), '')),
    content_folded = casefold(
        coalesce(json_extract(record, '$.text'), json_extract(record, '$.binary_hex'), '')
    );

-- A search reads every message: this index holds all that a search filters on, in storage order, so
-- a search walks it (newest first for a page) and not the table, whose rows carry the records.
CREATE INDEX messages_search ON messages
    (seq, sender_folded, content_folded, dialect, account, destination, status_name, status_group);
