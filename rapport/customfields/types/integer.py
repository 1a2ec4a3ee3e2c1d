"""INTEGER: a whole number within GraphQL's 32-bit Int, with optional min/max."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from rapport.customfields.accessors import custom_bigint
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import (
    FieldType,
    FieldValueError,
    canonical_setting,
    check_range,
)
from rapport.errors import UserErrorCode

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def check_bounds(value: Any, definition: FieldDefinition) -> None:
    lo, hi = definition.setting("min"), definition.setting("max")
    if lo is not None and value < lo:
        raise FieldValueError(UserErrorCode.TOO_SMALL, f"must be at least {lo}")
    if hi is not None and value > hi:
        raise FieldValueError(UserErrorCode.TOO_LARGE, f"must be at most {hi}")


class IntegerType(FieldType):
    name = "INTEGER"
    description = "A whole number between -2147483648 and 2147483647."
    scalar = "Int"
    filter_input = "IntFilter"
    settings = frozenset({"min", "max"})

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        canonical_setting(config, "min", lambda v: self.parse(v, definition))
        canonical_setting(config, "max", lambda v: self.parse(v, definition))
        check_range(config, "min", "max")

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldValueError(UserErrorCode.INVALID, "expected a whole number")
        if not INT_MIN <= value <= INT_MAX:
            code = UserErrorCode.TOO_SMALL if value < INT_MIN else UserErrorCode.TOO_LARGE
            raise FieldValueError(code, f"must be between {INT_MIN} and {INT_MAX}")
        return value

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        check_bounds(stored, definition)

    def value_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any]:
        return custom_bigint(column, definition.key)
