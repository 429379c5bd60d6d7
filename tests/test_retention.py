"""Bounded memory: what the mock keeps, by a window on its clock or a count, and how it is said."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import Client

from smsmock.core.retention import Retention, parse_retention, retention_from
from smsmock.server.app import MockApp
from smsmock.server.config import ConfigError, MockConfig

AUTH = {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}
SINGLE = "/restapi/sms/1/text/single"


def _send(client: Client, to: str = "41793026727") -> str:
    reply = client.post(SINGLE, json={"from": "InfoSMS", "to": to, "text": "hi"}, headers=AUTH)
    return reply.json["messages"][0]["messageId"]


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        ("48h", Retention(timedelta(hours=48))),
        ("30m", Retention(timedelta(minutes=30))),
        ("7d", Retention(timedelta(days=7))),
        ("100000", Retention(count=100000)),
        ("48", Retention(count=48)),
        ("48h,1000", Retention(timedelta(hours=48), 1000)),
        ("1000, 90s", Retention(timedelta(seconds=90), 1000)),
        ("none", Retention()),
    ],
)
def test_retention_specs(spec: str, kept: Retention) -> None:
    assert parse_retention(spec) == kept


@pytest.mark.parametrize("spec", ["", "5x", "48h,48h", "1000,2000", "0", "-1", "h", "48 h"])
def test_bad_retention_specs_say_what_is_taken(spec: str) -> None:
    with pytest.raises(ValueError, match=r"retention is a window|keeps at least 1"):
        parse_retention(spec)


@given(hours=st.integers(1, 10_000), count=st.one_of(st.none(), st.integers(1, 10**9)))
def test_the_config_form_and_the_text_form_agree(hours: int, count: int | None) -> None:
    text = f"{hours}h" + ("" if count is None else f",{count}")
    assert retention_from({"window": f"{hours}h", "count": count}) == parse_retention(text)


def test_messages_and_exchanges_past_the_window_are_dropped() -> None:
    app = MockApp(MockConfig(clock_frozen=True, retain=Retention(window=timedelta(hours=48))))
    client = Client(app)
    old = _send(client)
    app.control.advance(47 * 3600)
    kept = _send(client)
    app.control.advance(2 * 3600)
    assert app.enforce_retention() == 1
    assert [message["id"] for message in app.control.messages()] == [kept]
    assert client.get(f"/_smsmock/messages/{old}").status_code == 404
    assert len(app.journal) == 1, "the first send's exchange is past the window too"


def test_beyond_the_count_the_oldest_are_dropped() -> None:
    app = MockApp(MockConfig(clock_frozen=True, retain=Retention(count=3)))
    client = Client(app)
    sent = [_send(client, f"4179302672{n}") for n in range(5)]
    assert app.enforce_retention() == 2
    assert [message["id"] for message in app.control.messages()] == sent[::-1][:3]


def test_without_retention_everything_is_kept() -> None:
    app = MockApp(MockConfig(clock_frozen=True))
    client = Client(app)
    _send(client)
    app.control.advance(1000 * 3600)
    assert app.enforce_retention() == 0
    assert len(app.control.messages()) == 1


def test_the_configuration_file_names_the_store_and_the_retention() -> None:
    config = MockConfig.from_mapping({"store": "sqlite:mock.db", "retain": "24h,5000"})
    assert config.store == "sqlite:mock.db"
    assert config.retain == Retention(timedelta(hours=24), 5000)
    with pytest.raises(ConfigError, match="store: 5 is not a store URL"):
        MockConfig.from_mapping({"store": 5})


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smsmock", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unknown_store_scheme_is_one_line_naming_the_schemes() -> None:
    finished = _serve("--store", "mongodb://localhost/sms")
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert finished.stderr.strip().splitlines() == [
        "smsmock: unknown store 'mongodb://localhost/sms': a store is one of memory, sqlite:PATH,"
        " redis://HOST:PORT/DB"
    ]


def test_a_bad_retention_is_a_usage_error() -> None:
    finished = _serve("--retain", "forever-ish")
    assert finished.returncode == 2
    assert "--retain" in finished.stderr and "Traceback" not in finished.stderr
