"""The contract every custom field type implements, and the shared behaviour of scalar types.

A type knows how to: check its configuration, turn an input value into its canonical stored JSON, describe
its GraphQL output / input / filter types, and produce the SQL for filters and sorting. The SQL value
expression (``value_expr``) is the exact expression expression indexes are built on, so filters and sorts
that use it can use those indexes.
"""

from __future__ import annotations

import decimal as pydecimal
import operator
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLOutputType,
)
from sqlalchemy import Boolean, ColumnElement, Text, and_, case, cast, false, literal_column, not_, null, or_
from sqlalchemy.dialects.postgresql import JSONB

from rapport.customfields.accessors import custom_text, json_key
from rapport.customfields.definition import FieldDefinition
from rapport.errors import BadInput, UserErrorCode
from rapport.schema.filters import MAX_IN_VALUES, compare, set_operators


def stored_text(column: ColumnElement[Any], *path: str) -> ColumnElement[Any]:
    """``custom ->> 'key'`` (or ``custom -> 'key' ->> 'part'``) with the keys written into the SQL, not bound
    (see ``json_key``). Value expressions use the accessors instead where row-level security allows indexes
    to serve them (``rapport.customfields.accessors``)."""
    keys = [json_key(part) for part in path]
    expression: ColumnElement[Any] = column
    for key in keys[:-1]:
        expression = expression.op("->", return_type=JSONB)(key)
    return expression.op("->>", return_type=Text)(keys[-1])


def float_ranges(
    expr: ColumnElement[Any], filter_obj: Any, number: Callable[[Any], pydecimal.Decimal]
) -> list[ColumnElement[bool]]:
    """The float8 conditions an exact decimal filter implies (``eq``, ``in``, ``gt``, ``gte``, ``lt``, ``lte``),
    on ``expr``, a leakproof float8 accessor of the value: under row-level security an index can serve them,
    which it cannot for numeric comparisons (decision 29). Rounding to float8 is monotonic, so ``x > v``
    implies ``float8(x) >= float8(v)``: each is a superset of its exact condition, which stays beside it and
    decides. ``number`` parses an operand (and refuses a bad one, as the exact condition does)."""
    clauses: list[ColumnElement[bool]] = []
    for op, value in set_operators(filter_obj):
        if op == "in_" and value:
            clauses.append(expr.in_([float(number(v)) for v in value]))
        elif op in _FLOAT_BOUNDS:
            clauses.append(_FLOAT_BOUNDS[op](expr, float(number(value))))
    return clauses


# Each exact comparison and the float8 one it implies.
_FLOAT_BOUNDS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": operator.eq,
    "gt": operator.ge,
    "gte": operator.ge,
    "lt": operator.le,
    "lte": operator.le,
}


def guarded_cast(text: ColumnElement[Any], pattern: str, type_: Any) -> ColumnElement[Any]:
    """``CAST(text AS type_)`` where ``text`` matches ``pattern`` (a form the cast always accepts), else NULL.

    An expression index is shared by every tenant whose field has the same key and type, and PostgreSQL
    evaluates it for every row of the table on every write. A bare cast would fail on another tenant's value
    under the same key (a TEXT "high" beside an INTEGER index) and refuse that tenant's writes. The pattern is
    written into the SQL, like the keys, so the index and the queries spell the expression the same way."""
    if "'" in pattern:
        raise ValueError(f"unsafe pattern {pattern!r}")
    matches = text.op("~", return_type=Boolean)(literal_column(f"'{pattern}'"))
    return case((matches, cast(text, type_)), else_=null())


class FieldValueError(Exception):
    """A value does not fit its field. Becomes a userError at the value's path."""

    def __init__(self, code: UserErrorCode, message: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path  # below the field itself, for nested inputs (e.g. ("country",) of an address)


class ConfigProblem(Exception):
    """A definition's settings do not fit its type; ``setting`` is the input field to blame."""

    def __init__(self, setting: str, code: UserErrorCode, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.code = code
        self.message = message


class TypeScope(Protocol):
    """What the schema builder offers a field type while it builds one tenant's custom types."""

    def named(self, name: str) -> GraphQLNamedType:
        """A type of the shared base schema: a scalar (String, Int, Decimal, Date, ...) or a filter input."""
        ...

    def option_enum(self, definition: FieldDefinition) -> GraphQLEnumType:
        """The per-tenant enum of a select field's options (values are the stored option ids)."""
        ...

    def option_filter(self, definition: FieldDefinition, *, multi: bool) -> GraphQLInputObjectType: ...


class FieldType(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    # Settings (beyond required/default) this type understands; anything else is refused.
    settings: ClassVar[frozenset[str]] = frozenset()
    sortable: ClassVar[bool] = True
    # Equality (eq, ne, in) compares the value expression with the canonical stored value. Under row-level
    # security only leakproof comparisons can use an index: the accessors' are (the btree index of a filterable
    # field serves them), JSONB containment is not (the GIN index on `custom` never serves the app's role).
    # Types whose value expression is not a leakproof accessor of the stored form keep containment.
    equality_by_value: ClassVar[bool] = True

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:  # noqa: B027 (optional hook)
        """Raise ConfigProblem when settings are malformed or contradict each other; may canonicalise them
        in place. Settings the type does not know are refused before this is called."""

    @abstractmethod
    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        """The canonical JSON for a value given through GraphQL (typed or generic), checking its form only;
        raises FieldValueError."""

    def check(self, stored: Any, definition: FieldDefinition) -> None:  # noqa: B027 (optional hook)
        """Raise FieldValueError when a well-formed value breaks the definition's constraints."""

    def to_storage(self, value: Any, definition: FieldDefinition) -> Any:
        stored = self.parse(value, definition)
        self.check(stored, definition)
        return stored

    # The base-schema scalar and filter input this type uses (select types build per-tenant ones instead).
    scalar: ClassVar[str] = "String"
    filter_input: ClassVar[str] = "StringFilter"

    def output_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLOutputType:
        """The field's (nullable) GraphQL output type; values are served as stored."""
        return scope.named(self.scalar)  # type: ignore[return-value]

    def output_field(self, definition: FieldDefinition, scope: TypeScope, description: str) -> GraphQLField:
        """The output field; read straight from the row's JSONB dict unless a type needs a resolver."""
        return GraphQLField(self.output_type(definition, scope), description=description)

    def input_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLInputType:
        return scope.named(self.scalar)  # type: ignore[return-value]

    def filter_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLInputType:
        """The filter input for this field; its operators arrive as a dict (see ``FilterOps``)."""
        return scope.named(self.filter_input)  # type: ignore[return-value]

    def value_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any]:
        """The typed SQL value of the field (text by default, through the accessor indexes can serve)."""
        return custom_text(column, definition.key)

    def range_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any] | None:
        """For exact decimals, their value as float8 through a leakproof accessor: what filters state their
        ranges on as well (``float_ranges``), and what a filterable field's range index is built on. None for
        types whose value expression is leakproof already."""
        return None

    def sort_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any]:
        return self.value_expr(column, definition)

    def filter_clauses(
        self, column: ColumnElement[Any], definition: FieldDefinition, filter_obj: Any
    ) -> list[ColumnElement[bool]]:
        """Conditions for a filter input: equality as ``equality_by_value`` says; ranges and text matching on the
        typed value expression; isNull on the key's presence."""
        clauses: list[ColumnElement[bool]] = []
        rest = _Remaining(filter_obj)
        for op, value in set_operators(filter_obj):
            if op == "eq":
                clauses.append(self._equals(column, definition, value))
                rest.drop("eq")
            elif op == "ne":
                # Compared in canonical form like `eq` (an email differing only in case is equal); rows
                # without a value do not match, as with `ne` on a core column.
                present = column.has_key(definition.key)
                clauses.append(and_(present, not_(self._equals(column, definition, value))))
                rest.drop("ne")
            elif op == "in_":
                if len(value) > MAX_IN_VALUES:
                    raise BadInput(f"`in` takes at most {MAX_IN_VALUES} values")
                options = [self._equals(column, definition, v) for v in value]
                clauses.append(or_(*options) if options else false())
                rest.drop("in_")
            elif op == "is_null":
                present = column.has_key(definition.key)
                clauses.append(not_(present) if value else present)
                rest.drop("is_null")
        clauses.extend(compare(self.value_expr(column, definition), rest, self.filter_value))
        return clauses

    def filter_value(self, value: Any) -> Any:
        """A filter operand as the value expression compares it (e.g. dates as ISO text)."""
        return value

    def _equals(self, column: ColumnElement[Any], definition: FieldDefinition, value: Any) -> ColumnElement[bool]:
        stored = self.to_filter_storage(value, definition)
        if self.equality_by_value:
            equal: ColumnElement[bool] = self.value_expr(column, definition) == stored
            return equal
        return column.contains({definition.key: stored})

    def to_filter_storage(self, value: Any, definition: FieldDefinition) -> Any:
        """A filter operand in canonical storage form; an operand the field could never hold is bad input.

        Only the form is checked, not the definition's constraints (min, max, length, pattern): those can be
        tightened after values were stored, and the older values must stay findable."""
        try:
            return self.parse(value, definition)
        except FieldValueError as exc:
            raise BadInput(f"filter on {definition.key}: {exc.message}") from exc


class _Remaining:
    """A view of a filter input without the operators already turned into SQL."""

    def __init__(self, filter_obj: Any) -> None:
        self._obj = filter_obj
        self._dropped: set[str] = set()

    def drop(self, op: str) -> None:
        self._dropped.add(op)

    def __getattr__(self, name: str) -> Any:
        if name in self._dropped:
            return None
        return getattr(self._obj, name, None)


def canonical_setting(config: dict[str, Any], setting: str, parse: Any) -> Any:
    """Replace ``config[setting]`` (when given) by ``parse(value)``, blaming the setting on failure."""
    value = config.get(setting)
    if value is None:
        return None
    try:
        config[setting] = parse(value)
    except FieldValueError as exc:
        raise ConfigProblem(setting, exc.code, exc.message) from exc
    return config[setting]


def check_range(config: dict[str, Any], low: str, high: str) -> None:
    lo, hi = config.get(low), config.get(high)
    if lo is not None and hi is not None and lo > hi:
        raise ConfigProblem(low, UserErrorCode.INVALID, f"{low} is greater than {high}")


def text_of(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise FieldValueError(UserErrorCode.INVALID, f"expected {what} as a string")
    return value


__all__ = [
    "ConfigProblem",
    "FieldType",
    "FieldValueError",
    "TypeScope",
    "canonical_setting",
    "check_range",
    "guarded_cast",
    "text_of",
]
