"""Entity filter and orderBy inputs to SQL. Core columns, references and custom fields share one path, so a
custom field filters and sorts exactly like a core one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, Table, and_, false, not_, or_

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import field_type
from rapport.errors import BadInput
from rapport.ids import from_global_id
from rapport.resolvers.pagination import SortKey
from rapport.schema.declarations import Column, Entity, Reference
from rapport.schema.filters import FilterOps, StringListFilter, combine, compare, is_set, no_nul

MAX_FILTER_DEPTH = 10
# All values in one filter, however nested: keeps every query far below PostgreSQL's 65,535 parameters.
MAX_FILTER_VALUES = 2000


def base_condition(entity: Entity, tenant_id: uuid.UUID) -> ColumnElement[bool]:
    """Tenant scoping (RLS is the second wall) and soft-delete visibility, applied to every read."""
    table = entity.table
    condition = table.c.tenant_id == tenant_id
    if entity.soft_delete:
        condition = and_(condition, table.c.deleted_at.is_(None))
    return condition


def id_of(value: Any, type_name: str) -> uuid.UUID:
    decoded = from_global_id(str(value))
    if decoded is None or decoded[0] != type_name:
        raise BadInput(f"{value!r} is not a {type_name} ID")
    return decoded[1]


def _id_parser(type_name: str) -> Callable[[Any], uuid.UUID]:
    return lambda value: id_of(value, type_name)


def count_values(value: Any) -> int:
    """How many operand values a filter input holds, nesting included."""
    if value is None or value is strawberry.UNSET:
        return 0
    if isinstance(value, list | tuple):
        return sum(count_values(v) for v in value) or 1
    if isinstance(value, dict):
        return sum(count_values(v) for v in value.values())
    if is_dataclass(value) and not isinstance(value, type):
        return sum(count_values(getattr(value, f.name)) for f in fields(value))
    return 1


def filter_condition(
    entity: Entity, custom: Mapping[str, FieldDefinition], filter_obj: Any, depth: int = 0
) -> ColumnElement[bool]:
    if not is_set(filter_obj):
        return combine([])
    if depth == 0 and count_values(filter_obj) > MAX_FILTER_VALUES:
        raise BadInput(f"a filter may hold at most {MAX_FILTER_VALUES} values in all")
    if depth > MAX_FILTER_DEPTH:
        raise BadInput(f"filters nest at most {MAX_FILTER_DEPTH} levels deep")
    table = entity.table
    clauses: list[ColumnElement[bool]] = []
    ids = getattr(filter_obj, "id", None)
    if is_set(ids):
        clauses += compare(table.c.id, ids, lambda v: id_of(v, entity.name))
    for field in entity.fields:
        if isinstance(field, Column) and field.filter is not None:
            value = getattr(filter_obj, field.name, None)
            if is_set(value):
                clauses += _column_clauses(table, field, value)
        elif isinstance(field, Reference):
            value = getattr(filter_obj, f"{field.name}_id", None)
            if is_set(value):
                clauses += compare(table.c[field.column], value, _id_parser(field.target))
    custom_filter: Any = getattr(filter_obj, "custom", None)
    if is_set(custom_filter):
        # A dict keyed by field key (the tenant's own input type), each value a dict of operators.
        for key, ops in custom_filter.items():
            definition = custom.get(key)
            if definition is not None and ops is not None:
                clauses += field_type(definition.type).filter_clauses(table.c.custom, definition, FilterOps(ops))
    for name, build in entity.extra_filters.items():
        value = getattr(filter_obj, name, None)
        if is_set(value):
            clauses.append(build(value))
    all_of: Any = getattr(filter_obj, "and_", None)
    any_of: Any = getattr(filter_obj, "or_", None)
    negated: Any = getattr(filter_obj, "not_", None)
    if is_set(all_of):
        clauses += [filter_condition(entity, custom, f, depth + 1) for f in all_of]
    if is_set(any_of):
        options = [filter_condition(entity, custom, f, depth + 1) for f in any_of]
        clauses.append(or_(*options) if options else false())
    if is_set(negated):
        clauses.append(not_(filter_condition(entity, custom, negated, depth + 1)))
    return combine(clauses)


def _column_clauses(table: Table, field: Column, value: Any) -> list[ColumnElement[bool]]:
    column = table.c[field.name]
    if field.filter is StringListFilter:
        clauses: list[ColumnElement[bool]] = []
        if is_set(value.contains_any):
            clauses.append(column.overlap(no_nul(value.contains_any)))
        if is_set(value.contains_all):
            clauses.append(column.contains(no_nul(value.contains_all)))
        if is_set(value.is_empty):
            empty = column == []
            clauses.append(empty if value.is_empty else not_(empty))
        return clauses
    return compare(column, value, lambda v: v.value if isinstance(v, Enum) else v)


def order_keys(entity: Entity, custom: Mapping[str, FieldDefinition], order_by: Sequence[Any] | None) -> list[SortKey]:
    """Sort keys for an orderBy list, always ending with the primary key so every position is unique."""
    table = entity.table
    keys: list[SortKey] = []
    for item in order_by or ():
        descending = item.direction.value == "DESC"
        core: Any = getattr(item, "field", None)
        custom_key: Any = getattr(item, "custom", None)
        if is_set(core) == is_set(custom_key):
            raise BadInput("each orderBy item takes exactly one of `field` or `custom`")
        if is_set(core):
            column = table.c[core.value]
            keys.append(SortKey(core.value, column, descending, bool(column.nullable)))
        else:
            definition = custom.get(custom_key)  # the per-tenant enum's value is the field key
            if definition is None:
                raise BadInput(f"unknown custom sort key {custom_key!r}")
            expr = field_type(definition.type).sort_expr(table.c.custom, definition)
            keys.append(SortKey(f"custom.{definition.key}", expr, descending, True))
    if len(keys) > 5:
        raise BadInput("order by at most 5 fields")
    if not keys or keys[-1].name != "id":
        keys.append(SortKey("id", table.c.id, keys[0].descending if keys else False, False))
    return keys
