"""Every subcommand stops quietly when the program reading its output goes away (`| head`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

LONG_TEXT = "a" * 152 + "€" + "b" * 152


@pytest.mark.parametrize(
    "arguments",
    [
        ["segments", LONG_TEXT],
        ["segments", "--help"],
        ["--help"],
        ["openapi", "--dialect", "shortlink"],
        ["validate", "--help"],
    ],
    ids=["segments", "segments-help", "help", "openapi", "validate-help"],
)
def test_a_reader_that_goes_away_ends_the_command_without_a_traceback(arguments: list[str]) -> None:
    # The read end is closed before the command writes anything: every write meets a broken pipe.
    command = subprocess.Popen(
        [sys.executable, "-m", "smsmock", *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert command.stdout is not None and command.stderr is not None
    command.stdout.close()
    errors = command.stderr.read().decode()
    assert command.wait(timeout=60) in (0, 1)
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
