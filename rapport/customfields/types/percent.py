"""PERCENT: an exact percentage, 0 to 100 unless min/max say otherwise (12.5 means 12.5 %)."""

from __future__ import annotations

import decimal as pydecimal
from typing import Any

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import FieldValueError
from rapport.customfields.types.decimal import DecimalType
from rapport.errors import UserErrorCode

DEFAULT_MIN, DEFAULT_MAX = pydecimal.Decimal(0), pydecimal.Decimal(100)


class PercentType(DecimalType):
    name = "PERCENT"
    description = 'A percentage as an exact decimal string: "12.5" means 12.5 % (0 to 100 unless configured).'

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        number = pydecimal.Decimal(stored)
        lo = pydecimal.Decimal(definition.setting("min")) if definition.setting("min") is not None else DEFAULT_MIN
        hi = pydecimal.Decimal(definition.setting("max")) if definition.setting("max") is not None else DEFAULT_MAX
        if number < lo:
            raise FieldValueError(UserErrorCode.TOO_SMALL, f"must be at least {lo} %")
        if number > hi:
            raise FieldValueError(UserErrorCode.TOO_LARGE, f"must be at most {hi} %")
        super().check(stored, definition)
