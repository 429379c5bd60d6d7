"""Hypothesis strategies for the fuzzing campaign's raw requests: each draws one `Sent`, its octets as
they go on the wire.

- `xml_requests`: quicktel's XML (and the shortlink family's XML bodies), truncated, nested deep, huge,
  in other encodings, behind BOMs, with declarations that lie, with DOCTYPEs and entity attacks;
- `form_requests`: unified and sendsms parameters in the query, a form body or a multipart body, with
  bad percent-encoding, repeated and missing keys, invalid UTF-8 and NULs;
- `json_requests`: the shortlink family's JSON bodies, their values swapped for odd ones and their
  octets broken;
- `header_requests`: a sound request of each dialect with broken Authorization, odd Content-Type and
  Accept values, and absurd Content-Length;
- `stateful_requests`: lookups of what earlier requests sent (KNOWN_ID stands for a handed-out id) and
  sends that reuse the client's references.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, quote_plus, urlencode
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st
from openapi_cases import on_loopback
from transports import documented_requests

from smsmock.contracts.validation import MAX_XML_DEPTH, MAX_XML_OCTETS
from smsmock.core.accounts import DEFAULT_ACCOUNTS

Draw = Callable[[st.SearchStrategy[Any]], Any]
ACCOUNT = DEFAULT_ACCOUNTS[0]
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT['username']}:{ACCOUNT['password']}".encode()).decode()
SINK = "http://127.0.0.1:9/callback"
"""Where generated notifyUrls point: a closed port on this machine, so every callback fails at once and
its report is queued for pulling after the retries."""
KNOWN_ID = "{{known-id}}"
"""Stands in a generated request for the id of a message the mock handed out earlier in the campaign."""


@dataclass(frozen=True, slots=True)
class Sent:
    """One generated request, its query and body as the octets that go on the wire."""

    dialect: str
    category: str
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""
    headers: tuple[tuple[str, bytes], ...] = ()
    content_length: str | None = None
    """A Content-Length sent instead of the body's own (absurd, negative, not a number)."""
    pick: int = 0
    """Which of the known ids fills a KNOWN_ID placeholder."""

    @property
    def honest_framing(self) -> bool:
        """Whether the Content-Length header (if any) tells the body's real length."""
        return self.content_length is None or self.content_length.strip() == str(len(self.body))

    def shown(self) -> dict[str, Any]:
        """The request as a finding quotes it."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query[:300].decode("latin-1"),
            "headers": {name: value[:120].decode("latin-1") for name, value in self.headers},
            "contentLength": self.content_length,
            "body": self.body[:400].decode("utf-8", "replace"),
            "bodyLength": len(self.body),
        }


# --- values --------------------------------------------------------------------------------------------

NUMBERS = (
    "41793026727",
    "41793026834",
    "447483938220",
    "15550001001",
    "15550001003",
    "15550001005",
    "15550001006",
    "15550001009",
    "15550001014",
    "15550001016",
    "15550003013",
    "15550021234",
    "0791234567",
)
"""Destinations the default outcome rules answer in different ways (delivered, rejected, expired, ...)."""
ODD_STRINGS = (
    "",
    " ",
    "\x00",
    "\t\r\n",
    "%",
    "%00",
    "+",
    "&",
    "=",
    "é",
    "€[]{}^~|\\",
    "😀",
    "👨‍👩‍👧",
    "\u202e",
    "\ufeff",
    "\ufffe",
    "\x7f\x1b",
    "null",
    "[]",
    "{}",
    "<x>",
    "&amp;",
    "]]>",
    "'\"",
    "1e999",
    "-1",
    "0",
    "NaN",
    "../../etc/passwd",
    "a" * 300,
    "ÿ" * 40,
)
TEXTS = (
    "hi",
    "Test SMS.",
    "€uro [price] {x} ^~|\\",
    "Ünïcödé 😀 ok",
    "Türkçe karakterli ğüşıöç",
    "Привет, мир",
    "x" * 161,
    "€" * 81,
    "😀" * 36,
    "STOP please",
    "a&b<c>d\"e'f",
)
_QUICKTEL_USER = f'<xml_user lgn="{ACCOUNT["username"]}" pwd="{ACCOUNT["password"]}"/>'
_UNIFIED_CREDENTIALS = {"username": ACCOUNT["username"], "password": ACCOUNT["password"]}
REFS = ("r1", "r2", "ref-1", "h01txyo25k", "42")
"""sendsms references and quicktel sms_ids drawn from a small set, so sends reuse them."""
SENDERS = ("InfoSMS", "41793026700", "Sender12345", "Abc", "12", "TooLongSenderId", "")


def odd_text(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(ODD_STRINGS), st.text(max_size=max_size))


def texts() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(TEXTS), st.text(max_size=200), odd_text())


def numbers() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NUMBERS), st.from_regex(r"\+?[0-9]{1,17}", fullmatch=True), odd_text(20))


def notify_urls() -> st.SearchStrategy[str]:
    """Callback URLs that reach no other machine: the sink, and URLs the sender cannot open at all."""
    return st.sampled_from(
        [
            SINK,
            SINK + "?a=1&b=%ZZ",
            "http://127.0.0.1:9/\x00",
            "http://127.0.0.1:9/a b",
            "http://\x14\x02)/",
            "http://[::1/",
            "http://127.0.0.1:99999/",
            "http://127.0.0.1:abc/",
            "ftp://127.0.0.1:9/x",
            "file:///nonexistent",
            "data:text/plain,x",
            "javascript:alert(1)",
            "not a url",
            "",
            "http://",
            "//127.0.0.1:9/x",
            "http://127.0.0.1:9/" + "a" * 5000,
            "http://user:pw@127.0.0.1:9/",
            "http://127.0.0.1:9/é😀",
        ]
    )


# --- XML ---------------------------------------------------------------------------------------------

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
QUICKTEL_PATH = "/quicktel/xml"
BILLION_LAUGHS = "".join(
    [
        "<!DOCTYPE xml_request [",
        '<!ENTITY lol "lol">',
        *(
            f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
            for n in range(1, 10)
        ),
        "]>",
    ]
)
ENTITY_ATTACKS = (
    (BILLION_LAUGHS, "&lol9;"),
    ('<!DOCTYPE xml_request [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
    ('<!DOCTYPE xml_request [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>', "&xxe;"),
    ('<!DOCTYPE xml_request [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>', ""),
    ('<!DOCTYPE xml_request SYSTEM "http://127.0.0.1:9/x.dtd">', ""),
    ('<!DOCTYPE xml_request PUBLIC "-//x//y" "file:///etc/passwd">', ""),
    ('<!DOCTYPE xml_request [<!ENTITY a "' + "a" * 20000 + '">]>', "&a;" * 200),
    ("<!DOCTYPE xml_request []>", ""),
    ('<!DOCTYPE xml_request [<!ELEMENT xml_request ANY><!ATTLIST sms number CDATA "1">]>', ""),
    ('<!DOCTYPE xml_request [<!ENTITY amp "&#38;#38;">]>', "&amp;"),
    ('<!DOCTYPE xml_request [<!ENTITY recursive "&recursive;">]>', "&recursive;"),
)
"""(a DOCTYPE put after the declaration, a reference put in an element's text)."""
ENCODINGS = (
    "utf-8",
    "utf-8",
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "cp1251",
    "latin-1",
)
DECLARED = ("UTF-8", "utf-8", "windows-1251", "UTF-16", "ISO-8859-1", "KOI8-R", "bogus", "EBCDIC-CP-US", "")
BROKEN_OCTETS = (
    b"\xff",
    b"\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf4\x90\x80\x80",
    b"\x00",
    b"\x1b",
    b"\xef\xbb\xbf",
)
XML_TYPES = (
    "application/xml",
    "application/xml",
    "text/xml",
    "application/xml; charset=windows-1251",
    "text/xml; charset=utf-16",
    "application/soap+xml",
    None,
    "text/plain",
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/xml; charset=",
    "xml",
)


@st.composite
def quicktel_documents(draw: Draw) -> str:
    """A quicktel request as text: either request, sound or not, escaped as XML wants."""
    name = draw(st.sampled_from(["sms_send"] * 5 + ["sms_status2"] * 3 + ["", "SMS_SEND", "other"]))
    parts = [XML_DECLARATION if draw(st.booleans()) else "", f"<xml_request name={quoteattr(name)}>"]
    credentials = draw(
        st.sampled_from(["good"] * 6 + ["bad", "empty", "missing", "twice", "no-password", "odd"])
    )
    login, password = ACCOUNT["username"], ACCOUNT["password"]
    if credentials == "bad":
        password = "wrong"
    elif credentials == "empty":
        login = password = ""
    elif credentials == "odd":
        login, password = draw(odd_text()), draw(odd_text())
    user = f"<xml_user lgn={quoteattr(login)} pwd={quoteattr(password)}/>"
    if credentials == "no-password":
        user = f"<xml_user lgn={quoteattr(login)}/>"
    if credentials != "missing":
        parts.append(user)
    if credentials == "twice":
        parts.append(user)
    count = draw(st.sampled_from([1, 1, 1, 2, 3, 0, 5]))
    for _ in range(count):
        if name == "sms_status2" or (name not in ("sms_send",) and draw(st.booleans())):
            push_id = draw(st.sampled_from([KNOWN_ID, KNOWN_ID, "123456789012345678", ""]) | odd_text())
            parts.append(f"<sms push_id={quoteattr(push_id)}/>")
            continue
        attributes = {
            # Mostly new ids, so sends make new pushes; the client's few favourites are resends.
            "sms_id": draw(
                st.one_of(
                    st.integers(0, 10**15).map(str),
                    st.integers(0, 10**15).map(str),
                    st.sampled_from(REFS),
                    st.from_regex(r"[0-9]{1,50}", fullmatch=True),
                    odd_text(60),
                )
            ),
            "number": draw(numbers()),
            "source_number": draw(st.sampled_from(SENDERS) | odd_text(20)),
        }
        if draw(st.booleans()):
            attributes["ttl"] = draw(
                st.sampled_from(["1", "60", "0", "-5", "1e3", "99999999999999999999"]) | odd_text()
            )
        dropped = draw(st.sampled_from([None] * 6 + ["sms_id", "number", "source_number"]))
        attributes.pop(dropped, None)
        if draw(st.integers(0, 9)) == 0:
            attributes[draw(st.sampled_from(["push_id", "extra", "Number"]))] = "1"
        text = escape(draw(texts()))
        if draw(st.integers(0, 9)) == 0:
            text = f"<![CDATA[{draw(texts())}]]>" if draw(st.booleans()) else f"<!-- c -->{text}<?pi x?>"
        shown = " ".join(f"{key}={quoteattr(value)}" for key, value in attributes.items())
        parts.append(f"<sms {shown}>{text}</sms>")
    if draw(st.integers(0, 9)) == 0:
        parts.append(draw(st.sampled_from(["<unknown/>", "text between", "<sms/>", "<xml_user/>"])))
    parts.append("</xml_request>")
    return "".join(parts)


def family_xml_bodies(paths: dict[str, list[str]]) -> st.SearchStrategy[tuple[str, str]]:
    """(path, XML body) from the shortlink family's documented XML requests, their texts swapped."""
    examples = [
        (ex["path"], ex["body"]) for _, ex in documented_requests(["shortlink"]) if ex["format"] == "xml"
    ]

    @st.composite
    def bodies(draw: Draw) -> tuple[str, str]:
        path, body = draw(st.sampled_from(examples))
        path = draw(st.sampled_from(paths.get(path, [path])))
        body = body.replace("http://www.example.com/sms/advanced", SINK).replace(
            "http://example.com/notifyUrl", SINK
        )
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            return path, body
        leaves = [element for element in root.iter() if len(element) == 0]
        for element in draw(st.lists(st.sampled_from(leaves), max_size=3)) if leaves else []:
            if element.tag == "notifyUrl":
                element.text = draw(notify_urls())
            else:
                element.text = draw(st.one_of(texts(), numbers()))
        if draw(st.integers(0, 5)) == 0 and leaves:
            parent = draw(st.sampled_from([element for element in root.iter() if len(element)] or [root]))
            parent.append(ElementTree.Element(draw(st.sampled_from(["to", "messages", "x", "destinations"]))))
        text = ElementTree.tostring(root, encoding="unicode")
        return path, (XML_DECLARATION if draw(st.booleans()) else "") + _xml_safe(text)

    return bodies()


def _xml_safe(text: str) -> str:
    """What ElementTree writes, with the characters XML cannot carry at all swapped (they are tested raw
    by the octet mutations instead)."""
    return "".join(
        char if char in "\t\n\r" or 0x20 <= ord(char) not in (0xFFFE, 0xFFFF) else "\ufffd" for char in text
    )


@st.composite
def xml_octets(draw: Draw, document: str, *, huge: bool) -> bytes:
    """A document's octets, broken one way or another (or sound)."""
    how = draw(
        st.sampled_from(
            ["sound"] * 4
            + ["truncated", "deep", "entity", "encoding", "declared", "octets", "octets", "nul", "whitespace"]
            + (["huge"] if huge else [])
        )
    )
    if how == "deep":
        depth = draw(
            st.sampled_from(
                [MAX_XML_DEPTH - 2, MAX_XML_DEPTH - 1, MAX_XML_DEPTH, MAX_XML_DEPTH + 1, 100, 5000, 60000]
            )
        )
        closed = draw(st.booleans())
        nested = "<a>" * depth + ("</a>" * depth if closed else "")
        document = _into_first_element(document, nested)
    elif how == "entity":
        doctype, reference = draw(st.sampled_from(ENTITY_ATTACKS))
        document = _with_doctype(document, doctype)
        document = _into_first_element(document, reference) if reference else document
    elif how == "declared":
        declared = draw(st.sampled_from(DECLARED))
        body = document.split("?>", 1)[1] if document.startswith("<?xml") else document
        document = f'<?xml version="1.0" encoding="{declared}"?>' + body
    elif how == "whitespace":
        document = (
            draw(st.sampled_from(["\n\n", "   ", "\ufeff", "\t"]))
            + document
            + draw(st.sampled_from(["", "\n", " garbage", "<x/>"]))
        )
    elif how == "huge":
        document = _huge(draw, document)
    if how == "encoding":
        encoding = draw(st.sampled_from(ENCODINGS))
        octets = document.encode(encoding, errors="replace")
    else:
        octets = document.encode("utf-8")
    if how == "truncated":
        octets = octets[: draw(st.integers(0, max(0, len(octets) - 1)))]
    elif how in ("octets", "nul"):
        inserted = b"\x00" if how == "nul" else draw(st.sampled_from(BROKEN_OCTETS))
        at = draw(st.integers(0, len(octets)))
        octets = octets[:at] + inserted + octets[at:]
    return octets


def _into_first_element(document: str, inserted: str) -> str:
    """`inserted` as the content of the document's first element that has text, else before its last tag."""
    for marker in ("</sms>", "</text>", "</to>", "</xml_request>", "</request>"):
        at = document.find(marker)
        if at >= 0:
            return document[:at] + inserted + document[at:]
    return document + inserted


def _with_doctype(document: str, doctype: str) -> str:
    if document.startswith("<?xml"):
        declaration, _, rest = document.partition("?>")
        return declaration + "?>" + doctype + rest
    return doctype + document


def _huge(draw: Draw, document: str) -> str:
    """A request far beyond what the documents show: 251 sms, a text of 70 000 characters, or a body just
    over the parsers' megabyte."""
    kind = draw(st.sampled_from(["many", "long-text", "megabyte", "attributes"]))
    if kind == "many":
        count = draw(st.sampled_from([250, 251, 1000]))
        sms = "".join(
            f'<sms sms_id="{n}" number="41793026727" source_number="Info">x</sms>' for n in range(count)
        )
        return _into_first_element(document.replace("</xml_request>", sms + "</xml_request>"), "")
    if kind == "long-text":
        return _into_first_element(document, "y" * 70000)
    if kind == "attributes":
        return document.replace(
            "<xml_request", "<xml_request " + " ".join(f'a{n}="x"' for n in range(20000)), 1
        )
    padding = MAX_XML_OCTETS + 1 - len(document.encode())
    return _into_first_element(document, "z" * max(1, padding))


@st.composite
def quicktel_octets(draw: Draw, *, huge: bool) -> tuple[bytes, str | None]:
    """A quicktel body and its Content-Type: XML as the body, or in the form field `xml`."""
    octets = draw(xml_octets(draw(quicktel_documents()), huge=huge))
    transport = draw(
        st.sampled_from(["raw"] * 4 + ["form", "form-raw", "form-broken", "form-twice", "form-missing"])
    )
    if transport == "raw":
        return octets, draw(st.sampled_from(XML_TYPES))
    form_type = draw(
        st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=windows-1251",
                None,
                "text/plain",
            ]
        )
    )
    if transport == "form":
        return b"xml=" + quote_plus(octets).encode(), form_type
    if transport == "form-raw":
        return b"xml=" + octets, form_type
    if transport == "form-twice":
        return b"xml=" + quote_plus(octets).encode() + b"&xml=" + quote_plus(octets[:20]).encode(), form_type
    if transport == "form-missing":
        return b"other=" + quote_plus(octets).encode(), form_type
    encoded = quote_plus(octets).encode()
    at = draw(st.integers(0, len(encoded)))
    return b"xml=" + encoded[:at] + draw(
        st.sampled_from([b"%", b"%G1", b"%z", b"%%", b"%F", b"%FF%FE", b"%00"])
    ) + encoded[at:], form_type


def xml_requests(dialect: str, paths: dict[str, list[str]], *, huge: bool) -> st.SearchStrategy[Sent]:
    """XML requests of a dialect: quicktel's whole protocol, or the family's XML bodies."""

    @st.composite
    def requests(draw: Draw) -> Sent:
        if dialect == "quicktel":
            body, content_type = draw(quicktel_octets(huge=huge))
            method = draw(st.sampled_from(["POST"] * 12 + ["GET", "PUT"]))
            headers = () if content_type is None else (("Content-Type", content_type.encode()),)
            return Sent(
                dialect,
                "xml",
                method,
                QUICKTEL_PATH,
                body=body,
                headers=headers,
                pick=draw(st.integers(0, 1 << 16)),
            )
        path, document = draw(family_xml_bodies(paths))
        if dialect == "qikli":
            path = "/sms/2/text/advanced"
        body = draw(xml_octets(document, huge=huge))
        content_type = draw(st.sampled_from(XML_TYPES[:6] + ("application/xml",) * 4 + (None,)))
        headers = [("Authorization", BASIC.encode())]
        if content_type is not None:
            headers.append(("Content-Type", content_type.encode()))
        if draw(st.booleans()):
            headers.append(
                ("Accept", draw(st.sampled_from([b"application/xml", b"application/json", b"*/*"])))
            )
        return Sent(dialect, "xml", "POST", path, body=body, headers=tuple(headers))

    return requests()


# --- parameters ----------------------------------------------------------------------------------------

UNIFIED_PATHS = ("/bulksms/bulksms", "/bulksms/bulksms", "/bulksms/schedulemsg")
SENDSMS_PATHS = ("/api/sms/send_sms.php", "/api/sms/send_sms.php", "/api/sms/dlr.php")
FORM_TYPES = (
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "application/x-www-form-urlencoded; charset=windows-1251",
    "Application/X-WWW-Form-Urlencoded",
    None,
    "text/plain",
    "application/json",
    "multipart/form-data",
    "multipart/form-data; boundary=",
)
BROKEN_PERCENT = (
    b"%",
    b"%G1",
    b"%z",
    b"%%",
    b"%4",
    b"%%41",
    b"%u0041",
    b"%FF%FE",
    b"%C3",
    b"%ED%A0%80",
    b"%C0%AF",
    b"%00",
    b"\x00",
    b"\xff",
    b"\xc3\x28",
)


@st.composite
def unified_pairs(draw: Draw) -> list[tuple[str, str]]:
    kind = draw(st.sampled_from(["0", "0", "1", "2", "5", "6", "3", "4", "7", "8", "", "x"]))
    text = draw(texts())
    if kind in ("2", "6") and draw(st.booleans()):
        text = text.encode("utf-16-be").hex().upper()
    destinations = draw(st.lists(numbers(), min_size=1, max_size=4))
    pairs = [
        ("username", draw(st.sampled_from([ACCOUNT["username"]] * 5 + ["nobody", ""]) | odd_text())),
        ("password", draw(st.sampled_from([ACCOUNT["password"]] * 5 + ["wrong", ""]) | odd_text())),
        ("type", kind),
        ("dlr", draw(st.sampled_from(["0", "1", "1", "2", "", "yes"]))),
        ("destination", ",".join(destinations)),
        ("source", draw(st.sampled_from((*SENDERS, "+4179302670", "1" * 19)) | odd_text(20))),
        ("message", text),
    ]
    if draw(st.booleans()):
        pairs += [
            (
                "date",
                draw(
                    st.sampled_from(["03/03/2018", "12/31/2099", "02/30/2030", "13/01/2030", "1/1/2030", ""])
                    | odd_text(12)
                ),
            ),
            (
                "time",
                draw(
                    st.sampled_from(["03:45 am", "11:51 pm", "00:00 am", "12:59 pm", "13:00 pm", "3:45 am"])
                    | odd_text(10)
                ),
            ),
            (
                "gmt",
                draw(
                    st.sampled_from(["GMT +1:30", "+05:30", "-10:00", "GMT +13:00", "GMT 1:30", "+1:15"])
                    | odd_text(10)
                ),
            ),
        ]
    if draw(st.integers(0, 4)) == 0:
        pairs.append(("ip", draw(odd_text())))
    return draw(_mangled(pairs))


@st.composite
def sendsms_pairs(draw: Draw, dlr: bool) -> list[tuple[str, str]]:
    key = draw(st.sampled_from([ACCOUNT["api_key"]] * 6 + ["wrong-key", ""]) | odd_text())
    pairs = [(draw(st.sampled_from(["key", "key", "Key", "KEY"])), key)]
    mobile = draw(st.sampled_from(NUMBERS[:6]) | numbers())
    ref = draw(st.sampled_from(REFS) | odd_text(20))
    if dlr:
        pairs += [("full_number", mobile), ("ref", ref)]
    else:
        pairs += [
            ("mobile", mobile),
            ("sender", draw(st.sampled_from(SENDERS) | odd_text(20))),
            ("msgtext", draw(texts())),
            ("ref", ref),
        ]
        if draw(st.booleans()):
            pairs.append(
                ("response", draw(st.sampled_from(["json", "json", "", "xml", "JSON"]) | odd_text(8)))
            )
    return draw(_mangled(pairs))


@st.composite
def _mangled(draw: Draw, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Parameters with some left out, repeated, renamed or added, in any order (or as given)."""
    pairs = list(pairs)
    if draw(st.integers(0, 2)) == 0:
        return pairs
    for _ in range(draw(st.integers(0, 3))):
        if not pairs:
            break
        at = draw(st.integers(0, len(pairs) - 1))
        name, value = pairs[at]
        change = draw(
            st.sampled_from(
                ["drop", "repeat", "repeat-other", "upper", "php-list", "empty", "add", "no-name"]
            )
        )
        if change == "drop":
            del pairs[at]
        elif change == "repeat":
            pairs.append((name, value))
        elif change == "repeat-other":
            pairs.append((name, draw(odd_text())))
        elif change == "upper":
            pairs[at] = (name.upper(), value)
        elif change == "php-list":
            pairs[at] = (name + "[]", value)
        elif change == "empty":
            pairs[at] = (name, "")
        elif change == "add":
            pairs.append(
                (
                    draw(st.sampled_from(["extra", "callback", "Username", "to", ""]) | odd_text(10)),
                    draw(odd_text()),
                )
            )
        else:
            pairs[at] = ("", value)
    if draw(st.booleans()):
        pairs = draw(st.permutations(pairs))
    return pairs


@st.composite
def encoded_pairs(draw: Draw, pairs: list[tuple[str, str]]) -> bytes:
    """Parameters as a query string or form body: mostly well encoded, some octets as no server expects."""
    encoded = []
    for name, value in pairs:
        style = draw(
            st.sampled_from(["plus"] * 6 + ["percent", "raw", "latin-1", "cp1251", "broken", "no-equals"])
        )
        key = quote_plus(name).encode()
        if style == "plus":
            text = quote_plus(value).encode()
        elif style == "percent":
            text = quote(value, safe="").encode()
        elif style == "raw":
            text = value.encode("utf-8")
        elif style in ("latin-1", "cp1251"):
            text = quote_plus(value.encode(style, errors="replace")).encode()
        elif style == "broken":
            text = quote_plus(value).encode()
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(BROKEN_PERCENT)) + text[at:]
        else:
            encoded.append(key)
            continue
        encoded.append(key + b"=" + text)
    separator = draw(st.sampled_from([b"&"] * 8 + [b";", b"&&", b"&amp;"]))
    joined = separator.join(encoded)
    return (
        draw(st.sampled_from([b"", b"&", b"?"])) + joined + draw(st.sampled_from([b"", b"", b"&", b"#frag"]))
    )


def _multipart(pairs: list[tuple[str, str]], broken: str) -> tuple[bytes, str]:
    boundary = "fuzz-boundary-7d3"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode("utf-8", "replace")
        + b"\r\n"
        for name, value in pairs
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    if broken == "no-end":
        body = body[: -len(f"--{boundary}--\r\n")]
    elif broken == "other-boundary":
        content_type = "multipart/form-data; boundary=another"
    elif broken == "no-boundary":
        content_type = "multipart/form-data"
    elif broken == "truncated":
        body = body[: len(body) // 2]
    elif broken == "many-parts":
        body = (
            b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="p{n}"\r\n\r\nx\r\n'.encode()
                for n in range(1200)
            )
            + body
        )
    return body, content_type


def form_requests(dialect: str) -> st.SearchStrategy[Sent]:
    """unified or sendsms requests: the parameters in the query, a form body, or a multipart body."""

    @st.composite
    def requests(draw: Draw) -> Sent:
        if dialect == "unified":
            path = draw(st.sampled_from(UNIFIED_PATHS))
            pairs = draw(unified_pairs())
        else:
            path = draw(st.sampled_from(SENDSMS_PATHS))
            pairs = draw(sendsms_pairs(dlr=path.endswith("dlr.php")))
        placement = draw(
            st.sampled_from(["query"] * 4 + ["form"] * 3 + ["both", "multipart", "wrong-method"])
        )
        if placement == "query":
            return Sent(dialect, "form", "GET", path, query=draw(encoded_pairs(pairs)))
        if placement == "wrong-method":
            method = draw(st.sampled_from(["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]))
            return Sent(dialect, "form", method, path, query=draw(encoded_pairs(pairs)))
        if placement == "multipart":
            broken = draw(
                st.sampled_from(
                    ["none"] * 3 + ["no-end", "other-boundary", "no-boundary", "truncated", "many-parts"]
                )
            )
            body, content_type = _multipart(pairs, broken)
            return Sent(
                dialect, "form", "POST", path, body=body, headers=(("Content-Type", content_type.encode()),)
            )
        query = b""
        if placement == "both":
            split = draw(st.integers(0, len(pairs)))
            query, pairs = draw(encoded_pairs(pairs[:split])), pairs[split:]
        content_type = draw(st.sampled_from(FORM_TYPES))
        headers = () if content_type is None else (("Content-Type", content_type.encode()),)
        return Sent(
            dialect, "form", "POST", path, query=query, body=draw(encoded_pairs(pairs)), headers=headers
        )

    return requests()


# --- JSON -------------------------------------------------------------------------------------------------

ODD_JSON = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    1e308,
    10**30,
    -(10**30),
    "",
    [],
    {},
    [[[[]]]],
    {"a": {"b": {}}},
    "x" * 3000,
)


def family_json_bodies() -> list[tuple[str, Any]]:
    """(path, value) of each documented JSON request of shortlink, its notifyUrls on this machine."""
    found = []
    for _, example in documented_requests(["shortlink"]):
        if example["format"] != "json":
            continue
        value = json.loads(example["body"])
        on_loopback(value, SINK)
        found.append((example["path"], value))
    return found


@st.composite
def odd_json(draw: Draw) -> Any:
    # A copy: a later mutation may change what it is put into, and ODD_JSON must stay as it is.
    return copy.deepcopy(
        draw(st.one_of(st.sampled_from(ODD_JSON), odd_text(), texts(), numbers(), notify_urls()))
    )


@st.composite
def mutated_json(draw: Draw, value: Any) -> Any:
    """`value` with a few of its leaves or members swapped, dropped or added."""
    value = json.loads(json.dumps(value))
    for _ in range(draw(st.integers(0, 4))):
        holders = [node for node in _containers(value) if node]
        if not holders:
            break
        holder = draw(st.sampled_from(holders))
        key = draw(st.sampled_from(list(holder) if isinstance(holder, dict) else list(range(len(holder)))))
        change = draw(st.sampled_from(["swap", "swap", "swap", "drop", "add", "listed"]))
        if change == "swap":
            holder[key] = draw(odd_json())
        elif change == "drop":
            del holder[key]
        elif change == "add" and isinstance(holder, dict):
            holder[
                draw(
                    st.sampled_from(["extra", "messageId", "bulkId", "notifyUrl", "sendAt", "validityPeriod"])
                )
            ] = draw(odd_json())
        elif change == "listed":
            holder[key] = [holder[key]]
    return value


def _containers(value: Any) -> list[Any]:
    found = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, (dict, list)):
            found.append(node)
            stack.extend(node.values() if isinstance(node, dict) else node)
    return found


def json_requests(dialect: str, paths: dict[str, list[str]]) -> st.SearchStrategy[Sent]:
    """The shortlink family's JSON bodies with odd values and broken octets."""
    bodies = family_json_bodies()
    if dialect == "qikli":
        bodies = [("/sms/2/text/advanced", value) for path, value in bodies if "advanced" in path]

    @st.composite
    def requests(draw: Draw) -> Sent:
        path, value = draw(st.sampled_from(bodies))
        path = draw(st.sampled_from(paths.get(path, [path])))
        value = draw(mutated_json(value))
        text = json.dumps(value, ensure_ascii=draw(st.booleans()))
        how = draw(
            st.sampled_from(
                ["sound"] * 5
                + ["truncated", "octets", "bom", "utf-16", "nan", "duplicate", "trailing", "deep"]
            )
        )
        octets = text.encode("utf-16" if how == "utf-16" else "utf-8")
        if how == "truncated":
            octets = octets[: draw(st.integers(0, max(0, len(octets) - 1)))]
        elif how == "octets":
            at = draw(st.integers(0, len(octets)))
            octets = octets[:at] + draw(st.sampled_from(BROKEN_OCTETS)) + octets[at:]
        elif how == "bom":
            octets = b"\xef\xbb\xbf" + octets
        elif how == "nan":
            octets = octets.replace(b'"', b"NaN", 1) if b'"' in octets else b"NaN"
        elif how == "duplicate" and octets.startswith(b"{") and len(octets) > 2:
            octets = b'{"to":"41793026727","to":["x"],' + octets[1:]
        elif how == "trailing":
            octets += draw(st.sampled_from([b"garbage", b"{}", b"\x00", b"//c", b",", b"\n\n"]))
        elif how == "deep":
            depth = draw(st.sampled_from([64, 512, 5000, 100000]))
            octets = b'{"messages":' + b"[" * depth + b"]" * depth + b"}"
        content_type = draw(
            st.sampled_from(
                ["application/json"] * 6
                + [
                    "application/json; charset=utf-16",
                    "text/json",
                    "application/problem+json",
                    "text/plain",
                    None,
                ]
            )
        )
        headers = [("Authorization", BASIC.encode())]
        if content_type is not None:
            headers.append(("Content-Type", content_type.encode()))
        return Sent(dialect, "json", "POST", path, body=octets, headers=tuple(headers))

    return requests()


# --- headers ------------------------------------------------------------------------------------------------

ACCEPTS = (
    b"",
    b"*/*",
    b"application/json",
    b"application/xml",
    b"text/html",
    b"application/json;q=0",
    b"application/xml;q=abc",
    b", , ,",
    b"application/json;q=NaN",
    b"application/xml;q=1e999",
    b"application/json;q=-1",
    b"application/*",
    b"text/*",
    b"*/xml",
    b"image/png, */*;q=0",
    b"application/xml;q=0.5, application/json;q=0.5",
    b"application/json; charset=utf-16",
    b"application/" + b"x" * 5000,
    b", ".join(b"type/sub%d;q=0.%d" % (n, n % 10) for n in range(800)),
    "application/jsön".encode(),
    b"\xff\xfe",
)
CONTENT_TYPES = (
    b"",
    b"application/json",
    b"application/xml",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data",
    b'multipart/form-data; boundary="',
    b"text/plain",
    b"application/json;;;",
    b"application/json; charset=utf-7",
    b"application/json; charset=\xff",
    b"*/*",
    b"application/",
    b"/",
    b";",
    b'application/xml; charset="unterminated',
    b"application/json" + b" " * 1000,
    b"\x00",
    "текст/плейн".encode(),
)
PATH_VARIANTS: tuple[Callable[[str], str], ...] = (
    lambda path: path + "/",
    lambda path: "/" + path,
    lambda path: path.upper(),
    lambda path: path + "%00",
    lambda path: path + "\x00",
    lambda path: path + ";jsessionid=1",
    lambda path: path.replace("/", "/./", 1),
    lambda path: path + "/..",
    lambda path: path + "é".encode().decode("latin-1"),
    lambda path: path + "\xed\xa0\x80",
)
"""A path as a server may pass it on (decoded octets read as Latin-1): trailing slash, dots, NULs, ..."""
CONTENT_LENGTHS = (
    "-1",
    "abc",
    "1e3",
    "99999999999999999999",
    "",
    " 5",
    "0x10",
    "+5",
    "٣",
    "5, 5",
    "NaN",
    "-0",
    "0",
)


@st.composite
def authorizations(draw: Draw) -> bytes:
    kind = draw(
        st.sampled_from(
            [
                "good",
                "bad-base64",
                "no-colon",
                "unicode",
                "latin-1",
                "raw-unicode",
                "huge",
                "empty",
                "scheme-only",
                "lower-scheme",
                "other-scheme",
                "padding",
                "whitespace",
                "two",
                "nul",
                "colon-only",
                "long-password",
            ]
        )
    )
    token = BASIC.split(" ", 1)[1]
    if kind == "good":
        return BASIC.encode()
    if kind == "bad-base64":
        return (
            b"Basic "
            + draw(st.text(alphabet="!@#$%^&*()_-~`|\"';:<>,.?/ +=", min_size=1, max_size=30)).encode()
        )
    if kind == "no-colon":
        return b"Basic " + base64.b64encode(b"Aladdinopen sesame")
    if kind == "unicode":
        return b"Basic " + base64.b64encode(draw(st.text(max_size=30)).encode("utf-8"))
    if kind == "latin-1":
        return b"Basic " + base64.b64encode("Aläddin:öpen sesame".encode("latin-1"))
    if kind == "raw-unicode":
        return "Basic Ålädдин:😀".encode()
    if kind == "huge":
        return b"Basic " + base64.b64encode(b"Aladdin:" + b"p" * draw(st.sampled_from([8000, 70000])))
    if kind == "empty":
        return b""
    if kind == "scheme-only":
        return draw(st.sampled_from([b"Basic", b"Basic ", b"Basic    ", b"Basic\t"]))
    if kind == "lower-scheme":
        return b"basic " + token.encode()
    if kind == "other-scheme":
        return draw(
            st.sampled_from(
                [
                    b"Bearer abc",
                    b'Digest username="Aladdin"',
                    b"Negotiate " + token.encode(),
                    b"Basicx " + token.encode(),
                ]
            )
        )
    if kind == "padding":
        return b"Basic " + token.rstrip("=").encode() + draw(st.sampled_from([b"", b"=", b"====", b"=x"]))
    if kind == "whitespace":
        return b"Basic  " + token[:6].encode() + b" " + token[6:].encode() + b" "
    if kind == "two":
        return BASIC.encode() + b", " + BASIC.encode()
    if kind == "nul":
        return b"Basic \x00" + token.encode()
    if kind == "colon-only":
        return b"Basic " + base64.b64encode(b":")
    return b"Basic " + base64.b64encode(b"Aladdin:" + "ö".encode() * 5000)


def _sound_requests() -> dict[str, list[Sent]]:
    """A sound request of each dialect, for the header cases to break."""
    xml = (
        f'{XML_DECLARATION}<xml_request name="sms_send">{_QUICKTEL_USER}'
        '<sms sms_id="1" number="41793026727" source_number="Info">hi</sms></xml_request>'
    )
    unified = urlencode({**_UNIFIED_CREDENTIALS, "type": "0", "dlr": "1", "destination": "41793026727"})
    unified += "&source=InfoSMS&message=hi"
    sendsms = f"key={ACCOUNT['api_key']}&mobile=447483938220&sender=InfoSMS&msgtext=hi&ref=r1"
    single = json.dumps({"from": "InfoSMS", "to": "41793026727", "text": "hi"}).encode()
    advanced = json.dumps(
        {"messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": "hi"}]}
    ).encode()
    json_type = (("Content-Type", b"application/json"),)
    return {
        "shortlink": [
            Sent(
                "shortlink", "headers", "POST", "/restapi/sms/1/text/single", body=single, headers=json_type
            ),
            Sent("shortlink", "headers", "GET", "/restapi/sms/1/reports"),
            Sent("shortlink", "headers", "GET", "/restapi/account/1/balance"),
            Sent(
                "shortlink",
                "headers",
                "POST",
                "/restapi/number/1/query",
                body=b"<request><to>41793026727</to></request>",
                headers=(("Content-Type", b"application/xml"),),
            ),
        ],
        "qikli": [
            Sent("qikli", "headers", "POST", "/sms/2/text/advanced", body=advanced, headers=json_type),
            Sent("qikli", "headers", "GET", "/sms/1/reports"),
        ],
        "unified": [
            Sent("unified", "headers", "GET", "/bulksms/bulksms", query=unified.encode()),
            Sent(
                "unified",
                "headers",
                "POST",
                "/bulksms/bulksms",
                body=unified.encode(),
                headers=(("Content-Type", b"application/x-www-form-urlencoded"),),
            ),
        ],
        "quicktel": [
            Sent(
                "quicktel",
                "headers",
                "POST",
                QUICKTEL_PATH,
                body=xml.encode(),
                headers=(("Content-Type", b"application/xml"),),
            )
        ],
        "sendsms": [
            Sent("sendsms", "headers", "GET", "/api/sms/send_sms.php", query=sendsms.encode()),
            Sent(
                "sendsms",
                "headers",
                "POST",
                "/api/sms/dlr.php",
                body=b"key=test-api-key&full_number=447483938220&ref=r1",
                headers=(("Content-Type", b"application/x-www-form-urlencoded"),),
            ),
        ],
    }


def header_requests(dialect: str) -> st.SearchStrategy[Sent]:
    """A sound request of the dialect with some of its headers broken."""
    sound = _sound_requests()[dialect]

    @st.composite
    def requests(draw: Draw) -> Sent:
        base = draw(st.sampled_from(sound))
        headers = dict(base.headers)
        if dialect in ("shortlink", "qikli") or draw(st.integers(0, 3)) == 0:
            headers["Authorization"] = draw(authorizations())
        if draw(st.booleans()):
            headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES))
        if draw(st.booleans()):
            headers["Accept"] = draw(st.sampled_from(ACCEPTS))
        if draw(st.integers(0, 5)) == 0:
            headers[
                draw(
                    st.sampled_from(
                        [
                            "X-Forwarded-For",
                            "Origin",
                            "Expect",
                            "Accept-Charset",
                            "Accept-Encoding",
                            "User-Agent",
                        ]
                    )
                )
            ] = draw(
                st.sampled_from(
                    [b"", b"\xff", b"100-continue", b"null", b"1.2.3.4, ::1, garbage", b"x" * 10000]
                )
            )
        content_length = None
        if draw(st.integers(0, 3)) == 0:
            content_length = draw(
                st.sampled_from([*CONTENT_LENGTHS, str(len(base.body) + 10), str(max(0, len(base.body) - 3))])
            )
        path = base.path
        if draw(st.integers(0, 5)) == 0:
            path = draw(st.sampled_from(PATH_VARIANTS))(path)
        return replace(base, path=path, headers=tuple(headers.items()), content_length=content_length)

    return requests()


# --- lookups of what was sent -------------------------------------------------------------------------------


FAMILY_READS = {
    "shortlink": (
        ("/restapi/sms/1/reports", ("limit", "bulkId", "messageId")),
        (
            "/restapi/sms/1/logs",
            (
                "from",
                "to",
                "bulkId",
                "messageId",
                "generalStatus",
                "sentSince",
                "sentUntil",
                "limit",
                "mcc",
                "mnc",
            ),
        ),
        ("/restapi/sms/1/inbox/reports", ("limit",)),
        ("/restapi/sms/1/inbox/logs", ("keyword", "to", "receivedSince", "receivedUntil", "limit")),
    ),
    "qikli": (("/sms/1/reports", ("limit", "bulkId", "messageId")),),
}
"""The family's reads and their parameters, for queries written with odd values and broken octets."""


def stateful_requests(dialect: str) -> st.SearchStrategy[Sent]:
    """Reads of handed-out ids and sends that reuse the client's own references."""

    @st.composite
    def requests(draw: Draw) -> Sent:
        pick = draw(st.integers(0, 1 << 16))
        accept = draw(st.sampled_from([b"application/json", b"application/xml"]))
        auth = (("Authorization", BASIC.encode()), ("Accept", accept))
        if dialect in ("shortlink", "qikli") and draw(st.integers(0, 3)) == 0:
            path, names = draw(st.sampled_from(FAMILY_READS[dialect]))
            pairs = [
                (
                    name,
                    draw(
                        st.sampled_from([KNOWN_ID, "BULK-1", "1", "2015-02-22T17:42:05.390+01:00"])
                        | odd_text()
                    ),
                )
                for name in draw(st.lists(st.sampled_from(names), max_size=4))
            ]
            query = draw(encoded_pairs(pairs)).replace(quote_plus(KNOWN_ID).encode(), KNOWN_ID.encode())
            return Sent(dialect, "stateful", "GET", path, query=query, headers=auth, pick=pick)
        if dialect in ("shortlink", "qikli"):
            reports = "/restapi/sms/1/reports" if dialect == "shortlink" else "/sms/1/reports"
            options = [
                ("GET", reports, f"messageId={KNOWN_ID}"),
                ("GET", reports, f"messageId={KNOWN_ID},{KNOWN_ID}&limit=1"),
                ("GET", reports, "bulkId=BULK-1"),
                ("GET", reports, f"limit={draw(st.sampled_from(['1', '2', '0', '-1', '1000000000', 'x']))}"),
            ]
            if dialect == "shortlink":
                options += [
                    ("GET", "/restapi/sms/1/logs", f"messageId={KNOWN_ID}"),
                    ("GET", "/restapi/sms/1/logs", "bulkId=BULK-1&generalStatus=DELIVERED"),
                    (
                        "GET",
                        "/restapi/sms/1/inbox/reports",
                        f"limit={draw(st.sampled_from(['1', '3', '50']))}",
                    ),
                    ("GET", "/restapi/sms/1/inbox/logs", "keyword=STOP"),
                ]
            method, path, query = draw(st.sampled_from(options))
            if draw(st.integers(0, 3)) == 0:
                advanced = dialect == "qikli" or draw(st.booleans())
                message_id = draw(st.sampled_from([KNOWN_ID, "MSG-1", "MSG-2", ""]))
                to = draw(st.sampled_from(NUMBERS))
                value = {
                    "bulkId": draw(st.sampled_from(["BULK-1", "BULK-2", ""])),
                    "messages": [
                        {
                            "from": "InfoSMS",
                            "destinations": [{"to": to, "messageId": message_id}],
                            "text": draw(texts()),
                            "notifyUrl": draw(st.sampled_from(["", SINK])),
                        }
                    ],
                }
                path = "/sms/2/text/advanced" if dialect == "qikli" else "/restapi/sms/1/text/advanced"
                if not advanced:
                    path, value = (
                        "/restapi/sms/1/text/single",
                        {"bulkId": "BULK-1", "from": "InfoSMS", "to": [to, to], "text": "hi"},
                    )
                body = json.dumps(value).encode()
                return Sent(
                    dialect,
                    "stateful",
                    "POST",
                    path,
                    body=body,
                    headers=(*auth, ("Content-Type", b"application/json")),
                    pick=pick,
                )
            return Sent(dialect, "stateful", method, path, query=query.encode(), headers=auth, pick=pick)
        if dialect == "quicktel":
            user = _QUICKTEL_USER
            sms_ids = st.one_of(st.sampled_from(REFS), st.integers(0, 10**15).map(str))  # resent, or new
            if draw(st.booleans()):
                items = "".join(
                    f'<sms push_id="{push}"/>'
                    for push in draw(
                        st.lists(st.sampled_from([KNOWN_ID, KNOWN_ID, "1", ""]), min_size=1, max_size=4)
                    )
                )
                document = f'<xml_request name="sms_status2">{user}{items}</xml_request>'
            else:
                items = "".join(
                    f"<sms sms_id={quoteattr(draw(sms_ids))} number={quoteattr(to)}"
                    f' source_number="Info">{escape(draw(texts()))}</sms>'
                    for to in draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3))
                )
                document = f'<xml_request name="sms_send">{user}{items}</xml_request>'
            return Sent(
                dialect,
                "stateful",
                "POST",
                QUICKTEL_PATH,
                body=document.encode(),
                headers=(("Content-Type", b"application/xml"),),
                pick=pick,
            )
        if dialect == "sendsms":
            mobile, ref = draw(st.sampled_from(NUMBERS[:4])), draw(st.sampled_from(REFS))
            if draw(st.booleans()):
                query = f"key={ACCOUNT['api_key']}&full_number={mobile}&ref={quote_plus(ref)}"
                return Sent(dialect, "stateful", "GET", "/api/sms/dlr.php", query=query.encode())
            response = draw(st.sampled_from(["", "json"]))
            query = urlencode(
                {
                    "key": ACCOUNT["api_key"],
                    "mobile": mobile,
                    "sender": "InfoSMS",
                    "msgtext": "hi",
                    "ref": ref,
                }
            )
            query += f"&response={response}"
            return Sent(dialect, "stateful", "GET", "/api/sms/send_sms.php", query=query.encode())
        # unified: the same content again within ten minutes is a duplicate (1041)
        destination = ",".join(draw(st.lists(st.sampled_from(NUMBERS[:4]), min_size=1, max_size=3)))
        query = urlencode(
            {
                **_UNIFIED_CREDENTIALS,
                "type": "0",
                "dlr": draw(st.sampled_from(["0", "1"])),
                "destination": destination,
                "source": "InfoSMS",
                "message": draw(st.sampled_from(TEXTS[:3])),
            }
        )
        return Sent(dialect, "stateful", "GET", "/bulksms/bulksms", query=query.encode())

    return requests()
