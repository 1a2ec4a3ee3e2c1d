"""MONEY: an exact amount with its ISO 4217 currency, stored as {"amount": "12.5", "currency": "CNY"}.

Filters and sorts use the amount (numeric) and the currency (text); amounts in different currencies are
never converted into each other.
"""

from __future__ import annotations

import decimal as pydecimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric

from rapport.customfields.accessors import CANONICAL_DECIMAL, custom_amount_float8
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import (
    ConfigProblem,
    FieldType,
    FieldValueError,
    TypeScope,
    canonical_setting,
    float_ranges,
    guarded_cast,
    stored_text,
)
from rapport.customfields.types.decimal import canonical_decimal, parse_decimal
from rapport.errors import UserErrorCode
from rapport.schema.filters import FilterOps, compare, is_set
from rapport.validation import currency_code

MAX_SCALE = 4


def _currency(value: Any, setting: str | None = None) -> str:
    try:
        return currency_code(value)
    except FieldValueError as exc:
        if setting:
            raise ConfigProblem(setting, exc.code, exc.message) from exc
        raise FieldValueError(exc.code, exc.message, ("currency",)) from exc


def _parse_amount(value: Any) -> pydecimal.Decimal:
    try:
        amount = parse_decimal(value)
    except FieldValueError as exc:
        raise FieldValueError(exc.code, exc.message, ("amount",)) from exc
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_SCALE:
        raise FieldValueError(UserErrorCode.INVALID, f"at most {MAX_SCALE} decimal places", ("amount",))
    return amount


class MoneyType(FieldType):
    name = "MONEY"
    description = "An exact amount of money with its ISO 4217 currency (Money; the currency defaults to the field's)."
    scalar = "Money"
    filter_input = "MoneyFilter"
    settings = frozenset({"currency", "min", "max"})

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        if config.get("currency") is not None:
            config["currency"] = _currency(config["currency"], "currency")
        canonical_setting(config, "min", lambda v: canonical_decimal(parse_decimal(v)))
        canonical_setting(config, "max", lambda v: canonical_decimal(parse_decimal(v)))
        lo, hi = config.get("min"), config.get("max")
        if lo is not None and hi is not None and pydecimal.Decimal(lo) > pydecimal.Decimal(hi):
            raise ConfigProblem("min", UserErrorCode.INVALID, "min is greater than max")

    def input_type(self, definition: FieldDefinition, scope: TypeScope) -> Any:
        return scope.named("MoneyInput")

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        if not isinstance(value, dict) or "amount" not in value:
            raise FieldValueError(UserErrorCode.INVALID, 'expected {"amount": "12.50", "currency": "CNY"}')
        amount = _parse_amount(value["amount"])
        currency = value.get("currency") or definition.setting("currency")
        if currency is None:
            raise FieldValueError(
                UserErrorCode.REQUIRED, "give the currency (the field has no default currency)", ("currency",)
            )
        return {"amount": canonical_decimal(amount), "currency": _currency(currency)}

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        amount = pydecimal.Decimal(stored["amount"])
        lo, hi = definition.setting("min"), definition.setting("max")
        if lo is not None and amount < pydecimal.Decimal(lo):
            raise FieldValueError(UserErrorCode.TOO_SMALL, f"must be at least {lo}", ("amount",))
        if hi is not None and amount > pydecimal.Decimal(hi):
            raise FieldValueError(UserErrorCode.TOO_LARGE, f"must be at most {hi}", ("amount",))

    def value_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any]:
        """The amount: what sorting and exact amount comparisons use (and a sortable field's btree is built on)."""
        return guarded_cast(stored_text(column, definition.key, "amount"), CANONICAL_DECIMAL, Numeric)

    def range_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any] | None:
        return custom_amount_float8(column, definition.key)

    def currency_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any]:
        text: ColumnElement[Any] = stored_text(column, definition.key, "currency")
        return text

    def filter_clauses(
        self, column: ColumnElement[Any], definition: FieldDefinition, filter_obj: Any
    ) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        amount, currency = filter_obj.amount, filter_obj.currency
        if is_set(amount):
            clauses += compare(self.value_expr(column, definition), FilterOps(amount), self._amount)
            clauses += float_ranges(custom_amount_float8(column, definition.key), FilterOps(amount), self._amount)
        if is_set(currency):
            clauses += compare(
                self.currency_expr(column, definition),
                FilterOps(currency),
                lambda v: v.upper() if isinstance(v, str) else v,
            )
        return clauses

    def _amount(self, value: Any) -> pydecimal.Decimal:
        from rapport.errors import BadInput

        try:
            return parse_decimal(value)
        except FieldValueError as exc:
            raise BadInput(f"money filter operand: {exc.message}") from exc
