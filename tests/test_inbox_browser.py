"""The web inbox in a real browser: headless Chromium driven by Playwright, against `smsmock serve`.

The browser is Debian's `chromium` package (`.ci/run` installs it); Playwright only drives it and
never downloads one. The server is `smsmock serve` on a free loopback port, its clock frozen, so a
status moves only when a test moves the clock through the page; every check waits for its
condition with a timeout, none sleeps. The list and message tests take the README's pictures
(`SMSMOCK_UPDATE_DOCS=1 python -m pytest tests/test_inbox_browser.py` writes them to docs/).
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Dialog, Page, expect, sync_playwright

from smsmock.encoding import segment

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
"""Debian's Chromium (`apt-get install chromium`), or the one $CHROMIUM names."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000
"""How long a check waits for its condition on a loaded machine (the page polls every 0.7 s)."""
STARTUP = 30.0
AUTH = {"Authorization": "Basic " + base64.b64encode(b"Aladdin:open sesame").decode()}
NOT_FINAL = re.compile("^(MESSAGE_ACCEPTED|PENDING_ENROUTE)$")
"""A message sent, its outcome still to come."""
CONFIG = """\
clock: {start: "2030-01-01T12:00:00+00:00", frozen: true}
"""


@dataclass
class Served:
    """A `smsmock serve` process and the root URL it printed."""

    process: subprocess.Popen[str]
    root: str

    @property
    def port(self) -> int:
        return int(self.root.rsplit(":", 1)[1])

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        """One request; a JSON reply decoded, any other as text."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        sent = {**({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})}
        request = urllib.request.Request(self.root + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, kind, text = (
                    reply.status,
                    reply.headers.get("Content-Type", ""),
                    reply.read().decode(),
                )
        except urllib.error.HTTPError as error:
            status, kind, text = error.code, error.headers.get("Content-Type", ""), error.read().decode()
        return status, json.loads(text) if kind.startswith("application/json") else text

    def send(self, text: str, to: str = "41793026727", sender: str = "InfoSMS") -> str:
        """A shortlink text message; its id."""
        status, reply = self.call(
            "POST", "/restapi/sms/1/text/single", {"from": sender, "to": to, "text": text}, headers=AUTH
        )
        assert status == 200, reply
        return reply["messages"][0]["messageId"]

    def messages(self) -> list[dict[str, Any]]:
        return self.call("GET", "/_smsmock/messages")[1]["items"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    config = tmp_path_factory.mktemp("inbox") / "smsmock.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "smsmock", "serve", "--port", "0", "--quiet", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("smsmock serving on "), first or process.communicate(timeout=STARTUP)[1]
        line = first
        while line and not line.startswith("Ctrl-C"):
            line = process.stdout.readline()
        yield Served(process, first.strip().removeprefix("smsmock serving on "))
    finally:
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    # Never skipped: without a browser the tests fail and say how to get one.
    assert CHROMIUM, "no chromium on PATH: install Debian's (apt-get install chromium), as .ci/run does"
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class InboxPage:
    """The inbox open in a tab (a page object, as smtp4dev's browser tests keep them)."""

    page: Page
    served: Served
    dialogs: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def open(self, path: str = "/", root: str | None = None) -> None:
        self.page.goto((root or self.served.root) + path)
        # A flag a reload would clear: the live updates must come without one.
        self.page.evaluate("window.__sameDocument = true")

    def still_the_same_document(self) -> bool:
        return self.page.evaluate("window.__sameDocument === true")

    def row(self, text: str) -> Any:
        return self.page.locator("table.messages tbody tr", has_text=text)

    def result(self) -> Any:
        return self.page.locator("#action-result")

    def nothing_ran(self) -> None:
        """No script of a client's ran: no flag set, no dialog, no element made from their text."""
        assert self.page.evaluate("typeof window.__pwned") == "undefined"
        assert self.dialogs == []
        for made in ("img", "script:not([src])", "[onerror]", "[onmouseover]", "b"):
            assert self.page.locator(made).count() == 0, made


@pytest.fixture
def inbox(served: Served, browser: BrowserContext) -> Iterator[InboxPage]:
    assert served.call("POST", "/_smsmock/reset")[0] == 200
    page = browser.new_page()
    opened = InboxPage(page, served)

    def on_dialog(dialog: Dialog) -> None:
        opened.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: opened.script_errors.append(str(error)))
    page.set_default_timeout(WAIT_MS)
    yield opened
    page.close()
    assert opened.script_errors == [], "the inbox's own script failed"


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """A picture of the page for the README: written to docs/ when SMSMOCK_UPDATE_DOCS is set (a
    picture differs at every run, so a plain test run leaves the tree as it found it)."""
    picture = page.screenshot(full_page=full_page)
    assert picture.startswith(b"\x89PNG"), "a PNG of the page"
    if os.environ.get("SMSMOCK_UPDATE_DOCS"):
        DOCS.mkdir(exist_ok=True)
        (DOCS / name).write_bytes(picture)


# the list


def test_a_message_sent_through_any_dialect_appears_in_the_open_list_without_a_reload(
    inbox: InboxPage, served: Served
) -> None:
    inbox.open("/")
    expect(inbox.page.get_by_text("No message yet")).to_be_visible()
    served.send("Your code is 482913", to="41793026727", sender="MyShop")
    expect(inbox.row("Your code is 482913")).to_be_visible(timeout=WAIT_MS)
    assert inbox.still_the_same_document()
    # The other four dialects, each on its own wire.
    served.call(
        "POST",
        "/sms/2/text/advanced",
        {
            "messages": [
                {"from": "InfoSMS", "destinations": [{"to": "447700900123"}], "text": "Hello from qikli"}
            ]
        },
        headers=AUTH,
    )
    query = urllib.parse.urlencode(
        {
            "username": "Aladdin",
            "password": "open sesame",
            "type": 0,
            "dlr": 0,
            "destination": "15550001003",
            "source": "Shop",
            "message": "Hi {name}, your order ships today",
        }
    )
    served.call("GET", f"/bulksms/bulksms?{query}")
    xml = (
        '<xml_request name="sms_send"><xml_user lgn="Aladdin" pwd="open sesame"/>'
        '<sms sms_id="1" number="4915112345678" source_number="Shop">Grüße &amp; ¡hola! 😀</sms>'
        "</xml_request>"
    )
    served.call("POST", "/quicktel/xml", raw=xml.encode(), headers={"Content-Type": "application/xml"})
    query = urllib.parse.urlencode(
        {
            "key": "test-api-key",
            "mobile": "447483938220",
            "sender": "InfoSMS",
            "msgtext": "Hello How Are You",
            "ref": "h01txyo25k",
        }
    )
    served.call("GET", f"/api/sms/send_sms.php?{query}")
    for text in ("Hello from qikli", "your order ships today", "¡hola!", "Hello How Are You"):
        expect(inbox.row(text)).to_be_visible(timeout=WAIT_MS)
    expect(inbox.page.locator("table.messages tbody tr")).to_have_count(5)
    dialects = inbox.page.locator("table.messages tbody tr td:nth-child(2)").all_inner_texts()
    assert dialects == ["sendsms", "quicktel", "unified", "qikli", "shortlink"], "newest first"
    assert inbox.still_the_same_document()
    screenshot(inbox.page, "inbox-list.png")


# a message


def part_units(page: Page) -> list[int]:
    return [
        int(units)
        for units in page.locator("li.part").evaluate_all("parts => parts.map(p => p.dataset.units)")
    ]


def test_the_message_view_shows_the_parts_and_marks_the_two_septet_euro(
    inbox: InboxPage, served: Served
) -> None:
    text = "a" * 152 + "€" + "b" * 152
    served.send(text, to="41793026727", sender="InfoSMS")
    inbox.open("/")
    inbox.row("aaaa").locator("td.text a").click()
    expect(inbox.page.locator("li.part")).to_have_count(3)
    # The engine's split, as `smsmock segments` prints it: 152 + 153 septets, and 1 with 152 left.
    assert part_units(inbox.page) == list(segment(text).part_units) == [152, 153, 1]
    expect(inbox.page.locator("#part-count")).to_have_text(
        "3 of up to 153 septets each, 152 left in the last"
    )
    euro = inbox.page.locator("li.part").nth(1).locator("mark.extension")
    expect(euro).to_have_text("€")
    assert "two septets" in (euro.get_attribute("title") or "")
    expect(inbox.page.locator("#encoding")).to_have_text("GSM7")
    screenshot(inbox.page, "inbox-message.png", full_page=True)


def test_a_ucs2_text_with_an_emoji_on_a_boundary_shows_the_right_parts(
    inbox: InboxPage, served: Served
) -> None:
    text = "x" * 66 + "😀" + "y" * 10
    message_id = served.send(text)
    inbox.open(f"/_smsmock/ui/messages/{message_id}")
    expect(inbox.page.locator("#encoding")).to_have_text("UCS2")
    # 67 UTF-16 units fit a part; the emoji's two would straddle the boundary, so it starts part 2.
    assert part_units(inbox.page) == list(segment(text).part_units) == [66, 12]
    parts = inbox.page.locator("li.part pre.text")
    expect(parts.nth(0)).to_have_text("x" * 66)
    expect(parts.nth(1)).to_have_text("😀" + "y" * 10)
    emoji = inbox.page.locator("li.part").nth(1).locator("mark.pair.ucs2")
    expect(emoji).to_have_text("😀")
    assert "surrogate pair" in (emoji.get_attribute("title") or "")


# acting as the handset and the provider


def test_an_inbound_message_composed_in_the_page_is_pulled_once_through_its_dialect(
    inbox: InboxPage, served: Served
) -> None:
    inbox.open("/")
    form = inbox.page.locator("form[data-action=inbound]")
    form.locator("[name=from]").fill("41793026727")
    form.locator("[name=to]").fill("41793026700")
    form.locator("[name=text]").fill("STOP please, no more")
    form.locator("[name=dialect]").select_option("shortlink")
    form.get_by_role("button").click()
    expect(inbox.result()).to_contain_text("waits in shortlink's inbox of default")
    status, first = served.call("GET", "/restapi/sms/1/inbox/reports", headers=AUTH)
    assert status == 200 and [(item["from"], item["text"]) for item in first["results"]] == [
        ("41793026727", "STOP please, no more")
    ]
    assert served.call("GET", "/restapi/sms/1/inbox/reports", headers=AUTH)[1]["results"] == [], "read once"


def test_advancing_the_clock_in_the_page_moves_the_status_on_the_open_page(
    inbox: InboxPage, served: Served
) -> None:
    message_id = served.send("Your parcel is on its way", to="41793026727")  # delivered 3 s after sending
    inbox.open(f"/_smsmock/ui/messages/{message_id}")
    status = inbox.page.locator("#current-status")
    expect(status).to_have_text(NOT_FINAL)
    inbox.page.locator("button[data-advance='5']").click()
    expect(status).to_have_text("DELIVERED_TO_HANDSET", timeout=WAIT_MS)
    expect(inbox.page.locator("#clock-now")).to_contain_text("2030-01-01 12:00:05.000")
    expect(inbox.page.locator("ol.timeline li")).to_have_count(3)
    assert inbox.still_the_same_document()


def test_an_outcome_and_a_fault_set_in_the_page_decide_what_comes_next(
    inbox: InboxPage, served: Served
) -> None:
    inbox.open("/")
    outcome = inbox.page.locator("form[data-action=outcome]")
    outcome.locator("[name=to]").fill("+41 79 555 00 01")
    outcome.locator("[name=status]").select_option("UNDELIVERABLE_NOT_DELIVERED")
    outcome.locator("[name=error]").select_option("EC_UNKNOWN_SUBSCRIBER")
    outcome.locator("[name=after]").fill("2")
    outcome.get_by_role("button").click()
    expect(inbox.result()).to_contain_text("Messages sent to 41795550001 from now on")
    fault = inbox.page.locator("form[data-action=fault]")
    fault.locator("[name=dialect]").select_option("shortlink")
    fault.locator("[name=kind]").select_option("status")
    fault.locator("[name=value]").fill("503")
    fault.get_by_role("button").click()
    expect(inbox.result()).to_contain_text("injected")

    refused = served.call(
        "POST",
        "/restapi/sms/1/text/single",
        {"from": "Shop", "to": "41795550001", "text": "first"},
        headers=AUTH,
    )
    assert refused[0] == 503, "the fault answers the next send, once"
    served.send("second", to="41795550001")
    expect(inbox.row("second").locator(".status")).to_have_text(NOT_FINAL, timeout=WAIT_MS)
    inbox.page.locator("button[data-next-event]").click()  # its outcome, 2 s after it was sent
    expect(inbox.row("second")).to_contain_text("UNDELIVERABLE_NOT_DELIVERED", timeout=WAIT_MS)
    expect(inbox.row("second")).to_contain_text("EC_UNKNOWN_SUBSCRIBER")


# security


HOSTILE_TEXT = '<script>window.__pwned = "text"; alert("text")</script>\x1b\u202e'
HOSTILE_SENDER = '"><img src=x onerror="window.__pwned=\'sender\'; alert(1)">'
HOSTILE_BULK_ID = "<script>window.__pwned='bulkId'</script>"
HOSTILE_URL = "http://127.0.0.1:9/\"><img/src=x/onerror=alert('notifyUrl')>"  # no space: it is a URL
HOSTILE_HEADER = "<script>alert('header')</script>"
ATTACKER = '<!doctype html><title>another site</title><form method="post" enctype="text/plain"></form>'


def test_client_data_is_shown_as_text_and_never_runs(inbox: InboxPage, served: Served) -> None:
    inbox.open("/")  # open first: the hostile message arrives through a live update
    status, reply = served.call(
        "POST",
        "/restapi/sms/1/text/advanced",
        {
            "bulkId": HOSTILE_BULK_ID,
            "messages": [
                {
                    "from": HOSTILE_SENDER,
                    "destinations": [{"to": "41793026727", "messageId": "<b onmouseover=alert('id')>x</b>"}],
                    "text": HOSTILE_TEXT,
                    "notifyUrl": HOSTILE_URL,
                    "callbackData": "<b onmouseover=alert('callbackData')>",
                }
            ],
        },
        headers={**AUTH, "User-Agent": HOSTILE_HEADER},
    )
    assert status == 200, reply
    row = inbox.row("window.__pwned")
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(row.locator("td.sender")).to_have_text(HOSTILE_SENDER)
    inbox.nothing_ran()

    row.locator("td.text a").click()
    expect(inbox.page.locator("dd.bulk-id")).to_have_text(HOSTILE_BULK_ID)
    expect(inbox.page.locator("dd.notify-url")).to_have_text(HOSTILE_URL)
    expect(inbox.page.locator("pre.text.sent")).to_have_text(
        '<script>window.__pwned = "text"; alert("text")</script>\\x1b\\u202e'
    )
    inbox.page.locator("details.exchange summary").first.click()
    expect(inbox.page.locator("pre.request").first).to_contain_text(f"User-Agent: {HOSTILE_HEADER}")
    inbox.nothing_ran()

    inbox.open("/_smsmock/ui/journal")
    inbox.page.locator("details.exchange summary").first.click()
    expect(inbox.page.locator("pre.request").first).to_contain_text(HOSTILE_HEADER)
    inbox.nothing_ran()

    inbox.open("/_smsmock/ui/segments?" + urllib.parse.urlencode({"text": HOSTILE_SENDER}))
    expect(inbox.page.locator("pre.text.sent")).to_have_text(HOSTILE_SENDER)
    inbox.nothing_ran()


@pytest.fixture
def another_site() -> Iterator[str]:
    """A page of another origin on this machine: another web app the developer has open, on its port."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = ATTACKER.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            """Not logged."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_reset_from_another_origin_is_refused_and_one_from_the_page_is_not(
    inbox: InboxPage, served: Served, another_site: str
) -> None:
    served.send("keep me")
    inbox.page.goto(another_site)
    reset = f"{served.root}/_smsmock/reset"
    # A no-cors POST needs no preflight: only the mock's own check stops it.
    with inbox.page.expect_response(reset) as answered:
        inbox.page.evaluate(
            "url => fetch(url, {method: 'POST', mode: 'no-cors', body: '{}'}).catch(() => null)", reset
        )
    assert answered.value.status == 403
    # And the classic form post, which navigates to the answer.
    with inbox.page.expect_navigation():
        inbox.page.evaluate(
            "url => { const form = document.forms[0]; form.action = url; form.submit(); }", reset
        )
    refusal = json.loads(inbox.page.locator("body").inner_text())
    assert refusal["error"] == "cross-origin request refused"
    assert [message["text"] for message in served.messages()] == ["keep me"]

    inbox.open("/")
    reset = inbox.page.locator("button[data-reset]")
    reset.click()
    expect(reset).to_have_text("Click again to reset everything")
    reset.click()
    expect(inbox.result()).to_have_text("The mock is back at its start state.")
    assert served.messages() == []
    expect(inbox.page.get_by_text("No message yet")).to_be_visible(timeout=WAIT_MS)
