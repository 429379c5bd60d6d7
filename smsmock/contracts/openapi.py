"""OpenAPI 3.1 documents generated from a dialect's contracts: operations, schemas, code tables, examples.

The document is built from the data the server itself runs on: `operations.yaml` gives the paths,
methods and fixed operation ids, the JSON Schemas (2020-12, which OpenAPI 3.1 embeds as they are)
become `components/schemas` with their `$ref`s pointing inside the document, the parameter schemas
become query parameters or form bodies, the code tables describe the replies, and the documents'
valid examples travel with their requests and replies. XML bodies are strings naming their XSD.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from smsmock.contracts.catalog import (
    Operation,
    UnknownOperation,
    code_tables,
    dialects,
    examples,
    operations,
    schema_file,
)
from smsmock.contracts.params import decode_params
from smsmock.resources import schemas_dir

OPENAPI_VERSION = "3.1.0"
DEFAULT_SERVER_URL = "http://127.0.0.1:8080"
ERROR_OPERATION = "error"
"""Not an endpoint in any manifest: the error reply every operation of the dialect may give."""
MEDIA_TYPES = {
    "json": "application/json",
    "xml": "application/xml",
    "text": "text/plain",
    "form": "application/x-www-form-urlencoded",
}
"""The media type of each wire format of the manifests (`params` travel in the query string)."""
COMPONENT_PREFIX = "#/components/schemas/"

UNSUPPORTED = {
    "quicktel": (
        "quicktel has no OpenAPI document: its two requests, sms_send and sms_status2, share one path"
        " (POST /quicktel/xml) and are told apart by the name attribute of the XML root, which OpenAPI"
        " cannot express (one operation per method and path), and its bodies are XML only. Its contracts"
        " are the XSDs in schemas/quicktel/; check messages with `smsmock validate --dialect quicktel`."
    ),
}
"""Dialects an OpenAPI document cannot describe, and why."""

_DEFINITION_POINTER = re.compile(r"^/\$defs/([^/]+)(.*)$")
_METADATA = frozenset({"title", "description", "x-section", "x-own"})
_ROUTE_LEVEL_STATUSES = frozenset({404, 405})
"""Error replies to a path or a method that no operation has: no operation lists them."""


class UnsupportedDialect(ValueError):
    """A dialect whose protocol an OpenAPI document cannot describe."""


@dataclass(frozen=True, slots=True)
class _Auth:
    """How a dialect's requests authenticate, as its document says."""

    schemes: dict[str, dict[str, Any]]
    requirements: list[dict[str, list[str]]]
    """Alternatives: any one requirement is enough; each needs every scheme it names."""
    parameters: frozenset[str]
    """Query parameters the schemes carry, left out of the operations' own parameters."""


@dataclass(frozen=True, slots=True)
class _CodeList:
    """Rows of code tables listed in the description of a 200 reply."""

    heading: str
    code: str
    text: str
    tables: tuple[str, ...]
    operations: tuple[str, ...]


_REPLY_CODES = {
    "unified": (
        _CodeList(
            "Each reply line starts with one of these codes (a request-level error is the bare code).",
            "code",
            "description",
            ("error_codes",),
            ("submit", "schedule"),
        ),
    ),
    "sendsms": (
        _CodeList(
            "The plain-text reply (`response` blank or absent) is one of these codes.",
            "code",
            "description",
            ("numeric_codes",),
            ("send_sms",),
        ),
        _CodeList(
            "The JSON reply (`response=json`) carries one of these errors.",
            "error",
            "numeric_code",
            ("json_errors", "json_errors_own"),
            ("send_sms",),
        ),
        _CodeList("Queue states.", "queue_status", "description", ("queue_status",), ("dlr",)),
        _CodeList(
            "A lookup that cannot be made is answered `status: false` with one of these errors.",
            "error",
            "numeric_code",
            ("json_errors_own",),
            ("dlr",),
        ),
        _CodeList(
            "Delivery states.", "dlr_status", "description", ("dlr_status", "dlr_status_own"), ("dlr",)
        ),
    ),
}
"""The code tables that say what each dialect's 200 replies carry."""


def supported_dialects() -> tuple[str, ...]:
    """Every dialect that has an OpenAPI document."""
    return tuple(name for name in dialects() if name not in UNSUPPORTED)


def openapi_document(dialect: str, server_url: str = DEFAULT_SERVER_URL) -> dict[str, Any]:
    """The self-contained OpenAPI 3.1 document of one dialect, naming `server_url` as its server.

    Raises UnknownOperation for a dialect without contracts and UnsupportedDialect for quicktel.
    """
    if dialect in UNSUPPORTED:
        raise UnsupportedDialect(UNSUPPORTED[dialect])
    manifest = operations(dialect)  # an unknown dialect raises UnknownOperation, naming the known ones
    document_name = next(iter(manifest.values())).document
    auth = _auth(dialect, document_name)
    builder = _Builder(dialect, document_name, auth, component_schemas(dialect))
    paths: dict[str, dict[str, Any]] = {}
    webhooks: dict[str, dict[str, Any]] = {}
    for name, contract in manifest.items():
        if name == ERROR_OPERATION:
            continue
        if not contract.paths:
            # The mock POSTs these to a URL the client names: the client is the server.
            webhooks[name] = {"post": builder.webhook(contract)}
            continue
        path_item = paths.setdefault(contract.paths[0], {})
        for method in contract.methods:
            path_item[method.lower()] = builder.operation(contract, method)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": builder.info(),
        "servers": [{"url": server_url.rstrip("/"), "description": "smsmock serve"}],
        "tags": builder.tags(manifest),
        "paths": paths,
    }
    if webhooks:
        document["webhooks"] = webhooks
    components: dict[str, Any] = {"schemas": builder.schemas}
    if builder.responses:
        components["responses"] = builder.responses
    components["securitySchemes"] = auth.schemes
    document["components"] = components
    return document


def _auth(dialect: str, document: str) -> _Auth:
    if dialect in ("shortlink", "qikli"):
        basic = {
            "type": "http",
            "scheme": "basic",
            "description": f"HTTP Basic authentication: the account's username and password ({document}).",
        }
        return _Auth({"basicAuth": basic}, [{"basicAuth": []}], frozenset())
    if dialect == "unified":
        schemes = {
            name: _query_key(name, f"The {name} of the HTTP account, a query parameter ({document}).")
            for name in ("username", "password")
        }
        return _Auth(schemes, [{"username": [], "password": []}], frozenset(schemes))
    if dialect == "sendsms":
        schemes = {
            "key": _query_key(
                "key", f"The API key, spelled as the document's examples spell it ({document})."
            ),
            "Key": _query_key(
                "Key",
                "The API key as the document's parameter list spells it: an alias of `key`; give one"
                " of the two (errata sendsms-key-capitalisation).",
            ),
        }
        return _Auth(schemes, [{"key": []}, {"Key": []}], frozenset(schemes))
    raise UnsupportedDialect(f"smsmock does not know how {dialect} requests authenticate")


def _query_key(name: str, description: str) -> dict[str, Any]:
    return {"type": "apiKey", "in": "query", "name": name, "description": description}


# --- schemas -------------------------------------------------------------------------------------


def component_schemas(dialect: str) -> dict[str, Any]:
    """Every JSON Schema of a dialect as `components/schemas`, its `$ref`s pointing inside the document.

    A file becomes the component named by its stem (`send_text_single.request`,
    `get_reports.request.params`); each `$defs` entry (the shared definitions of
    `common.schema.json`) becomes a component of its own.
    """
    files = sorted((schemas_dir() / dialect).glob("*.schema.json"))
    loaded = {path.name.removesuffix(".schema.json"): json.loads(path.read_text("utf-8")) for path in files}
    names = {contents["$id"]: stem for stem, contents in loaded.items()}
    components: dict[str, Any] = {}
    for stem, contents in loaded.items():
        base = contents["$id"]
        for name, definition in contents.get("$defs", {}).items():
            if name in components or name in loaded:
                raise ValueError(f"{dialect}: the definition {name!r} clashes with another component")
            components[name] = _rewrite(definition, base, names)
        body = {key: value for key, value in contents.items() if key not in ("$schema", "$id", "$defs")}
        if set(body) - _METADATA:
            # A file that only holds definitions (common.schema.json) is no schema of its own.
            components[stem] = _rewrite(body, base, names)
    return dict(sorted(components.items()))


def _rewrite(node: Any, base: str, names: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, base, names) for item in node]
    if not isinstance(node, dict):
        return node
    rewritten = {key: _rewrite(value, base, names) for key, value in node.items()}
    if "$ref" in rewritten:
        rewritten["$ref"] = _component_ref(rewritten["$ref"], base, names)
    return rewritten


def _component_ref(reference: str, base: str, names: dict[str, str]) -> str:
    """`urn:smsmock:<dialect>:common#/$defs/X` -> `#/components/schemas/X`; a whole file -> its stem."""
    document_id, _, pointer = reference.partition("#")
    document_id = document_id or base
    if document_id not in names:
        raise ValueError(f"the reference {reference!r} leaves the dialect's schemas")
    definition = _DEFINITION_POINTER.match(pointer)
    if definition:
        return f"{COMPONENT_PREFIX}{definition.group(1)}{definition.group(2)}"
    return f"{COMPONENT_PREFIX}{names[document_id]}{pointer}"


def component_name(name: str, direction: str, wire: str) -> str:
    """The component of one contract file: `send_sms.response.text`, `get_logs.request.params`, ..."""
    suffix = {"json": "", "params": ".params", "form": ".params", "text": ".text"}[wire]
    return f"{name}.{direction}{suffix}"


def _without(schema: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """A parameters schema without the parameters a security scheme carries, nor rules naming only them."""
    kept = deepcopy(schema)
    kept["properties"] = {key: value for key, value in kept.get("properties", {}).items() if key not in names}
    if "required" in kept:
        kept["required"] = [name for name in kept["required"] if name not in names]
    if "oneOf" in kept:
        # sendsms: "key given as 'key'" / "as 'Key'" become the alternatives of its security requirement.
        kept["oneOf"] = [branch for branch in kept["oneOf"] if not set(branch.get("required", ())) <= names]
        if not kept["oneOf"]:
            del kept["oneOf"]
    return kept


# --- operations ----------------------------------------------------------------------------------


class _Builder:
    """The parts of one dialect's document; the shared error replies collect in `responses`."""

    def __init__(self, dialect: str, document: str, auth: _Auth, schemas: dict[str, Any]) -> None:
        self.dialect = dialect
        self.document = document
        self.auth = auth
        self.schemas = schemas
        self.responses: dict[str, Any] = {}
        # An example with an expected violation shows an erratum of the document, not the API.
        self._examples = [example for example in examples(dialect) if not example.get("expected_violation")]

    def info(self) -> dict[str, Any]:
        from smsmock import __version__
        from smsmock.core.accounts import DEFAULT_ACCOUNTS

        account = DEFAULT_ACCOUNTS[0]
        return {
            "title": f"smsmock {self.dialect} API",
            "version": __version__,
            "summary": f"The {self.dialect} SMS API as its provider document ({self.document}) defines it.",
            "description": (
                f"Generated by `smsmock openapi --dialect {self.dialect}` from smsmock's contracts"
                f" (schemas/{self.dialect}/, fixtures/{self.dialect}/): operations, JSON Schemas,"
                " parameter tables, code tables and the document's valid examples. An XML body is a"
                " string; `x-xsd` names the XSD it follows. `x-section` names the place in the"
                " provider document a rule comes from; `x-accepted-paths` lists the erroneous spellings"
                " of a path the document also uses, which smsmock accepts too. `smsmock serve` accepts"
                f" the documents' own credentials: user {account['username']}, password"
                f" {account['password']}, API key {account['api_key']}."
            ),
            "x-smsmock-dialect": self.dialect,
        }

    def tags(self, manifest: dict[str, Operation]) -> list[dict[str, str]]:
        names = dict.fromkeys(
            _tag(contract) for name, contract in manifest.items() if name != ERROR_OPERATION
        )
        return [{"name": name, "description": f"{self.document} § {name}"} for name in names]

    def operation(self, contract: Operation, method: str) -> dict[str, Any]:
        """One method of an operation; the manifest's first method carries the fixed operation id."""
        first = method == contract.methods[0]
        found = self._heading(contract, contract.name if first else f"{contract.name}_{method.lower()}")
        if not first:
            carried = "a form body" if "form" in contract.request_formats else "the query string"
            found["description"] += f" The {method} form of {contract.name}: its parameters in {carried}."
        if len(contract.paths) > 1:
            found["x-accepted-paths"] = list(contract.paths)
        sent = [
            example
            for example in self._of(contract, "request")
            if example.get("method", contract.methods[0]) == method
        ]
        if "params" in contract.request_formats:
            contract_schema = self.schemas[component_name(contract.name, "request", "params")]
            if method == "GET" or "form" not in contract.request_formats:
                found["parameters"] = self._parameters(contract_schema, sent)
            else:
                schema = _without(contract_schema, self.auth.parameters)
                found["requestBody"] = {
                    "required": True,
                    "content": {MEDIA_TYPES["form"]: {"schema": schema}},
                }
        else:
            found["requestBody"] = self._body(contract, sent)
        if not found.get("parameters"):
            found.pop("parameters", None)
        found["responses"] = self._responses(contract)
        found["security"] = deepcopy(self.auth.requirements)
        return found

    def webhook(self, contract: Operation) -> dict[str, Any]:
        """A POST the mock sends to a URL the client gives (a delivery report, a Number Context answer)."""
        found = self._heading(contract, contract.name)
        found["requestBody"] = self._body(contract, self._of(contract, "request"))
        found["responses"] = {
            "2XX": {"description": "The client's reply: its body is not specified, nor read."}
        }
        return found

    def _heading(self, contract: Operation, operation_id: str) -> dict[str, Any]:
        where = f"{contract.document} § {contract.section}"
        description = f"{where}."
        if contract.extra.get("own"):
            description += " Not in the document: smsmock's own (see fixtures/errata.yaml)."
        if len(contract.paths) > 1:
            description += f" smsmock answers it at {', '.join(contract.paths[1:])} too."
        if "dispatch_on_shared_path" in contract.extra:
            rule = contract.extra["dispatch_on_shared_path"]
            names = ", ".join(rule["when_any_param"])
            description += f" On {rule['path']}, a request with any of {names} is this operation."
        return {
            "operationId": operation_id,
            "summary": _summary(contract),
            "description": description,
            "tags": [_tag(contract)],
            "x-smsmock-operation": contract.name,
            "x-section": where,
        }

    # requests

    def _parameters(self, schema: dict[str, Any], sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
        required = set(schema.get("required", ()))
        decoded = [(example, decode_params(example.get("query", ""))) for example in sent]
        parameters = []
        for name, property_schema in schema.get("properties", {}).items():
            if name in self.auth.parameters:
                continue
            parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
            description = property_schema.get("description") or self._component(property_schema).get(
                "description"
            )
            if description:
                parameter["description"] = description
            parameter["schema"] = deepcopy(property_schema)
            shown = {
                example["id"]: {"summary": example["section"], "value": params[name]}
                for example, params in decoded
                if name in params
            }
            if shown:
                parameter["examples"] = shown
            parameters.append(parameter)
        return parameters

    def _component(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The component a schema refers to (empty if it refers to none)."""
        return self.schemas.get(schema.get("$ref", "").removeprefix(COMPONENT_PREFIX), {})

    def _body(self, contract: Operation, chosen: list[dict[str, Any]]) -> dict[str, Any]:
        content = {
            MEDIA_TYPES[wire]: self._media(contract, "request", wire, chosen)
            for wire in contract.request_formats
        }
        return {"required": True, "content": content}

    def _media(
        self, contract: Operation, direction: str, wire: str, chosen: list[dict[str, Any]]
    ) -> dict[str, Any]:
        media: dict[str, Any] = {"schema": self._schema(contract, direction, wire)}
        shown = {
            example["id"]: {"summary": example["section"], "value": _example_value(example)}
            for example in chosen
            if example["format"] == wire
        }
        if shown:
            media["examples"] = shown
        return media

    def _schema(self, contract: Operation, direction: str, wire: str) -> dict[str, Any]:
        if wire == "xml":
            xsd = schema_file(self.dialect, contract.name, direction, "xml")
            if xsd is None:
                raise UnknownOperation(f"no XSD for {self.dialect} {contract.name} {direction}")
            return {
                "type": "string",
                "contentMediaType": MEDIA_TYPES["xml"],
                "description": f"An XML document; its contract is schemas/{self.dialect}/{xsd.name}.",
                "x-xsd": xsd.name,
            }
        component = component_name(contract.name, direction, wire)
        if component not in self.schemas:
            raise UnknownOperation(f"no {wire} contract for {self.dialect} {contract.name} {direction}")
        return {"$ref": f"{COMPONENT_PREFIX}{component}"}

    # replies

    def _responses(self, contract: Operation) -> dict[str, Any]:
        success: dict[str, Any] = {"description": self._reply_description(contract)}
        content = {
            MEDIA_TYPES[wire]: self._media(contract, "response", wire, self._of(contract, "response"))
            for wire in contract.response_formats
            if wire in MEDIA_TYPES
        }
        if content:
            success["content"] = content
        return {"200": success, **self._error_replies()}

    def _reply_description(self, contract: Operation) -> str:
        lines = ["The operation's reply."]
        tables = code_tables(self.dialect)
        for listed in _REPLY_CODES.get(self.dialect, ()):
            if contract.name not in listed.operations:
                continue
            columns = (listed.code, listed.text)
            lines += ["", listed.heading, "", " | ".join(column.replace("_", " ") for column in columns)]
            lines.append("--- | ---")
            for table in listed.tables:
                lines += [
                    f"`{row[listed.code]}` | {_cell(row.get(listed.text, ''))}"
                    for row in tables[table].rows
                    # A row naming its operations applies to those only.
                    if contract.name in row.get("operations", listed.operations)
                ]
        return "\n".join(lines)

    def _error_replies(self) -> dict[str, dict[str, str]]:
        """The dialect's own error replies by HTTP status, as references to `components/responses`."""
        error = operations(self.dialect).get(ERROR_OPERATION)
        table = code_tables(self.dialect).get("request_errors_own")
        if error is None or table is None:
            return {}
        references = {}
        for row in table.rows:
            if row["http_status"] in _ROUTE_LEVEL_STATUSES:
                continue
            name = row["message_id"]
            if name not in self.responses:
                self.responses[name] = self._error_reply(error, row)
            references[str(row["http_status"])] = {"$ref": f"#/components/responses/{name}"}
        return references

    def _error_reply(self, error: Operation, row: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = {
            "description": (
                f"{row['text']}: {row['when']}."
                f" The body is smsmock's own ({error.document} § {error.section})."
            ),
            "content": {
                MEDIA_TYPES[wire]: self._media(error, "response", wire, []) for wire in error.response_formats
            },
        }
        if row["http_status"] == 401 and "basicAuth" in self.auth.schemes:
            reply["headers"] = {
                "WWW-Authenticate": {
                    "description": "The scheme to authenticate with (RFC 9110).",
                    "schema": {"type": "string"},
                }
            }
        return reply

    def _of(self, contract: Operation, direction: str) -> list[dict[str, Any]]:
        """The valid examples of one direction of an operation."""
        return [
            example
            for example in self._examples
            if example["operation"] == contract.name and example["direction"] == direction
        ]


def _example_value(example: dict[str, Any]) -> Any:
    """An example as OpenAPI holds it: a JSON body parsed, decoded parameters, any other body as text."""
    if example["format"] == "json":
        return json.loads(example["body"])
    if example["format"] == "params":
        return decode_params(example.get("query", ""))
    return example["body"]


def _cell(value: Any) -> str:
    """A value as the text of a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _tag(contract: Operation) -> str:
    """The document's chapter an operation is in."""
    return contract.section.split(" > ", 1)[0].strip()


def _summary(contract: Operation) -> str:
    """The operation's section within its chapter (the chapter itself for a one-level section)."""
    return contract.section.split(" > ", 1)[-1].strip()
