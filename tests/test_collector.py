"""What `smsmock serve` freezes out of the collector's view is freed all the same.

`smsmock serve` collects and then freezes, between two requests, once a second (serve.StateFreezer).
That is safe while the state holds no reference cycle and a request keeps none alive past its end:
a frozen cycle is never freed.
Each test runs its requests once to load what they use (compiled schemas make cycles once, as they
load), then again with the collector off, and asks it afterwards what it would have had to free.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transports import documented_requests
from werkzeug.test import EnvironBuilder

from smsmock.contracts.catalog import operations
from smsmock.server.app import MockApp
from smsmock.server.serve import StateFreezer

AUTHORIZATION = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
DIALECTS = ("shortlink", "qikli", "unified", "quicktel", "sendsms")
MEDIA = {"json": "application/json", "xml": "application/xml", "form": "application/x-www-form-urlencoded"}


def _environ(method: str, path: str, body: bytes = b"", query: str = "", **headers: str) -> dict[str, Any]:
    builder = EnvironBuilder(path=path, method=method, query_string=query or None, data=body, headers=headers)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _start_response(status: str, headers: list[tuple[str, str]]) -> None:
    pass


@contextmanager
def collector_off() -> Iterator[None]:
    """The collector off for the block; the environs are built and earlier garbage gone before it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _warm(app: MockApp, environs: list[dict[str, Any]]) -> None:
    """Send copies of the requests once: what they load on first use is loaded, its garbage collected."""
    for environ in environs:
        copy = dict(environ)
        body = environ["wsgi.input"].getvalue()
        copy["wsgi.input"] = type(environ["wsgi.input"])(body)
        app(copy, _start_response)
    gc.collect()


def _cyclic_garbage() -> int:
    """How many objects only the cyclic collector could free (it frees them now)."""
    return gc.collect()


def _cycles_left_by(app: MockApp, environs: list[dict[str, Any]]) -> int:
    """The cyclic garbage the requests leave, sent once more after a warming round."""
    _warm(app, environs)
    with collector_off():
        for environ in environs:
            app(environ, _start_response)
        return _cyclic_garbage()


def _documented_requests(*, xml: bool = True) -> list[tuple[str, dict[str, Any]]]:
    return [(d, e) for d, e in documented_requests(DIALECTS) if xml or e["format"] != "xml"]


def _example_environ(example: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": AUTHORIZATION, **(example.get("headers") or {})}
    if example["format"] in MEDIA:
        headers.setdefault("Content-Type", MEDIA[example["format"]])
    body = (example.get("body") or "").encode()
    return _environ(example["method"], example["path"], body, example.get("query") or "", **headers)


def test_documented_json_and_parameter_requests_leave_no_cycle() -> None:
    """werkzeug's Request and its environ point at each other; the app breaks that at the request's end.
    (XML requests do leave cycles, inside the XML parser: see the freezer's tests below.)"""
    app = MockApp()
    environs = [_example_environ(example) for _, example in _documented_requests(xml=False)]
    assert len(environs) > 30
    assert _cycles_left_by(app, environs) == 0


def test_control_api_requests_leave_no_cycle() -> None:
    app = MockApp()
    sends = (example for _, example in _documented_requests() if example["operation"] == "send_text_single")
    send = _example_environ(next(sends))
    app(send, _start_response)
    message_id = app.backend.messages()[0].id
    environs = [
        _environ("GET", "/_smsmock/health"),
        _environ("GET", "/_smsmock/messages"),
        _environ("GET", f"/_smsmock/messages/{message_id}"),
        _environ("GET", "/_smsmock/journal"),
        _environ("GET", "/_smsmock/journal", query="format=har"),
        _environ("POST", "/_smsmock/clock/advance", b'{"seconds": 60}', **{"Content-Type": MEDIA["json"]}),
        _environ("POST", "/_smsmock/clock/advance", b"{not json", **{"Content-Type": MEDIA["json"]}),
        _environ("GET", "/_smsmock/no-such-thing"),
        _environ("GET", "/nowhere"),
        _environ("DELETE", "/restapi/sms/1/text/single"),
    ]
    assert _cycles_left_by(app, environs) == 0


def test_a_reset_frees_the_state_without_the_collector() -> None:
    app = MockApp()
    sends = [_example_environ(example) for _, example in _documented_requests(xml=False)] * 3
    reset = _environ("POST", "/_smsmock/reset")
    _warm(app, [*sends, reset])
    with collector_off():
        for environ in sends:
            app(environ, _start_response)
        app.backend.tick()
        assert app.backend.messages()
        app(reset, _start_response)
        assert app.backend.messages() == []
        assert _cyclic_garbage() == 0


_paths = st.sampled_from(
    sorted(
        {
            path
            for dialect in DIALECTS
            for name, op in operations(dialect).items()
            if name != "error"
            for path in op.paths
        }
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=_paths,
    method=st.sampled_from(["GET", "POST"]),
    body=st.binary(max_size=200) | st.text(max_size=120).map(str.encode),
    media=st.sampled_from([*MEDIA.values(), "text/plain", ""]),
)
def test_the_freezer_never_freezes_a_cycle_a_request_leaves(
    path: str, method: str, body: bytes, media: str
) -> None:
    """Refusals make cycles (jsonschema's errors point at their parents, XML parsing builds trees with
    parent links): all garbage by the request's end, so the freezer frees them instead of freezing them."""
    ticks = _Ticks()
    app = MockApp()
    app.after_request = StateFreezer(interval=1.0, clock=ticks)
    headers = {"Authorization": AUTHORIZATION, **({"Content-Type": media} if media else {})}
    query = "to=x&limit=-1&messageId=" if method == "GET" else ""
    _warm(app, [_environ(method, path, body, query, **headers)])
    environ = _environ(method, path, body, query, **headers)
    try:
        with collector_off():
            ticks.now = 1.0
            app(environ, _start_response)
            assert gc.get_freeze_count() > 0
            gc.unfreeze()
            assert _cyclic_garbage() == 0
    finally:
        gc.unfreeze()


class _Ticks:
    """A clock for the freezer that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _tracked(value: object) -> bool:
    return any(item is value for item in gc.get_objects())


def test_the_freezer_frees_cycles_then_freezes_what_is_kept_once_an_interval_has_passed() -> None:
    ticks = _Ticks()
    freezer = StateFreezer(interval=1.0, clock=ticks)
    app = MockApp()
    app.after_request = freezer
    xml_sends = [_example_environ(e) for _, e in _documented_requests() if e["format"] == "xml"]
    _warm(app, xml_sends)
    kept = [["state"] for _ in range(100)]
    try:
        with collector_off():
            frozen_before = gc.get_freeze_count()
            ticks.now = 0.5
            for environ in xml_sends:  # the XML parser leaves cycles behind: garbage for the collector
                app(environ, _start_response)
            # Not yet: the interval has not passed. (A request frees frozen objects it replaces, such
            # as the previous request's context variables, so the count may drop; it must not grow.)
            assert gc.get_freeze_count() <= frozen_before
            assert _tracked(kept[0])
            ticks.now = 1.0
            app(_environ("GET", "/_smsmock/health"), _start_response)
            assert gc.get_freeze_count() >= frozen_before + len(kept)
            assert not _tracked(kept[0])  # frozen: out of the collector's view
            assert _cyclic_garbage() == 0  # the XML cycles were collected before the freeze, not frozen
            frozen_once = gc.get_freeze_count()
            ticks.now = 1.5
            app(_environ("GET", "/_smsmock/health"), _start_response)
            assert gc.get_freeze_count() <= frozen_once
    finally:
        gc.unfreeze()


def test_the_freezer_waits_a_whole_interval_between_freezes() -> None:
    ticks = _Ticks()
    freezer = StateFreezer(interval=2.0, clock=ticks)
    try:
        for moment, freezes in ((1.9, False), (2.0, True), (3.9, False), (4.0, True)):
            gc.unfreeze()
            ticks.now = moment
            freezer()
            assert (gc.get_freeze_count() > 0) is freezes, moment
    finally:
        gc.unfreeze()
