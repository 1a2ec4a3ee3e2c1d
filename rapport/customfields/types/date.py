"""DATE: a calendar date, stored as ISO-8601 text (text order is date order), with optional min/max."""

from __future__ import annotations

from typing import Any

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import (
    FieldType,
    FieldValueError,
    canonical_setting,
    check_range,
)
from rapport.errors import UserErrorCode
from rapport.schema.scalars import parse_date


class DateType(FieldType):
    name = "DATE"
    description = "A calendar date, e.g. 2024-05-01."
    scalar = "Date"
    filter_input = "DateFilter"
    settings = frozenset({"min", "max"})

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        canonical_setting(config, "min", lambda v: self.parse(v, definition))
        canonical_setting(config, "max", lambda v: self.parse(v, definition))
        check_range(config, "min", "max")

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        try:
            return parse_date(value).isoformat()
        except ValueError as exc:
            raise FieldValueError(UserErrorCode.INVALID, "expected a date like 2024-05-01") from exc

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        lo, hi = definition.setting("min"), definition.setting("max")
        if lo is not None and stored < lo:
            raise FieldValueError(UserErrorCode.TOO_SMALL, f"must be on or after {lo}")
        if hi is not None and stored > hi:
            raise FieldValueError(UserErrorCode.TOO_LARGE, f"must be on or before {hi}")

    def filter_value(self, value: Any) -> Any:
        return value.isoformat()
