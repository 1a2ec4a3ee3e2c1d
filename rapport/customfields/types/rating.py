"""RATING: a whole number of stars from 1 to the field's maximum (default 5, at most 10)."""

from __future__ import annotations

from typing import Any

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import ConfigProblem, FieldValueError
from rapport.customfields.types.integer import IntegerType
from rapport.errors import UserErrorCode

DEFAULT_MAX, LARGEST_MAX = 5, 10


def rating_max(definition: FieldDefinition) -> int:
    value = definition.setting("max")
    return DEFAULT_MAX if value is None else int(value)


class RatingType(IntegerType):
    name = "RATING"
    description = "A rating from 1 to max (max defaults to 5, at most 10)."
    settings = frozenset({"max"})

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        value = config.get("max")
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= LARGEST_MAX
        ):
            raise ConfigProblem("max", UserErrorCode.INVALID, f"max must be a whole number from 2 to {LARGEST_MAX}")

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        top = rating_max(definition)
        if stored < 1:
            raise FieldValueError(UserErrorCode.TOO_SMALL, "ratings start at 1")
        if stored > top:
            raise FieldValueError(UserErrorCode.TOO_LARGE, f"at most {top}")
