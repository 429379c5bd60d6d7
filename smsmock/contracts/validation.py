"""`validate()`: what a message breaks of its contract, as errors and tolerated warnings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

from smsmock.contracts import catalog, jsontext, moments
from smsmock.contracts.params import decode_params

if TYPE_CHECKING:
    import xmlschema
    from jsonschema.exceptions import ValidationError

MAX_XML_OCTETS = 1 << 20
MAX_XML_DEPTH = 32
MAX_XML_ATTRIBUTES = 64
"""Attributes on one element at most: the documents' elements carry four at most, and a validator's
work on an element grows with the square of its attributes (each error quotes them all)."""
"""Bounds on XML bodies: the documents' messages are a few levels deep and far below a megabyte. The
server reads no body longer than its max_body, so it validates the bodies it took with no octet bound."""

ROOT = "/"
"""The location of a whole body."""

_FORM = "application/x-www-form-urlencoded"
UTF8_BOM = b"\xef\xbb\xbf"
"""The byte order mark a UTF-8 document may open with (XML 1.0 F.1)."""


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a message departs from its contract."""

    severity: Severity
    location: str
    """A JSON pointer, an XPath, or a parameter name; "/" is the whole body."""
    keyword: str
    """The rule broken: a JSON Schema keyword, an XSD facet, `unexpected`, `missing` or `unparseable`."""
    expected: str
    found: str
    section: str
    """The place in the provider document the rule comes from."""

    def __str__(self) -> str:
        return (
            f"{self.severity}: {self.location or ROOT}: expected {self.expected}, found {self.found}"
            f" [{self.keyword}; {self.section}]"
        )


def errors(violations: Iterable[Violation]) -> list[Violation]:
    return [violation for violation in violations if violation.severity is Severity.ERROR]


@dataclass(frozen=True, slots=True)
class AnsweredInTheReply:
    """A breach the provider answers inside its 200 reply (a status per destination, a value it
    clamps) rather than by refusing the request: validate() calls it a warning, not an error, so the
    contract and the mock agree on which requests are taken."""

    location: re.Pattern[str]
    keywords: frozenset[str]
    answer: str
    """What the provider does instead of refusing, said with the warning."""


_ADDRESS = frozenset({"pattern", "minLength", "maxLength"})
_FAMILY_ANSWERS = (
    AnsweredInTheReply(
        re.compile(r"/to(\[\d+\])?(/\d+)?$|/to(\[\d+\])?/to(\[\d+\])?$|/destinations/\d+/to$"),
        _ADDRESS,
        "the provider answers the destination with a REJECTED status in its 200 reply",
    ),
    AnsweredInTheReply(
        re.compile(r"/validityPeriod$"),
        frozenset({"maximum", "maxInclusive"}),
        "the provider sets it to 48 hours (errata shortlink-validity-period-over-48h)",
    ),
)
ANSWERED_IN_THE_REPLY: dict[str, tuple[AnsweredInTheReply, ...]] = {
    "shortlink": _FAMILY_ANSWERS,
    "qikli": _FAMILY_ANSWERS,
    "unified": (
        AnsweredInTheReply(
            re.compile(r"^destination$"),
            frozenset({"pattern"}),
            "the provider answers each destination on a line of its own, 1706 for one it cannot use",
        ),
    ),
    "quicktel": (
        AnsweredInTheReply(
            re.compile(r"/sms(\[\d+\])?/@number$"),
            frozenset({"pattern"}),
            "the provider answers that sms with a failed push (res -3001) in its reply",
        ),
    ),
}
"""Per dialect, the request breaches answered in the reply (the dialects' own checks answer them)."""

UNKNOWN_REFUSED: dict[str, str] = {
    "quicktel": "the provider refuses the whole request with -2007 (errata quicktel-request-error-order)",
}
"""Per dialect, why an element or attribute its request contract does not declare is an error there,
not the tolerated unknown field it is elsewhere: the provider refuses such a request."""


def validate(
    dialect: str,
    operation: str,
    direction: str,
    body: Any,
    content_type: str | None = None,
    *,
    max_xml_octets: int | None = MAX_XML_OCTETS,
) -> list[Violation]:
    """Check one message against its contract.

    `body` is the raw body (str or bytes), an already decoded JSON value, or a
    mapping of decoded parameters; `content_type` picks the wire format, which
    is sniffed from the body otherwise. Fields the document never mentions and
    `null` in optional fields are warnings; breaches of what it defines are errors.
    What no schema can say (a unified message read by its `type`) is checked here too, by the same
    code the mock reads requests with. XML longer than `max_xml_octets` is not parsed (None: the
    caller bounded the body already).
    """
    violations = schema_violations(dialect, operation, direction, body, content_type, max_xml_octets)
    if (dialect, direction) == ("unified", "request") and not _unreadable(violations):
        from smsmock.contracts import unified_request

        if operation in unified_request.SENDS:
            violations = unified_request.read_request(operation, body or "", violations).violations
    if direction == "request" and dialect in ANSWERED_IN_THE_REPLY:
        violations = [_as_answered(dialect, violation) for violation in violations]
    if direction == "request" and dialect in UNKNOWN_REFUSED:
        violations = [_as_refused_unknown(dialect, violation) for violation in violations]
    return violations


def _as_refused_unknown(dialect: str, violation: Violation) -> Violation:
    """An unknown element or attribute as the error the provider makes of it; else as it is."""
    if violation.keyword != "unexpected" or violation.severity is Severity.ERROR:
        return violation
    return replace(
        violation, severity=Severity.ERROR, expected=f"{violation.expected} ({UNKNOWN_REFUSED[dialect]})"
    )


def answered_by(dialect: str, violation: Violation) -> AnsweredInTheReply | None:
    """The rule by which the provider answers this breach of a request in its reply, if one does."""
    for rule in ANSWERED_IN_THE_REPLY.get(dialect, ()):
        if violation.keyword in rule.keywords and rule.location.search(violation.location):
            return rule
    return None


def _as_answered(dialect: str, violation: Violation) -> Violation:
    """A warning, saying what the provider does, for a breach its reply answers; else as it is."""
    rule = answered_by(dialect, violation) if violation.severity is Severity.ERROR else None
    if rule is None:
        return violation
    return replace(violation, severity=Severity.WARNING, expected=f"{violation.expected} ({rule.answer})")


def _unreadable(violations: list[Violation]) -> bool:
    """The body could not be read as the contract's format at all."""
    return any(item.location == ROOT and item.keyword in ("format", "unparseable") for item in violations)


def schema_violations(
    dialect: str,
    operation: str,
    direction: str,
    body: Any,
    content_type: str | None = None,
    max_xml_octets: int | None = MAX_XML_OCTETS,
) -> list[Violation]:
    """What `validate()` finds against the schemas alone, before the reading no schema can express."""
    contract = catalog.operation(dialect, operation)
    if direction not in catalog.DIRECTIONS:
        raise catalog.UnknownOperation(f"direction must be 'request' or 'response', not {direction!r}")
    section = catalog.document_section(dialect, operation)
    formats = contract.formats(direction)
    notes: list[Violation] = []
    if content_type and set(formats) <= {"params", "form"} and _media_type(content_type) != _FORM:
        # A Content-Type on a request that carries only parameters (a GET): clients send
        # one out of habit, and the parameters are read all the same.
        notes.append(
            _violation(
                "Content-Type", "contentType", "no Content-Type", content_type, section, Severity.WARNING
            )
        )
        content_type = None
    wire = _wire_format(formats, body, content_type)
    if "form_field" in contract.extra and isinstance(body, (str, bytes)):
        # The XML raw under any Content-Type, else in the form field of a form body, typed so or not,
        # as the mock reads it (errata quicktel-transport).
        if looks_like_xml(body):
            wire = "xml"
        elif wire is None and "form" in formats and body.strip():
            wire = "form"
    if wire is None or wire not in formats:
        accepted = ", ".join(formats)
        found = content_type or ("no body" if body in (None, "", b"") else "an unrecognised body")
        return [_violation(ROOT, "format", f"a body in one of: {accepted}", found, section)]
    if wire == "form" and "form_field" in contract.extra:
        field = contract.extra["form_field"]
        fields = decode_params(body)
        value = fields.get(field)
        if not isinstance(value, str):
            return [_violation(field, "required", f"the XML in the form field {field!r}", "nothing", section)]
        return _validate_xml(dialect, operation, direction, value, section, max_xml_octets)
    if wire == "xml":
        return _validate_xml(dialect, operation, direction, body, section, max_xml_octets)
    if wire in ("params", "form"):
        return notes + _validate_params(dialect, operation, direction, body, section)
    if wire == "text":
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
        return _validate_json_shaped(dialect, operation, direction, "text", text, section, [])
    return _validate_json(dialect, operation, direction, body, section)


def looks_like_xml(body: Any) -> bool:
    """Whether a body is an XML document as it is: its first character after any byte order mark and
    white space is `<` (a form's fields never start so)."""
    if isinstance(body, bytes):
        return body.removeprefix(UTF8_BOM).lstrip()[:1] == b"<"
    return isinstance(body, str) and body.removeprefix("\ufeff").lstrip()[:1] == "<"


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _wire_format(formats: tuple[str, ...], body: Any, content_type: str | None) -> str | None:
    if content_type:
        media = _media_type(content_type)
        if media.endswith("json"):
            return "json"
        if media.endswith("xml"):
            return "xml"
        if media == _FORM:
            return "form" if "form" in formats else "params"
        if media.startswith("text/plain") and "text" in formats:
            return "text"
    if isinstance(body, Mapping):
        return "params" if "params" in formats else "json"
    if isinstance(body, list):
        return "json"
    if isinstance(body, (str, bytes)):
        head = body.lstrip()[:1]
        if head in ("{", "[", b"{", b"["):
            return "json"
        if head in ("<", b"<"):
            return "xml"
    for fallback in ("params", "text", "json"):
        if fallback in formats:
            return fallback
    return None


def _violation(
    location: str,
    keyword: str,
    expected: str,
    found: str,
    section: str,
    severity: Severity = Severity.ERROR,
) -> Violation:
    return Violation(severity, location, keyword, expected, found, section)


def _shown(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- JSON and JSON-shaped contracts ----------------------------------------------------------


def _validate_json(dialect: str, operation: str, direction: str, body: Any, section: str) -> list[Violation]:
    if isinstance(body, (str, bytes)):
        try:
            body = jsontext.loads(body)
        except jsontext.JSONRefused as error:
            return [_violation(ROOT, "unparseable", "a well-formed JSON document", str(error), section)]
    warnings: list[Violation] = []
    body = _without_nulls(body, "", warnings, section)
    return _validate_json_shaped(dialect, operation, direction, "json", body, section, warnings)


def _without_nulls(value: Any, pointer: str, warnings: list[Violation], section: str) -> Any:
    """Drop `null` object members, noting each: as an absent field it breaks only a `required` rule."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            location = f"{pointer}/{_escape(key)}"
            if item is None:
                warnings.append(
                    _violation(location, "null", "the field left out", "null", section, Severity.WARNING)
                )
            else:
                kept[key] = _without_nulls(item, location, warnings, section)
        return kept
    if isinstance(value, list):
        return [
            _without_nulls(item, f"{pointer}/{index}", warnings, section) for index, item in enumerate(value)
        ]
    return value


def _escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(path: Iterable[Any]) -> str:
    return "".join(f"/{_escape(token)}" for token in path) or ROOT


def _validate_json_shaped(
    dialect: str,
    operation: str,
    direction: str,
    wire: str,
    instance: Any,
    section: str,
    violations: list[Violation],
) -> list[Violation]:
    validator = catalog.json_validator(dialect, operation, direction, wire)
    if validator is None:
        raise catalog.UnknownOperation(f"no {wire} contract for {dialect} {operation} {direction}")
    root_section = catalog.cite(validator.schema.get("x-section", section))
    for error in validator.iter_errors(instance):
        violations.extend(_from_json_error(error, root_section, wire))
    return _one_reason_per_text(violations)


def _one_reason_per_text(violations: list[Violation]) -> list[Violation]:
    """Text that breaks its pattern is not read for its format as well: one error says what is wrong."""
    misspelt = {
        _unindexed(v.location) for v in violations if v.keyword == "pattern" and v.severity is Severity.ERROR
    }
    return [v for v in violations if v.keyword != "format" or _unindexed(v.location) not in misspelt]


def _unindexed(location: str) -> str:
    return re.sub(r"\[\d+\]", "", location)


_TOLERATED = frozenset({"additionalProperties", "unevaluatedProperties"})


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that explain an anyOf/oneOf failure: those of the branch that came closest.

    Closest means fewest errors beyond tolerated unknown fields, then fewest errors;
    a branch failing on unknown fields alone is a match under tolerant reading.
    """
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for suberror in error.context:
        branch = suberror.relative_schema_path[0] if suberror.relative_schema_path else None
        branches.setdefault(branch, []).append(suberror)

    def flattened(errors_of_branch: list[ValidationError]) -> list[ValidationError]:
        return [leaf for suberror in errors_of_branch for leaf in _leaves(suberror)]

    candidates = [flattened(branch) for branch in branches.values()]
    return min(
        candidates,
        key=lambda leaves: (sum(leaf.validator not in _TOLERATED for leaf in leaves), len(leaves)),
    )


def _from_json_error(error: ValidationError, section: str, wire: str) -> list[Violation]:
    if error.context:
        return [violation for leaf in _leaves(error) for violation in _from_json_error(leaf, section, wire)]
    schema = error.schema if isinstance(error.schema, dict) else {}
    section = catalog.cite(schema.get("x-section", section))
    location = _location(error.absolute_path, wire)
    keyword = str(error.validator)
    if keyword in _TOLERATED:
        allowed = set(schema.get("properties", {}))
        return [
            _violation(
                _location([*error.absolute_path, name], wire),
                keyword,
                "only the fields the document defines",
                _shown(name),
                section,
                Severity.WARNING,
            )
            for name in error.instance
            if name not in allowed
        ]
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        return [
            _violation(
                _location([*error.absolute_path, missing], wire),
                keyword,
                "a required field",
                "nothing",
                section,
            )
        ]
    severity = Severity.ERROR
    tolerated = schema.get("x-tolerant")
    if (
        keyword == "pattern"
        and tolerated
        and isinstance(error.instance, str)
        and re.fullmatch(tolerated, error.instance)
    ):
        # A form the document does not define but real clients send (x-tolerant in the schema).
        severity = Severity.WARNING
    return [_violation(location, keyword, _expected(error), _shown(error.instance), section, severity)]


def _location(path: Iterable[Any], wire: str) -> str:
    path = list(path)
    if wire in ("params", "form") and path:
        # Parameters are named, not pointed at: "destination", "bulkId[1]".
        head, *rest = path
        return str(head) + "".join(f"[{token}]" for token in rest)
    return _pointer(path)


_LIMIT_PHRASES = {
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "more than {}",
    "exclusiveMaximum": "less than {}",
}


def _expected(error: ValidationError) -> str:
    value = error.validator_value
    keyword = error.validator
    if keyword == "pattern":
        return f"a string matching {value}"
    if keyword == "format" and value in moments.EXPECTED:
        return moments.EXPECTED[value]
    if keyword == "enum":
        shown = ", ".join(_shown(item, 30) for item in value[:8])
        return f"one of {shown}" + (f" (and {len(value) - 8} more)" if len(value) > 8 else "")
    if keyword == "const":
        return _shown(value)
    if keyword == "type":
        return f"type {value if isinstance(value, str) else ' or '.join(value)}"
    if keyword in ("oneOf", "anyOf"):
        return "one of the shapes the document defines"
    if keyword in _LIMIT_PHRASES:
        return _LIMIT_PHRASES[keyword].format(value)
    return error.message


# --- parameters --------------------------------------------------------------------------------


def _validate_params(
    dialect: str, operation: str, direction: str, body: Any, section: str
) -> list[Violation]:
    params = decode_params(body if body is not None else "")
    validator = catalog.json_validator(dialect, operation, direction, "params")
    if validator is None:
        raise catalog.UnknownOperation(f"no parameter contract for {dialect} {operation} {direction}")
    known = set(validator.schema.get("properties", {}))
    by_folded_name = {name.lower(): name for name in known}
    warnings: list[Violation] = []
    normalised: dict[str, str | list[str]] = {}
    for name, value in params.items():
        target = name
        if name.endswith("[]") and name[:-2] in known:
            target = name[:-2]
            note = f"the list parameter {target!r} (PHP-style {name!r} is read as it)"
        elif name not in known and name.lower() in by_folded_name:
            target = by_folded_name[name.lower()]
            note = f"the parameter spelled {target!r}"
        else:
            note = None
        if note:
            warnings.append(_violation(name, "name", note, _shown(name), section, Severity.WARNING))
        if target in normalised:
            merged = normalised[target]
            merged = merged if isinstance(merged, list) else [merged]
            normalised[target] = merged + (value if isinstance(value, list) else [value])
        else:
            normalised[target] = value
    return _validate_json_shaped(dialect, operation, direction, "params", normalised, section, warnings)


# --- XML -----------------------------------------------------------------------------------------


def _depth(element: Element) -> int:
    deepest, stack = 0, [(element, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node)
    return deepest


def parse_xml(body: str | bytes, max_octets: int | None = MAX_XML_OCTETS) -> xmlschema.XMLResource:
    """Parse untrusted XML: no DTDs, no entities, bounded size (None: the caller bounded it), depth and
    attributes per element. Raises ValueError."""
    import xmlschema

    size = len(body.encode("utf-8")) if isinstance(body, str) else len(body)
    if max_octets is not None and size > max_octets:
        raise ValueError(f"the XML body is {size} octets; at most {max_octets} are read")
    # A byte order mark may open a UTF-8 document (XML 1.0 F.1); it is not part of the text.
    text = body.removeprefix("\ufeff") if isinstance(body, str) else body.decode("utf-8-sig", errors="strict")
    text = text.strip()
    if not text.startswith("<"):
        # xmlschema would take any other text for a file name or URL, and say it may not read it.
        raise ValueError("not an XML document: it does not begin with `<`")
    plain = _screened(text)
    try:
        # A plain document (well-formed, no document type declaration, so no entity of its own) is
        # safe as it is: the defusing pass, a second parse in Python, is for the others.
        resource = xmlschema.XMLResource(text, defuse="never" if plain else "always", allow="none")
    except (xmlschema.XMLResourceError, SyntaxError, PermissionError, UnicodeError) as error:
        raise ValueError(f"not well-formed or not allowed XML: {error}") from error
    if _depth(resource.root) > MAX_XML_DEPTH:
        raise ValueError(f"the XML is nested deeper than {MAX_XML_DEPTH} levels")
    return resource


class _Screened(Exception):
    """Ends the screening pass early: the document type declaration is the safe parser's to refuse."""


def _screened(text: str) -> bool:
    """Whether the XML is plain: well-formed, with no document type declaration. An element with more
    than MAX_XML_ATTRIBUTES attributes is refused here, before the safe parser reads it: that parser
    builds each attribute in Python (a second per 20 000 of them), expat in C."""
    from xml.parsers import expat

    parser = expat.ParserCreate()

    def start(_name: str, attributes: dict[str, str]) -> None:
        if len(attributes) > MAX_XML_ATTRIBUTES:
            raise ValueError(f"an XML element carries more than {MAX_XML_ATTRIBUTES} attributes")

    def doctype(*_: Any) -> None:
        raise _Screened  # stop before any entity is declared, let alone expanded

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    # What is malformed or not allowed, the safe parser says next.
    try:
        parser.Parse(text, True)
    except (_Screened, expat.ExpatError):
        return False
    return True


def _validate_xml(
    dialect: str, operation: str, direction: str, body: Any, section: str, max_octets: int | None
) -> list[Violation]:
    schema = catalog.xml_schema(dialect, operation, direction)
    if schema is None:
        raise catalog.UnknownOperation(f"no XML contract for {dialect} {operation} {direction}")
    try:
        resource = parse_xml(body, max_octets)
    except (ValueError, UnicodeDecodeError) as error:
        return [_violation(ROOT, "unparseable", "a well-formed XML document", str(error), section)]
    violations = []
    from xmlschema.exceptions import XMLSchemaKeyError

    try:
        for error in schema.iter_errors(resource):
            violations.append(
                _from_xml_error(error, _declared_elements(dialect, operation, direction), section)
            )
    except XMLSchemaKeyError as error:
        # An xsi:type naming a type the XSD does not have (xs:string with no xs prefix bound):
        # xmlschema raises where it should report.
        expected = "only the types the document defines"
        violations.append(_violation(ROOT, "type", expected, _shown(str(error)), section))
    violations += _xml_format_violations(dialect, operation, direction, resource.root, section)
    return _one_reason_per_text(violations)


@cache  # one entry per XML contract
def _declared_elements(dialect: str, operation: str, direction: str) -> frozenset[str]:
    """The names of the elements an XSD declares: walking its components cost more than checking a body."""
    import xmlschema

    schema = catalog.xml_schema(dialect, operation, direction)
    assert schema is not None
    return frozenset(component.local_name for component in schema.iter_components(xmlschema.XsdElement))


_XML_NAME = re.compile(r"[A-Za-z_][\w.-]*")


def _xml_format_violations(
    dialect: str, operation: str, direction: str, root: Element, section: str
) -> list[Violation]:
    """The contracts' own formats (an `xs:appinfo` of an XSD type: XSD 1.0 has no way to say "a day
    the calendar holds"), checked on the text of each element declared with such a type."""
    if not _formats_by_path(dialect, operation, direction, None):
        return []
    found = []
    for path, tags, element in _leaf_elements(root):
        for name in _formats_by_path(dialect, operation, direction, tags):
            text = element.text or ""
            if not moments.FORMATS[name](text):
                found.append(_violation(path, "format", moments.EXPECTED[name], _shown(text), section))
    return found


def _leaf_elements(root: Element) -> list[tuple[str, tuple[str, ...], Element]]:
    """Each element without children: its XPath (`/a/b[2]/c`, an index where a tag repeats), its tags."""
    leaves = []
    stack = [(f"/{root.tag}", (root.tag,), root)]
    while stack:
        path, tags, element = stack.pop()
        children = list(element)
        if not children:
            leaves.append((path, tags, element))
        counts: dict[str, int] = {}
        for child in children:
            counts[child.tag] = counts.get(child.tag, 0) + 1
        seen: dict[str, int] = {}
        for child in children:
            seen[child.tag] = seen.get(child.tag, 0) + 1
            index = f"[{seen[child.tag]}]" if counts[child.tag] > 1 else ""
            stack.append((f"{path}/{child.tag}{index}", (*tags, child.tag), child))
    return leaves


@lru_cache(maxsize=4096)  # bounded: the tags come from the bodies clients send
def _formats_by_path(
    dialect: str, operation: str, direction: str, tags: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The contracts' formats of the type declared at `tags` (None: of any type of the XSD)."""
    schema = catalog.xml_schema(dialect, operation, direction)
    if tags is None:
        types = [component for component in schema.iter_components() if hasattr(component, "annotation")]
    elif all(_XML_NAME.fullmatch(tag) for tag in tags):
        declared = schema.find("/" + "/".join(tags))
        types = []
        kind = None if declared is None else declared.type
        while kind is not None and kind not in types:  # a type restricts its base: it has its formats too
            types.insert(0, kind)
            kind = getattr(kind, "base_type", None)
    else:
        types = []  # a name no XSD here declares (a namespaced or odd tag): iter_errors reported it
    formats = []
    for kind in types:
        annotation = getattr(kind, "annotation", None)
        for info in [] if annotation is None else annotation.appinfo:
            name = (info.text or "").strip()
            if name in moments.FORMATS and name not in formats:
                formats.append(name)
    return tuple(formats)


_ATTRIBUTE_REASON = re.compile(r"attribute ([\w:.-]+)=")


def _facet_keyword(component: Any) -> str | None:
    name = type(component).__name__
    if not name.startswith("Xsd") or "Facet" not in name:
        return None
    name = name[3:].replace("Facets", "").replace("Facet", "")
    return name[0].lower() + name[1:]


def _from_xml_error(error: xmlschema.XMLSchemaValidationError, declared: set[str], section: str) -> Violation:
    location = error.path or ROOT
    reason = error.reason or str(error)
    found = _shown(error.obj if isinstance(error.obj, str) else getattr(error.elem, "tag", ""))
    # xmlschema names a failing attribute only in its reason: "attribute lgn='': ...".
    attribute = _ATTRIBUTE_REASON.match(reason)
    keyword = _facet_keyword(error.validator)
    if keyword is None and type(error).__name__ == "XMLSchemaChildrenValidationError":
        unexpected = error.invalid_tag
        if unexpected is not None:
            location = f"{location}/{unexpected}"
            severity = Severity.WARNING if unexpected not in declared else Severity.ERROR
            return _violation(
                location,
                "unexpected",
                "only the elements the document defines",
                _shown(unexpected),
                section,
                severity,
            )
        keyword = "missing"
    if keyword is None and "missing required attribute" in reason:
        keyword = "missing"
    if keyword is None and "attribute" in reason and "not allowed" in reason:
        return _violation(
            location,
            "unexpected",
            "only the attributes the document defines",
            reason,
            section,
            Severity.WARNING,
        )
    if attribute:
        location = f"{location}/@{attribute.group(1)}"
    return _violation(location, keyword or "type", reason, found, section)
