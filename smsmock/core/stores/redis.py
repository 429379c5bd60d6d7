"""The Redis store: the mock's state in one Redis server, shared by every process that opens it.

Every operation that reads and then writes is one Lua script, so it is atomic on the server: several
mock processes (on several hosts) behave as one mock. What a request costs is mostly its round trips:
a send makes three (the settings version with the soonest due moment, the charge, then its message,
events and journal entry together), and a fourth when steps fell due. Scripts go out on a connection
each thread keeps, packed here, past redis-py's per-command machinery.

Keys live under a prefix (`smsmock:` unless the URL's `?prefix=` says otherwise), so several mocks can
share one server. Scripts build key names from the prefix, as a standalone (not clustered) Redis
allows.

Keys, after the prefix:
- `m:{id}` a hash per message: `rec` (the record as JSON), `seq`, and what the indexes need;
- `ids` (every message by sequence number), `submitted` (by submission moment), and the indexes
  `ix:d:{dialect}`, `ix:a:{account}`, `ix:t:{digits}`, `ix:s:{status or group}`: sorted sets whose
  score is the sequence number, so a page is a reverse range below the cursor;
- `counts` a hash of how many messages have each (dialect, account, status), for totals at once;
- `sx:s:{block}` and `sx:t:{block}` what the sender and text search look in (see SEARCH_BLOCK);
- `ref:{[account, dialect, ref]}` the ids with a client reference, oldest first;
- `events` (due moment -> zero-padded event number), `event-data`, and `ev:{subject}` the pending
  events of each message (or bulk), which a prune takes with it;
- `reports:{[account, dialect]}` and `inbound:{[account, dialect]}` the read-once queues, and
  `report-queues`, `inbound-queues` their names; `inbound` every inbound message;
- `attempts` (attempt number -> attempt) and `attempts-of:{subject}`, `attempt-failures`;
- `keys` every key named after a value (an index, a queue, a reference), so `clear` finds them;
- `journal` (every entry by sequence number), `journal-at` (by moment), `journal-records` and
  `journal-keys` (each entry's record and its index keys), and the indexes `j:d:{dialect}`,
  `j:o:{operation}` and `j:p:{[dialect, operation]}`, sorted sets whose score is the sequence number;
- `settings` the shared settings (name -> JSON text) and `settings-version`, moved by each announced
  change and by `clear`;
- `seq`, `event-seq`, `attempt-seq`, `journal-seq` and `settings-version`, the counters, which `clear`
  keeps: cursors never come back, and no process takes an old settings version for a new one.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import re
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from smsmock.core.messages import InboundMessage, Message, WebhookAttempt
from smsmock.core.paging import Page
from smsmock.core.records import (
    WrittenMessages,
    decode_attempt,
    decode_event_data,
    decode_inbound,
    decode_message,
    encode_attempt,
    encode_event_data,
    encode_inbound,
)
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

DEFAULT_PREFIX = "smsmock:"
MINIMUM_VERSION = (7, 0)
"""ZINTERCARD counts a filtered total without building the intersection."""
CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 10.0
PULL_ATTEMPTS = 32
"""Rounds a pull makes when concurrent pulls took the reports it chose; each round some puller wins."""
PULL_JITTER = 0.002
"""The most seconds a pull waits before its next round, so racing pullers spread apart."""
PRUNE_BATCH = 500
"""Messages one prune script drops: each batch is atomic, and no batch holds the server for long."""
READ_BATCH = 1000
"""Records one script returns when every message is read."""
POP_ALL = 1_000_000_000
"""The limit of a pop that takes every due event."""
SEARCH_BLOCK = 1000
"""Messages whose search forms share one string of each kind (the scripts write the number as such).

The messages of sequence numbers 1000 * b to 1000 * b + 999 append their folded sender
(`search_forms`) to `sx:s:{b}` and their folded text to `sx:t:{b}`, each followed by a mark: byte 255
and the number's last three digits as bytes 245 to 254. UTF-8 has no byte above 244, so a needle
never matches across a mark, and Lua's plain `string.find`, a scan in C, goes through a thousand
messages at a time; the mark after a match says whose it is. A search is then one script, a page and
its total in one round trip, and holds a server that many processes share for little time: with
100,000 messages, 15 to 70 ms of the server's time (the more matches, the more). A pruned message's
entries stay until its whole block is gone: a search checks what it finds against `ids` or the other
filters' indexes.
"""
EVENT_LEASE = 10
"""Seconds a process may hold the events it took before they fall due again for others: a stopped
process's events come back, and no live one takes this long over a batch of steps."""
HELD_WAIT = 2.0
"""The most seconds a pop waits for the events other processes hold: a process stopped while holding
some delays the others' reads no longer than this."""
WAIT_FIRST_PAUSE = 0.0005
WAIT_LAST_PAUSE = 0.01
"""The pauses, doubling from the first to the last, while waiting for events another process holds."""

P = ParamSpec("P")
T = TypeVar("T")


# Helpers shared by the scripts: a key named after a value is registered, so `clear` finds it.
_LUA_COMMON = """
local p = ARGV[1]
local function index(key, seq, id)
  redis.call("ZADD", p .. key, seq, id)
  if redis.call("ZCARD", p .. key) == 1 then redis.call("SADD", p .. "keys", key) end
end
local function unindex(key, id)
  redis.call("ZREM", p .. key, id)
  if redis.call("EXISTS", p .. key) == 0 then redis.call("SREM", p .. "keys", key) end
end
local function count(dialect, account, name, group, change)
  local field = cjson.encode({dialect, account, name, group})
  if redis.call("HINCRBY", p .. "counts", field, change) <= 0 then
    redis.call("HDEL", p .. "counts", field)
  end
end
local function status_keys(name, group)
  local keys = {["ix:s:" .. name] = true}
  keys["ix:s:" .. group] = true
  return keys
end
"""

# ARGV: prefix, count, then per message: id, record, dialect, account, digits, status, group, ref key,
# moment, folded sender, folded text.
_ADD_MESSAGES = (
    _LUA_COMMON
    + """
local n, width = tonumber(ARGV[2]), 11
-- A message's search entries: its folded sender and text, each with its mark, at the end of its block's
-- strings (SEARCH_BLOCK).
local function searchable(seq, sender, content)
  local block, number = string.format("%d", math.floor(seq / 1000)), seq % 1000
  local mark = string.char(255, 245 + math.floor(number / 100), 245 + math.floor(number / 10) % 10,
    245 + number % 10)
  for kind, folded in pairs({s = sender, t = content}) do
    local key = "sx:" .. kind .. ":" .. block
    -- A new string is registered, so `clear` finds it.
    if redis.call("APPEND", p .. key, folded .. mark) == #folded + 4 then
      redis.call("SADD", p .. "keys", key)
    end
  end
end
local taken, seen = {}, {}
for i = 0, n - 1 do
  local id = ARGV[3 + i * width]
  if seen[id] or redis.call("EXISTS", p .. "m:" .. id) == 1 then taken[#taken + 1] = id end
  seen[id] = true
end
if #taken > 0 then return {0, taken} end
local first = redis.call("INCRBY", p .. "seq", n) - n
for i = 0, n - 1 do
  local at = 3 + i * width
  local id, rec, dialect, account, to = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
  local name, group, ref, moment = ARGV[at + 5], ARGV[at + 6], ARGV[at + 7], ARGV[at + 8]
  local seq = first + i
  searchable(seq, ARGV[at + 9], ARGV[at + 10])
  redis.call("HSET", p .. "m:" .. id, "rec", rec, "seq", seq, "dialect", dialect, "account", account,
    "to", to, "name", name, "group", group, "ref", ref)
  redis.call("ZADD", p .. "ids", seq, id)
  redis.call("ZADD", p .. "submitted", moment, id)
  index("ix:d:" .. dialect, seq, id)
  index("ix:a:" .. account, seq, id)
  index("ix:t:" .. to, seq, id)
  for key in pairs(status_keys(name, group)) do index(key, seq, id) end
  count(dialect, account, name, group, 1)
  if ref ~= "" then
    redis.call("RPUSH", p .. ref, id)
    redis.call("SADD", p .. "keys", ref)
  end
end
return {1, first}
"""
)

# ARGV: prefix, id, record, status, group, status changes so far. The status indexes and counts follow
# the record.
_UPDATE_MESSAGE = (
    _LUA_COMMON
    + """
local key = p .. "m:" .. ARGV[2]
local name, group = ARGV[4], ARGV[5]
local old = redis.call("HMGET", key, "seq", "dialect", "account", "name", "group", "steps")
if not old[1] then return 0 end
-- A message's history only grows: a process that read it before another moved it on writes nothing.
if tonumber(ARGV[6]) < tonumber(old[6] or "0") then return 0 end
redis.call("HSET", key, "rec", ARGV[3], "name", name, "group", group, "steps", ARGV[6])
if old[4] ~= name or old[5] ~= group then
  count(old[2], old[3], old[4], old[5], -1)
  count(old[2], old[3], name, group, 1)
  local before, after = status_keys(old[4], old[5]), status_keys(name, group)
  for k in pairs(before) do if not after[k] then unindex(k, ARGV[2]) end end
  for k in pairs(after) do if not before[k] then index(k, old[1], ARGV[2]) end end
end
return 1
"""
)

# ARGV: prefix, then ids. The records of the ids (false for one not stored), in order.
_RECORDS = """
local p, found = ARGV[1], {}
for i = 2, #ARGV do found[#found + 1] = redis.call("HGET", p .. "m:" .. ARGV[i], "rec") end
return found
"""

# ARGV: prefix, after (exclusive sequence number, "-inf" for all), batch. Records in storage order.
_RECORDS_AFTER = """
local p = ARGV[1]
local ids = redis.call("ZRANGEBYSCORE", p .. "ids", ARGV[2], "+inf", "WITHSCORES", "LIMIT", 0, ARGV[3])
local found = {}
for i = 1, #ids, 2 do
  found[#found + 1] = ids[i + 1]
  found[#found + 1] = redis.call("HGET", p .. "m:" .. ids[i], "rec")
end
return found
"""

# ARGV: prefix, ref key. The records of a client reference's messages, oldest first.
_BY_REF = """
local p, found = ARGV[1], {}
for _, id in ipairs(redis.call("LRANGE", p .. ARGV[2], 0, -1)) do
  local rec = redis.call("HGET", p .. "m:" .. id, "rec")
  if rec then found[#found + 1] = rec end
end
return found
"""

# ARGV: prefix, query as JSON (dialect, account, to, status, before, limit; null when not given), the
# folded sender and text searched for ("" for none). Returns the total, the next cursor ("" on the last
# page) and the page's records, newest first.
_QUERY = """
local p = ARGV[1]
local q = cjson.decode(ARGV[2])
local sender, text = ARGV[3], ARGV[4]
local function given(value) return value ~= nil and value ~= cjson.null end
local keys = {}
if given(q.dialect) then keys[#keys + 1] = p .. "ix:d:" .. q.dialect end
if given(q.account) then keys[#keys + 1] = p .. "ix:a:" .. q.account end
if given(q.to) then keys[#keys + 1] = p .. "ix:t:" .. q.to end
if given(q.status) then keys[#keys + 1] = p .. "ix:s:" .. q.status end
-- The shortest index is walked (every message's `ids` without a filter), the others are checked.
local walk, others = p .. "ids", {}
if #keys > 0 then
  local best, shortest = 1, redis.call("ZCARD", keys[1])
  for i = 2, #keys do
    local size = redis.call("ZCARD", keys[i])
    if size < shortest then best, shortest = i, size end
  end
  walk = keys[best]
  for i = 1, #keys do if i ~= best then others[#others + 1] = keys[i] end end
end
local limit = given(q.limit) and tonumber(q.limit) or nil
local need = limit and limit + 1 or nil
local function page(total, found, record_of)
  local cursor = ""
  if limit and #found > limit then
    cursor = string.format("%d", found[limit].seq)
    found[#found] = nil
  end
  local records = {}
  for i, entry in ipairs(found) do records[i] = record_of(entry) end
  return {total, cursor, records}
end

-- A search: the matches in each block's search string (SEARCH_BLOCK), newest block first, each kept
-- if its message is stored still and passes the other filters. Every match counts to the total; the
-- page takes the newest below the cursor.
local function block_matches(kind, block, needle, within)
  local hits = {}
  local found = redis.call("GET", p .. "sx:" .. kind .. ":" .. string.format("%d", block))
  if not found then return hits end
  local only
  if within then
    only = {}
    for _, seq in ipairs(within) do only[seq] = true end
  end
  local base, at, width = block * 1000, 1, #needle
  -- The sequence number of the entry whose mark starts at `mark`.
  local function owner(mark)
    local a, b, c = string.byte(found, mark + 1, mark + 3)
    return base + (a - 245) * 100 + (b - 245) * 10 + c - 245
  end
  local count = 0
  while true do
    local hit = string.find(found, needle, at, true)
    if not hit then break end
    local mark = string.find(found, "\\255", hit + width, true)
    local seq = owner(mark)
    if not only or only[seq] then
      count = count + 1
      hits[count] = seq
    end
    at = mark + 4
  end
  -- The block's entries run from its first mark's number to its last's, one per sequence number.
  return hits, owner(string.find(found, "\\255", 1, true)), owner(#found - 3)
end
-- The hits (ascending) that are stored still and pass the other filters, and their ids by sequence
-- number (none when every message of the block is there and no filter is given: the page's are read).
local function passing(hits, first, last)
  local kept, ids = {}, {}
  local size = redis.call("ZCOUNT", walk, first, last)
  if #keys == 0 and size == last - first + 1 then return hits, nil end
  if size == 0 then return kept, ids end
  if #hits < size then
    for _, seq in ipairs(hits) do
      ids[seq] = redis.call("ZRANGEBYSCORE", walk, seq, seq, "LIMIT", 0, 1)[1]
    end
  else
    local members = redis.call("ZRANGEBYSCORE", walk, first, last, "WITHSCORES")
    for i = 1, #members, 2 do ids[tonumber(members[i + 1])] = members[i] end
  end
  for _, seq in ipairs(hits) do
    local id = ids[seq]
    if id then
      for _, key in ipairs(others) do
        if not redis.call("ZSCORE", key, id) then id = nil break end
      end
      if id then kept[#kept + 1] = seq end
    end
  end
  return kept, ids
end
if sender ~= "" or text ~= "" then
  local oldest = redis.call("ZRANGE", p .. "ids", 0, 0, "WITHSCORES")[2]
  if not oldest then return {0, "", {}} end
  local top = given(q.before) and tonumber(q.before) or nil
  local total, found = 0, {}
  local newest = tonumber(redis.call("GET", p .. "seq")) - 1
  for block = math.floor(newest / 1000), math.floor(tonumber(oldest) / 1000), -1 do
    local hits, first, last
    if sender ~= "" then hits, first, last = block_matches("s", block, sender, nil) end
    if text ~= "" and (not hits or #hits > 0) then
      hits, first, last = block_matches("t", block, text, hits)
    end
    if #hits > 0 then
      local kept, ids = passing(hits, first, last)
      total = total + #kept
      for i = #kept, 1, -1 do
        if need and #found >= need then break end
        local seq = kept[i]
        if not top or seq < top then found[#found + 1] = {seq = seq, id = ids and ids[seq]} end
      end
    end
  end
  if total == 0 or (limit and limit <= 0) then return {total, "", {}} end
  return page(total, found, function(entry)
    local id = entry.id or redis.call("ZRANGEBYSCORE", p .. "ids", entry.seq, entry.seq, "LIMIT", 0, 1)[1]
    return redis.call("HGET", p .. "m:" .. id, "rec")
  end)
end

local total
if #keys == 0 then total = redis.call("ZCARD", p .. "ids")
elseif #keys == 1 then total = redis.call("ZCARD", keys[1])
elseif given(q.to) then total = redis.call("ZINTERCARD", #keys, unpack(keys))
else
  -- Without a destination the counts by (dialect, account, status) give any total at once.
  total = 0
  local flat = redis.call("HGETALL", p .. "counts")
  for i = 1, #flat, 2 do
    local f = cjson.decode(flat[i])
    if (not given(q.dialect) or f[1] == q.dialect) and (not given(q.account) or f[2] == q.account)
      and (not given(q.status) or f[3] == q.status or f[4] == q.status) then
      total = total + tonumber(flat[i + 1])
    end
  end
end
if total == 0 then return {0, "", {}} end
-- Walk the shortest index newest first, checking the others; stop one match past a full page.
if limit and limit <= 0 then return {total, "", {}} end
local known = (not given(q.before)) and total or nil
local top = given(q.before) and "(" .. q.before or "+inf"
local found, batch = {}, 256
local done = false
while not done do
  local chunk = redis.call("ZREVRANGEBYSCORE", walk, top, "-inf", "WITHSCORES", "LIMIT", 0, batch)
  for i = 1, #chunk, 2 do
    local matches = true
    for _, key in ipairs(others) do
      if not redis.call("ZSCORE", key, chunk[i]) then matches = false break end
    end
    if matches then
      found[#found + 1] = {id = chunk[i], seq = chunk[i + 1]}
      if (need and #found == need) or (known and #found == known) then done = true break end
    end
  end
  if #chunk < batch * 2 then break end
  top = "(" .. chunk[#chunk]
  batch = 1024
end
return page(total, found, function(entry) return redis.call("HGET", p .. "m:" .. entry.id, "rec") end)
"""

# ARGV: prefix, due moment, kind, subject, data as JSON.
_SCHEDULE = """
local p = ARGV[1]
local member = string.format("%020d", redis.call("INCR", p .. "event-seq"))
redis.call("ZADD", p .. "events", ARGV[2], member)
redis.call("HSET", p .. "event-data", member, cjson.encode({ARGV[2], ARGV[3], ARGV[4], ARGV[5]}))
-- The events of each subject, so a prune takes a dropped message's pending events with it.
local subject_events = "ev:" .. ARGV[4]
redis.call("SADD", p .. subject_events, member)
if redis.call("SCARD", p .. subject_events) == 1 then redis.call("SADD", p .. "keys", subject_events) end
return member
"""

# ARGV: prefix, now, limit, lease in seconds (0: hand the events over for good). Takes up to `limit`
# events due by now, in (due, number) order: each is handed out once. With a lease, the events are
# held in `running` until their taker sends what they changed (_FINISH_EVENTS), so every process can
# see that state is still on its way; a taker stopped before that loses them when the lease ends, and
# they fall due again. The answer starts with how many events other takers hold.
_POP_DUE = """
local p = ARGV[1]
local time = redis.call("TIME")
local clock = tonumber(time[1]) + tonumber(time[2]) / 1000000
local function follow(member, subject)
  redis.call("SADD", p .. "ev:" .. subject, member)
  redis.call("SADD", p .. "keys", "ev:" .. subject)
end
for _, member in ipairs(redis.call("ZRANGEBYSCORE", p .. "running-until", "-inf", clock)) do
  redis.call("ZREM", p .. "running-until", member)
  redis.call("ZREM", p .. "running", member)
  local data = redis.call("HGET", p .. "event-data", member)
  if data then
    local event = cjson.decode(data)
    redis.call("ZADD", p .. "events", event[1], member)
    follow(member, event[3])
  end
end
local held = redis.call("ZCARD", p .. "running")
local members = redis.call("ZRANGEBYSCORE", p .. "events", "-inf", ARGV[2], "LIMIT", 0, tonumber(ARGV[3]))
local found = {held}
if #members == 0 then return found end
local lease = tonumber(ARGV[4])
-- A thousand at a time: unpack() has a limit on how many values it spreads.
for i = 1, #members, 1000 do
  local part = {unpack(members, i, math.min(i + 999, #members))}
  local data = redis.call("HMGET", p .. "event-data", unpack(part))
  for j, member in ipairs(part) do
    local event = cjson.decode(data[j])
    local subject = event[3]
    found[#found + 1] = member
    found[#found + 1] = data[j]
    -- The message the event is about comes along: the step needs it, and asking costs a round trip.
    found[#found + 1] = redis.call("HGET", p .. "m:" .. subject, "rec")
    redis.call("SREM", p .. "ev:" .. subject, member)
    if redis.call("EXISTS", p .. "ev:" .. subject) == 0 then
      redis.call("SREM", p .. "keys", "ev:" .. subject)
    end
    if lease > 0 then
      redis.call("ZADD", p .. "running", event[1], member)
      redis.call("ZADD", p .. "running-until", clock + lease, member)
    end
  end
  redis.call("ZREM", p .. "events", unpack(part))
  if lease == 0 then redis.call("HDEL", p .. "event-data", unpack(part)) end
end
return found
"""

# ARGV: prefix, the events taken with a lease whose changes are now stored.
_FINISH_EVENTS = """
local p = ARGV[1]
local members = {unpack(ARGV, 2)}
redis.call("ZREM", p .. "running", unpack(members))
redis.call("ZREM", p .. "running-until", unpack(members))
redis.call("HDEL", p .. "event-data", unpack(members))
return #members
"""

# The soonest due moment of the pending events and of those a taker still holds.
_LUA_SOONEST = """
local function soonest_due()
  local soonest = false
  for _, key in ipairs({"events", "running"}) do
    local first = redis.call("ZRANGE", p .. key, 0, 0, "WITHSCORES")
    if first[2] and (not soonest or tonumber(first[2]) < tonumber(soonest)) then soonest = first[2] end
  end
  return soonest
end
"""

# ARGV: prefix.
_NEXT_DUE = (
    """
local p = ARGV[1]
"""
    + _LUA_SOONEST
    + """
return soonest_due()
"""
)

# ARGV: prefix. The settings version and the soonest due moment, a request's first two looks at once.
_LOOK = (
    """
local p = ARGV[1]
"""
    + _LUA_SOONEST
    + """
return {tonumber(redis.call("GET", p .. "settings-version") or "0"), soonest_due()}
"""
)

# ARGV: prefix, queue key, queue name, message id.
_PUSH_REPORT = """
local p = ARGV[1]
redis.call("RPUSH", p .. ARGV[2], ARGV[4])
redis.call("SADD", p .. "report-queues", ARGV[3])
redis.call("SADD", p .. "keys", ARGV[2])
"""

# ARGV: prefix, queue key, start, count. A window of the queue with the records of its ids.
_PEEK_REPORTS = """
local p = ARGV[1]
local ids = redis.call("LRANGE", p .. ARGV[2], ARGV[3], ARGV[3] + ARGV[4] - 1)
local found = {}
for _, id in ipairs(ids) do
  found[#found + 1] = id
  found[#found + 1] = redis.call("HGET", p .. "m:" .. id, "rec")
end
return found
"""

# ARGV: prefix, queue key, how many to take, then the ids to take, then ids to discard. Each id
# leaves the queue once: only the pull whose LREM removed it hands it out.
_TAKE_REPORTS = """
local p = ARGV[1]
local key, wanted = p .. ARGV[2], tonumber(ARGV[3])
local taken = {}
for i = 4, #ARGV do
  local removed = redis.call("LREM", key, 1, ARGV[i])
  if removed == 1 and i < 4 + wanted then taken[#taken + 1] = ARGV[i] end
end
return taken
"""

# ARGV: prefix, queue key, queue name, entry ([received moment, record] as JSON).
_ADD_INBOUND = """
local p = ARGV[1]
redis.call("RPUSH", p .. "inbound", ARGV[4])
redis.call("RPUSH", p .. ARGV[2], ARGV[4])
redis.call("SADD", p .. "inbound-queues", ARGV[3])
redis.call("SADD", p .. "keys", ARGV[2])
"""

# ARGV: prefix, subject, record, failed ("1" or "0").
_ADD_ATTEMPT = """
local p = ARGV[1]
local seq = redis.call("INCR", p .. "attempt-seq")
local member = string.format("%020d", seq) .. ARGV[3]
redis.call("ZADD", p .. "attempts", seq, member)
redis.call("RPUSH", p .. "attempts-of:" .. ARGV[2], member)
redis.call("SADD", p .. "keys", "attempts-of:" .. ARGV[2])
if ARGV[4] == "1" then redis.call("INCR", p .. "attempt-failures") end
"""

# ARGV: prefix, bound. Inbound messages received before the bound leave the log and their queues.
_PRUNE_INBOUND = """
local p, bound = ARGV[1], tonumber(ARGV[2])
local function keep_recent(key)
  local kept, changed = {}, false
  for _, entry in ipairs(redis.call("LRANGE", key, 0, -1)) do
    if cjson.decode(entry)[1] >= bound then kept[#kept + 1] = entry else changed = true end
  end
  if not changed then return end
  redis.call("DEL", key)
  for i = 1, #kept, 1000 do redis.call("RPUSH", key, unpack(kept, i, math.min(i + 999, #kept))) end
end
keep_recent(p .. "inbound")
for _, queue in ipairs(redis.call("SMEMBERS", p .. "inbound-queues")) do
  keep_recent(p .. "inbound:" .. queue)
end
"""

_STATS = """
local p = ARGV[1]
local function lengths(set, kind)
  local found = {}
  for _, queue in ipairs(redis.call("SMEMBERS", p .. set)) do
    found[#found + 1] = queue
    found[#found + 1] = redis.call("LLEN", p .. kind .. queue)
  end
  return found
end
return {
  redis.call("ZCARD", p .. "ids"), redis.call("LLEN", p .. "inbound"),
  lengths("report-queues", "reports:"), lengths("inbound-queues", "inbound:"),
  redis.call("ZCARD", p .. "attempts"), tonumber(redis.call("GET", p .. "attempt-failures") or "0"),
}
"""

# ARGV: prefix. Everything but the counters goes; UNLINK frees the memory off the server's thread.
_CLEAR = """
local p = ARGV[1]
local function unlink(names, prefix)
  for i = 1, #names, 1000 do
    local part = {}
    for j = i, math.min(i + 999, #names) do part[#part + 1] = p .. prefix .. names[j] end
    redis.call("UNLINK", unpack(part))
  end
end
unlink(redis.call("ZRANGE", p .. "ids", 0, -1), "m:")
unlink(redis.call("SMEMBERS", p .. "keys"), "")
unlink({"ids", "submitted", "counts", "events", "event-data", "running", "running-until", "inbound",
  "attempts", "attempt-failures", "report-queues", "inbound-queues", "keys", "settings", "journal",
  "journal-at", "journal-records", "journal-keys"}, "")
redis.call("INCR", p .. "settings-version")
"""

# Helpers of the journal's scripts: an entry leaves every index it is in.
_LUA_JOURNAL = (
    _LUA_COMMON
    + """
local function drop_entries(seqs)
  for _, seq in ipairs(seqs) do
    local keys = redis.call("HGET", p .. "journal-keys", seq)
    if keys then
      for key in string.gmatch(keys, "[^\\n]+") do unindex(key, seq) end
    end
    redis.call("HDEL", p .. "journal-records", seq)
    redis.call("HDEL", p .. "journal-keys", seq)
    redis.call("ZREM", p .. "journal", seq)
    redis.call("ZREM", p .. "journal-at", seq)
  end
  return #seqs
end
"""
)

# ARGV: prefix, moment, dialect key, operation key, pair key, record, how many to keep ("" for all).
_ADD_ENTRY = (
    _LUA_JOURNAL
    + """
local seq = redis.call("INCR", p .. "journal-seq")
redis.call("HSET", p .. "journal-records", seq, ARGV[6])
redis.call("HSET", p .. "journal-keys", seq, ARGV[3] .. "\\n" .. ARGV[4] .. "\\n" .. ARGV[5])
redis.call("ZADD", p .. "journal", seq, seq)
redis.call("ZADD", p .. "journal-at", ARGV[2], seq)
for i = 3, 5 do index(ARGV[i], seq, seq) end
if ARGV[7] ~= "" then
  local excess = redis.call("ZCARD", p .. "journal") - tonumber(ARGV[7])
  if excess > 0 then drop_entries(redis.call("ZRANGE", p .. "journal", 0, excess - 1)) end
end
return seq
"""
)

# ARGV: prefix, index key, cursor ("" for the newest), how many (one more than a page holds).
_ENTRY_PAGE = """
local p = ARGV[1]
local key = p .. ARGV[2]
local top = ARGV[3] == "" and "+inf" or "(" .. ARGV[3]
local seqs = redis.call("ZREVRANGEBYSCORE", key, top, "-inf", "LIMIT", 0, tonumber(ARGV[4]))
local found = {redis.call("ZCARD", key)}
for _, seq in ipairs(seqs) do
  found[#found + 1] = seq
  found[#found + 1] = redis.call("HGET", p .. "journal-records", seq)
end
return found
"""

# ARGV: prefix, bound ("" drops every entry), batch. Drops up to a batch of entries older than the bound.
_DROP_ENTRIES = (
    _LUA_JOURNAL
    + """
local top = ARGV[2] == "" and "+inf" or "(" .. ARGV[2]
local seqs = redis.call("ZRANGEBYSCORE", p .. "journal-at", "-inf", top, "LIMIT", 0, tonumber(ARGV[3]))
return drop_entries(seqs)
"""
)

# ARGV: prefix. The settings version and every setting, flat: version, name, value, name, value...
_SETTINGS = """
local p = ARGV[1]
local found = {tonumber(redis.call("GET", p .. "settings-version") or "0")}
for _, item in ipairs(redis.call("HGETALL", p .. "settings")) do found[#found + 1] = item end
return found
"""

# ARGV: prefix, name, expected ("" flag first: "1" + text, or "0" for unset), new value (same form),
# announce ("1" moves the version). 1 when the setting held what was expected and was changed.
_SWAP_SETTING = """
local p, name = ARGV[1], ARGV[2]
local current = redis.call("HGET", p .. "settings", name)
local expected = ARGV[3]
if expected == "0" then
  if current then return 0 end
elseif current ~= string.sub(expected, 2) then
  return 0
end
if ARGV[4] == "0" then
  redis.call("HDEL", p .. "settings", name)
else
  redis.call("HSET", p .. "settings", name, string.sub(ARGV[4], 2))
end
if ARGV[5] == "1" then redis.call("INCR", p .. "settings-version") end
return 1
"""

# ARGV: prefix, submitted-before bound ("" for none), how many to keep ("" for none), batch.
# Drops up to a batch of the oldest messages past either bound, with everything that names them.
_PRUNE = (
    _LUA_COMMON
    + """
local bound, keep, batch = ARGV[2], ARGV[3], tonumber(ARGV[4])
local chosen, order = {}, {}
local function choose(ids) for _, id in ipairs(ids) do
  if not chosen[id] then chosen[id] = true order[#order + 1] = id end
end end
if bound ~= "" then
  choose(redis.call("ZRANGEBYSCORE", p .. "submitted", "-inf", "(" .. bound, "LIMIT", 0, batch))
end
if keep ~= "" then
  local excess = redis.call("ZCARD", p .. "ids") - tonumber(keep)
  if excess > 0 then choose(redis.call("ZRANGE", p .. "ids", 0, math.min(excess, batch) - 1)) end
end
local blocks = {}
for _, id in ipairs(order) do
  local key = p .. "m:" .. id
  local m = redis.call("HMGET", key, "dialect", "account", "to", "name", "group", "ref", "seq")
  if m[7] then blocks[math.floor(tonumber(m[7]) / 1000)] = true end
  redis.call("DEL", key)
  redis.call("ZREM", p .. "ids", id)
  redis.call("ZREM", p .. "submitted", id)
  unindex("ix:d:" .. m[1], id)
  unindex("ix:a:" .. m[2], id)
  unindex("ix:t:" .. m[3], id)
  for k in pairs(status_keys(m[4], m[5])) do unindex(k, id) end
  count(m[1], m[2], m[4], m[5], -1)
  if m[6] ~= "" then
    redis.call("LREM", p .. m[6], 1, id)
    if redis.call("EXISTS", p .. m[6]) == 0 then redis.call("SREM", p .. "keys", m[6]) end
  end
  local attempts = "attempts-of:" .. id
  for _, member in ipairs(redis.call("LRANGE", p .. attempts, 0, -1)) do
    redis.call("ZREM", p .. "attempts", member)
    if cjson.decode(string.sub(member, 21)).failed then redis.call("DECR", p .. "attempt-failures") end
  end
  redis.call("DEL", p .. attempts)
  redis.call("SREM", p .. "keys", attempts)
  local events = redis.call("SMEMBERS", p .. "ev:" .. id)
  if #events > 0 then
    redis.call("ZREM", p .. "events", unpack(events))
    redis.call("HDEL", p .. "event-data", unpack(events))
  end
  redis.call("DEL", p .. "ev:" .. id)
  redis.call("SREM", p .. "keys", "ev:" .. id)
end
-- A block's search strings go with its last stored message (SEARCH_BLOCK).
for block in pairs(blocks) do
  if redis.call("ZCOUNT", p .. "ids", block * 1000, block * 1000 + 999) == 0 then
    for _, kind in ipairs({"s", "t"}) do
      local name = "sx:" .. kind .. ":" .. string.format("%d", block)
      redis.call("UNLINK", p .. name)
      redis.call("SREM", p .. "keys", name)
    end
  end
end
-- Each report queue is rewritten once, in order, without the dropped messages' reports: a report
-- is queued under its message's account and dialect, but a queue is checked whole, as memory does.
if #order == 0 then return 0 end
for _, queue in ipairs(redis.call("SMEMBERS", p .. "report-queues")) do
  local key = p .. "reports:" .. queue
  local kept = {}
  for _, id in ipairs(redis.call("LRANGE", key, 0, -1)) do
    if not chosen[id] then kept[#kept + 1] = id end
  end
  if redis.call("EXISTS", key) == 1 then
    redis.call("DEL", key)
    for i = 1, #kept, 1000 do redis.call("RPUSH", key, unpack(kept, i, math.min(i + 999, #kept))) end
  end
end
return #order
"""
)


def _guarded(
    *, retry: bool, flush: bool = True, keeps_look: bool = False
) -> Callable[[Callable[Concatenate[RedisStore, P], T]], Callable[Concatenate[RedisStore, P], T]]:
    """Redis failures become StoreError; a read (`retry`) is tried once more on a fresh connection.

    A write is never retried: the server may have run it before the connection broke, and running a
    read-once pull or a push twice would hand out or queue a report twice. A call that asks Redis
    directly first sends the writes its thread deferred (`flush`), so it reads what this thread wrote;
    a script call carries them along itself (`_run`). Any call but the look's own two (`keeps_look`)
    ends the look this thread took (see `settings_version`).
    """

    def wrap(method: Callable[Concatenate[RedisStore, P], T]) -> Callable[Concatenate[RedisStore, P], T]:
        @functools.wraps(method)
        def guarded(store: RedisStore, *args: P.args, **kwargs: P.kwargs) -> T:
            if not keeps_look:
                store._unit.upcoming = None
            for attempt in (1, 2):
                try:
                    if flush:
                        store._send_deferred()
                    return method(store, *args, **kwargs)
                except redis.ConnectionError as problem:
                    # Idle pooled connections to a server that went away are dead too: drop them, so
                    # work resumes on fresh ones as soon as the server is back.
                    store.client.connection_pool.disconnect(inuse_connections=False)
                    if not (retry and attempt == 1):
                        raise store.failure(problem) from None
                except redis.RedisError as problem:
                    raise store.failure(problem) from None
            raise AssertionError("unreachable")

        return guarded

    return wrap


class RedisStore:
    """The Store protocol on a Redis server (7.0 or later), shared by every process that opens it."""

    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX, *, url: str = "redis") -> None:
        self.client = client
        self.prefix = prefix
        self.url = url
        """The URL as error messages show it: without a password."""
        self._unit = threading.local()
        """The writes this thread deferred in an `atomic` block, while one is open, and its look ahead
        (see `settings_version`)."""
        self._written = WrittenMessages(ascii=True)
        """The messages this process stored last: a step reads back what the one before it wrote."""
        self._scripts = {
            name: client.register_script(source)
            for name, source in {
                "add_messages": _ADD_MESSAGES,
                "update_message": _UPDATE_MESSAGE,
                "records": _RECORDS,
                "records_after": _RECORDS_AFTER,
                "by_ref": _BY_REF,
                "query": _QUERY,
                "schedule": _SCHEDULE,
                "pop_due": _POP_DUE,
                "finish_events": _FINISH_EVENTS,
                "next_due": _NEXT_DUE,
                "look": _LOOK,
                "push_report": _PUSH_REPORT,
                "peek_reports": _PEEK_REPORTS,
                "take_reports": _TAKE_REPORTS,
                "add_inbound": _ADD_INBOUND,
                "add_attempt": _ADD_ATTEMPT,
                "stats": _STATS,
                "clear": _CLEAR,
                "prune": _PRUNE,
                "prune_inbound": _PRUNE_INBOUND,
                "settings": _SETTINGS,
                "add_entry": _ADD_ENTRY,
                "entry_page": _ENTRY_PAGE,
                "drop_entries": _DROP_ENTRIES,
                "swap_setting": _SWAP_SETTING,
            }.items()
        }

    @classmethod
    def open(cls, url: str) -> RedisStore:
        """The store a `redis://HOST:PORT/DB[?prefix=P]` URL names; StoreError when it cannot be reached."""
        shown = _without_password(url)
        parts = urlsplit(url)
        options = parse_qsl(parts.query, keep_blank_values=True)
        prefix = next((value for name, value in options if name == "prefix"), DEFAULT_PREFIX)
        rest = urlencode([(name, value) for name, value in options if name != "prefix"])
        try:
            client = redis.Redis.from_url(
                urlunsplit(parts._replace(query=rest)),
                decode_responses=True,
                socket_connect_timeout=CONNECT_TIMEOUT,
                socket_timeout=COMMAND_TIMEOUT,
                # No silent retries: a command may have run before its connection broke (see _guarded).
                retry=Retry(NoBackoff(), 0),
            )
            version = str(client.info("server")["redis_version"])
        except (redis.RedisError, ValueError, OSError) as problem:
            raise StoreError(f"cannot open the Redis store {shown}: {_one_line(problem)}") from None
        if tuple(int(part) for part in version.split(".")[:2]) < MINIMUM_VERSION:
            client.close()
            raise StoreError(f"the Redis store {shown} runs Redis {version}; smsmock needs 7.0 or later")
        store = cls(client, prefix, url=shown)
        try:
            store._load_scripts()
        except (redis.RedisError, OSError) as problem:
            client.close()
            raise StoreError(f"cannot open the Redis store {shown}: {_one_line(problem)}") from None
        return store

    def _load_scripts(self) -> None:
        """Give the server every script at once: a script run by its SHA1 alone that the server does
        not know yet costs a round trip more, its first time (then it is sent whole)."""
        pipe = self.client.pipeline(transaction=False)
        for script in self._scripts.values():
            pipe.script_load(script.script)
        pipe.execute()

    def close(self) -> None:
        """Let go of the connections; the data stays on the server."""
        self.client.close()

    def failure(self, problem: Exception) -> StoreError:
        return StoreError(f"the Redis store {self.url} failed: {_one_line(problem)}")

    def _run(self, script: str, *args: Any) -> Any:
        """Run a script and return its answer; the writes this thread deferred go in the same round trip,
        and after them the release of the events whose steps made them."""
        self._finish_held()
        deferred = getattr(self._unit, "deferred", None)
        if deferred:
            self._unit.deferred = []
            return self._pipelined([*deferred, (script, args)])[-1]
        return self._pipelined([(script, args)])[0]

    def _line(self) -> Any:
        """This thread's own connection of the pool, kept for its script calls.

        A script call is the store's every round trip on a request's way: sent and read on a connection
        kept by the thread, it costs a third of what redis-py's command path costs around it (borrowing
        from the pool, a poll of the socket, retry wrappers). The connection goes back to the pool when
        the thread ends; a forked process takes connections of its own.
        """
        kept = getattr(self._unit, "line", None)
        if kept is None or kept.forks != _forks:
            pool = self.client.connection_pool
            kept = _Line(_borrow(pool), _forks)
            weakref.finalize(kept, _give_back, pool, kept.connection, _forks)
            self._unit.line = kept
        return kept.connection

    # messages

    @_guarded(retry=False, flush=False)
    def add_messages(self, messages: Iterable[Message]) -> None:
        """Stores the batch whole, or none of it when an id is taken (DuplicateMessageId)."""
        batch = list(messages)
        if not batch:
            return
        fields: list[str] = []
        for message in batch:
            fields.extend(_message_fields(message, self._written.dump(message)))
        if getattr(self._unit, "deferred", None) is not None and all(map(_drawn_id, batch)):
            # No id of the batch can be taken: each is a random UUID the mock drew, not a client's. The
            # answer is not waited for, then: the messages go with the block's other writes.
            self._unit.deferred.append(("add_messages", (len(batch), *fields)))
        else:
            stored, detail = self._run("add_messages", len(batch), *fields)
            if not stored:
                raise DuplicateMessageId(f"Redis store {self.url}", list(detail))

    @_guarded(retry=True)
    def message(self, message_id: str) -> Message | None:
        record = self.client.hget(f"{self.prefix}m:{message_id}", "rec")
        return None if record is None else self._written.read(message_id, record)

    @_guarded(retry=True, flush=False)
    def messages(self, predicate: Callable[[Message], bool] | None = None) -> list[Message]:
        """Every stored message in storage order, read a batch at a time (each batch is consistent)."""
        found: list[Message] = []
        after = "-inf"
        while True:
            flat = self._run("records_after", after, READ_BATCH)
            for index in range(0, len(flat), 2):
                if flat[index + 1]:
                    found.append(_decode(flat[index + 1]))
            if len(flat) < READ_BATCH * 2:
                break
            after = f"({flat[-2]}"
        return found if predicate is None else [message for message in found if predicate(message)]

    @_guarded(retry=False, flush=False)
    def update_message(self, message: Message) -> None:
        """Keeps the whole record and moves its status indexes, in one step; a cleared message stays gone."""
        record = self._written.dump(message)
        self._write(
            "update_message",
            message.id,
            record,
            message.status.name,
            message.status.group_name,
            len(message.changes) // 3,  # the changes in its history
        )

    @_guarded(retry=True, flush=False)
    def query(self, query: MessageQuery) -> Page[Message]:
        """A page of the stored messages that match, newest (last stored) first."""
        wanted = {
            "dialect": query.dialect,
            "account": query.account,
            "to": None if query.to is None else normalise_number(query.to),
            "status": None if query.status is None else query.status.upper(),
            # As text: a Lua number would print a large sequence number in exponent form.
            "before": None if query.before is None else str(query.before),
            "limit": None if query.limit is None else str(query.limit),
        }
        sender, text = query.needles()
        total, cursor, records = self._run("query", json.dumps(wanted), sender or "", text or "")
        return Page([_decode(record) for record in records], int(total), int(cursor) if cursor else None)

    @_guarded(retry=True)
    def has_client_id(self, account: str, message_id: str) -> bool:
        # A message's id is its client id when the client gave one: a taken id is a stored message's.
        return bool(self.client.exists(f"{self.prefix}m:{message_id}"))

    @_guarded(retry=True, flush=False)
    def by_client_ref(self, account: str, dialect: str, ref: str) -> list[Message]:
        """The account's messages of a dialect that carry this client reference, oldest first."""
        return [_decode(record) for record in self._run("by_ref", _ref_key(account, dialect, ref))]

    # due events

    @_guarded(retry=False, flush=False)
    def schedule(self, due: float, kind: str, subject: str, **data: Any) -> None:
        encoded = json.dumps(encode_event_data(data), separators=(",", ":"))
        self._write("schedule", repr(float(due)), kind, subject, encoded)

    @_guarded(retry=False, flush=False)
    def pop_due(self, now: float, limit: int | None = None) -> list[Event]:
        """Events due by now. In an `atomic` block they stay held, so that every process sees state is
        on its way, until the block sends what they changed; while only other takers hold events, this
        waits for them (a bounded time), so no caller reads state a due event has yet to change."""
        holding = getattr(self._unit, "deferred", None) is not None
        give_up = time.monotonic() + HELD_WAIT
        pause = WAIT_FIRST_PAUSE
        while True:
            self._finish_held()
            flat = self._run("pop_due", repr(float(now)), limit or POP_ALL, EVENT_LEASE if holding else 0)
            held_elsewhere, flat = flat[0], flat[1:]
            if flat or not held_elsewhere or time.monotonic() > give_up:
                break
            time.sleep(pause)
            pause = min(pause * 2, WAIT_LAST_PAUSE)
        events = []
        for index in range(0, len(flat), 3):
            due, kind, subject, data = json.loads(flat[index + 1])
            record = flat[index + 2]
            event = Event(float(due), int(flat[index]), kind, subject, decode_event_data(json.loads(data)))
            event.message = self._written.read(subject, record) if record else None
            events.append(event)
        if holding:
            self._unit.held = [*getattr(self._unit, "held", ()), *flat[0::3]]
        return events

    def _finish_held(self) -> None:
        """Queue the release of the events this thread holds, after the writes their steps deferred."""
        held = getattr(self._unit, "held", None)
        if held:
            self._unit.held = []
            # In calls of a thousand: a script spreads no more arguments than that at once.
            for start in range(0, len(held), READ_BATCH):
                self._unit.deferred.append(("finish_events", tuple(held[start : start + READ_BATCH])))

    @_guarded(retry=True, keeps_look=True)
    def next_due(self) -> float | None:
        """The soonest due moment; the one `settings_version` read, if this thread made no other store
        call since (the two are a request's first looks at the store: one round trip for both)."""
        known, soonest = take_look(self._unit)
        if known:
            return soonest
        soonest = self._run("next_due")
        return None if soonest is None else float(soonest)

    # read-once queues

    @_guarded(retry=False, flush=False)
    def push_report(self, queue: Queue, message_id: str) -> None:
        name = _queue_name(queue)
        self._write("push_report", f"reports:{name}", name, message_id)

    @_guarded(retry=False, flush=False)
    def pull_reports(self, queue: Queue, limit: int, accept: Callable[[Message], bool]) -> list[Message]:
        """Reports not handed out before, each to exactly one pull, in queue order.

        `accept` runs here, not on the server, so a pull reads the queue, chooses, then takes what it
        chose in one script: each entry of the queue leaves it once, and only the pull that removed it
        hands it out (a report queued twice is handed out twice, as in every store). What a pull
        refuses never leaves the queue, so no crash can lose it. A pull that lost some of its choices
        to a concurrent pull reads again, a bounded number of rounds.
        """
        key = f"reports:{_queue_name(queue)}"
        taken: list[Message] = []
        for round_number in range(PULL_ATTEMPTS):
            chosen, dropped = self._choose_reports(key, limit - len(taken), accept)
            if not chosen and not dropped:
                break
            removed = self._run("take_reports", key, len(chosen), *(found.id for found in chosen), *dropped)
            won = Counter(removed)
            for message in chosen:
                if won[message.id]:
                    won[message.id] -= 1
                    taken.append(message)
            if len(removed) == len(chosen) or len(taken) >= limit:
                break
            time.sleep(random.uniform(0, PULL_JITTER * (1 + round_number % 4)))
        return taken

    def _choose_reports(
        self, key: str, wanted: int, accept: Callable[[Message], bool]
    ) -> tuple[list[Message], list[str]]:
        """The first `wanted` reports `accept` takes, and the ids before them whose message is gone.

        As the memory store does, the walk drops the reports of deleted or pruned messages it passes,
        and stops at the first live report past a full pull.
        """
        chosen: list[Message] = []
        dropped: list[str] = []
        start, window = 0, max(100, wanted + 10)
        while True:
            flat = self._run("peek_reports", key, start, window)
            for index in range(0, len(flat), 2):
                message_id, record = flat[index], flat[index + 1]
                message = self._written.read(message_id, record) if record else None
                if message is None or message.deleted:
                    dropped.append(message_id)
                    continue
                if len(chosen) >= wanted:
                    return chosen, dropped
                if accept(message):
                    chosen.append(message)
            if len(flat) < window * 2:
                return chosen, dropped
            start += window

    @_guarded(retry=False, flush=False)
    def add_inbound(self, message: InboundMessage) -> None:
        name = _queue_name((message.account, message.dialect))
        # The moment rides along as a number, so a prune compares it on the server.
        entry = json.dumps([message.received_at.timestamp(), encode_inbound(message)], separators=(",", ":"))
        self._run("add_inbound", f"inbound:{name}", name, entry)

    @_guarded(retry=False)
    def pull_inbound(self, queue: Queue, limit: int) -> list[InboundMessage]:
        if limit <= 0:
            return []
        # LPOP with a count is one command: what it returns has left the queue for every other pull.
        records = self.client.lpop(f"{self.prefix}inbound:{_queue_name(queue)}", limit) or []
        return [_decode_inbound(entry) for entry in records]

    @_guarded(retry=True)
    def inbound(self, predicate: Callable[[InboundMessage], bool] | None = None) -> list[InboundMessage]:
        found = [_decode_inbound(entry) for entry in self.client.lrange(f"{self.prefix}inbound", 0, -1)]
        return found if predicate is None else [message for message in found if predicate(message)]

    # webhook attempts

    @_guarded(retry=False, flush=False)
    def add_attempt(self, attempt: WebhookAttempt) -> None:
        # `failed` rides along in the record so a prune knows which failures it takes from the count.
        record = json.dumps(
            {**encode_attempt(attempt), "failed": not attempt.succeeded}, separators=(",", ":")
        )
        self._write("add_attempt", attempt.subject, record, "0" if attempt.succeeded else "1")

    @_guarded(retry=True)
    def attempts(self, subject: str | None = None) -> list[WebhookAttempt]:
        if subject is None:
            members = self.client.zrange(f"{self.prefix}attempts", 0, -1)
        else:
            members = self.client.lrange(f"{self.prefix}attempts-of:{subject}", 0, -1)
        return [_decode_attempt(member) for member in members]

    # what it holds

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Each call stays atomic on its own (a script); a block of them is not one transaction. The
        writes in the block whose answer nothing waits for (schedule, update, push, add) are deferred
        and sent together, in one round trip, before the thread's next read or at the block's end."""
        if getattr(self._unit, "deferred", None) is not None:
            yield  # the outer block sends them
            return
        self._unit.deferred = []
        try:
            yield
        except BaseException:
            # Sent all the same, as they would have been without the block: a stored message keeps
            # the events that carry it on. A store that failed the block fails this too; its error
            # is the one that counts.
            with contextlib.suppress(StoreError):
                self._flush()
            raise
        else:
            self._flush()
        finally:
            self._unit.deferred = None

    @_guarded(retry=False, flush=False)
    def _flush(self) -> None:
        self._send_deferred()

    def _send_deferred(self) -> None:
        if getattr(self._unit, "held", None):
            self._finish_held()
        deferred = getattr(self._unit, "deferred", None)
        if deferred:
            self._unit.deferred = []
            self._pipelined(deferred)

    def _pipelined(self, calls: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run script calls in one round trip; their answers, in order (an error raised as it comes)."""
        # EVALSHA of the scripts as registered: redis-py's pipelined Script objects would first ask
        # the server whether each script exists, a round trip more per batch.
        connection = self._line()
        scripts = self._scripts
        prefix = self.prefix
        commands = [("EVALSHA", scripts[script].sha, 0, prefix, *args) for script, args in calls]
        results: list[Any] = []
        try:
            connection.send_packed_command([_packed(commands)])
            for _ in calls:
                try:
                    results.append(connection.read_response())
                except redis.exceptions.ResponseError as error:  # the answers after it are read all the same
                    results.append(error)
        except BaseException:
            connection.disconnect()  # answers may be left unread: the next call starts on a new socket
            raise
        for index, result in enumerate(results):
            if isinstance(result, redis.exceptions.NoScriptError):
                # A server restarted without its script cache ran none of them: run it, loading it.
                script, args = calls[index]
                connection.send_command("EVAL", scripts[script].script, 0, prefix, *args)
                results[index] = connection.read_response()
            elif isinstance(result, Exception):
                raise result
        for (script, _), result in zip(calls, results, strict=True):
            if script == "add_messages" and not result[0]:  # deferred, so its ids were drawn: never so far
                raise DuplicateMessageId(f"Redis store {self.url}", list(result[1]))
        return results

    def _write(self, script: str, *args: Any) -> None:
        """Run a write whose answer nothing waits for: now, or with the block's deferred writes."""
        deferred = getattr(self._unit, "deferred", None)
        if deferred is None:
            self._run(script, *args)
        else:
            deferred.append((script, args))

    @_guarded(retry=False, flush=False)
    def clear(self) -> None:
        """Forgets everything; the sequence numbers go on, so an old cursor finds nothing newer."""
        self._run("clear")

    # the request journal

    @_guarded(retry=False, flush=False)
    def add_entry(
        self, at: float, dialect: str | None, operation: str | None, record: str, keep: int | None
    ) -> int:
        keys = _entry_keys(dialect, operation)
        return int(self._run("add_entry", repr(at), *keys, record, "" if keep is None else str(keep)))

    @_guarded(retry=True, flush=False)
    def entry_page(
        self, dialect: str | None, operation: str | None, limit: int | None, before: int | None
    ) -> Page[tuple[int, str]]:
        dialect_key, operation_key, pair_key = _entry_keys(dialect, operation)
        key = (
            pair_key
            if dialect and operation
            else dialect_key
            if dialect
            else operation_key
            if operation
            else "journal"
        )
        wanted = -1 if limit is None else limit + 1
        total, *flat = self._run("entry_page", key, "" if before is None else str(before), wanted)
        rows = [(int(seq), record) for seq, record in zip(flat[::2], flat[1::2], strict=True)]
        cursor = None
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            cursor = rows[-1][0]
        return Page(rows, int(total), cursor)

    @_guarded(retry=True)
    def entry_count(self) -> int:
        return int(self.client.zcard(self.prefix + "journal"))

    @_guarded(retry=False, flush=False)
    def clear_entries(self) -> None:
        while int(self._run("drop_entries", "", PRUNE_BATCH)) == PRUNE_BATCH:
            pass

    @_guarded(retry=False, flush=False)
    def prune_entries(self, before: float) -> int:
        dropped = 0
        while True:
            batch = int(self._run("drop_entries", repr(before), PRUNE_BATCH))
            dropped += batch
            if batch < PRUNE_BATCH:
                return dropped

    # shared settings

    @_guarded(retry=True, keeps_look=True)
    def settings_version(self) -> int:
        """The version, and the soonest due moment along with it, kept for this thread's next call if
        that is `next_due`: read a moment earlier than it asks, as if the request had ticked then."""
        version, soonest = self._run("look")
        keep_look(self._unit, None if soonest is None else float(soonest))
        return int(version)

    @_guarded(retry=True, flush=False)
    def settings(self) -> tuple[int, dict[str, str]]:
        version, *flat = self._run("settings")
        return int(version), dict(zip(flat[::2], flat[1::2], strict=True))

    @_guarded(retry=True)
    def setting(self, name: str) -> str | None:
        found: str | None = self.client.hget(self.prefix + "settings", name)
        return found

    @_guarded(retry=False, flush=False)
    def swap_setting(
        self, name: str, expected: str | None, value: str | None, *, announce: bool = True
    ) -> bool:
        return bool(
            self._run("swap_setting", name, _optional(expected), _optional(value), "1" if announce else "0")
        )

    @_guarded(retry=False, flush=False)
    def prune(self, *, submitted_before: datetime | None = None, keep_newest: int | None = None) -> int:
        """Drops messages submitted before a moment or beyond the newest `keep_newest`; how many went.

        Each message goes whole (its indexes, report, reference and attempts with it); a batch of them
        is one script, so a prune of many never holds the server for long. Inbound messages received
        before the moment go too.
        """
        if submitted_before is not None:
            self._run("prune_inbound", repr(submitted_before.timestamp()))
        if submitted_before is None and keep_newest is None:
            return 0
        bound = "" if submitted_before is None else repr(submitted_before.timestamp())
        keep = "" if keep_newest is None else str(max(0, keep_newest))
        dropped = 0
        while True:
            batch = int(self._run("prune", bound, keep, PRUNE_BATCH))
            dropped += batch
            if batch < PRUNE_BATCH:
                return dropped

    @_guarded(retry=True, flush=False)
    def stats(self) -> StoreStats:
        messages, inbound, reports, inbound_queues, attempts, failures = self._run("stats")
        return StoreStats(
            messages=int(messages),
            inbound=int(inbound),
            report_queues=_queue_lengths(reports),
            inbound_queues=_queue_lengths(inbound_queues),
            webhook_attempts=int(attempts),
            webhook_failures=int(failures),
        )


_forks = 0
"""Forks this process came through: a connection kept from before a fork is the parent's."""


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


class _Line:
    """A thread's kept connection (see RedisStore._line)."""

    __slots__ = ("__weakref__", "connection", "forks")

    def __init__(self, connection: Any, forks: int) -> None:
        self.connection = connection
        self.forks = forks


def _packed(commands: list[tuple[Any, ...]]) -> bytes:
    """Commands as RESP arrays of bulk strings, what redis-py's packer sends (at a third of its cost:
    the arguments here are text and whole numbers, never a value it would refuse)."""
    out = []
    for command in commands:
        out.append(b"*%d\r\n" % len(command))
        for argument in command:
            data = argument.encode() if isinstance(argument, str) else str(argument).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _borrow(pool: Any) -> Any:
    """A connection of the pool, for as long as it is kept (redis-py before 5.3 wants a command named)."""
    try:
        return pool.get_connection()
    except TypeError:
        return pool.get_connection("EVALSHA")


def _give_back(pool: Any, connection: Any, forks: int) -> None:
    """The connection of a thread that ended goes back to the pool (not a parent's, in a child)."""
    if forks == _forks:
        with contextlib.suppress(Exception):  # a pool closed meanwhile has let go of it already
            pool.release(connection)


def _entry_keys(dialect: str | None, operation: str | None) -> tuple[str, str, str]:
    """The journal's index keys for an entry of this dialect and operation (either may be None)."""
    return (
        "j:d:" + json.dumps(dialect),
        "j:o:" + json.dumps(operation),
        "j:p:" + json.dumps([dialect, operation]),
    )


def _optional(text: str | None) -> str:
    """A text that may be None, as a script argument: "0" for None, else "1" and the text."""
    return "0" if text is None else "1" + text


_DRAWN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")


def _drawn_id(message: Message) -> bool:
    """Whether the message's id is a random UUID the mock drew, which no other message can have taken
    (a client's own id, or a dialect's id of another form, is checked as it is stored)."""
    return not message.options.get("client_id") and _DRAWN_ID.match(message.id) is not None


def _message_fields(message: Message, record: str) -> list[str]:
    """What the add script needs of a message, in its order."""
    ref = "" if message.client_ref is None else _ref_key(message.account, message.dialect, message.client_ref)
    return [
        message.id,
        record,
        message.dialect,
        message.account,
        normalise_number(message.to),
        message.status.name,
        message.status.group_name,
        ref,
        repr(message.submitted_at.timestamp()),
        *search_forms(message),
    ]


def _decode(record: str) -> Message:
    return decode_message(json.loads(record))


def _decode_inbound(entry: str) -> InboundMessage:
    return decode_inbound(json.loads(entry)[1])


def _decode_attempt(member: str) -> WebhookAttempt:
    record = json.loads(member[20:])  # after the zero-padded attempt number
    del record["failed"]
    return decode_attempt(record)


def _ref_key(account: str, dialect: str, ref: str) -> str:
    return "ref:" + json.dumps([account, dialect, ref])


def _queue_name(queue: Queue) -> str:
    # The Lua side writes the same text with cjson: plain JSON of two strings, no spaces.
    return json.dumps(list(queue), separators=(",", ":"))


def _queue_lengths(flat: list[Any]) -> dict[Queue, int]:
    lengths: dict[Queue, int] = {}
    for index in range(0, len(flat), 2):
        account, dialect = json.loads(flat[index])
        lengths[(account, dialect)] = int(flat[index + 1])
    return lengths


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _one_line(problem: BaseException) -> str:
    return " ".join(str(problem).split()) or type(problem).__name__
