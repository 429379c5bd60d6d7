"""The fields of a POSTed body as PHP's `$_POST` reads them: a form (urlencoded or multipart), else none.

The sendsms dialect reads its POSTs so (errata sendsms-http-methods-form, sendsms-post-body-types), and
`smsmock check` reads recorded ones with the same code, so both report the same notes on a body.
"""

from __future__ import annotations

import io

from smsmock.contracts.catalog import document_section
from smsmock.contracts.params import Params, decode_params
from smsmock.contracts.validation import ROOT, Severity, Violation

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def posted_fields(
    dialect: str, operation: str, body: bytes, content_type: str | None
) -> tuple[Params, list[Violation]]:
    """The form fields of a POST body, and what the body breaks of the contract's reading of it."""
    from werkzeug.http import parse_options_header

    media, options = parse_options_header(content_type or "")
    media = media.lower()
    if media == FORM:
        return decode_params(body), []
    section = document_section(dialect, operation)
    if media == MULTIPART:
        return _multipart(body, options, section)
    if not body:
        return {}, []
    expected = f"a form body ({FORM} or {MULTIPART})"
    found = media or "no Content-Type"
    return {}, [Violation(Severity.WARNING, ROOT, "contentType", expected, found, section)]


def _multipart(body: bytes, options: dict[str, str], section: str) -> tuple[Params, list[Violation]]:
    from werkzeug.exceptions import RequestEntityTooLarge
    from werkzeug.formparser import FormDataParser
    from werkzeug.wrappers import Request

    parser = FormDataParser(
        max_form_memory_size=Request.max_form_memory_size, max_form_parts=Request.max_form_parts
    )
    try:
        _, form, _ = parser.parse(io.BytesIO(body), MULTIPART, len(body), options)
    except RequestEntityTooLarge:
        expected = (
            f"a multipart body of at most {Request.max_form_parts} parts"
            f" and {Request.max_form_memory_size} octets per field"
        )
        found = f"a body of {len(body)} octets beyond those limits"
        return {}, [Violation(Severity.ERROR, ROOT, "unparseable", expected, found, section)]
    return {name: values[0] if len(values) == 1 else values for name, values in form.lists()}, []
