"""`smsmock serve` starts with what serving needs: the modules a start loads, and what it caches.

How long a start takes is measured in benchmarks/server.py, never here; these tests hold the behaviour
the start-up time rests on. Each start runs in a fresh interpreter, whose modules are the point.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from smsmock.cli import build_parser

SERVE_ONE_REQUEST = textwrap.dedent(
    """
    import gc, io, json, sys

    from granian.server.mp import MPServer

    def answer_one_request(server, target_loader, **options):
        # Instead of granian's worker: what the worker would run, then one request through the app.
        loaded = sorted(sys.modules)
        collecting, frozen = gc.isenabled(), gc.get_freeze_count()
        app = target_loader()
        body = b'{"from":"InfoSMS","to":"41793026727","text":"My first SMS"}'
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/restapi/sms/1/text/single", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json", "HTTP_ACCEPT": "application/json",
            "HTTP_AUTHORIZATION": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        }
        statuses = []
        app(environ, lambda status, headers: statuses.append(status))
        print(json.dumps({
            "serving": loaded, "answered": sorted(sys.modules), "status": statuses[0],
            "collecting": collecting, "frozen": frozen,
        }))
        sys.stdout.flush()
        raise SystemExit(0)

    MPServer.serve = answer_one_request
    from smsmock.cli import main
    sys.exit(main(["serve", "--port", "0", "--quiet", *sys.argv[1:]]))
    """
)

NEVER_LOADED = (
    # Contract explanations, generation and the XSD machinery: a valid request needs none of them.
    "jsonschema",
    "referencing",
    "xmlschema",
    "hypothesis",
    "hypothesis_jsonschema",
    # werkzeug's development server and test client, the threaded MockServer that uses them.
    "werkzeug.serving",
    "werkzeug.test",
    "http.server",
    "smsmock.server.thread",
    # What only some requests or other stores use: webhooks, dates, metrics, the inbox's pages.
    "urllib.request",
    "dateutil",
    "prometheus_client",
    "redis",
    "sqlite3",
    "jinja2",
    "smsmock.inbox.rendering",
    "smsmock.inbox.anatomy",
    # The IDNA codec: the host is an address (127.0.0.1), which needs no encoding to be looked up.
    "encodings.idna",
)


def serve_once(cache: Path, *args: str) -> dict[str, Any]:
    """Start `smsmock serve` with `args` up to the point granian would take over, answer one request."""
    environment = {**os.environ, "SMSMOCK_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", SERVE_ONE_REQUEST, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(
        {name for name in names for module in modules if module == name or module.startswith(name + ".")}
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The benchmark's configuration: the documents' account with a balance that does not run out."""
    path = tmp_path / "smsmock.yaml"
    account = {"name": "default", "username": "Aladdin", "password": "open sesame", "balance": "1000000000"}
    path.write_text(json.dumps({"accounts": [account]}), encoding="utf-8")
    return path


def test_a_second_start_loads_neither_the_yaml_parser_nor_the_validators(
    tmp_path: Path, config: Path
) -> None:
    cache = tmp_path / "cache"
    first = serve_once(cache, "--config", str(config))
    assert "yaml" in first["serving"], "the first start parses the tables and the file"
    second = serve_once(cache, "--config", str(config))
    for start in (first, second):
        assert start["status"] == "200 OK"
        assert loaded(start["serving"], NEVER_LOADED) == [], "loaded to serve"
        assert loaded(start["answered"], NEVER_LOADED) == [], "loaded by the first request"
    assert loaded(second["answered"], ("yaml",)) == [], "read from the cache"


def test_the_collector_runs_again_before_the_worker_starts(tmp_path: Path, config: Path) -> None:
    started = serve_once(tmp_path / "cache", "--config", str(config))
    assert started["collecting"], "the collector is off only while the app is built"
    assert started["frozen"] > 0, "what start-up made is frozen out of the collector's view"


def test_a_start_without_a_configuration_loads_no_more(tmp_path: Path) -> None:
    serve_once(tmp_path / "cache")
    started = serve_once(tmp_path / "cache")
    assert loaded(started["answered"], (*NEVER_LOADED, "yaml")) == []


def test_an_invalid_configuration_is_refused_alike_on_every_start(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text("journal_size: 0\naccounts: [{name: a, username: u, balance: 12x}]\n", encoding="utf-8")
    environment = {**os.environ, "SMSMOCK_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-m", "smsmock", "serve", "--port", "0", "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env=environment,
        )
        for _ in range(2)
    ]
    expected = [
        f"smsmock: {path}: journal_size: 0 is not a whole number of at least 1, or null",
        f"smsmock: {path}: accounts[0].balance: '12x' is not a decimal amount",
    ]
    for run in runs:
        assert (run.returncode, run.stdout) == (2, "")
        assert sorted(run.stderr.splitlines()) == sorted(expected)


CHECKS = textwrap.dedent(
    """
    import sys

    import fastjsonschema

    from smsmock.contracts import fastcheck
    from smsmock.server import config

    if sys.argv[1] == "again":
        def not_again(*args, **kwargs):
            raise AssertionError("generated again although the cache holds it")

        fastjsonschema.compile_to_code = not_again
    sent = {"from": "InfoSMS", "to": "41793026727", "text": "hi"}
    assert fastcheck.conforms("shortlink", "send_text_single", "request", "json", sent)
    assert not fastcheck.conforms("shortlink", "send_text_single", "request", "json", {**sent, "to": 5})
    assert config.conforms({"journal_size": 5, "store": "memory"})
    assert not config.conforms({"journal_size": 0})
    print("ok")
    """
)


def test_the_compiled_checks_are_generated_once_and_read_back_on_the_next_start(tmp_path: Path) -> None:
    environment = {**os.environ, "SMSMOCK_CACHE_DIR": str(tmp_path / "cache")}
    for start in ("first", "again"):
        done = subprocess.run(
            [sys.executable, "-c", CHECKS, start], capture_output=True, text=True, timeout=60, env=environment
        )
        assert done.stdout.strip() == "ok", f"{start}: {done.stderr}"


def test_the_server_makes_no_memory_collector_for_a_limit_it_does_not_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from granian.constants import Interfaces

    from smsmock.server import serve

    monkeypatch.setattr("granian.server.mp.ProcInfoCollector", lambda: pytest.fail("made a memory collector"))
    with serve.listen("127.0.0.1", 0) as listener:
        server = serve._OwnSocketServer(
            listener, target="smsmock", address="127.0.0.1", port=0, interface=Interfaces.WSGI, workers=1
        )
        server._write_pidfile()


@pytest.mark.parametrize("at_fork", [False, True], ids=["after-the-banner", "at-the-fork"])
@pytest.mark.parametrize(
    ("stop", "whole_group"), [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["kill", "ctrl-c"]
)
def test_a_server_stopped_while_it_starts_stops(stop: int, whole_group: bool, at_fork: bool) -> None:
    # The signal lands while the worker is being forked or is setting up, where granian's worker could
    # lose it and the server wait for it forever. A few starts, as the moment varies from one to the next.
    for _ in range(4):
        server = subprocess.Popen(
            [sys.executable, "-m", "smsmock", "serve", "--port", "0", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            assert server.stdout is not None
            while not server.stdout.readline().startswith("Ctrl-C"):
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
            if at_fork:
                children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
                while not children.read_text().split() and server.poll() is None:
                    pass  # until the worker is forked: the signal comes while it sets up
            if whole_group:
                os.killpg(server.pid, stop)
            else:
                server.send_signal(stop)
            assert server.wait(timeout=15) in (0, -signal.SIGTERM), "stopped, not hung"
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


@pytest.mark.parametrize("command", ["serve", "segments", "validate"])
def test_a_command_s_own_parser_reads_as_the_whole_command_line_does(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    helps = []
    for parser in (build_parser(command), build_parser()):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        helps.append(capsys.readouterr().out)
    assert helps[0] == helps[1] and command in helps[0]
    argv = ["serve", "--port", "0", "--retain", "none", "--max-body", "1KiB", "--no-ui", "--quiet"]
    assert build_parser("serve").parse_args(argv) == build_parser().parse_args(argv)


# the package whose __init__ waits


PACKAGE = {
    "__init__.py": "import deferred.heavy\nfrom deferred.light import VALUE\nINITIALISED = True\n",
    "heavy.py": "",
    "light.py": "VALUE = 1\n",
    "other.py": "",
}

DEFERRED = textwrap.dedent(
    """
    import sys
    from smsmock.cli import _defer_package_init

    _defer_package_init("deferred")
    from deferred.light import VALUE
    from deferred import light, other
    assert (VALUE, light.VALUE, other.__name__) == (1, 1, "deferred.other")
    assert "deferred.heavy" not in sys.modules, "the submodules import without the __init__"
    import deferred
    assert deferred.INITIALISED, "a name only the __init__ defines runs it"
    assert "deferred.heavy" in sys.modules
    assert deferred.VALUE == 1 and type(deferred).__name__ == "module"
    print("ok")
    """
)


def test_a_deferred_package_imports_its_submodules_and_runs_its_init_when_asked(tmp_path: Path) -> None:
    (tmp_path / "deferred").mkdir()
    for name, text in PACKAGE.items():
        (tmp_path / "deferred" / name).write_text(text, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", DEFERRED], capture_output=True, text=True, timeout=60, env=environment
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_werkzeug_deferred_still_gives_every_name_it_exports() -> None:
    code = textwrap.dedent(
        """
        import sys
        from smsmock.cli import _defer_package_init

        _defer_package_init("werkzeug")
        from werkzeug.wrappers import Request, Response
        assert "werkzeug.serving" not in sys.modules and "werkzeug.test" not in sys.modules
        import werkzeug
        from werkzeug import Client, run_simple
        from werkzeug.serving import run_simple as serving
        from werkzeug.test import Client as testing
        assert (werkzeug.Request, werkzeug.Response) == (Request, Response)
        assert (Client, run_simple) == (testing, serving)
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
