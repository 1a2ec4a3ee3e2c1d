"""PERCENT: an exact percentage, 0 to 100 unless min/max say otherwise (12.5 means 12.5 %)."""

from __future__ import annotations

import decimal as pydecimal
from collections.abc import Mapping
from typing import Any

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import ConfigProblem, FieldValueError
from rapport.customfields.types.decimal import DecimalType
from rapport.errors import UserErrorCode

DEFAULT_MIN, DEFAULT_MAX = pydecimal.Decimal(0), pydecimal.Decimal(100)


def bounds(config: Mapping[str, Any]) -> tuple[pydecimal.Decimal, pydecimal.Decimal]:
    """The smallest and largest value allowed: min and max, or 0 and 100 where they are not set."""
    lo, hi = config.get("min"), config.get("max")
    return (
        DEFAULT_MIN if lo is None else pydecimal.Decimal(lo),
        DEFAULT_MAX if hi is None else pydecimal.Decimal(hi),
    )


class PercentType(DecimalType):
    name = "PERCENT"
    description = 'A percentage as an exact decimal string: "12.5" means 12.5 % (0 to 100 unless configured).'

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        super().check_config(config, definition)
        lo, hi = bounds(config)
        # Both set and crossed is refused above; one bound past the other's default would refuse every value.
        if lo > hi and config.get("max") is None:
            raise ConfigProblem("min", UserErrorCode.INVALID, f"min is greater than the default max ({hi}); set max")
        if lo > hi:
            raise ConfigProblem("max", UserErrorCode.INVALID, f"max is less than the default min ({lo}); set min")

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        number = pydecimal.Decimal(stored)
        lo, hi = bounds(definition.config)
        if number < lo:
            raise FieldValueError(UserErrorCode.TOO_SMALL, f"must be at least {lo} %")
        if number > hi:
            raise FieldValueError(UserErrorCode.TOO_LARGE, f"must be at most {hi} %")
        super().check(stored, definition)
