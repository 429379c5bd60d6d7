"""The inbox's routes and pages: the message list, one message, the journal, segmentation, live updates.

Pages are rendered on the server from what the control API and the store answer. A page's script
polls its live endpoint, which sends the region's new HTML only when it changed (so several
processes on one Redis store all show every message), and sends every action a person takes
(an inbound message, an outcome, a fault, the clock, a reset) to the control API over HTTP.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from markupsafe import Markup
from werkzeug.wrappers import Request, Response

from smsmock.contracts.catalog import operations
from smsmock.core.rules import SETTING as RULES_SETTING
from smsmock.core.shared import decode
from smsmock.core.vocabulary import vocabulary
from smsmock.encoding import STANDARD, dialect_profiles, national_languages

# The pages' own modules are imported by the pages that use them: a mock whose inbox is never opened
# starts without them (`smsmock serve` answers its first request sooner).
if TYPE_CHECKING:
    from smsmock.inbox.listing import MessageFilters
    from smsmock.server.app import MockApp

UI_PREFIX = "/_smsmock/ui"
"""Where the inbox lives, beside the control API; `/` shows its message list too."""
CONTROL_PREFIX = UI_PREFIX.removesuffix("/ui")
"""The control API the pages call (smsmock.server.control's, which imports the app, and so this)."""

_STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_PAGE_HEADERS = {
    # Scripts and styles from the mock only: no inline script or handler runs, whatever a page holds.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class Region:
    """A part of a page that changes by itself: its HTML, a fingerprint of it, and where it is polled."""

    html: Markup
    etag: str
    live: str


class Inbox:
    """The web inbox of one mock: `respond` answers every request under / and /_smsmock/ui/."""

    def __init__(self, app: MockApp) -> None:
        self.app = app
        self._pages = {
            "": self._list,
            "journal": self._journal,
            "segments": self._segments,
            "live/messages": self._live_list,
            "live/journal": self._live_journal,
            "live/clock": self._live_clock,
        }

    def serves(self, path: str) -> bool:
        """Whether a request path (trailing slashes removed) is the inbox's."""
        return path in ("", UI_PREFIX) or path.startswith(UI_PREFIX + "/")

    def respond(self, request: Request, path: str) -> Response:
        if request.method not in ("GET", "HEAD"):
            response = self._page("problem.html", 405, title="Not allowed", problem="The inbox only shows.")
            response.headers["Allow"] = "GET, HEAD"
            return response
        rest = path[len(UI_PREFIX) + 1 :] if path.startswith(UI_PREFIX + "/") else ""
        if rest.startswith("static/"):
            return _static(request, rest.removeprefix("static/"))
        if rest.startswith("messages/"):
            return self._message(rest.removeprefix("messages/"))
        if rest.startswith("live/messages/"):
            return self._live_message(request, rest.removeprefix("live/messages/"))
        if rest.startswith("journal/"):
            return self._exchange(rest.removeprefix("journal/"))
        page = self._pages.get(rest)
        if page is None:
            return self._page(
                "problem.html", 404, title="Not found", problem=f"The inbox has no page {path}."
            )
        return page(request)

    # the message list

    def _list(self, request: Request) -> Response:
        from smsmock.inbox.listing import MessageFilters

        filters = MessageFilters.from_args(request.args)
        region = self._messages_region(filters, _cursor(request.args.get("cursor")))
        return self._page("list.html", title="Messages", section="messages", filters=filters, region=region)

    def _live_list(self, request: Request) -> Response:
        from smsmock.inbox.listing import MessageFilters

        filters = MessageFilters.from_args(request.args)
        return self._live(request, self._messages_region(filters, _cursor(request.args.get("cursor"))))

    def _messages_region(self, filters: MessageFilters, cursor: int | None) -> Region:
        from smsmock.inbox.listing import message_page
        from smsmock.inbox.rendering import render

        page = message_page(self.app.backend, filters, cursor)
        html = render("_messages.html", ui=UI_PREFIX, page=page, filters=filters)
        query = filters.query_string(cursor=cursor)
        return _region(html, f"{UI_PREFIX}/live/messages?{query}")

    # one message

    def _message(self, message_id: str) -> Response:
        from smsmock.inbox.anatomy import message_anatomy
        from smsmock.inbox.exchanges import exchanges_of

        self.app.backend.tick()
        message = self.app.backend.store.message(message_id)
        if message is None:
            return self._page(
                "problem.html", 404, title="No such message", problem=f"No message {message_id!r}."
            )
        exchanges, more_exchanges = exchanges_of(self.app.journal, message)
        account = self.app.backend.accounts.get(message.account)
        return self._page(
            "message.html",
            title=f"Message {message.id}",
            section="messages",
            message=message,
            taken_apart=message_anatomy(message, None if account is None else account.national_policy),
            region=self._message_region(message.id),
            exchanges=exchanges,
            more_exchanges=more_exchanges,
        )

    def _live_message(self, request: Request, message_id: str) -> Response:
        self.app.backend.tick()
        return self._live(request, self._message_region(message_id))

    def _message_region(self, message_id: str) -> Region:
        from smsmock.inbox.rendering import render
        from smsmock.inbox.timeline import upcoming

        message = self.app.backend.store.message(message_id)
        html = render(
            "_message_status.html",
            message=message,
            upcoming=None if message is None else upcoming(message),
            attempts=self.app.control.webhook_attempts(message_id),
        )
        return _region(html, f"{UI_PREFIX}/live/messages/{_quoted(message_id)}")

    # the journal

    def _journal(self, request: Request) -> Response:
        wanted = _journal_filters(request)
        return self._page(
            "journal.html",
            title="Journal",
            section="journal",
            wanted=wanted,
            region=self._journal_region(wanted),
        )

    def _live_journal(self, request: Request) -> Response:
        from smsmock.inbox.exchanges import journal_state

        wanted = _journal_filters(request)
        state = journal_state(self.app.journal, **wanted)
        if request.args.get("etag") == state:
            # Nothing journaled or dropped since: the page is as it was, and nothing is read or checked.
            return _json({"clock": self._clock(), "etag": state, "html": None})
        return self._live(request, self._journal_region(wanted, state))

    def _journal_region(self, wanted: dict[str, Any], state: str | None = None) -> Region:
        from smsmock.inbox.exchanges import journal_page, journal_state
        from smsmock.inbox.rendering import render

        state = state or journal_state(self.app.journal, **wanted)
        page = journal_page(self.app.journal, **wanted)

        def query(**changed: Any) -> str:
            """The journal view's query string with these filters changed."""
            given = {**wanted, **changed}
            given["violations"] = "1" if given.pop("only_violations") else None
            return urlencode({name: value for name, value in given.items() if value not in (None, "")})

        html = render("_journal.html", ui=UI_PREFIX, page=page, wanted=wanted, query=query)
        return Region(Markup(html), state, f"{UI_PREFIX}/live/journal?{query()}")

    def _exchange(self, seq: str) -> Response:
        from smsmock.inbox.exchanges import exchange, shown

        found = exchange(self.app.journal, int(seq)) if seq.isascii() and seq.isdigit() else None
        if found is None:
            problem = f"The journal keeps no exchange {seq} (it keeps the newest ones only)."
            return self._page("problem.html", 404, title="No such exchange", problem=problem)
        return self._page(
            "exchange.html", title=f"Exchange {seq}", section="journal", view=shown(found, alone=True)
        )

    # segmentation

    def _segments(self, request: Request) -> Response:
        from smsmock.inbox.anatomy import take_apart

        args = request.args
        wanted = {
            "text": args.get("text", ""),
            "language": args.get("language") or None,
            "single_shift": bool(args.get("single_shift")),
            "locking_shift": bool(args.get("locking_shift")),
            "profile": args.get("profile", ""),
            "keep_graphemes": bool(args.get("keep_graphemes")),
        }
        taken_apart, problem = None, None
        if "text" in args:
            try:
                taken_apart = take_apart(
                    wanted["text"],
                    language=wanted["language"],
                    single_shift=wanted["single_shift"],
                    locking_shift=wanted["locking_shift"],
                    profile=self._profile(wanted["profile"]),
                    keep_graphemes=wanted["keep_graphemes"],
                )
            except ValueError as error:
                problem = str(error)
        return self._page(
            "segments.html",
            title="Segments",
            section="segments",
            wanted=wanted,
            taken_apart=taken_apart,
            problem=problem,
            languages=national_languages(),
            profiles=self._text_profiles,
        )

    def _profile(self, name: str) -> Any:
        if not name:
            return STANDARD
        if name not in self._text_profiles:
            raise ValueError(f"no text profile {name!r}; choose one of the list")
        return self._text_profiles[name]

    @cached_property
    def _text_profiles(self) -> dict[str, Any]:
        """Every dialect's documented capacities for text, by `dialect:name`."""
        return {
            f"{dialect}:{name}": profile
            for dialect in self.app.dialects
            for name, profile in dialect_profiles(dialect).items()
            if profile.encoding.value != "BINARY"
        }

    # the frame every page shares

    def _page(self, template: str, status: int = 200, **context: Any) -> Response:
        from smsmock.inbox.rendering import render

        html = render(template, **{**self._frame(), **context})
        response = Response(html, status=status, content_type="text/html; charset=utf-8")
        response.headers.update(_PAGE_HEADERS)
        return response

    def _frame(self) -> dict[str, Any]:
        """What the header and the action forms of every page show."""
        words = vocabulary()
        return {
            "ui": UI_PREFIX,
            "control": CONTROL_PREFIX,
            "section": None,
            "clock": self._clock(),
            "dialects": list(self.app.dialects),
            "accounts": [account.name for account in self.app.backend.accounts.all()],
            "statuses": sorted(words.statuses.values(), key=lambda status: status.id),
            "status_groups": sorted({status.group_name for status in words.statuses.values()}),
            "gsm_errors": sorted(words.errors.values(), key=lambda error: error.id),
            "fault_codes": {name: sorted(dialect.fault_codes) for name, dialect in self.app.dialects.items()},
            "operation_ids": self._operation_ids,
            "loaded_rules": decode(self.app.settings.store.setting(RULES_SETTING)) or {},
        }

    @cached_property
    def _operation_ids(self) -> list[str]:
        return sorted({name for dialect in self.app.dialects for name in operations(dialect)})

    def _clock(self) -> dict[str, str]:
        from smsmock.inbox.rendering import moment

        clock = self.app.clock
        due = self.app.backend.store.next_due()
        if due is None:
            following = "no event due"
        else:
            following = f"next event in {max(0.0, due - clock.timestamp()):.3f} s"
        return {
            "now": moment(clock.now()) + " UTC" + (" (frozen)" if clock.frozen else ""),
            "next": following,
        }

    def _live(self, request: Request, region: Region) -> Response:
        """A region's state for the page's poll: its HTML only when it differs from the page's."""
        changed = request.args.get("etag") != region.etag
        body = {"clock": self._clock(), "etag": region.etag, "html": str(region.html) if changed else None}
        return _json(body)

    def _live_clock(self, request: Request) -> Response:
        return _json({"clock": self._clock()})


def _region(html: str, live: str) -> Region:
    return Region(Markup(html), hashlib.blake2b(html.encode(), digest_size=8).hexdigest(), live)


def _json(value: Any) -> Response:
    response = Response(json.dumps(value), status=200, content_type="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _cursor(value: str | None) -> int | None:
    """A page's cursor from the query string; anything but a cursor reads from the newest."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 18 else None


def _journal_filters(request: Request) -> dict[str, Any]:
    args = request.args
    return {
        "dialect": args.get("dialect") or None,
        "operation": args.get("operation") or None,
        "cursor": _cursor(args.get("cursor")),
        "only_violations": bool(args.get("violations")),
    }


def _quoted(value: str) -> str:
    return quote(value, safe="")


_STATIC_CACHE: dict[str, tuple[bytes, str, str]] = {}


def _static(request: Request, name: str) -> Response:
    """A file of smsmock/inbox/static, which ships in the wheel: no CDN, no network.

    Revalidated at each load (another smsmock version ships other files) against an ETag of its
    content, so a page load asks for each file and gets a bodiless 304 while it is the same.
    """
    found = _STATIC_CACHE.get(name)
    if found is None:
        from importlib.resources import files

        kind = next((media for suffix, media in _STATIC_TYPES.items() if name.endswith(suffix)), None)
        resource = files("smsmock.inbox").joinpath("static").joinpath(name)
        if kind is None or "/" in name or not resource.is_file():
            return Response("not found", status=404, content_type="text/plain; charset=utf-8")
        body = resource.read_bytes()
        found = _STATIC_CACHE[name] = (body, kind, hashlib.blake2b(body, digest_size=12).hexdigest())
    body, kind, etag = found
    response = Response(body, status=200, content_type=kind)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(etag)
    return response.make_conditional(request)
