"""BOOLEAN: true or false."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, cast

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import FieldType, FieldValueError, stored_text
from rapport.errors import UserErrorCode


class BooleanType(FieldType):
    name = "BOOLEAN"
    equality_by_value = False  # its value expression is a cast, which is not leakproof: containment
    description = "True or false."
    scalar = "Boolean"
    filter_input = "BooleanFilter"

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        if not isinstance(value, bool):
            raise FieldValueError(UserErrorCode.INVALID, "expected true or false")
        return value

    def value_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any]:
        return cast(stored_text(column, definition.key), Boolean)
