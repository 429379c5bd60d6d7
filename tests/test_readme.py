"""The README, run as written: its console examples against a live mock (each reply compared with the
one shown, `...` standing for what differs from run to run: ids, times), its Python snippets, and the
set-up commands CI runs. A block preceded by `<!-- not run by tests/test_readme.py: why -->` is left out.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from smsmock.core.rules import OutcomeRules
from smsmock.server.thread import MockServer

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself brings tomli there
    import tomli as tomllib

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOT_RUN = re.compile(r"<!-- not run by tests/test_readme\.py: (?P<why>.+) -->")
FENCE = re.compile(r"^```(?P<language>\w*)$")
DOCUMENTED_ADDRESS = "127.0.0.1:8080"
"""Where the README's examples find `smsmock serve`; the tests serve on a free port and write it there."""
BANNER_TIMEOUT = 30.0
COMMAND_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class Snippet:
    language: str
    code: str
    line: int
    not_run: str | None
    """Why the block is left out, from its marker comment; None when it runs."""


def readme_snippets() -> list[Snippet]:
    """Every fenced block of the README, with its language, its first line and its marker, if any."""
    snippets, lines = [], README.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = lines.index("```", index + 1)
        marker = NOT_RUN.fullmatch(lines[index - 1].strip()) if index >= 1 else None
        code = "\n".join(lines[index + 1 : end])
        snippets.append(Snippet(opening["language"], code, index + 1, marker and marker["why"]))
        index = end + 1
    return snippets


def examples(language: str) -> list[pytest.param]:
    return [
        pytest.param(snippet, id=f"line {snippet.line}")
        for snippet in readme_snippets()
        if snippet.language == language and snippet.not_run is None
    ]


# console examples


@dataclass(frozen=True, slots=True)
class Step:
    command: str
    expected: str


def console_steps(code: str) -> list[Step]:
    """`$ command` lines (continued by a trailing backslash) and the output shown below each."""
    steps: list[tuple[str, list[str]]] = []
    continued = False
    for line in code.splitlines():
        if continued:
            steps[-1] = (steps[-1][0] + "\n" + line, steps[-1][1])
        elif line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
        continued = line.endswith("\\") and not steps[-1][1]
    return [Step(command, "\n".join(output)) for command, output in steps]


def shown_as(expected: str) -> re.Pattern[str]:
    """What matches the output shown: `...` alone on a line is any lines, inside a line any text."""
    parts = []
    for line in expected.rstrip("\n").split("\n"):
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?[^\n]*")
        else:
            parts.append(".*?".join(re.escape(piece) for piece in line.rstrip().split("...")))
    return re.compile("\n".join(parts))


def assert_shown(step: Step, output: str) -> None:
    found = "\n".join(line.rstrip() for line in output.rstrip("\n").split("\n"))
    assert shown_as(step.expected).fullmatch(found), (
        f"$ {step.command}\nthe README shows:\n{step.expected}\nit prints:\n{found}"
    )


def shell_environment() -> dict[str, str]:
    """The interpreter's own scripts first, so `smsmock` and `python` are this installation's."""
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1"}


def run_shell(command: str, address: str, cwd: Path) -> str:
    done = subprocess.run(
        ["bash", "-c", command.replace(DOCUMENTED_ADDRESS, address)],
        cwd=cwd,
        env=shell_environment(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    return (done.stdout + done.stderr).replace(address, DOCUMENTED_ADDRESS)


@dataclass(slots=True)
class Served:
    """An `smsmock serve` started as the README starts it, on a free port instead of 8080."""

    process: subprocess.Popen[str]
    lines: Queue[str]

    @classmethod
    def start(cls, command: str, cwd: Path) -> Served:
        free = re.sub(r"--port\s+8080\b", "--port 0", command)
        process = subprocess.Popen(
            ["bash", "-c", f"exec {free}"],
            cwd=cwd,
            env=shell_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: Queue[str] = Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
        return cls(process, lines)

    def banner(self, count: int) -> str:
        """The first `count` lines the server prints."""
        received = []
        for _ in range(count):
            try:
                received.append(self.lines.get(timeout=BANNER_TIMEOUT))
            except Empty:
                break
        return "".join(received)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def live_mock() -> Iterator[MockServer]:
    with MockServer() as mock:
        yield mock


@pytest.mark.parametrize("snippet", examples("console"))
def test_a_console_example_prints_what_the_readme_shows(
    snippet: Snippet, live_mock: MockServer, tmp_path: Path
) -> None:
    live_mock.control.reset()
    address = live_mock.url.removeprefix("http://")
    served: Served | None = None
    try:
        for step in console_steps(snippet.code):
            if step.command.startswith("smsmock serve"):
                served = Served.start(step.command, tmp_path)
                banner = served.banner(len(step.expected.splitlines()))
                found = re.search(r"http://(127\.0\.0\.1:\d+)", banner)
                assert found, f"smsmock serve printed no address:\n{banner}"
                address = found[1]
                assert_shown(step, banner.replace(address, DOCUMENTED_ADDRESS))
            else:
                assert_shown(step, run_shell(step.command, address, tmp_path))
    finally:
        if served is not None:
            served.stop()


# Python snippets


YOUR_CLIENT = ROOT / "examples" / "clients" / "shortlink_client.py"
"""The reference shortlink client stands for the user's own (`from myapp.sms import ShortlinkClient`)."""


@pytest.mark.parametrize("snippet", examples("python"))
def test_a_python_snippet_runs(snippet: Snippet, pytester: pytest.Pytester) -> None:
    if "from myapp.sms import" in snippet.code:
        pytester.mkpydir("myapp").joinpath("sms.py").write_text(
            YOUR_CLIENT.read_text(encoding="utf-8"), encoding="utf-8"
        )
    if re.search(r"^(def test_|class Test)", snippet.code, re.MULTILINE):
        pytester.makepyfile(test_readme_snippet=snippet.code)
        result = pytester.runpytest("-p", "no:cacheprovider", "-q")
        assert result.ret == 0, result.stdout.str()
        return
    exec(compile(snippet.code, f"README.md line {snippet.line}", "exec"), {"__name__": "readme"})


# what is left out, and the set-up


def test_only_a_few_examples_are_left_out_each_saying_why() -> None:
    left_out = [snippet for snippet in readme_snippets() if snippet.not_run is not None]
    assert len(left_out) <= 4, [snippet.line for snippet in left_out]
    assert all(snippet.not_run.strip() for snippet in left_out)
    assert len(examples("console")) >= 6 and len(examples("python")) >= 3


def test_every_dialect_has_a_request_example_with_its_reply() -> None:
    consoles = "\n".join(snippet.code for snippet in readme_snippets() if snippet.language == "console")
    for path in ("/restapi/sms/1/text/single", "/sms/2/text/advanced", "/bulksms/bulksms", "/quicktel/xml"):
        assert f"http://{DOCUMENTED_ADDRESS}{path}" in consoles, path
    assert f"http://{DOCUMENTED_ADDRESS}/api/sms/send_sms.php" in consoles


def set_up_commands() -> list[str]:
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [snippet.split("\n```", 1)[0].strip() for snippet in section.split("```sh\n")[1:]]


def test_the_set_up_is_two_commands_in_a_virtual_environment() -> None:
    """A system Python may refuse global installs (PEP 668): both commands make and use a venv."""
    serve, test = set_up_commands()
    for command in (serve, test):
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install ")
        assert "\n" not in command and all(word.startswith(".venv/bin/") for word in _programs(command)[1:])
    assert serve.endswith("&& .venv/bin/smsmock serve")


def _programs(command: str) -> list[str]:
    return [shlex.split(part)[0] for part in command.split("&&")]


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    _, test = set_up_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()
    assert (
        ".venv/bin/ruff check ." in ci.splitlines() and ".venv/bin/ruff format --check ." in ci.splitlines()
    )


def test_the_tools_ci_runs_are_pinned_to_a_range_the_installed_ones_meet() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tools = [*project["project"]["optional-dependencies"]["test"], *project["build-system"]["requires"]]
    for requirement in map(Requirement, tools):
        bounds = {spec.operator for spec in requirement.specifier}
        assert "<" in bounds and ">=" in bounds, f"{requirement} has no compatible range"
    ruff = next(Requirement(tool) for tool in tools if tool.startswith("ruff"))
    installed = subprocess.run(
        [sys.executable, "-m", "ruff", "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert Version(installed) in ruff.specifier, f"ruff {installed} is outside {ruff.specifier}"


def test_the_rule_file_examples_do_what_their_comments_say() -> None:
    adding, replacing = (
        yaml.safe_load(snippet.code)
        for snippet in readme_snippets()
        if snippet.language == "yaml" and snippet.code.startswith(("# my-outcomes.yaml", "# every number"))
    )
    built_in = OutcomeRules.default_rules()

    def status(rules: OutcomeRules, number: str) -> str:
        return rules.decide(number, "shortlink", "default").outcome.status.name

    added, replaced = built_in.extended(adding), built_in.extended(replacing)
    assert status(added, "447700900123") == "REJECTED_DND"
    assert status(added, "15550001003") == "UNDELIVERABLE_NOT_DELIVERED"
    assert status(added, "41793026727") == "DELIVERED_TO_OPERATOR"
    assert {status(replaced, number) for number in ("15550001003", "15550001005")} == {"DELIVERED_TO_HANDSET"}


def test_the_complete_configuration_example_is_the_shipped_one_and_checks() -> None:
    shipped = (ROOT / "fixtures" / "config-example.yaml").read_text(encoding="utf-8")
    assert any(
        snippet.language == "yaml" and snippet.code.strip() == shipped.strip()
        for snippet in readme_snippets()
    )
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "smsmock",
            "serve",
            "--check-config",
            str(ROOT / "fixtures" / "config-example.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().endswith(": OK")
