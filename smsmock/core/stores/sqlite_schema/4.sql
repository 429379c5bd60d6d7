-- Schema version 4: fewer indexes for a send to write. Every index a transaction writes to is a page
-- more in its commit (a frame of the write-ahead log: two writes and a checksum), and the commit is
-- the largest part of what a send costs.

-- No query of the journal walked it: a listing's count walks journal_by_dialect, which holds the
-- operation too, and its page walks the journal newest first.
DROP INDEX journal_by_operation;

-- A prune of the journal drops the oldest entries while they are older than the bound, as the journal
-- in memory does: a walk from the oldest sequence number, which needs no index.
DROP INDEX journal_by_moment;

-- Only a prune looked pending events up by message: it walks them once per batch instead (the events
-- pending are the messages on their way, far fewer than those stored).
DROP INDEX events_by_subject;

-- A status filter walks the status index for each status of the group it names (the counts name
-- them): the index by group goes, and a status change moves a message in one index instead of two.
DROP INDEX messages_by_group;

-- The search index without the statuses: a status change no longer moves a message in it. A search
-- with a status filter reads the status from the row of each message whose sender and text match.
DROP INDEX messages_search;
CREATE INDEX messages_search ON messages (seq, sender_folded, content_folded, dialect, account, destination);

-- The counts move in the statements of the store's own calls: a trigger's program cost a send more
-- than the insert of its message did (a prune still counts its messages out with the trigger).
DROP TRIGGER messages_counted_in;
DROP TRIGGER messages_counted_again;
