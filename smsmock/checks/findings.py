"""What a check finds: one `Finding` per problem, with its severity, place and document section."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from smsmock.contracts.validation import Severity, Violation

SCHEMA_REQUEST = "schema-request"
SCHEMA_RESPONSE = "schema-response"
"""The `check` ids of what `validate()` finds in a request or a reply."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in recorded traffic.

    `index` is the exchange's position in what was checked (0-based, file order); `seq` is its own
    sequence number where the recording has one (the journal's), else None.
    """

    severity: Severity
    check: str
    """A short id of the check that fired: `sms-count`, `bulk-id`, `schema-request`, ..."""
    location: str
    """Where in the exchange: `request /messages/0/text`, `response line 2`, `response /results/1`."""
    message: str
    section: str
    """The place in the provider document the rule comes from ("" when smsmock's own)."""
    index: int
    seq: int | None = None
    dialect: str | None = None
    operation: str | None = None
    source: str = ""
    """Where the exchange was read from, e.g. `run.har entry 3`; empty for exchanges built in memory."""

    def __str__(self) -> str:
        section = f" [{self.section}]" if self.section else ""
        return f"{self.severity}: {self.location}: {self.message} ({self.check}){section}"


_RANK = {Severity.WARNING: 1, Severity.ERROR: 2}


def at_or_above(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    """The findings as severe as `threshold` or more (error > warning)."""
    return [finding for finding in findings if _RANK[finding.severity] >= _RANK[threshold]]


def from_violation(
    violation: Violation,
    direction: str,
    *,
    index: int,
    seq: int | None = None,
    dialect: str | None = None,
    operation: str | None = None,
    source: str = "",
) -> Finding:
    """A `validate()` violation of a request or reply, as a finding of its schema check."""
    return Finding(
        severity=violation.severity,
        check=SCHEMA_REQUEST if direction == "request" else SCHEMA_RESPONSE,
        location=f"{direction} {violation.location or '/'}",
        message=f"expected {violation.expected}, found {violation.found} [{violation.keyword}]",
        section=violation.section,
        index=index,
        seq=seq,
        dialect=dialect,
        operation=operation,
        source=source,
    )
