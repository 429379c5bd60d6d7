"""Pages from templates: the Jinja environment (autoescape on) and the filters that show client data.

Everything a client sent (texts, senders, bulk ids, URLs, headers) reaches a page through these
templates, escaped. Characters a person cannot see, and those that turn text around (bidi
overrides), are drawn as their escape code, so a text shows what it holds.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from markupsafe import Markup, escape

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
"""Control characters, zero-width characters and bidi controls; tab and line feed show as themselves."""
_CONTROL_NAMES = {"\x1b": "ESC", "\x00": "NUL", "\r": "CR", "\x0c": "FF", "\x7f": "DEL"}


def visible(text: Any) -> Markup:
    """`text` escaped, each invisible character drawn as a marked `\\xNN` / `\\uNNNN` code."""
    text = "" if text is None else str(text)
    shown: list[str] = []
    last = 0
    for found in _INVISIBLE.finditer(text):
        shown.append(escape(text[last : found.start()]))
        shown.append(_control(found.group()))
        last = found.end()
    shown.append(escape(text[last:]))
    return Markup("").join(shown)


def _control(char: str) -> Markup:
    code = ord(char)
    name = _CONTROL_NAMES.get(char, "control character")
    written = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return Markup('<span class="ctl" title="U+{:04X} {}">{}</span>').format(code, name, written)


def preview(text: Any, length: int = 48) -> Markup:
    """The start of a text on one line: runs of white space as one space, cut at `length` characters."""
    text = "" if text is None else " ".join(str(text).split())
    cut = text[:length]
    return visible(cut) + ("…" if len(text) > length else "")


def moment(value: datetime | str | None) -> str:
    """A moment of the mock's clock as a person reads it, to the millisecond, in UTC."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def plural(count: int, word: str, words: str | None = None) -> str:
    """A count and its noun: `1 part`, `3 parts` (`words` where adding an s is wrong)."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def size(count: int) -> str:
    """A byte count as a person reads it."""
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


@cache
def environment() -> Any:
    """The templates of smsmock/inbox/templates, loaded once, with autoescape on for every one."""
    # Imported here: a mock that never serves a page never pays for Jinja.
    from jinja2 import Environment, PackageLoader, StrictUndefined

    templates = Environment(
        loader=PackageLoader("smsmock.inbox", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.filters.update(visible=visible, preview=preview, moment=moment, plural=plural, size=size)
    return templates


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
