"""Running probes against a live server: each call sent with `requests`, recorded as an `Exchange`,
judged against its expectation, and every exchange put through the semantic checks at the end."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import requests

from smsmock.checks import Finding, check_exchanges
from smsmock.contracts import fastcheck
from smsmock.contracts.catalog import dialects, document_section, operation
from smsmock.contracts.journal import Exchange
from smsmock.contracts.validation import ROOT, Severity, Violation, errors, validate
from smsmock.verify.plan import (
    ACCEPTED,
    DOCUMENTED_STATUSES,
    NOTIFY_URL,
    REFUSED,
    Call,
    Credentials,
    Expect,
    Probe,
    Undecided,
)
from smsmock.verify.replies import Reading, read_reply, reply_format

CONTROL_PREFIX = "/_smsmock"
_RECORDED_HEADERS = ("Content-Type", "Accept")
"""Request headers an exchange keeps: what the checks read. Credentials are never recorded."""
_SHOWN_VIOLATIONS = 5
_FORMAT_NAMES = {"json": "a JSON", "xml": "an XML", "text": "a plain-text"}


class UnusableInput(ValueError):
    """A verification that cannot start: an unknown dialect, a malformed or unreachable target."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What shapes a run: whom to send as, how many generated requests, and what the target offers."""

    credentials: Credentials
    max_examples: int
    seed: int
    run_id: str
    """Unique to the run, for the references a server lets a client use once (sendsms ref, sms_id)."""
    notify_url: str
    control: bool
    """True when the target exposes smsmock's control API (its clock can be moved)."""


@dataclass(slots=True)
class Sent:
    """One call's result: the exchange (None when no reply came), how the reply reads, what is wrong."""

    exchange: Exchange | None
    reading: Reading | None
    problems: list[str]


@dataclass(slots=True)
class Outcome:
    """A probe's verdict: passed when it has no problem and was decided."""

    probe: Probe
    problems: list[str] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    undecided: str | None = None
    notes: list[str] = field(default_factory=list)
    """Warnings that do not fail the probe (semantic checks at warning level)."""

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    @property
    def passed(self) -> bool:
        return not self.problems and self.undecided is None


@dataclass(frozen=True, slots=True)
class ClockUse:
    """What a run did to the clock of an smsmock target: what can be undone is, the rest is told."""

    moved: float
    """Seconds the run moved the clock forward; a clock never goes back, so these stay moved."""
    frozen: bool | None
    """Frozen (True) or running (False) as the run found it, and left it; None when it could not be read."""
    problem: str | None = None
    """Why the clock could not be read or put back as it was found."""


@dataclass(slots=True)
class Verification:
    """A whole run: where, which dialect, and every probe's outcome."""

    target: str
    dialect: str
    control: bool
    outcomes: list[Outcome]
    findings: list[Finding]
    clock: ClockUse | None = None
    """What the run did to the target's clock, when the target is smsmock."""

    @property
    def failed(self) -> bool:
        return any(outcome.failed for outcome in self.outcomes)


class Session:
    """The verifier's side of the conversation with one target: sends, records, judges."""

    def __init__(self, target: str, dialect: str, timeout: float) -> None:
        self.target = target.rstrip("/")
        self.dialect = dialect
        self.timeout = timeout
        self.exchanges: list[Exchange] = []
        self._seq = itertools.count(1)
        self._http = requests.Session()
        self._http.trust_env = False  # the target is named exactly; no proxy from the environment
        self._current: list[int] | None = None
        self.control_available = False
        self.clock_moved = 0.0

    def close(self) -> None:
        self._http.close()

    # the control API

    def detect_control(self) -> bool:
        """Whether the target is smsmock (GET /_smsmock/health); UnusableInput when it cannot be reached."""
        try:
            reply = self._http.get(f"{self.target}{CONTROL_PREFIX}/health", timeout=self.timeout)
        except requests.Timeout:
            raise UnusableInput(f"{self.target} did not answer within {self.timeout:g} s") from None
        except requests.RequestException as failure:
            raise UnusableInput(f"cannot reach {self.target}: {_reason(failure)}") from None
        try:
            self.control_available = reply.status_code == 200 and reply.json().get("status") == "ok"
        except (ValueError, AttributeError):
            self.control_available = False
        return self.control_available

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """One control API call; RuntimeError saying why when it fails."""
        try:
            reply = self._http.request(
                method, f"{self.target}{CONTROL_PREFIX}/{path}", json=body, timeout=self.timeout
            )
        except requests.RequestException as failure:
            raise RuntimeError(f"control API {method} {path}: {_reason(failure)}") from None
        if reply.status_code != 200:
            raise RuntimeError(f"control API {method} {path}: HTTP {reply.status_code} {reply.text[:200]}")
        try:
            return reply.json()
        except ValueError:
            raise RuntimeError(f"control API {method} {path}: not JSON: {reply.text[:200]}") from None

    def advance(self, seconds: float) -> None:
        self.control("POST", "clock/advance", {"seconds": seconds})
        self.clock_moved += seconds

    def clock_frozen(self) -> bool:
        """Whether the target's clock is frozen (GET /_smsmock/clock); RuntimeError when it cannot say."""
        state = self.control("GET", "clock")
        if not isinstance(state, dict) or not isinstance(state.get("frozen"), bool):
            raise RuntimeError(f"control API GET clock: no `frozen` in {str(state)[:200]}")
        return state["frozen"]

    def leave_clock(self, frozen: bool | None) -> ClockUse:
        """Put the clock back to frozen or running as it was found; say what could not be undone."""
        if frozen is None:
            return ClockUse(self.clock_moved, None, "its state could not be read before the run")
        try:
            if self.clock_frozen() != frozen:
                self.control("POST", "clock/freeze" if frozen else "clock/unfreeze")
        except RuntimeError as failure:
            return ClockUse(self.clock_moved, frozen, str(failure))
        return ClockUse(self.clock_moved, frozen)

    # the dialect's API

    def send(self, call: Call, expect: Expect) -> Sent:
        """Send `call`, record its exchange, and say what is wrong with the reply."""
        try:
            reply = self._http.request(
                call.method,
                f"{self.target}{call.path}" + (f"?{call.query}" if call.query else ""),
                headers=call.headers,
                data=call.body or None,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            return Sent(None, None, [f"{call.line()}: no reply within {self.timeout:g} s"])
        except requests.RequestException as failure:
            return Sent(None, None, [f"{call.line()}: {_reason(failure)}"])
        reading = read_reply(
            self.dialect,
            call.operation,
            reply.status_code,
            reply.headers.get("Content-Type", ""),
            reply.content,
        )
        exchange = self._record(call, reply, reading.reply_operation)
        return Sent(exchange, reading, judge(self.dialect, call, expect, exchange, reading))

    def _record(self, call: Call, reply: requests.Response, reply_operation: str) -> Exchange:
        sent = reply.request
        body = sent.body if isinstance(sent.body, bytes) else (sent.body or "").encode("utf-8")
        headers = {name: sent.headers[name] for name in _RECORDED_HEADERS if name in sent.headers}
        content_type = reply.headers.get("Content-Type", "")
        query = urlsplit(sent.url or "").query
        exchange = Exchange(
            seq=next(self._seq),
            at=datetime.now(timezone.utc),
            dialect=self.dialect,
            operation=call.operation,
            method=call.method,
            path=call.path,
            query=query,
            request_headers=headers,
            request_body=body,
            status=reply.status_code,
            response_content_type=content_type,
            response_body=reply.content,
            # What the verifier sends is not under test (invalid probes break their contract on purpose).
            request_violations=[],
            reply_operation=reply_operation,
            # Checked here, with the compiled fast path first: log and report replies are long.
            _response_violations=_reply_violations(
                self.dialect, reply_operation, reply.content, content_type
            ),
        )
        self.exchanges.append(exchange)
        if self._current is not None:
            self._current.append(exchange.seq)
        return exchange

    # probes

    def run(self, probe: Probe) -> Outcome:
        outcome = Outcome(probe)
        self._current = outcome.seqs
        try:
            if probe.scenario is not None:
                outcome.problems = probe.scenario(self)
            elif probe.call is not None:
                outcome.problems = self.send(probe.call, probe.expect).problems
        except Undecided as reason:
            outcome.undecided = str(reason)
        except RuntimeError as failure:
            outcome.problems = [str(failure)]
        finally:
            self._current = None
        return outcome


def _reason(failure: requests.RequestException) -> str:
    """The innermost cause of a failed request, e.g. `Connection refused`."""
    cause: BaseException = failure
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause)
    return text.rsplit("] ", 1)[-1] if "] " in text else text or type(failure).__name__


def _reply_violations(dialect: str, name: str, body: bytes, content_type: str) -> list[Violation]:
    """What a reply breaks of its contract; the compiled check first, as a long log reply meets it
    faster there than `validate()` can explain that it does."""
    try:
        formats = operation(dialect, name).formats("response")
    except LookupError:
        return []
    wire = reply_format(content_type)
    if wire not in formats:
        # An HTML error page is not read as XML: the format alone is the violation.
        expected = f"a body in one of: {', '.join(formats)}"
        found = content_type or "no Content-Type"
        return [Violation(Severity.ERROR, ROOT, "format", expected, found, document_section(dialect, name))]
    if wire == "json":
        try:
            if fastcheck.conforms(dialect, name, "response", "json", json.loads(body)):
                return []
        except (ValueError, UnicodeDecodeError, RecursionError):
            pass  # unreadable: validate() says why
    return validate(dialect, name, "response", body, content_type)


def judge(dialect: str, call: Call, expect: Expect, exchange: Exchange, reading: Reading) -> list[str]:
    """Everything the reply gets wrong: its status, its format, its contract, what it says."""
    problems = []
    where = f"{call.line()} -> {exchange.status}"
    statuses = expect.statuses or DOCUMENTED_STATUSES[dialect]
    if exchange.status not in statuses:
        shown = ", ".join(str(status) for status in sorted(statuses))
        problems.append(f"{where}: HTTP {exchange.status} is not what the document gives here ({shown})")
    found_format = reply_format(exchange.response_content_type)
    if expect.media is not None and found_format != expect.media:
        asked = call.headers.get("Accept")
        why = f" (Accept: {asked})" if asked else ""
        problems.append(
            f"{where}: expected {_FORMAT_NAMES[expect.media]} reply{why}, got "
            f"{exchange.response_content_type or 'no Content-Type'}"
        )
    broken = errors(exchange.response_violations)
    for violation in broken[:_SHOWN_VIOLATIONS]:
        problems.append(f"{where}: the {reading.reply_operation} reply breaks its contract: {violation}")
    if len(broken) > _SHOWN_VIOLATIONS:
        problems.append(f"{where}: ... and {len(broken) - _SHOWN_VIOLATIONS} more contract errors")
    problems.extend(_outcome_problems(where, expect, reading))
    return problems


def _outcome_problems(where: str, expect: Expect, reading: Reading) -> list[str]:
    rule = f" ({expect.rule})" if expect.rule else ""
    if expect.outcome == ACCEPTED:
        if reading.error is not None:
            return [f"{where}: a valid request was refused with {reading.error}{rule}"]
        return []
    if expect.outcome != REFUSED:
        return []
    if reading.error is None and not reading.refused_items:
        return [f"{where}: invalid input was not refused{rule}"]
    if expect.whole and reading.error is None:
        codes = ", ".join(sorted({item.code for item in reading.refused_items}))
        return [f"{where}: only some items were refused ({codes}); the whole request must be{rule}"]
    if expect.errors and not reading.codes() & expect.errors:
        given = ", ".join(sorted(reading.codes()))
        wanted = " or ".join(sorted(expect.errors))
        return [f"{where}: refused with {given}, but the document gives {wanted} here{rule}"]
    return []


def attach_findings(outcomes: list[Outcome], findings: list[Finding]) -> None:
    """Each finding about a reply fails the probe whose exchange it is about; findings about the
    verifier's own requests (which break their contract on purpose) are left out."""
    by_seq = {seq: outcome for outcome in outcomes for seq in outcome.seqs}
    for finding in findings:
        outcome = by_seq.get(finding.seq) if finding.seq is not None else None
        if outcome is None or not finding.location.startswith("response"):
            continue
        text = f"semantic check {finding.check}: {finding.location}: {finding.message}"
        if finding.section:
            text += f" [{finding.section}]"
        if finding.severity is Severity.ERROR:
            outcome.problems.append(text)
        else:
            outcome.notes.append(text)


def verify(
    target: str,
    dialect: str,
    *,
    credentials: Credentials | None = None,
    max_examples: int = 10,
    timeout: float = 10.0,
    seed: int | None = None,
    notify_url: str | None = None,
) -> Verification:
    """Verify the server at `target` against `dialect`'s contracts. UnusableInput when it cannot start."""
    # Imported here: probes import this module for its Session and Settings.
    from smsmock.verify.generated import DEFAULT_SEED
    from smsmock.verify.probes import probes_for

    if dialect not in dialects():
        raise UnusableInput(f"unknown dialect {dialect!r}; smsmock knows {', '.join(dialects())}")
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UnusableInput(
            f"the target must be an http:// or https:// URL like http://127.0.0.1:8080, not {target!r}"
        )
    if max_examples < 0 or timeout <= 0:
        raise UnusableInput("--max-examples must be 0 or more and --timeout more than 0")
    session = Session(target, dialect, timeout)
    clock: ClockUse | None = None
    try:
        control = session.detect_control()
        frozen = _found_frozen(session) if control else None
        settings = Settings(
            credentials=credentials or Credentials(),
            max_examples=max_examples,
            seed=DEFAULT_SEED if seed is None else seed,
            run_id=uuid.uuid4().hex[:10],
            notify_url=notify_url or NOTIFY_URL,
            control=control,
        )
        try:
            outcomes = [session.run(probe) for probe in probes_for(dialect, settings)]
        finally:
            if control:
                clock = session.leave_clock(frozen)
        findings = check_exchanges(session.exchanges)
        attach_findings(outcomes, findings)
    finally:
        session.close()
    return Verification(session.target, dialect, control, outcomes, findings, clock)


def _found_frozen(session: Session) -> bool | None:
    """The target's clock state before the run, or None when the control API cannot tell."""
    try:
        return session.clock_frozen()
    except RuntimeError:
        return None
