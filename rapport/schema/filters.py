"""Filter inputs shared by core and custom fields, and how each operator becomes SQL.

Every entity filter is built from these: one input per scalar kind, each with the operators that make sense
for it. ``None`` and absent operators are ignored; use ``isNull`` to match missing values.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, and_, false, not_, or_, true
from sqlalchemy.sql.expression import literal
from strawberry.scalars import JSON

from rapport.errors import BadInput

MAX_IN_VALUES = 500


@strawberry.input(description="Conditions on a text value. `contains` and `startsWith` ignore case.")
class StringFilter:
    eq: str | None = strawberry.UNSET
    ne: str | None = strawberry.UNSET
    in_: list[str] | None = strawberry.field(name="in", default=strawberry.UNSET)
    contains: str | None = strawberry.UNSET
    starts_with: str | None = strawberry.UNSET
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on a whole number.")
class IntFilter:
    eq: int | None = strawberry.UNSET
    ne: int | None = strawberry.UNSET
    in_: list[int] | None = strawberry.field(name="in", default=strawberry.UNSET)
    lt: int | None = strawberry.UNSET
    lte: int | None = strawberry.UNSET
    gt: int | None = strawberry.UNSET
    gte: int | None = strawberry.UNSET
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on an exact decimal number.")
class DecimalFilter:
    eq: decimal.Decimal | None = strawberry.UNSET
    ne: decimal.Decimal | None = strawberry.UNSET
    in_: list[decimal.Decimal] | None = strawberry.field(name="in", default=strawberry.UNSET)
    lt: decimal.Decimal | None = strawberry.UNSET
    lte: decimal.Decimal | None = strawberry.UNSET
    gt: decimal.Decimal | None = strawberry.UNSET
    gte: decimal.Decimal | None = strawberry.UNSET
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on a calendar date.")
class DateFilter:
    eq: dt.date | None = strawberry.UNSET
    ne: dt.date | None = strawberry.UNSET
    in_: list[dt.date] | None = strawberry.field(name="in", default=strawberry.UNSET)
    lt: dt.date | None = strawberry.UNSET
    lte: dt.date | None = strawberry.UNSET
    gt: dt.date | None = strawberry.UNSET
    gte: dt.date | None = strawberry.UNSET
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on an instant.")
class DateTimeFilter:
    eq: dt.datetime | None = strawberry.UNSET
    ne: dt.datetime | None = strawberry.UNSET
    in_: list[dt.datetime] | None = strawberry.field(name="in", default=strawberry.UNSET)
    lt: dt.datetime | None = strawberry.UNSET
    lte: dt.datetime | None = strawberry.UNSET
    gt: dt.datetime | None = strawberry.UNSET
    gte: dt.datetime | None = strawberry.UNSET
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on a true/false value.")
class BooleanFilter:
    eq: bool | None = strawberry.UNSET
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on an object ID (global ID).")
class IDFilter:
    eq: strawberry.ID | None = strawberry.UNSET
    ne: strawberry.ID | None = strawberry.UNSET
    in_: list[strawberry.ID] | None = strawberry.field(name="in", default=strawberry.UNSET)
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on an amount of money: its amount and its currency.")
class MoneyFilter:
    amount: DecimalFilter | None = strawberry.UNSET
    currency: StringFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on a JSON value.")
class JSONFilter:
    contains: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="The value contains this JSON (objects: these keys and values)."
    )
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on a list of text values (tags).")
class StringListFilter:
    contains_any: list[str] | None = strawberry.UNSET
    contains_all: list[str] | None = strawberry.UNSET
    is_empty: bool | None = strawberry.UNSET


Adapt = Callable[[Any], Any]
OPERATORS = ("eq", "ne", "in_", "lt", "lte", "gt", "gte", "contains", "starts_with", "is_null")


def is_set(value: Any) -> bool:
    return value is not None and value is not strawberry.UNSET


def set_operators(filter_obj: Any) -> list[tuple[str, Any]]:
    """The operators given on a filter input, in declaration order."""
    return [(op, getattr(filter_obj, op)) for op in OPERATORS if is_set(getattr(filter_obj, op, None))]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def no_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; such an operand is the client's mistake, not a server error."""
    if isinstance(value, str) and "\x00" in value:
        raise BadInput("filter text may not contain NUL characters")
    if isinstance(value, list):
        for item in value:
            no_nul(item)
    return value


def compare(expr: ColumnElement[Any], filter_obj: Any, adapt: Adapt = lambda v: v) -> list[ColumnElement[bool]]:
    """SQL conditions for a scalar filter input applied to ``expr`` (all must hold)."""
    clauses: list[ColumnElement[bool]] = []
    for op, value in set_operators(filter_obj):
        no_nul(value)
        if op == "is_null":
            clauses.append(expr.is_(None) if value else expr.is_not(None))
        elif op == "in_":
            if len(value) > MAX_IN_VALUES:
                raise BadInput(f"`in` takes at most {MAX_IN_VALUES} values")
            clauses.append(expr.in_([adapt(v) for v in value]) if value else false())
        elif op == "contains":
            clauses.append(expr.ilike(f"%{escape_like(value)}%", escape="\\"))
        elif op == "starts_with":
            clauses.append(expr.ilike(f"{escape_like(value)}%", escape="\\"))
        else:
            clauses.append(_BINARY[op](expr, literal(adapt(value), expr.type)))
    return clauses


_BINARY: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


def combine(clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if not clauses:
        return true()
    return clauses[0] if len(clauses) == 1 else and_(*clauses)


__all__ = [
    "BooleanFilter",
    "DateFilter",
    "DateTimeFilter",
    "DecimalFilter",
    "IDFilter",
    "IntFilter",
    "StringFilter",
    "StringListFilter",
    "combine",
    "compare",
    "not_",
    "or_",
]


_PYTHON_NAMES = {
    "in": "in_",
    "isNull": "is_null",
    "startsWith": "starts_with",
    "containsAny": "contains_any",
    "containsAll": "contains_all",
    "isEmpty": "is_empty",
}


class FilterOps:
    """A filter input that arrived as a dict (custom fields' per-tenant inputs), read like the strawberry
    filter inputs: ``ops.is_null``, ``ops.in_``; absent operators read as None."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = {_PYTHON_NAMES.get(k, k): v for k, v in values.items()}

    def __getattr__(self, name: str) -> Any:
        return self._values.get(name)
