"""The built wheel carries its schemas and fixtures: it works with no source tree beside it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True,
    )
    (built,) = out.glob("smsmock-*.whl")
    return built


def test_wheel_ships_schemas_and_fixtures(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "smsmock/_data/fixtures/encoding/gsm0338.yaml" in names
    assert "smsmock/_data/fixtures/unified/limits.yaml" in names
    assert any(name.startswith("smsmock/_data/schemas/") for name in names)


def test_wheel_ships_the_inbox_templates_and_static_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        name for name in names if name.startswith(("smsmock/inbox/templates/", "smsmock/inbox/static/"))
    }
    on_disk = {
        path.relative_to(ROOT).as_posix()
        for folder in ("templates", "static")
        for path in (ROOT / "smsmock" / "inbox" / folder).iterdir()
    }
    assert shipped == on_disk and "smsmock/inbox/static/inbox.js" in shipped


def test_installed_wheel_segments_and_validates_without_the_source_tree(wheel, tmp_path):
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    # Run from an empty folder with a clean environment, so nothing of the checkout can be imported.
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "PYTHONHOME"}}
    result = subprocess.run(
        [str(environment / "bin" / "smsmock"), "segments", "--json", "--profile", "unified:1", "x" * 141],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["segments"] == 2
    body = workdir / "body.json"
    body.write_text('{"from": "InfoSMS", "to": "41793026727", "text": "Test SMS.", "type": "text"}')
    validated = subprocess.run(
        [
            str(environment / "bin" / "smsmock"),
            *("validate", "--dialect", "shortlink", "--operation", "send_text_single"),
            *("--request", str(body)),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.strip().endswith("0 errors, 1 warnings")
    location = subprocess.run(
        [str(python), "-c", "import smsmock.resources as r; print(r.data_root())"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(location).is_relative_to(environment)
    _serves(environment, workdir, env)


def _serves(environment: Path, workdir: Path, env: dict[str, str]) -> None:
    """`smsmock serve --port 0` from the wheel prints its URL, answers a send, and stops on Ctrl-C."""
    server = subprocess.Popen(
        [str(environment / "bin" / "smsmock"), "serve", "--port", "0"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = server.stdout.readline()
        assert first_line.startswith("smsmock serving on http://127.0.0.1:"), first_line
        root = first_line.split()[-1]
        request = urllib.request.Request(
            root + "/restapi/sms/1/text/single",
            data=b'{"from":"InfoSMS","to":"41793026727","text":"My first SMS"}',
            headers={
                "Content-Type": "application/json",
                "Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            },
        )
        reply = _first_reply(request)
        assert json.loads(reply)["messages"][0]["smsCount"] == 1
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        finally:
            if server.poll() is None:
                server.kill()
    assert server.returncode == 0, server.stderr.read()


def _first_reply(request: urllib.request.Request, attempts: int = 200) -> bytes:
    """The reply once the freshly started server accepts connections (it forks its worker first)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(attempts):
        try:
            with opener.open(request, timeout=5) as response:
                return response.read()
        except urllib.error.URLError:
            time.sleep(0.05)  # polling for the port to open, not waiting for a status
    raise AssertionError("smsmock serve never answered")
