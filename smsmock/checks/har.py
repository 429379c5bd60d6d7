"""The journal written out as HAR 1.2 and as JSON Lines: what `GET /_smsmock/journal?format=` serves."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.http import HTTP_STATUS_CODES

from smsmock.contracts.journal import Exchange

HAR_VERSION = "1.2"
HAR_MEDIA_TYPE = "application/json"
JSONL_MEDIA_TYPE = "application/x-ndjson"
EXTENSION = "_smsmock"
"""The custom entry field (HAR allows fields starting with `_`) that keeps the journal's seq and route."""


def har_log(exchanges: Iterable[Exchange], base_url: str) -> dict[str, Any]:
    """A HAR 1.2 document of `exchanges`, their URLs under `base_url` (the server's root)."""
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "smsmock", "version": _own_version()},
            "pages": [],
            "entries": [har_entry(exchange, base_url) for exchange in exchanges],
        }
    }


def har_entry(exchange: Exchange, base_url: str) -> dict[str, Any]:
    """One exchange as a HAR entry. The journal keeps no timings (0) and only the reply's media type."""
    url = base_url.rstrip("/") + exchange.path + (f"?{exchange.query}" if exchange.query else "")
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": name, "value": value} for name, value in exchange.request_headers.items()],
        "queryString": [
            {"name": name, "value": value}
            for name, value in parse_qsl(exchange.query, keep_blank_values=True, errors="replace")
        ],
        "headersSize": -1,
        "bodySize": len(exchange.request_body),
    }
    if exchange.request_body:
        media = next(
            (value for name, value in exchange.request_headers.items() if name.lower() == "content-type"), ""
        )
        request["postData"] = {"mimeType": media, **_text(exchange.request_body)}
    content_type = exchange.response_content_type
    return {
        "startedDateTime": exchange.at.isoformat(timespec="milliseconds"),
        "time": 0,
        "request": request,
        "response": {
            "status": exchange.status,
            "statusText": HTTP_STATUS_CODES.get(exchange.status, ""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": "Content-Type", "value": content_type}] if content_type else [],
            "content": {
                "size": len(exchange.response_body),
                "mimeType": content_type,
                **_text(exchange.response_body),
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(exchange.response_body),
        },
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
        EXTENSION: {"seq": exchange.seq, "dialect": exchange.dialect, "operation": exchange.operation},
    }


def _text(body: bytes) -> dict[str, str]:
    """A body as HAR text: UTF-8 as it is, anything else in base64 (as browsers write binary bodies)."""
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def jsonl(exchanges: Iterable[Exchange]) -> str:
    """One `Exchange.as_dict()` a line: the format of the pytest plugin's `--smsmock-journal`."""
    return "".join(json.dumps(exchange.as_dict(), ensure_ascii=False) + "\n" for exchange in exchanges)


@cache
def _own_version() -> str:
    try:
        return version("smsmock")
    except PackageNotFoundError:
        return "0"
