"""The client contract suite catches real client bugs, and passes the correct clients.

Each seeded bug in examples/clients/seeded_bugs/ is a reference client with one bug of the kind real
integrations have; it names the property that must catch it (`CAUGHT_BY`) and what the failure report must
say (`SYMPTOM`). The suite runs on every variant and on every reference client in one throwaway project,
in a pytest process of its own: the way it runs in a user's project, and spread over the machine's cores.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from smsmock.plugin.handle import SmsMock
from smsmock.plugin.inprocess import InProcessTransport

CLIENTS = Path(__file__).parent.parent / "examples" / "clients"
SEEDED_BUGS = sorted((CLIENTS / "seeded_bugs").glob("*.py"))
DIALECTS = ("shortlink", "qikli", "unified", "quicktel", "sendsms")
RUN_TIMEOUT = 1200


def declared(variant: Path) -> dict[str, Any]:
    """The variant's module-level constants (CAUGHT_BY, SYMPTOM), read without importing it."""
    tree = ast.parse(variant.read_text(encoding="utf-8"))
    return {
        target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.Tuple))
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def symptoms(facts: dict[str, Any]) -> tuple[str, ...]:
    """SYMPTOM is one pattern, or a tuple of them where one bug shows in more than one way."""
    symptom = facts["SYMPTOM"]
    return (symptom,) if isinstance(symptom, str) else tuple(symptom)


@dataclass(frozen=True)
class Outcome:
    """One test of the throwaway project: passed or failed, and its failure report."""

    failed: bool
    report: str


@pytest.fixture(scope="module")
def suite_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Outcome]:
    """Run the suite on every variant (only the property that must catch it) and every reference client.

    Outcomes by (module, test name). A fixed hypothesis seed: whether hypothesis meets a bug must not
    depend on the run.
    """
    project = tmp_path_factory.mktemp("suite")
    selected = []
    for variant in SEEDED_BUGS:
        (project / f"test_{variant.stem}.py").write_text(
            variant.read_text(encoding="utf-8"), encoding="utf-8"
        )
        selected.append(f"test_{variant.stem}.py::TestSeededBug::{declared(variant)['CAUGHT_BY']}")
    for dialect in DIALECTS:
        selected.append(f"test_{dialect}_reference.py")
        source = (CLIENTS / f"test_{dialect}_contract.py").read_text(encoding="utf-8")
        (project / f"test_{dialect}_reference.py").write_text(source, encoding="utf-8")
    junit = project / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:schemathesis", "-q"]
    command += ["-n", "2", "--hypothesis-seed=1", f"--junit-xml={junit}", *selected]
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(CLIENTS), os.environ.get("PYTHONPATH", "")]),
    }
    finished = subprocess.run(
        command, cwd=project, env=environment, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    if not junit.exists():
        pytest.fail(f"the suite did not run:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}")
    outcomes = {}
    for case in ET.parse(junit).iter("testcase"):
        module = case.get("classname", "").split(".")[0]
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        report = "" if failure is None else f"{failure.get('message', '')}\n{failure.text or ''}"
        outcomes[(module, case.get("name", ""))] = Outcome(failure is not None, report)
    return outcomes


def test_there_are_seeded_bugs_for_every_dialect() -> None:
    assert len(SEEDED_BUGS) >= 15
    assert {variant.stem.split("_")[0] for variant in SEEDED_BUGS} == set(DIALECTS)


@pytest.mark.parametrize("variant", SEEDED_BUGS, ids=lambda variant: variant.stem)
def test_the_suite_catches_a_seeded_bug(suite_runs: dict[tuple[str, str], Outcome], variant: Path) -> None:
    facts = declared(variant)
    outcome = suite_runs[(f"test_{variant.stem}", facts["CAUGHT_BY"])]
    assert outcome.failed, f"{facts['CAUGHT_BY']} passed on {variant.name}"
    # The report names the intended failure, then the minimal input that shows it.
    lines = outcome.report.splitlines()
    symptom = [
        at
        for at, line in enumerate(lines)
        if any(fnmatch.fnmatch(line, f"*{pattern}*") for pattern in symptoms(facts))
    ]
    meant = [at for at, line in enumerate(lines) if "the user meant: Outgoing(" in line]
    assert symptom and meant and symptom[0] < meant[-1], outcome.report[:3000]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_reference_clients_pass_the_suite(
    suite_runs: dict[tuple[str, str], Outcome], dialect: str
) -> None:
    ran = {
        name: outcome
        for (module, name), outcome in suite_runs.items()
        if module == f"test_{dialect}_reference"
    }
    assert len(ran) >= 4
    failed = {name: outcome.report[:3000] for name, outcome in ran.items() if outcome.failed}
    assert not failed, failed


BARE_ADAPTER = """
from shortlink_client import ShortlinkClient

from smsmock.suite import Sent, ShortlinkClientContract


class TestBareAdapter(ShortlinkClientContract):
    transport = "inprocess"
    client_timeout = 5.0

    def make_client(self, base_url, credentials):
        return ShortlinkClient(base_url, credentials.username, credentials.password, timeout=5)

    def send(self, client, outgoing):
        result = client.send(outgoing.sender, list(outgoing.destinations), outgoing.text)
        return Sent(ok=result.ok)
"""


def test_an_adapter_without_an_optional_part_skips_the_tests_that_need_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No fetch_reports, no sends_language, no sends_client_message_id: skipped, each saying why."""
    monkeypatch.syspath_prepend(str(CLIENTS))
    pytester.makepyfile(test_bare=BARE_ADAPTER)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-rs", "-k", "reports or national or reused", "--hypothesis-seed=1"
    )
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines_random(
        [
            "*the report property needs fetch_reports(client)*TestBareAdapter has none*",
            "*needs `send` to pass outgoing.language on: set `sends_language = True` in TestBareAdapter*",
            "*needs `send` to pass outgoing.client_message_id on: set `sends_client_message_id = True`*",
        ]
    )


def read_balance(mock: SmsMock, timeout: float) -> requests.Response:
    balance = mock.urls["shortlink"] + "/account/1/balance"
    return requests.get(balance, auth=(mock.credentials.username, mock.credentials.password), timeout=timeout)


@pytest.mark.parametrize("timeout", [10.0, 12.0], ids=["timeout within the stall", "timeout beyond it"])
def test_in_process_a_client_waiting_beyond_its_declared_timeout_fails_at_once(
    smsmock_inprocess: SmsMock, _smsmock_inprocess_transport: InProcessTransport, timeout: float
) -> None:
    """As over a socket, where such a client would still be waiting when its declared 5 s are up."""
    smsmock_inprocess.fault(delay=11, times=1, processed=True)
    started = time.monotonic()
    with (
        _smsmock_inprocess_transport.patience(5.0),
        pytest.raises(
            pytest.fail.Exception,
            match=r"waits 1[01] s in all .*longer than the 5 s its declared timeout allows",
        ),
    ):
        read_balance(smsmock_inprocess, timeout)
    assert time.monotonic() - started < 5


def test_in_process_a_client_within_its_declared_timeout_times_out_as_over_a_socket(
    smsmock_inprocess: SmsMock, _smsmock_inprocess_transport: InProcessTransport
) -> None:
    smsmock_inprocess.fault(delay=11, times=2, processed=True)
    with _smsmock_inprocess_transport.patience(5.0):
        with pytest.raises(requests.ReadTimeout, match="read timeout of 3 s"):
            read_balance(smsmock_inprocess, 3)
        # A retry waits again: the two waits together are longer than the client declares.
        with pytest.raises(pytest.fail.Exception, match="waits 6 s in all"):
            read_balance(smsmock_inprocess, 3)
    assert read_balance(smsmock_inprocess, 3).status_code == 200
