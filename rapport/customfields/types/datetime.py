"""DATETIME: an instant, stored as fixed-width UTC ISO-8601 text (text order is time order)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import FieldType, FieldValueError
from rapport.errors import UserErrorCode
from rapport.schema.scalars import format_datetime, parse_datetime


def canonical_instant(value: dt.datetime) -> str:
    """``format_datetime``'s form with the year always four digits: strftime's %Y gives "999" on some
    platforms, which breaks the fixed width that makes text order time order."""
    text = format_datetime(value)
    year, rest = text.split("-", 1)
    return f"{int(year):04d}-{rest}"


class DateTimeType(FieldType):
    name = "DATETIME"
    description = "An instant with a time zone, e.g. 2024-05-01T09:30:00+08:00; returned in UTC."
    scalar = "DateTime"
    filter_input = "DateTimeFilter"

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        try:
            return canonical_instant(parse_datetime(value))
        except (ValueError, OverflowError) as exc:
            raise FieldValueError(UserErrorCode.INVALID, str(exc) or "expected an ISO-8601 date-time") from exc

    def filter_value(self, value: Any) -> Any:
        return canonical_instant(value)
