"""Every check over recorded traffic: routes, the schemas of requests and replies, the semantic rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from smsmock.checks.findings import Finding, from_violation
from smsmock.checks.semantics import check_exchanges
from smsmock.checks.traffic import Recorded, read_traffic
from smsmock.contracts.catalog import document_section, operation
from smsmock.contracts.validation import Severity, Violation

ROUTE = "route"
"""The check id of a request on a dialect's path with a method the path does not take."""


@dataclass(slots=True)
class Checked:
    """What `smsmock check` found in a set of recordings."""

    recorded: list[Recorded]
    findings: list[Finding]

    @property
    def checked(self) -> list[Recorded]:
        """The exchanges of some dialect; the others (a browser's favicon, ...) are passed over."""
        return [item for item in self.recorded if item.route.dialect is not None]

    @property
    def passed_over(self) -> list[Recorded]:
        return [item for item in self.recorded if item.route.dialect is None]


def check_files(paths: Iterable[str | Path]) -> Checked:
    """Read and check every file; raises `traffic.UnusableInput` for a file that is not a recording."""
    recorded = [item for path in paths for item in read_traffic(path)]
    return Checked(recorded, check_recorded(recorded))


def check_recorded(recorded: Sequence[Recorded]) -> list[Finding]:
    """Findings of every exchange, ordered by exchange; `index` is the position in `recorded`."""
    findings: list[Finding] = []
    for index, item in enumerate(recorded):
        findings.extend(_contract_findings(index, item))
    sessions: dict[str, list[int]] = {}
    for index, item in enumerate(recorded):
        sessions.setdefault(item.session, []).append(index)
    for indices in sessions.values():
        for finding in check_exchanges(recorded[index].exchange for index in indices):
            index = indices[finding.index]
            findings.append(replace(finding, index=index, source=recorded[index].source))
    findings.sort(key=lambda finding: finding.index)  # stable: each exchange's findings keep their order
    return findings


def _contract_findings(index: int, item: Recorded) -> list[Finding]:
    exchange, found = item.exchange, item.route
    where = {
        "index": index,
        "seq": exchange.seq,
        "dialect": found.dialect,
        "operation": found.operation,
        "source": item.source,
    }
    if found.problem is not None:
        section = (
            document_section(found.dialect, found.documented) if found.dialect and found.documented else ""
        )
        return [Finding(Severity.ERROR, ROUTE, "request", found.problem, section, **where)]
    if not found.routed:
        return []
    findings = [from_violation(violation, "request", **where) for violation in exchange.request_violations]
    if exchange.status and exchange.reply_operation is not None:
        violations = exchange.response_violations
        if _own(exchange.dialect, exchange.reply_operation):
            violations = [_tolerated(violation) for violation in violations]
        findings.extend(from_violation(violation, "response", **where) for violation in violations)
    return findings


def _own(dialect: str | None, name: str) -> bool:
    """A contract smsmock chose where the document is silent (an error body): a real provider's differs."""
    try:
        return bool(dialect and operation(dialect, name).extra.get("own"))
    except LookupError:
        return False


def _tolerated(violation: Violation) -> Violation:
    return Violation(
        Severity.WARNING,
        violation.location,
        violation.keyword,
        violation.expected + " (smsmock's own shape: the document gives none)",
        violation.found,
        violation.section,
    )
