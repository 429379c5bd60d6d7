"""The web inbox without a browser: escaping, the Origin check, `--no-ui`, paging and what a page draws.

The pages are read through werkzeug's test client (the browser tests are tests/test_inbox_browser.py).
"""

from __future__ import annotations

import base64
import html
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.test import Client

import smsmock.inbox.listing
from smsmock.cli import build_parser
from smsmock.core.messages import Message
from smsmock.encoding import segment
from smsmock.inbox.anatomy import message_anatomy, take_apart
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.strategies import national_texts

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
ALADDIN = {"Authorization": "Basic " + base64.b64encode(b"Aladdin:open sesame").decode()}
SINGLE = "/restapi/sms/1/text/single"
ADVANCED = "/restapi/sms/1/text/advanced"
MESSAGE_ROW = re.compile(r'<tr data-message-id="([^"]+)">')


def frozen_app(**config: Any) -> MockApp:
    return MockApp(MockConfig(clock_start=START, clock_frozen=True, **config))


@pytest.fixture
def app() -> MockApp:
    return frozen_app()


@pytest.fixture
def client(app: MockApp) -> Client:
    return Client(app)


def send(client: Client, to: str = "41793026727", text: str = "Hello", sender: str = "InfoSMS") -> str:
    reply = client.post(SINGLE, json={"from": sender, "to": to, "text": text}, headers=ALADDIN)
    assert reply.status_code == 200, reply.text
    return reply.json["messages"][0]["messageId"]


def page(client: Client, path: str) -> str:
    reply = client.get(path)
    assert reply.status_code == 200, reply.text
    assert reply.content_type == "text/html; charset=utf-8"
    return reply.text


def listed_ids(body: str) -> list[str]:
    return [html.unescape(found) for found in MESSAGE_ROW.findall(body)]


def older_link(body: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)">', body)
    return None if found is None else html.unescape(found[1])


# where the inbox answers


def test_the_inbox_answers_at_the_root_and_under_the_control_prefix(client: Client) -> None:
    message_id = send(client)
    for path in ("/", "/_smsmock/ui", "/_smsmock/ui/"):
        body = page(client, path)
        assert listed_ids(body) == [message_id]
    reply = client.get("/")
    policy = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_the_inbox_only_shows_and_is_not_journaled(client: Client, app: MockApp) -> None:
    refused = client.post("/_smsmock/ui/", data=b"x")
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
    page(client, "/")
    page(client, "/_smsmock/ui/journal")
    assert len(app.journal) == 0, "the inbox's own pages are not SMS traffic"


def test_a_page_load_revalidates_each_asset_and_gets_a_bodiless_304_while_it_is_unchanged(
    client: Client,
) -> None:
    for asset in re.findall(r'(?:src|href)="(/_smsmock/ui/static/[^"]+)"', page(client, "/")):
        first = client.get(asset)
        assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
        again = client.get(asset, headers={"If-None-Match": first.headers["ETag"]})
        assert (again.status_code, again.data) == (304, b""), asset
        assert client.get(asset, headers={"If-None-Match": '"another"'}).data == first.data


def test_every_asset_ships_in_the_package_and_names_no_other_host(client: Client) -> None:
    package = files("smsmock.inbox")
    shipped = [*package.joinpath("templates").iterdir(), *package.joinpath("static").iterdir()]
    assert {item.name for item in shipped} >= {"base.html", "inbox.js", "inbox.css", "icon.svg"}
    for item in shipped:
        text = item.read_text(encoding="utf-8")
        # The one URL allowed is the SVG namespace, which names no place to fetch from.
        assert re.findall(r"https?://", text.replace("http://www.w3.org/2000/svg", "")) == [], item.name
    body = page(client, "/")
    for asset in re.findall(r'(?:src|href)="(/_smsmock/ui/static/[^"]+)"', body):
        assert client.get(asset).status_code == 200, asset
    assert client.get("/_smsmock/ui/static/../site.py").status_code == 404


# --no-ui


def test_without_the_ui_the_root_answers_with_the_index_the_control_api_gives() -> None:
    plain = Client(frozen_app(ui=False))
    root = plain.get("/")
    assert root.status_code == 200
    assert root.json == plain.get("/_smsmock").json
    assert root.json["inbox"] is None and root.json["dialects"]["shortlink"].endswith("/restapi")
    assert plain.get("/_smsmock/ui/").status_code == 404
    assert plain.get("/_smsmock/ui/").json["error"] == "not found"


def test_serve_takes_no_ui() -> None:
    assert build_parser().parse_args(["serve", "--no-ui"]).ui is False
    assert build_parser().parse_args(["serve"]).ui is True


@pytest.mark.parametrize("ui", [True, False], ids=["inbox", "no-ui"])
def test_serve_names_the_inbox_in_its_banner_unless_told_not_to(ui: bool) -> None:
    args = ["--port", "0", "--quiet"] + ([] if ui else ["--no-ui"])
    process = subprocess.Popen(
        [sys.executable, "-m", "smsmock", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = []
        while not banner or not banner[-1].startswith("Ctrl-C"):
            line = process.stdout.readline()
            assert line, "smsmock serve ended before its banner"
            banner.append(line.rstrip("\n"))
        root = banner[0].removeprefix("smsmock serving on ")
        try:
            with urllib.request.urlopen(root + "/", timeout=10) as reply:
                status, kind = reply.status, reply.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            status, kind = error.code, error.headers["Content-Type"]
    finally:
        process.send_signal(2)
        process.wait(timeout=15)
    assert (f"  inbox      {root}/" in banner) is ui
    assert (status, kind.split(";")[0]) == (200, "text/html" if ui else "application/json")


# the Origin check of the control API


STATE_CHANGES = [
    ("POST", "/_smsmock/reset", None),
    ("POST", "/_smsmock/inbound", {"from": "41790000001", "to": "41793026700", "text": "hi"}),
    ("POST", "/_smsmock/clock/advance", {"seconds": 5}),
    ("POST", "/_smsmock/faults", {"status": 503}),
    ("POST", "/_smsmock/rules", {"rules": [{"to": "4179", "status": "REJECTED_DND"}]}),
    ("DELETE", "/_smsmock/journal", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), STATE_CHANGES, ids=[path for _, path, _ in STATE_CHANGES]
)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost"},  # the mock is reached as localhost by the test client: port differs
        {"Origin": "null"},
        {"Origin": "http://[::1"},  # not even a URL
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["other-site", "other-port", "opaque-origin", "no-url", "sec-fetch-site"],
)
def test_a_state_change_from_another_origin_is_refused(
    client: Client, app: MockApp, method: str, path: str, body: Any, headers: dict[str, str]
) -> None:
    message_id = send(client)
    before = app.clock.now()
    reply = client.open(path, method=method, json=body, headers=headers, base_url="http://localhost:8080")
    assert reply.status_code == 403
    assert reply.json["error"] == "cross-origin request refused"
    assert "may not change this mock" in reply.json["message"]
    # Nothing happened.
    assert [item["id"] for item in app.control.messages()] == [message_id]
    assert app.clock.now() == before and not app.faults.all() and len(app.journal) == 1


def test_the_mocks_own_pages_and_clients_without_an_origin_may_change_it(
    client: Client, app: MockApp
) -> None:
    send(client)
    same_site = {"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}
    reply = client.post(
        "/_smsmock/clock/advance", json={"seconds": 5}, headers=same_site, base_url="http://127.0.0.1:8080"
    )
    assert reply.status_code == 200, reply.text
    assert client.post("/_smsmock/reset").status_code == 200  # curl, tests, the pytest plugin
    assert app.control.messages() == []


def test_reads_are_answered_whatever_the_origin(client: Client) -> None:
    send(client)
    reply = client.get("/_smsmock/messages", headers={"Origin": "http://evil.example"})
    assert reply.status_code == 200
    # No CORS header: the other site's page cannot read the answer.
    assert "Access-Control-Allow-Origin" not in reply.headers


# client data is shown as text


XSS_TEXT = '<script>window.__pwned = "text"</script>\x1b\x00\u202eevil'
XSS_SENDER = '"><img src=x onerror="window.__pwned=\'sender\'">'
XSS_BULK_ID = "<script>window.__pwned='bulkId'</script>"
XSS_NOTIFY_URL = "http://127.0.0.1:9/\"><script>window.__pwned='notifyUrl'</script>"
XSS_HEADER = "<script>window.__pwned='header'</script>"


def send_hostile(client: Client) -> str:
    reply = client.post(
        ADVANCED,
        json={
            "bulkId": XSS_BULK_ID,
            "messages": [
                {
                    "from": XSS_SENDER,
                    "destinations": [{"to": "41793026727"}],
                    "text": XSS_TEXT,
                    "notifyUrl": XSS_NOTIFY_URL,
                    "callbackData": "<b onmouseover=alert(1)>",
                }
            ],
        },
        headers={**ALADDIN, "User-Agent": XSS_HEADER},
    )
    assert reply.status_code == 200, reply.text
    return reply.json["messages"][0]["messageId"]


def assert_only_text(body: str) -> None:
    """No markup of the client's made it into the page: every `<` of theirs is `&lt;`."""
    for raw in ("<script>window", "<img src=x", "<b onmouseover", "\x1b", "\x00", "\u202e"):
        assert raw not in body, raw
    assert "127.0.0.1:9" not in re.sub(r">[^<]*<", "><", body), "a client's URL became a link or an attribute"


def test_a_hostile_text_sender_bulk_id_url_and_header_are_shown_as_text(client: Client) -> None:
    message_id = send_hostile(client)
    listing = page(client, "/")
    message = page(client, f"/_smsmock/ui/messages/{message_id}")
    journal = page(client, "/_smsmock/ui/journal")
    live = client.get("/_smsmock/ui/live/messages").json["html"]
    for body in (listing, message, journal, live):
        assert_only_text(body)
    assert "&lt;script&gt;window.__pwned = &#34;text&#34;&lt;/script&gt;" in message
    assert str(escape(XSS_SENDER)) in message
    assert "&lt;script&gt;window.__pwned=&#39;bulkId&#39;&lt;/script&gt;" in message
    assert "&lt;script&gt;window.__pwned=&#39;header&#39;&lt;/script&gt;" in journal
    # Control characters and a bidi override are drawn as their codes.
    assert '<span class="ctl" title="U+001B ESC">\\x1b</span>' in message
    assert '<span class="ctl" title="U+202E control character">\\u202e</span>' in message


def test_a_hostile_segmentation_text_is_shown_as_text(client: Client) -> None:
    body = page(client, "/_smsmock/ui/segments?text=" + "%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E")
    assert "<script>window" not in body and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in body


# paging


@pytest.mark.usefixtures("every_store")
def test_the_list_pages_every_message_once_newest_first() -> None:
    app = frozen_app()
    client = Client(app)
    sent = [send(client, to=f"4179302{index:04d}", text=f"message {index}") for index in range(120)]
    seen, pages, path = [], 0, "/"
    while path is not None:
        body = page(client, path)
        on_page = listed_ids(body)
        assert 0 < len(on_page) <= smsmock.inbox.listing.PAGE_SIZE
        seen.extend(on_page)
        pages += 1
        path = older_link(body)
    assert pages == 3
    assert seen == list(reversed(sent))
    assert "120 messages" in page(client, "/")


@pytest.mark.usefixtures("every_store")
def test_the_store_filters_go_to_the_store() -> None:
    app = frozen_app()
    client = Client(app)
    delivered = send(client, to="15550001001")
    absent = send(client, to="15550001003")
    app.control.advance(10)
    assert listed_ids(page(client, "/?status=DELIVERED")) == [delivered]
    assert listed_ids(page(client, "/?status=UNDELIVERABLE_NOT_DELIVERED")) == [absent]
    assert listed_ids(page(client, "/?to=%2B15550001003")) == [absent]
    assert listed_ids(page(client, "/?dialect=qikli")) == []
    assert listed_ids(page(client, "/?account=default&dialect=shortlink")) == [absent, delivered]


@pytest.mark.usefixtures("every_store")
def test_a_sender_or_text_search_is_a_store_filter_counted_and_paged() -> None:
    app = frozen_app()
    client = Client(app)
    sent = [
        send(
            client,
            text=f"{'Your code is' if index % 3 == 0 else 'Hello'} {index}",
            sender="Straße" if index % 10 == 0 else f"Shop{index % 2}",
        )
        for index in range(200)
    ]
    wanted = [message_id for index, message_id in enumerate(sent) if index % 3 == 0 and index % 10 != 0]
    first = page(client, "/?text=your+CODE&sender=SHOP")
    assert f"{len(wanted)} messages match, newest first." in first
    seen, path, pages = [], "/?text=your+CODE&sender=SHOP", 0
    while path is not None:
        body = page(client, path)
        seen.extend(listed_ids(body))
        pages += 1
        path = older_link(body)
    assert seen == list(reversed(wanted)), "every match, once, newest first"
    assert pages == 2 and len(wanted) > smsmock.inbox.listing.PAGE_SIZE
    # Folded as Python folds: STRASSE finds Straße.
    assert listed_ids(page(client, "/?sender=STRASSE&text=code")) == sent[180::-30]
    assert "20 messages match" in page(client, "/?sender=STRASSE")
    assert "1 message matches" in page(client, "/?text=HELLO+158")


def test_the_live_endpoint_sends_the_list_only_when_it_changed(client: Client) -> None:
    first = client.get("/_smsmock/ui/live/messages").json
    assert first["html"] is not None and "No message yet" in first["html"]
    unchanged = client.get(f"/_smsmock/ui/live/messages?etag={first['etag']}").json
    assert unchanged["html"] is None and unchanged["etag"] == first["etag"]
    message_id = send(client)
    changed = client.get(f"/_smsmock/ui/live/messages?etag={first['etag']}").json
    assert changed["etag"] != first["etag"] and message_id in changed["html"]
    assert changed["clock"]["now"].startswith("2030-01-01 12:00:00.000 UTC")


def test_every_process_on_a_shared_store_shows_every_message(redis_for_tests: Any) -> None:
    store = f"{redis_for_tests.url}?prefix=inbox-{uuid.uuid4().hex}:"
    one, other = Client(frozen_app(store=store)), Client(frozen_app(store=store))
    seen = other.get("/_smsmock/ui/live/messages").json
    message_id = send(one, text="sent through the first process")
    live = other.get(f"/_smsmock/ui/live/messages?etag={seen['etag']}").json
    assert live["html"] is not None and message_id in live["html"]


# what a message's page draws


def current_status(body: str) -> str:
    found = re.search(r'id="current-status"[^>]*>([A-Z_]+)<', body)
    assert found, "the page shows no current status"
    return found[1]


def parts_drawn(body: str) -> list[int]:
    return [int(units) for units in re.findall(r'<li class="part" data-units="(\d+)">', body)]


def test_a_message_view_draws_the_engines_parts_and_marks_what_costs_more(client: Client) -> None:
    text = "a" * 152 + "€" + "b" * 152
    body = page(client, f"/_smsmock/ui/messages/{send(client, text=text)}")
    engine = segment(text)
    assert parts_drawn(body) == list(engine.part_units) == [152, 153, 1]
    assert "3 of up to 153 septets each, 152 left in the last" in body
    assert re.search(r'<mark class="extension" title="[^"]*two septets">€</mark>', body)
    assert "3 × 0.01 = <strong>0.03 EUR</strong>" in body


def test_an_emoji_on_a_part_boundary_moves_whole_to_the_next_part(client: Client) -> None:
    text = "x" * 66 + "😀" + "y" * 10
    body = page(client, f"/_smsmock/ui/messages/{send(client, text=text)}")
    assert parts_drawn(body) == list(segment(text).part_units) == [66, 12]
    assert re.search(r'<mark class="ucs2 pair" title="[^"]*surrogate pair[^"]*">😀</mark>', body)


def test_the_national_tables_a_client_asked_for_are_the_ones_shown(client: Client) -> None:
    text = "Şğ" * 80  # Turkish letters: UCS-2 without the Turkish tables, GSM 7-bit with them
    reply = client.post(
        ADVANCED,
        json={
            "messages": [
                {
                    "from": "InfoSMS",
                    "destinations": [{"to": "41793026727"}],
                    "text": text,
                    "languageCode": "TR",
                    "singleShift": True,
                    "lockingShift": True,
                }
            ]
        },
        headers=ALADDIN,
    )
    body = page(client, f"/_smsmock/ui/messages/{reply.json['messages'][0]['messageId']}")
    assert '<dd id="encoding">GSM7</dd>' in body and "Turkish (TR)" in body
    assert "the national tables the client asked for, kept with the message" in body


STRICT = {"Authorization": "Basic " + base64.b64encode(b"strict:pw").decode()}
"""An account whose provider counts every national table a send asks for."""
NATIONAL_POLICY = re.compile(r'<span id="national-policy">(\w+)</span>')


def strict_app() -> MockApp:
    """A mock with the documents' account (fewest parts) and one counting every requested table."""
    config = MockConfig.from_mapping(
        {
            "accounts": [
                {"name": "default", "username": "Aladdin", "password": "open sesame", "balance": 100},
                {"name": "strict", "username": "strict", "password": "pw", "national_policy": "requested"},
            ],
            "clock": {"frozen": True, "start": START.isoformat()},
        }
    )
    return MockApp(config)


def send_advanced(client: Client, headers: dict[str, str], text: str, **language: Any) -> str:
    message = {"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": text, **language}
    reply = client.post(ADVANCED, json={"messages": [message]}, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json["messages"][0]["messageId"]


TURKISH_SINGLE_SHIFT = {"languageCode": "TR", "singleShift": True}


def test_a_requested_policy_accounts_message_is_split_as_it_was_counted() -> None:
    client = Client(strict_app())
    message_id = send_advanced(client, STRICT, "a" * 160, **TURKISH_SINGLE_SHIFT)
    body = page(client, f"/_smsmock/ui/messages/{message_id}")
    assert parts_drawn(body) == [149, 11]  # the single shift IE takes 3 octets of each part
    assert "2 of up to 149 septets each" in body and "Turkish (TR) single shift table" in body
    assert "split here" not in body and 'class="warning"' not in body
    assert NATIONAL_POLICY.findall(body) == ["requested"]
    assert "(the setting of account strict when the message was sent)" in body
    # The same send from the documents' account: the default alphabet, one part, policy fewest.
    body = page(
        client, f"/_smsmock/ui/messages/{send_advanced(client, ALADDIN, 'a' * 160, **TURKISH_SINGLE_SHIFT)}"
    )
    assert parts_drawn(body) == [160] and "GSM 7-bit default alphabet" in body
    assert NATIONAL_POLICY.findall(body) == ["fewest"] and "split here" not in body


def test_a_message_is_split_as_it_was_sent_whatever_its_account_does_since() -> None:
    app = strict_app()
    client = Client(app)
    added = {"name": "added", "username": "added", "password": "pw", "national_policy": "requested"}
    assert client.post("/_smsmock/accounts", json=added).status_code == 200
    added_auth = {"Authorization": "Basic " + base64.b64encode(b"added:pw").decode()}
    message_id = send_advanced(client, added_auth, "a" * 160, languageCode="PT", singleShift=True)
    assert client.post("/_smsmock/accounts", json={**added, "national_policy": "fewest"}).status_code == 200
    body = page(client, f"/_smsmock/ui/messages/{message_id}")
    # The tables the client asked for are kept with the message: Portuguese, not the first that fits.
    assert parts_drawn(body) == [149, 11] and NATIONAL_POLICY.findall(body) == ["requested"]
    assert "Portuguese (PT) single shift table" in body
    assert "account added when the message was sent" in body and "split here" not in body
    strict_id = send_advanced(client, STRICT, "a" * 160, **TURKISH_SINGLE_SHIFT)
    app.backend.accounts.rebase([{"name": "default", "username": "Aladdin", "password": "open sesame"}])
    body = page(client, f"/_smsmock/ui/messages/{strict_id}")
    assert parts_drawn(body) == [149, 11] and NATIONAL_POLICY.findall(body) == ["requested"]
    assert "split here" not in body


def _as_stored_before_tables_were_kept(message: Message) -> Message:
    kept = ("national_language", "single_shift", "locking_shift", "national_policy")
    return replace(
        message, options={name: value for name, value in message.options.items() if name not in kept}
    )


def test_an_older_message_is_split_by_the_policy_that_gives_its_count() -> None:
    """A message stored before the requested tables were kept with it: the count tells them."""
    app = strict_app()
    client = Client(app)
    stored = app.backend.store.message(send_advanced(client, STRICT, "a" * 160, **TURKISH_SINGLE_SHIFT))
    older = _as_stored_before_tables_were_kept(stored)
    assert "national_language" in stored.options and "national_language" not in older.options
    for account_policy, source in (
        ("requested", "the setting of account strict"),
        ("fewest", "account strict counts by fewest now"),
        (None, "account strict is gone"),
    ):
        taken_apart = message_anatomy(older, account_policy)
        assert taken_apart.problems == [] and taken_apart.anatomy is not None
        assert [len(part) for part in taken_apart.anatomy.segmentation.parts] == [149, 11]
        assert source in taken_apart.anatomy.policy_source


NATIONAL_OPTIONS = st.sampled_from(
    [
        {},
        *(
            {"languageCode": code, "singleShift": single, "lockingShift": locking}
            for code in ("TR", "ES", "PT")
            for single in (False, True)
            for locking in (False, True)
        ),
    ]
)


@settings(max_examples=60)
@given(
    text=st.one_of(
        st.text(alphabet="aæñçŞğüı€{", max_size=320),
        national_texts("TR", locking_shift=True, max_size=320),
        national_texts("PT", locking_shift=True, max_size=320),
    ),
    language=NATIONAL_OPTIONS,
    strict=st.booleans(),
)
def test_a_stored_text_is_taken_apart_as_its_accounts_policy_counted_it(
    text: str, language: dict[str, Any], strict: bool
) -> None:
    app = strict_app()
    message_id = send_advanced(Client(app), STRICT if strict else ALADDIN, text, **language)
    message = app.backend.store.message(message_id)
    assert message is not None
    policy = "requested" if strict else "fewest"
    taken_apart = message_anatomy(message, policy)
    assert taken_apart.problems == []
    assert taken_apart.anatomy is not None
    split = taken_apart.anatomy.segmentation
    assert (split.encoding.value, split.units, split.segments) == (
        message.encoding,
        message.units,
        message.parts,
    )
    asked = language.get("languageCode") and (language.get("singleShift") or language.get("lockingShift"))
    if split.encoding.value == "GSM7":  # the account's policy gives the count: it is the one shown
        assert split.national_policy == policy
        kept = " when the message was sent" if asked else ""
        assert taken_apart.anatomy.policy_source == f"the setting of account {message.account}{kept}"
        if split.language is not None:  # only a table the client asked for is ever used
            assert split.language == language["languageCode"]
    # A message stored before the tables were kept, its account gone: one policy still gives the count.
    assert message_anatomy(_as_stored_before_tables_were_kept(message), None).problems == []


def test_a_huge_text_draws_a_few_parts_and_says_how_many_it_left_out(client: Client) -> None:
    text = "€" * 30_000  # 60,000 septets: more than 255 parts, refused as too long, drawn all the same
    body = page(client, f"/_smsmock/ui/messages/{send(client, text=text)}")
    assert len(parts_drawn(body)) == 12
    assert f"{-(-60_000 // 152) - 12} more parts not drawn" in body
    assert "more characters not shown" in body
    assert len(body) < 200_000


def test_a_binary_message_shows_its_octets_capped(client: Client) -> None:
    octets = " ".join(f"{index % 256:02x}" for index in range(5_000))
    reply = client.post(
        "/restapi/sms/1/binary/single",
        json={"from": "InfoSMS", "to": "41793026727", "binary": {"hex": octets, "dataCoding": 0}},
        headers=ALADDIN,
    )
    assert reply.status_code == 200, reply.text
    body = page(client, f"/_smsmock/ui/messages/{reply.json['messages'][0]['messageId']}")
    assert "5000 octets" in body and "2952 more octets not shown" in body


def test_ten_thousand_destinations_are_paged_and_their_request_is_capped(client: Client) -> None:
    destinations = [f"4179{index:07d}" for index in range(10_000)]
    reply = client.post(SINGLE, json={"from": "InfoSMS", "to": destinations, "text": "Hi"}, headers=ALADDIN)
    assert reply.status_code == 200
    listing = page(client, "/")
    assert len(listed_ids(listing)) == smsmock.inbox.listing.PAGE_SIZE and "10000 messages" in listing
    journal = page(client, "/_smsmock/ui/journal")
    assert "more not shown" in journal and len(journal) < 200_000
    message = page(client, f"/_smsmock/ui/messages/{reply.json['messages'][0]['messageId']}")
    assert "and 9980 more" in message


def test_the_status_timeline_names_the_gsm_error_its_group_and_permanence(
    client: Client, app: MockApp
) -> None:
    message_id = send(client, to="15550001003")  # absent subscriber after 5 s
    body = page(client, f"/_smsmock/ui/messages/{message_id}")
    assert current_status(body) in ("MESSAGE_ACCEPTED", "PENDING_ENROUTE")
    assert "next: UNDELIVERABLE_NOT_DELIVERED, by the outcome rule &#39;absent-subscriber&#39;" in body
    app.control.advance_to_next_event()
    body = page(client, f"/_smsmock/ui/messages/{message_id}")
    assert current_status(body) == "UNDELIVERABLE_NOT_DELIVERED"
    assert "EC_ABSENT_SUBSCRIBER (27)" in body and "temporary" in body


def test_the_message_view_lists_its_exchanges_with_their_violations(client: Client) -> None:
    message_id = send_hostile(client)  # its sender breaks the contract's pattern
    body = page(client, f"/_smsmock/ui/messages/{message_id}")
    exchanges = body.split("Exchanges in the journal", 1)[1]
    assert (
        "send_text_advanced" in exchanges
        and "1 violation" in exchanges
        and "expected a string matching" in exchanges
    )


def test_the_journal_view_puts_violations_first_and_filters(client: Client) -> None:
    send(client)
    send_hostile(client)
    send(client)
    body = page(client, "/_smsmock/ui/journal")
    first = body.index('<details class="exchange')
    assert body.startswith('<details class="exchange violated"', first)
    only = page(client, "/_smsmock/ui/journal?violations=1")
    assert only.count('<details class="exchange') == 1
    assert page(client, "/_smsmock/ui/journal?dialect=qikli").count('<details class="exchange') == 0


def test_the_segmentation_page_uses_the_engine_with_national_tables(client: Client) -> None:
    body = page(client, "/_smsmock/ui/segments?text=%C5%9Eeker&language=TR&single_shift=1")
    expected = take_apart("Şeker", language="TR", single_shift=True)
    assert expected.segmentation.encoding.value == "GSM7"
    assert '<dd id="encoding">GSM7</dd>' in body and "Turkish (TR) single shift" in body
    refused = page(client, "/_smsmock/ui/segments?text=x&language=XX")
    assert "unknown national language" in refused


# the control API the page's buttons call


def test_advancing_to_the_next_event_runs_it(client: Client, app: MockApp) -> None:
    message_id = send(client, to="15550001001")  # delivered 1 s after it is sent
    answer = client.post("/_smsmock/clock/next").json
    assert answer["ran"] == 1  # sent as it was accepted, delivered a second later
    assert app.control.message(message_id)["status"] == "DELIVERED_TO_HANDSET"
    assert answer["now"] == "2030-01-01T12:00:01.000+00:00"
