"""The contracts on disk: operation manifests, JSON Schemas and XSDs, loaded and compiled once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smsmock.resources import load_fixture, load_yaml, schemas_dir

if TYPE_CHECKING:
    import xmlschema
    from jsonschema import Draft202012Validator
    from referencing import Registry

# jsonschema and xmlschema are imported where first needed: a server that starts must not pay for
# the XSD machinery before the first XML body arrives.

DIRECTIONS = ("request", "response")


class UnknownOperation(LookupError):
    """A dialect, operation or direction that has no contract."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One message exchange of a dialect, as its `operations.yaml` describes it."""

    dialect: str
    name: str
    methods: tuple[str, ...]
    paths: tuple[str, ...]
    request_formats: tuple[str, ...]
    response_formats: tuple[str, ...]
    section: str
    document: str
    """The provider document's name, as citations give it (`Document.name`)."""
    extra: dict[str, Any]
    """Dialect-specific keys of the manifest (e.g. quicktel's `form_field`)."""

    def formats(self, direction: str) -> tuple[str, ...]:
        return self.request_formats if direction == "request" else self.response_formats


@cache
def dialects() -> tuple[str, ...]:
    """Every dialect with contracts, in a stable order."""
    return tuple(sorted(path.parent.name for path in schemas_dir().glob("*/operations.yaml")))


@cache
def operations(dialect: str) -> dict[str, Operation]:
    """A dialect's operations by id."""
    manifest_path = schemas_dir() / dialect / "operations.yaml"
    if not manifest_path.is_file():
        raise UnknownOperation(f"unknown dialect {dialect!r}; smsmock knows {', '.join(dialects())}")
    manifest = load_yaml(manifest_path)
    known = {"method", "paths", "request", "response", "section"}
    return {
        name: Operation(
            dialect=dialect,
            name=name,
            methods=tuple(entry["method"]),
            paths=tuple(entry["paths"]),
            request_formats=tuple(entry["request"]),
            response_formats=tuple(entry["response"]),
            section=entry["section"],
            document=document(dialect).name,
            extra={key: value for key, value in entry.items() if key not in known},
        )
        for name, entry in manifest["operations"].items()
    }


def operation(dialect: str, name: str) -> Operation:
    found = operations(dialect).get(name)
    if found is None:
        raise UnknownOperation(
            f"{dialect} has no operation {name!r}; it has {', '.join(operations(dialect))}"
        )
    return found


def _json_files(dialect: str) -> list[Path]:
    return sorted((schemas_dir() / dialect).glob("*.schema.json"))


@cache
def registry(dialect: str) -> Registry:
    """Every JSON Schema of a dialect by its `$id`, so `urn:smsmock:...` references resolve."""
    from referencing import Registry, Resource

    resources = []
    for path in _json_files(dialect):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def schema_file(dialect: str, name: str, direction: str, wire: str) -> Path | None:
    """The schema file for one wire format (`json`, `xml`, `params`, `text`), or None."""
    suffix = {
        "json": ".schema.json",
        "xml": ".xsd",
        "params": ".params.schema.json",
        "form": ".params.schema.json",
        "text": ".text.schema.json",
    }[wire]
    path = schemas_dir() / dialect / f"{name}.{direction}{suffix}"
    return path if path.is_file() else None


@cache
def json_validator(dialect: str, name: str, direction: str, wire: str) -> Draft202012Validator | None:
    """A compiled validator for a JSON-shaped contract (a body, decoded parameters or a text reply)."""
    path = schema_file(dialect, name, direction, wire)
    if path is None:
        return None
    from jsonschema import Draft202012Validator

    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry(dialect), format_checker=format_checker())


@cache
def format_checker() -> Any:
    """The contracts' own formats (smsmock.contracts.moments), asserted; no other format is checked."""
    from jsonschema import FormatChecker

    from smsmock.contracts.moments import FORMATS

    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(check)
    return checker


@cache
def xml_schema(dialect: str, name: str, direction: str) -> xmlschema.XMLSchema10 | None:
    """A compiled XSD for an XML body, or None."""
    path = schema_file(dialect, name, direction, "xml")
    if path is None:
        return None
    import xmlschema

    return xmlschema.XMLSchema10(str(path))


@dataclass(frozen=True, slots=True)
class Document:
    """The provider document a dialect follows (`fixtures/<dialect>/document.yaml`)."""

    dialect: str
    name: str
    """How citations name it: "<name> § <section>"."""
    title: str
    """The heading the document gives itself."""
    file: str
    """The seed file it was transcribed from: the provenance the schemas and tables record."""


@cache
def document(dialect: str) -> Document:
    """The provider document of a dialect."""
    entry = load_fixture(f"{dialect}/document.yaml")
    return Document(dialect, entry["name"], entry["title"], entry["file"])


@cache
def _names_by_file() -> dict[str, str]:
    return {document(dialect).file: document(dialect).name for dialect in dialects()}


def cite(where: str) -> str:
    """A place in a provider document as a user finds it: "<document name> § <section>".

    The schemas and tables record their provenance as "<seed file> § <section>"; the file becomes the
    document's name. Anything else is returned as it is.
    """
    file, separator, section = where.partition(" § ")
    name = _names_by_file().get(file.strip())
    return f"{name} § {section}" if separator and name else where


def source_section(file: str, section: str) -> str:
    """The citation of a table's or erratum's `file` and `section`."""
    return cite(f"{file} § {section}")


def document_section(dialect: str, name: str) -> str:
    """ "<document name> § <section>" for an operation: where a violation's rule comes from by default."""
    found = operation(dialect, name)
    return f"{found.document} § {found.section}"


@cache
def _documents(dialect: str) -> dict[str, Any]:
    """Every JSON Schema of a dialect by its `$id`, as plain JSON (no jsonschema import needed)."""
    documents = {}
    for path in _json_files(dialect):
        contents = json.loads(path.read_text(encoding="utf-8"))
        documents[contents["$id"]] = contents
    return documents


def _resolve(reference: str, base: str, dialect: str) -> tuple[Any, str]:
    """The target of a `$ref` and the `$id` of the document holding it."""
    document_id, _, pointer = reference.partition("#")
    document_id = document_id or base
    target = _documents(dialect)[document_id]
    for token in filter(None, pointer.split("/")):
        target = target[token.replace("~1", "/").replace("~0", "~")]
    return target, document_id


def _inline(node: Any, dialect: str, base: str) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target, target_base = _resolve(node["$ref"], base, dialect)
            resolved = _inline(target, dialect, target_base)
            rest = {key: value for key, value in node.items() if key not in ("$ref", "title", "description")}
            return {"allOf": [resolved, _inline(rest, dialect, base)]} if rest else resolved
        return {
            key: _inline(value, dialect, base)
            for key, value in node.items()
            if key not in ("$id", "$schema", "$defs")
        }
    if isinstance(node, list):
        return [_inline(item, dialect, base) for item in node]
    return node


@cache
def inlined_schema(dialect: str, name: str, direction: str, wire: str) -> dict[str, Any]:
    """A JSON-shaped contract with every `$ref` replaced by its target: one self-contained schema.

    Tools that do not follow `urn:` references (generators, OpenAPI, the compiled fast path) read
    this form.
    """
    path = schema_file(dialect, name, direction, wire)
    if path is None:
        raise UnknownOperation(f"no {wire} contract for {dialect} {name} {direction}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return _inline(schema, dialect, schema["$id"])


@dataclass(frozen=True, slots=True)
class CodeTable:
    """One code table of `fixtures/<dialect>/codes.yaml`: its rows and where they come from."""

    dialect: str
    name: str
    rows: tuple[dict[str, Any], ...]
    source: dict[str, Any]

    @property
    def own(self) -> bool:
        """True when smsmock chose the rows itself (the document is silent)."""
        return bool(self.source.get("own"))


@cache
def code_tables(dialect: str) -> dict[str, CodeTable]:
    """A dialect's code tables by name; `rows_from: <dialect>/<table>` borrows another dialect's rows."""
    raw = load_fixture(f"{dialect}/codes.yaml")
    tables = {}
    for name, entry in raw.items():
        rows = entry.get("rows")
        if rows is None:
            other_dialect, _, other_table = entry["rows_from"].partition("/")
            rows = load_fixture(f"{other_dialect}/codes.yaml")[other_table]["rows"]
        tables[name] = CodeTable(dialect, name, tuple(rows), entry.get("source", {}))
    return tables


@cache
def examples(dialect: str) -> tuple[dict[str, Any], ...]:
    """The documented examples of a dialect (`fixtures/<dialect>/examples.yaml`)."""
    return tuple(load_fixture(f"{dialect}/examples.yaml"))


@cache
def errata() -> dict[str, dict[str, Any]]:
    """Every erratum by id (`fixtures/errata.yaml`), each with the `document` name of its `file`."""
    return {
        entry["id"]: {**entry, "document": _names_by_file().get(entry.get("file", ""), "")}
        for entry in load_fixture("errata.yaml")
    }
