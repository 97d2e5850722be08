"""OData conventions of the SAP Business One Service Layer: error bodies, literals, JSON and paging links.

The Service Layer responds to an error in one of two shapes, depending on the
version in the base URL::

    /b1s/v1: {"error": {"code": -5002, "message": {"lang": "en-us", "value": "..."}}}
    /b1s/v2: {"error": {"code": "-5002", "message": "...", "details": [...]}}

A collection comes as ``{"value": [...]}`` with ``odata.nextLink`` (v1) or
``@odata.nextLink`` (v2) while more pages follow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

# Error code of an expired or unknown session, sent with HTTP 401 and the message
# "Invalid session or session already timeout." (a number in v1, a string in v2).
SESSION_INVALID_CODE = "301"

# SAP names the database column an error is about as [TABLE.Column], followed by
# [line: N] for a journal entry line, such as "... [JDT1.ProfitCode][line: 2]".
# NOTE: the pattern comes from Service Layer responses quoted in public code, not from SAP's
# documentation. Whether N counts from 0 or 1 is not verified, so the line number is kept as SAP gives it.
_FIELD_PATTERN = re.compile(r"\[(?P<table>\w+)\.(?P<column>\w+)\](?:\[line: (?P<line>\d+)\])?")

# Database columns of the journal entry tables (OJDT header, JDT1 lines) and the property
# names of the request body, from the "Field name" entries of SAP's SDK help.
_PROPERTIES = {
    ("OJDT", "RefDate"): "ReferenceDate",
    ("OJDT", "TaxDate"): "TaxDate",
    ("OJDT", "Memo"): "Memo",
    ("OJDT", "Ref1"): "Reference",
    ("OJDT", "Ref2"): "Reference2",
    ("JDT1", "Account"): "AccountCode",
    ("JDT1", "ShortName"): "ShortName",
    ("JDT1", "LineMemo"): "LineMemo",
    ("JDT1", "ProfitCode"): "CostingCode",
    ("JDT1", "Project"): "ProjectCode",
    ("JDT1", "VatGroup"): "TaxGroup",
}


@dataclass(frozen=True)
class ServiceLayerError:
    """SAP's error code (as text, such as "-5002") and message, and the request property SAP named."""

    code: str
    message: str
    field: str | None = None


def parse_error(response: httpx.Response) -> ServiceLayerError:
    """Read SAP's error from a response in either shape, or describe a response without one by its status."""
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        return ServiceLayerError("", f"HTTP {response.status_code} {response.reason_phrase}".strip())

    message = error.get("message")
    if isinstance(message, dict):
        message = message.get("value")
    text = str(message or f"HTTP {response.status_code}")
    return ServiceLayerError(str(error.get("code", "")), text, named_field(text))


def named_field(message: str) -> str | None:
    """Return the request property that a message names, such as ``JournalEntryLines[2].CostingCode``."""
    match = _FIELD_PATTERN.search(message)
    if match is None:
        return None

    table, column = match["table"], match["column"]
    name = _PROPERTIES.get((table, column), f"{table}.{column}")
    if match["line"] is not None:
        return f"JournalEntryLines[{match['line']}].{name}"
    return name


def is_session_invalid(response: httpx.Response) -> bool:
    """Return whether the response reports an expired or unknown session, so a new login may help."""
    if response.status_code == 401:
        return True
    return response.status_code >= 400 and parse_error(response).code == SESSION_INVALID_CODE


def string_literal(value: str) -> str:
    """Quote ``value`` as an OData string literal, doubling each single quote inside."""
    return "'" + value.replace("'", "''") + "'"


def read_json(response: httpx.Response) -> dict[str, Any]:
    """Parse a response's JSON object, reading numbers that have a fraction as Decimal."""
    payload = json.loads(response.content, parse_float=Decimal)
    if not isinstance(payload, dict):
        raise ValueError(f"expected a JSON object, got {type(payload).__name__}")
    return payload


def next_link(payload: dict[str, Any]) -> str | None:
    """Return the link to a collection's next page, None on the last page."""
    return payload.get("@odata.nextLink") or payload.get("odata.nextLink")


def encode_json(body: dict[str, Any]) -> bytes:
    """Encode a request body, writing Decimal amounts as JSON numbers."""
    return json.dumps(body, default=_decimal_number, ensure_ascii=False).encode()


def _decimal_number(value: object) -> float:
    # The amounts are rounded to øre before this point. A float made from a value
    # of at most 15 significant digits prints as the same digits, so no øre is lost.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
