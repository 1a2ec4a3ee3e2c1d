"""Scalars whose wire format matches the canonical storage of custom field values.

Custom DATE and DATETIME values are stored as ISO-8601 strings; these scalars pass such strings through
unchanged, so typed custom fields are served straight from the row's JSONB without per-value conversion.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

UTC = dt.UTC


def format_datetime(value: dt.datetime) -> str:
    """Canonical instant: UTC, fixed width, so text order is time order (custom-field sorting relies on it).
    Built by hand because strftime's %Y does not zero-pad years before 1000 on every platform."""
    utc = value.astimezone(UTC)
    date = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
    return f"{date}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"


def parse_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 64:
        parsed = dt.datetime.fromisoformat(value)
    else:
        raise ValueError("expected an ISO-8601 date-time string with a time zone, e.g. 2024-05-01T09:30:00Z")
    if parsed.tzinfo is None:
        raise ValueError("the date-time needs a time zone offset, e.g. 2024-05-01T09:30:00Z or +08:00")
    return parsed


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        return dt.date.fromisoformat(value)
    raise ValueError("expected an ISO-8601 date, e.g. 2024-05-01")


def _serialize_date(value: dt.date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _serialize_datetime(value: dt.datetime | str) -> str:
    return value if isinstance(value, str) else format_datetime(value)


# Passed as StrawberryConfig(scalar_map=...): plain `datetime.date` / `datetime.datetime` annotations map here.
SCALAR_MAP: dict[object, Any] = {
    dt.date: strawberry.scalar(
        name="Date",
        description="A calendar date in ISO-8601 form, e.g. 2024-05-01.",
        serialize=_serialize_date,
        parse_value=parse_date,
    ),
    dt.datetime: strawberry.scalar(
        name="DateTime",
        description="An instant in ISO-8601 form with a time zone; always returned in UTC, e.g. "
        "2024-05-01T09:30:00.000000Z.",
        serialize=_serialize_datetime,
        parse_value=parse_datetime,
    ),
}
