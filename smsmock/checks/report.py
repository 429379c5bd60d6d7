"""What `smsmock check` prints for a person (grouped by operation) and writes for CI (JUnit XML).

JUnit XML has one `<testsuite>` per dialect operation and one `<testcase>` per exchange: a CI page then
lists each failing call with its own findings, and the suites show which operations are affected. An
exchange fails when it has a finding at or above the `--fail-on` threshold; findings below it are in
the test case's `<system-out>`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smsmock.checks.findings import Finding, at_or_above
from smsmock.checks.recorded import Checked
from smsmock.checks.traffic import Recorded
from smsmock.contracts.validation import Severity


@dataclass(slots=True)
class Group:
    """The exchanges of one dialect operation, with their findings by exchange index."""

    name: str
    indices: list[int]


def groups(checked: Checked) -> list[Group]:
    """Routed exchanges by operation, in order of first appearance."""
    found: dict[str, Group] = {}
    for index, item in enumerate(checked.recorded):
        if item.route.dialect is None:
            continue
        name = _group_name(item)
        found.setdefault(name, Group(name, [])).indices.append(index)
    return list(found.values())


def _group_name(item: Recorded) -> str:
    operation = item.route.operation or "(a method its path does not take)"
    return f"{item.route.dialect} {operation}"


def _request_line(item: Recorded) -> str:
    exchange = item.exchange
    status = exchange.status or "no reply"
    seq = f" (seq {exchange.seq})" if exchange.seq else ""
    return f"{item.source}{seq}: {exchange.method} {exchange.path} -> {status}"


def _tally(findings: Sequence[Finding]) -> str:
    counts = Counter(finding.severity for finding in findings)
    return f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s)"


def text_report(checked: Checked, threshold: Severity, files: int) -> str:
    """Findings grouped by operation, each with its exchange, location, message and document section."""
    by_index: dict[int, list[Finding]] = {}
    for finding in checked.findings:
        by_index.setdefault(finding.index, []).append(finding)
    lines: list[str] = []
    for group in groups(checked):
        findings = [finding for index in group.indices for finding in by_index.get(index, [])]
        summary = _tally(findings) if findings else "ok"
        lines.append(f"{group.name}: {len(group.indices)} exchange(s), {summary}")
        for index in group.indices:
            if index not in by_index:
                continue
            lines.append(f"  {_request_line(checked.recorded[index])}")
            for finding in by_index[index]:
                lines.append(
                    f"    {finding.severity}: {finding.location}: {finding.message} [{finding.check}]"
                )
                if finding.section:
                    lines.append(f"      see {finding.section}")
    passed_over = checked.passed_over
    if passed_over:
        shown = ", ".join(f"{item.exchange.method} {item.exchange.path}" for item in passed_over[:3])
        more = f" and {len(passed_over) - 3} more" if len(passed_over) > 3 else ""
        lines.append(f"passed over {len(passed_over)} exchange(s) of no dialect: {shown}{more}")
    failing = at_or_above(checked.findings, threshold)
    verdict = "failed" if failing else "passed"
    lines.append(
        f"checked {len(checked.checked)} exchange(s) in {files} file(s): {_tally(checked.findings)}; "
        f"{verdict} at --fail-on {threshold}"
    )
    return "\n".join(lines)


def junit_xml(checked: Checked, threshold: Severity) -> ElementTree.ElementTree:
    """A JUnit XML report: a suite per operation, a test case per exchange."""
    by_index: dict[int, list[Finding]] = {}
    for finding in checked.findings:
        by_index.setdefault(finding.index, []).append(finding)
    root = ElementTree.Element("testsuites", name="smsmock check")
    total_tests = total_failures = 0
    for group in groups(checked):
        suite = ElementTree.SubElement(root, "testsuite", name=group.name)
        failures = 0
        for index in group.indices:
            item = checked.recorded[index]
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"smsmock.{item.route.dialect}.{item.route.operation or 'route'}",
                name=_request_line(item),
            )
            findings = by_index.get(index, [])
            failing = at_or_above(findings, threshold)
            if failing:
                failures += 1
                failure = ElementTree.SubElement(
                    case,
                    "failure",
                    message=f"{_tally(findings)}: {failing[0].message}",
                    type=failing[0].check,
                )
                failure.text = "\n".join(_finding_text(finding) for finding in failing)
            below = [finding for finding in findings if finding not in failing]
            if below:
                ElementTree.SubElement(case, "system-out").text = "\n".join(_finding_text(f) for f in below)
        suite.set("tests", str(len(group.indices)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += len(group.indices)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ElementTree.indent(root)
    return ElementTree.ElementTree(root)


def _finding_text(finding: Finding) -> str:
    section = f"\n  see {finding.section}" if finding.section else ""
    return f"{finding.severity}: {finding.location}: {finding.message} [{finding.check}]{section}"


def write_junit_xml(checked: Checked, threshold: Severity, path: str | Path) -> None:
    junit_xml(checked, threshold).write(path, encoding="utf-8", xml_declaration=True)
