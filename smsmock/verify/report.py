"""What `smsmock verify` prints for a person (failures, then a summary table) and writes for CI (JUnit XML).

JUnit XML has one `<testsuite>` per probe group and one `<testcase>` per probe: a failing probe lists
every problem of its replies; a probe that could not decide (no report within the timeout from a server
whose clock cannot be moved) is `<skipped>`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from smsmock.verify.plan import GROUPS
from smsmock.verify.runner import ClockUse, Outcome, Verification

_SECRETS = re.compile(r"((?:^|[?&\s])(?:password|pwd|key|Key)=)[^&\s]*")
"""Credentials in a query string a failure message shows: they never reach a report."""


def redacted(text: str) -> str:
    return _SECRETS.sub(r"\1***", text)


def _by_group(verification: Verification) -> list[tuple[str, list[Outcome]]]:
    groups = [(group, [o for o in verification.outcomes if o.probe.group == group]) for group in GROUPS]
    return [(group, outcomes) for group, outcomes in groups if outcomes]


def _title(outcome: Outcome) -> str:
    probe = outcome.probe
    return probe.name + (f" ({probe.change})" if probe.change else "")


def text_report(verification: Verification, *, verbose: bool = False) -> str:
    """The failures with their reasons, then one line per probe group: passed, failed."""
    how = (
        "smsmock's control API found: the clock is moved, not waited for"
        if verification.control
        else "no control API: reports are polled for"
    )
    lines = [f"smsmock verify {verification.dialect} at {verification.target} ({how})"]
    if verification.clock is not None:
        lines.append(clock_line(verification.clock))
    for outcome in verification.outcomes:
        if outcome.failed:
            lines.append(f"FAILED {outcome.probe.group}: {_title(outcome)}")
            lines.extend(f"  {redacted(problem)}" for problem in outcome.problems)
        elif outcome.undecided is not None:
            lines.append(f"UNDECIDED {outcome.probe.group}: {_title(outcome)}: {outcome.undecided}")
        elif verbose:
            lines.append(f"passed {outcome.probe.group}: {_title(outcome)}")
        if verbose or outcome.failed:
            lines.extend(f"  note: {redacted(note)}" for note in outcome.notes)
    undecided = any(outcome.undecided is not None for outcome in verification.outcomes)
    header = ["group", "passed", "failed"] + (["undecided"] if undecided else [])
    rows = []
    for group, outcomes in _by_group(verification):
        rows.append(_row(group, outcomes, undecided))
    rows.append(_row("total", verification.outcomes, undecided))
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines.append("")
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
    verdict = "FAILED" if verification.failed else "passed"
    lines.append(f"{verification.dialect}: {verdict}")
    return "\n".join(lines)


def clock_line(clock: ClockUse) -> str:
    """What the run did to the mock's clock: moved forward (for good), and left frozen or running."""
    moved = f"the mock's clock was moved {clock.moved:g} s forward (a clock never goes back)"
    if clock.problem is not None:
        return f"{moved}; frozen or running as found: not known to be restored ({clock.problem})"
    state = "frozen" if clock.frozen else "running"
    return f"{moved} and left {state}, as it was found"


def _row(name: str, outcomes: list[Outcome], undecided: bool) -> list[str]:
    row = [
        name,
        str(sum(outcome.passed for outcome in outcomes)),
        str(sum(outcome.failed for outcome in outcomes)),
    ]
    if undecided:
        row.append(str(sum(outcome.undecided is not None for outcome in outcomes)))
    return row


def junit_xml(verification: Verification) -> ElementTree.ElementTree:
    """A JUnit XML report: a suite per probe group, a test case per probe."""
    dialect = verification.dialect
    root = ElementTree.Element("testsuites", name=f"smsmock verify {dialect}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for group, outcomes in _by_group(verification):
        suite = ElementTree.SubElement(root, "testsuite", name=f"{dialect} {group}")
        counts = {"tests": len(outcomes), "failures": 0, "skipped": 0}
        for outcome in outcomes:
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"smsmock.verify.{dialect}.{group}", name=_title(outcome)
            )
            if outcome.failed:
                counts["failures"] += 1
                failure = ElementTree.SubElement(
                    case, "failure", message=redacted(outcome.problems[0]), type=group
                )
                failure.text = "\n".join(redacted(problem) for problem in outcome.problems)
            elif outcome.undecided is not None:
                counts["skipped"] += 1
                ElementTree.SubElement(case, "skipped", message=outcome.undecided)
            if outcome.notes:
                ElementTree.SubElement(case, "system-out").text = "\n".join(map(redacted, outcome.notes))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ElementTree.indent(root)
    return ElementTree.ElementTree(root)


def write_junit_xml(verification: Verification, path: str | Path) -> None:
    junit_xml(verification).write(path, encoding="utf-8", xml_declaration=True)
