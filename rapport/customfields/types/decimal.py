"""DECIMAL: an exact decimal number, stored as a canonical string (never a float)."""

from __future__ import annotations

import decimal as pydecimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric

from rapport.customfields.accessors import CANONICAL_DECIMAL, custom_float8
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import (
    ConfigProblem,
    FieldType,
    FieldValueError,
    canonical_setting,
    check_range,
    float_ranges,
    guarded_cast,
    stored_text,
)
from rapport.errors import BadInput, UserErrorCode

MAX_DIGITS = 38
MAX_SCALE = 12


def parse_decimal(value: Any) -> pydecimal.Decimal:
    """An exact decimal from a Decimal, int, numeric string or (JSON) float; refuses NaN and infinities."""
    if isinstance(value, bool):
        raise FieldValueError(UserErrorCode.INVALID, "expected a decimal number")
    try:
        if isinstance(value, float):
            number = pydecimal.Decimal(repr(value))
        elif isinstance(value, pydecimal.Decimal | int):
            number = pydecimal.Decimal(value)
        elif isinstance(value, str) and len(value) <= 100:
            number = pydecimal.Decimal(value.strip())
        else:
            raise FieldValueError(UserErrorCode.INVALID, "expected a decimal number")
    except pydecimal.InvalidOperation as exc:
        raise FieldValueError(UserErrorCode.INVALID, "expected a decimal number, e.g. 12.50") from exc
    if not number.is_finite():
        raise FieldValueError(UserErrorCode.INVALID, "expected a finite decimal number")
    # Bound the written-out form, not only the significant digits: 1E+1000000 has one significant digit but
    # a million in its canonical text, and PostgreSQL's numeric (used to filter and sort) cannot hold it.
    normal = _normalize(number)
    _, digits, exponent = normal.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) + exponent > MAX_DIGITS:
        raise FieldValueError(UserErrorCode.TOO_LARGE, f"at most {MAX_DIGITS} digits before the decimal point")
    if -exponent > MAX_DIGITS:
        raise FieldValueError(UserErrorCode.INVALID, f"at most {MAX_DIGITS} digits after the decimal point")
    if len(digits) > MAX_DIGITS:
        raise FieldValueError(UserErrorCode.TOO_LARGE, f"at most {MAX_DIGITS} significant digits")
    return normal


def _normalize(number: pydecimal.Decimal) -> pydecimal.Decimal:
    """Trailing zeros stripped, never rounded (the default context would round to 28 digits, silently)."""
    exact = pydecimal.Context(
        prec=max(1, len(number.as_tuple().digits)), Emax=pydecimal.MAX_EMAX, Emin=pydecimal.MIN_EMIN
    )
    return number.normalize(exact)


def canonical_decimal(number: pydecimal.Decimal) -> str:
    """One spelling per value ("12.5", never "12.50" or "1.25E+1"), so equality can use JSONB containment."""
    normal = _normalize(number)
    text = format(normal, "f")
    return "0" if text in ("-0", "0") else text


class DecimalType(FieldType):
    name = "DECIMAL"
    equality_by_value = False  # its value expression is a cast, which is not leakproof: containment
    description = 'An exact decimal number (sent and returned as a string, e.g. "12.50").'
    scalar = "Decimal"
    filter_input = "DecimalFilter"
    settings = frozenset({"min", "max", "scale"})

    def range_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any] | None:
        return custom_float8(column, definition.key)

    def filter_clauses(
        self, column: ColumnElement[Any], definition: FieldDefinition, filter_obj: Any
    ) -> list[ColumnElement[bool]]:
        exact = super().filter_clauses(column, definition, filter_obj)
        return exact + float_ranges(custom_float8(column, definition.key), filter_obj, self.filter_value)

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        canonical_setting(config, "min", lambda v: canonical_decimal(parse_decimal(v)))
        canonical_setting(config, "max", lambda v: canonical_decimal(parse_decimal(v)))
        if config.get("min") is not None and config.get("max") is not None:
            check_range({k: pydecimal.Decimal(config[k]) for k in ("min", "max")}, "min", "max")
        scale = config.get("scale")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int) or not 0 <= scale <= MAX_SCALE):
            raise ConfigProblem("scale", UserErrorCode.INVALID, f"scale must be between 0 and {MAX_SCALE}")

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        return canonical_decimal(parse_decimal(value))

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        number = pydecimal.Decimal(stored)
        lo, hi, scale = definition.setting("min"), definition.setting("max"), definition.setting("scale")
        if lo is not None and number < pydecimal.Decimal(lo):
            raise FieldValueError(UserErrorCode.TOO_SMALL, f"must be at least {lo}")
        if hi is not None and number > pydecimal.Decimal(hi):
            raise FieldValueError(UserErrorCode.TOO_LARGE, f"must be at most {hi}")
        exponent = number.as_tuple().exponent
        if scale is not None and isinstance(exponent, int) and -exponent > scale:
            raise FieldValueError(UserErrorCode.INVALID, f"at most {scale} decimal places")

    def value_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any]:
        return guarded_cast(stored_text(column, definition.key), CANONICAL_DECIMAL, Numeric)

    def filter_value(self, value: Any) -> Any:
        # A range operand no stored value can reach (1E+1000000) would make PostgreSQL's numeric overflow.
        try:
            return parse_decimal(value)
        except FieldValueError as exc:
            raise BadInput(f"decimal filter operand: {exc.message}") from exc
