"""The contracts: schemas and tables loaded once, and `validate()` against them."""

from smsmock.contracts.catalog import (
    CodeTable,
    Operation,
    UnknownOperation,
    code_tables,
    dialects,
    errata,
    examples,
    inlined_schema,
    operation,
    operations,
)
from smsmock.contracts.params import decode_params
from smsmock.contracts.validation import Severity, Violation, errors, parse_xml, validate

__all__ = [
    "CodeTable",
    "Operation",
    "Severity",
    "UnknownOperation",
    "Violation",
    "code_tables",
    "decode_params",
    "dialects",
    "errata",
    "errors",
    "examples",
    "inlined_schema",
    "operation",
    "operations",
    "parse_xml",
    "validate",
]
