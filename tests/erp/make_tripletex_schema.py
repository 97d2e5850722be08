"""Extract the part of Tripletex's OpenAPI description that the Tripletex stand-in checks requests against.

Usage::

    git -C /work/.mirror/learnist-software+tripletex-php/repo show \\
        8c54ad90645778db3e32777864ba8b940e524a0a:tripletex-api.json > /tmp/tripletex-api.json
    python tests/erp/make_tripletex_schema.py /tmp/tripletex-api.json

The input is Tripletex's swagger.json (Swagger 2.0, "Tripletex API" 2.70.19)
as shipped in the generated PHP client learnist-software/tripletex-php. The
output, tests/erp/schemas/tripletex.json, contains the operations in
OPERATIONS, the definitions reachable from ROOTS up to two $ref steps deep,
and the status and error codes listed in the API's description. A $ref
three steps away becomes {"type": "object"}, so the stand-in accepts any
object there. Descriptions are left out because nothing validates them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).parent / "schemas" / "tripletex.json"

SOURCE = {
    "title": "Tripletex API",
    "version": "2.70.19",
    "repository": "https://github.com/learnist-software/tripletex-php",
    "commit": "8c54ad90645778db3e32777864ba8b940e524a0a",
    "path": "tripletex-api.json",
}

# (path, method) of every operation the Tripletex connector calls.
OPERATIONS = (
    ("/token/session/:create", "put"),
    ("/ledger/account", "get"),
    ("/ledger/vatType", "get"),
    ("/department", "get"),
    ("/project", "get"),
    ("/currency", "get"),
    ("/ledger/voucherType", "get"),
    ("/ledger/voucher", "get"),
    ("/ledger/voucher", "post"),
    ("/ledger/voucher/{id}", "get"),
    ("/ledger/voucher/>externalVoucherNumber", "get"),
    ("/ledger/voucher/{voucherId}/attachment", "post"),
    ("/supplier", "get"),
)

ROOTS = (
    "Voucher", "Posting", "Account", "VatType", "Department", "Project", "Currency", "VoucherType", "Supplier",
    "SessionToken", "ApiError", "ApiValidationMessage",
    "ResponseWrapperSessionToken", "ResponseWrapperVoucher",
    "ListResponseAccount", "ListResponseVatType", "ListResponseDepartment", "ListResponseProject",
    "ListResponseCurrency", "ListResponseVoucherType", "ListResponseVoucher", "ListResponseSupplier",
    "VoucherSearchResponse",
)

MAX_DEPTH = 2

# Keys of a parameter or schema that validation does not read.
DROPPED_KEYS = {"description", "example", "x-example"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("swagger", type=Path, help="Tripletex's swagger.json, version " + SOURCE["version"])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the extract")
    args = parser.parse_args(argv)

    swagger = json.loads(args.swagger.read_text(encoding="utf-8"))
    version = swagger["info"]["version"]
    if version != SOURCE["version"]:
        print(f"{args.swagger}: version {version}, expected {SOURCE['version']}; "
              "update SOURCE when extracting from another version", file=sys.stderr)
        return 1

    extract = {
        "source": SOURCE,
        "basePath": swagger["basePath"],
        "errorCodes": error_codes(swagger["info"]["description"]),
        "paths": operations(swagger["paths"]),
        "definitions": reachable_definitions(swagger["definitions"]),
    }
    args.output.write_text(json.dumps(extract, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                           encoding="utf-8")
    print(f"wrote {len(extract['definitions'])} definitions and {len(OPERATIONS)} operations to {args.output}")
    return 0


def operations(paths: dict[str, Any]) -> dict[str, Any]:
    """Return the OPERATIONS with their parameters and response schemas."""
    selected: dict[str, Any] = {}
    for path, method in OPERATIONS:
        operation = paths[path][method]
        selected.setdefault(path, {})[method] = {
            "summary": operation.get("summary", ""),
            "consumes": operation.get("consumes", ["application/json"]),
            "parameters": [_without_text(parameter) for parameter in operation.get("parameters", [])],
            "responses": _without_text(operation["responses"]),
        }
    return selected


def reachable_definitions(definitions: dict[str, Any]) -> dict[str, Any]:
    """Return ROOTS and the definitions they reach within MAX_DEPTH $ref steps.

    References that lead further are replaced by {"type": "object"}, keeping
    a readOnly flag set beside the $ref.
    """
    depth = {name: 0 for name in ROOTS}
    frontier = list(ROOTS)
    for step in range(1, MAX_DEPTH + 1):
        reached = []
        for name in frontier:
            for target in sorted(_references(definitions[name])):
                if target not in depth:
                    depth[target] = step
                    reached.append(target)
        frontier = reached

    return {name: _cut_references(_without_text(definitions[name]), set(depth)) for name in sorted(depth)}


def error_codes(description: str) -> dict[str, dict[str, str]]:
    """Read the "Status codes / Error codes" list of the API description: {status: {code: name}}."""
    section = description.split("## Status codes / Error codes", 1)[1]
    codes: dict[str, dict[str, str]] = {}
    status = ""
    for line in section.splitlines():
        status_match = re.match(r"^- \*\*(\d{3}) ", line)
        code_match = re.match(r"^\s+-\s+\*\*(\d+)\*\* (.+)$", line)
        if status_match:
            status = status_match.group(1)
            codes[status] = {}
        elif code_match and status:
            codes[status][code_match.group(1)] = code_match.group(2).strip()
    return codes


def _references(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.add(value.rsplit("/", 1)[-1])
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for value in node:
            found |= _references(value)
    return found


def _cut_references(node: Any, kept: set[str]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"].rsplit("/", 1)[-1] not in kept:
            cut = {"type": "object"}
            if node.get("readOnly"):
                cut["readOnly"] = True
            return cut
        return {key: _cut_references(value, kept) for key, value in node.items()}
    if isinstance(node, list):
        return [_cut_references(value, kept) for value in node]
    return node


def _without_text(node: Any) -> Any:
    # A property may itself be called "description" (Voucher.description), so only
    # string values are dropped, never a property's schema.
    if isinstance(node, dict):
        return {key: _without_text(value) for key, value in node.items()
                if not (key in DROPPED_KEYS and isinstance(value, str))}
    if isinstance(node, list):
        return [_without_text(value) for value in node]
    return node


if __name__ == "__main__":
    sys.exit(main())
