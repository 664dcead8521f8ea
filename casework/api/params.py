"""Query parameters of the API: what the OpenAPI schema says they accept, and the one reading of
them that refuses (400, with the parameter's name) whatever the schema does not allow.

A parameter sent empty (`?region=`) counts as not given; the schema says so (`anyOf` with "").
"""

import datetime as dt
import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from casework.access import MAX_ID

ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
ANY_ID = {"type": "integer", "minimum": 1}


def numbers_up_to(highest: int) -> str:
    """A regular expression for the whole numbers from 1 to `highest`, without leading zeros."""
    top = str(highest)
    ways = [f"[1-9][0-9]{{0,{len(top) - 2}}}"] if len(top) > 1 else []
    for at, digit in enumerate(top):
        low, high = (1 if at == 0 else 0), int(digit) - 1
        if high >= low:
            ways.append(f"{top[:at]}[{low}-{high}][0-9]{{{len(top) - at - 1}}}")
    return "|".join([*ways, top])


ID_TEXT = {"type": "string", "pattern": rf"^\s*(?:{numbers_up_to(MAX_ID)})\s*$"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)
EMPTY = {"type": "string", "enum": [""]}


def or_empty(schema: dict) -> dict:
    """The schema of an optional query parameter that may also be sent empty (= not given)."""
    return {"anyOf": [schema, EMPTY]}


def choice(values) -> dict:
    return {"type": "string", "enum": sorted(values)}


def query(name: str, schema: dict, *, required: bool = False, empty: bool = True, description: str | None = None,
          **kwargs) -> OpenApiParameter:
    """An OpenAPI query parameter; an optional one may also be sent empty (unless `empty` is False)."""
    return OpenApiParameter(name, or_empty(schema) if empty and not required else schema, required=required,
                            description=description, **kwargs)


def read_id(params, name: str, message: str, *, beyond: bool = False) -> int | None:
    """An optional id parameter: None when absent or empty (or, with `beyond`, past the highest id:
    a filter by a row that cannot exist is left out, as on the HTML pages; its schema is ANY_ID)."""
    value = params.get(name, "")
    if value == "":
        return None
    if not (value.isascii() and value.isdigit() and 0 < int(value)):
        raise ValidationError({name: [message]})
    if int(value) > MAX_ID:
        if beyond:
            return None
        raise ValidationError({name: [message]})
    return int(value)


def read_choice(params, name: str, values) -> str:
    """An optional parameter from a closed list: "" when absent or empty."""
    value = params.get(name, "")
    if value and value not in values:
        raise ValidationError({name: [f"Choose one of: {', '.join(values)}."]})
    return value


def read_int(params, name: str, low: int, high: int, message: str) -> int:
    """A required whole number from low to high."""
    value = params.get(name, "")
    if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
        raise ValidationError({name: [message]})
    return int(value)


def read_date(params, name: str, *, required: bool = False) -> dt.date | None:
    """A date as YYYY-MM-DD (None when an optional one is absent or empty)."""
    value = params.get(name, "")
    if value == "" and not required:
        return None
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: ["Give a date as YYYY-MM-DD."]}) from None


def read_date_time(params, name: str) -> dt.datetime | None:
    """An optional moment as RFC 3339 (with its offset), None when absent or empty."""
    value = params.get(name, "")
    if value == "":
        return None
    try:
        if not RFC3339.fullmatch(value):
            raise ValueError(value)
        return dt.datetime.fromisoformat(value.upper()).astimezone(dt.UTC)
    except (ValueError, OverflowError):  # e.g. month 13, or a moment before year 1 in UTC
        raise ValidationError({name: ["Give a date and time as in 2026-11-27T09:30:00Z (RFC 3339)."]}) from None
