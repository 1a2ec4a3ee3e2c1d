"""Compiling a read-only GraphQL operation into one SQL statement whose single value is the response's
``data`` as JSON, built by PostgreSQL (``json_build_object``/``json_agg`` with correlated subqueries).

The resolver path spends most of a nested request resolving fields one by one in Python; here PostgreSQL
builds the whole tree and Python parses one string. Filters, sort keys, cursors and tenant scoping come from
the same functions the resolvers use (``resolvers.filtering``, ``resolvers.pagination``), adapted to table
aliases, so both paths select the same rows in the same order. Anything the compiler does not render
(figures and other values computed in Python, ``node``, backward paging, errors of any kind) raises
``Unsupported`` and the request takes the resolver path, which answers it (errors included) as before.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any, get_args

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
    get_nullable_type,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.sql import visitors
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.sql.util import ClauseAdapter
from strawberry.types.arguments import convert_arguments
from strawberry.utils.str_converters import to_camel_case

from rapport.compiled.json_sql import Unsupported, cursor, global_id, output_value, sql_string
from rapport.compiled.values_in_text import written_into_text
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.reference import target_of
from rapport.errors import BadInput
from rapport.resolvers.filtering import base_condition, filter_condition, order_keys
from rapport.resolvers.pagination import (
    Bind,
    SortKey,
    after_condition,
    decode_cursor,
    order_clauses,
    page_request,
)
from rapport.schema.base import RapportSchema
from rapport.schema.declarations import Children, Column, Computed, Entity, Field, Items, Reference
from rapport.schema.entities import ENTITIES

_EMPTY_LIST: ColumnElement[Any] = literal_column("'[]'::json")
# PostgreSQL functions take at most 100 arguments: json_build_object at most 50 keys.
_MAX_KEYS = 50

log = logging.getLogger("rapport.compiled")


@cache
def root_connections() -> dict[str, Entity]:
    """Root connection fields by GraphQL name (``customers`` -> Customer)."""
    return {to_camel_case(e.root_field): e for e in ENTITIES.values() if e.root_field}


@cache
def _fields_of(entity_name: str) -> dict[str, Field]:
    return {to_camel_case(f.name): f for f in ENTITIES[entity_name].fields}


def _plain_enum(annotation: Any) -> bool:
    """Whether a column's GraphQL enum serialises to the stored text itself (member names are values)."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return all(m.name == m.value for m in candidate)
    return True


@dataclass(frozen=True)
class Parent:
    """The row a child connection hangs from: the child's ``column`` equals the parent's ``id``."""

    column: str
    id: ColumnElement[Any]
    rows: FromClause


class Joins(list[tuple[FromClause, ColumnElement[bool]]]):
    """To-one references of the objects built from one FROM: LEFT JOINed onto it (an index lookup per row in
    the same scan, cheaper than a correlated subquery per reference)."""

    def onto(self, rows: FromClause) -> FromClause:
        joined = rows
        for target, condition in self:
            joined = joined.outerjoin(target, condition)
        return joined


@dataclass(frozen=True)
class CursorSlot:
    """Where a cursor variable's sort values are bound: a statement built for one page serves any page of
    the same ordering whose cursor has NULLs in the same places (NULLs change the condition's shape)."""

    variable: str
    keys: tuple[SortKey, ...]
    prefix: str
    nulls: tuple[bool, ...]

    def parameter(self, position: int) -> str:
        return f"{self.prefix}{position}"

    def parameters(self, cursor: Any) -> dict[str, Any] | None:
        """The bind values for ``cursor``, or None when this statement cannot serve it."""
        if not isinstance(cursor, str):
            return None
        try:
            values = decode_cursor(cursor, self.keys)
        except BadInput:
            return None
        if _nulls(values) != self.nulls:
            return None
        return {self.parameter(i): v for i, v in enumerate(values) if v is not None}


def _nulls(values: Sequence[Any]) -> tuple[bool, ...]:
    return tuple(v is None for v in values)


@dataclass(frozen=True)
class _Page:
    """A page's rows as a derived table: the rows in ``order`` (their sort values' columns), maybe a _cursor
    each; with a look-ahead row, also _rn (1-based position), which tells the page from that row."""

    rows: FromClause
    size: int
    cursor_given: bool
    count: ColumnElement[Any]
    order: tuple[ColumnElement[Any], ...]
    lookahead: bool

    @property
    def on_page(self) -> ColumnElement[bool]:
        return self.rows.c._rn <= self.size

    def aggregate(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        """``value`` of each row on the page (not the look-ahead row) as a JSON array, in page order."""
        listed: ColumnElement[Any]
        if self.lookahead:
            listed = func.json_agg(aggregate_order_by(value, self.rows.c._rn)).filter(self.on_page)
        else:
            listed = func.json_agg(aggregate_order_by(value, *self.order))
        return func.coalesce(listed, _EMPTY_LIST)

    def first_cursor(self, order: ColumnElement[Any]) -> ColumnElement[Any]:
        """The cursor of the first page row in ``order`` (null on an empty page); pages with a look-ahead row."""
        cursors = func.array_agg(aggregate_order_by(self.rows.c._cursor, order)).filter(self.on_page)
        return type_coerce(cursors, ARRAY(Text)).self_group()[1]


class Compiler:
    def __init__(
        self,
        schema: RapportSchema,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
        operation: OperationDefinitionNode,
        tenant_id: uuid.UUID,
        custom: Mapping[str, Mapping[str, FieldDefinition]],
        columns: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.schema = schema
        self.graphql: GraphQLSchema = schema._schema
        self.fragments = fragments
        self.variables = variables
        self.operation = operation
        self.tenant_id = tenant_id
        self.custom = custom
        # The columns each page selects, by the name of its table's alias (from ``used_columns``); a page
        # not named selects them all.
        self.columns = columns or {}
        # Each page's rows (the derived table the objects are built from) and its table's alias name.
        self.pages: dict[int, tuple[FromClause, str]] = {}
        self._names = itertools.count()
        self.cursor_slots: list[CursorSlot] = []
        # Whether the statement filters, and whether a filter value stays a parameter (``values_in_text``).
        self.filtered = False
        self.values_bound = False

    # --- entry ------------------------------------------------------------------------------------------
    def narrowed(self) -> tuple[Select[Any], Compiler]:
        """The statement with each page selecting only the columns its objects use, and the compiler that
        built it (its cursor slots). A page's derived table otherwise carries every column of its table:
        PostgreSQL plans and projects them all, a tenth of customFilter's statement time."""
        statement = self.statement()
        narrow = Compiler(
            self.schema,
            self.fragments,
            self.variables,
            self.operation,
            self.tenant_id,
            self.custom,
            used_columns(statement, self.pages.values()),
        )
        try:
            return narrow.statement(), narrow
        except (KeyError, AttributeError):  # a column the first build did not show in use: keep them all
            log.warning("compiled read kept every column of its pages", exc_info=True)
            return statement, self

    def statement(self) -> Select[Any]:
        query_type = self.graphql.query_type
        assert query_type is not None
        grouped = collect_fields(self.graphql, self.fragments, self.variables, query_type, self.operation)
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for key, details in grouped.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                pairs.append((key, sql_string(query_type.name)))
                continue
            entity = root_connections().get(name)
            if entity is None:
                raise Unsupported(f"root field {name}")
            field_def = query_type.fields[name]
            pairs.append((key, self._connection(entity, field_def, details, parent=None)))
        return select(cast(_object(pairs), Text))

    # --- helpers ----------------------------------------------------------------------------------------
    def _name(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

    def _arguments(self, field_def: GraphQLField, details: Sequence[FieldDetails]) -> dict[str, Any]:
        node = details[0].node
        if any(d.node.arguments != node.arguments for d in details[1:]):
            raise Unsupported("one response key with different arguments")  # validation refuses it anyway
        raw = get_argument_values(field_def, node, self.variables)
        definition = field_def.extensions.get("strawberry-definition")
        if definition is None:
            raise Unsupported("field without a strawberry definition")
        converter = self.schema.schema_converter
        return convert_arguments(
            raw, definition.arguments, scalar_registry=converter.scalar_registry, config=self.schema.config
        )

    def _cursor_binder(self, variable: str | None, keys: Sequence[SortKey], values: Sequence[Any]) -> Bind:
        """Cursor values from a variable become named parameters, so the statement serves every page."""
        if variable is None:
            return lambda value, key, position: literal(value, key.expr.type)
        slot = CursorSlot(variable, tuple(keys), f"after{len(self.cursor_slots)}_", _nulls(values))
        self.cursor_slots.append(slot)
        return lambda value, key, position: bindparam(slot.parameter(position), value, type_=key.expr.type)

    def _subfields(self, type_: GraphQLObjectType, details: Sequence[FieldDetails]) -> dict[str, list[FieldDetails]]:
        collected = collect_subfields(
            self.graphql, self.fragments, self.variables, self.operation, type_, list(details)
        )
        return dict(collected.grouped_field_set)

    def _custom_of(self, entity: Entity) -> Mapping[str, FieldDefinition]:
        return self.custom.get(entity.custom_entity, {}) if entity.custom_entity else {}

    # --- connections ------------------------------------------------------------------------------------
    def _connection(
        self,
        entity: Entity,
        field_def: GraphQLField,
        details: Sequence[FieldDetails],
        parent: Parent | None,
    ) -> ColumnElement[Any]:
        connection_type = get_nullable_type(field_def.type)
        assert isinstance(connection_type, GraphQLObjectType)
        selected = self._subfields(connection_type, details)
        names = {sub[0].node.name.value for sub in selected.values()}
        after = next((a.value for a in details[0].node.arguments or () if a.name.value == "after"), None)
        after_variable = after.name.value if isinstance(after, VariableNode) else None
        args = self._arguments(field_def, details)
        paging = "pageInfo" in names
        page = self._page(entity, args, parent, after_variable, cursors="edges" in names or paging, lookahead=paging)
        joins = Joins()

        def value(name: str, sub: list[FieldDetails]) -> ColumnElement[Any]:
            if name == "nodes":
                return page.aggregate(
                    self._object(entity, page.rows, _list_item(connection_type.fields[name]), sub, joins)
                )
            if name == "edges":
                return page.aggregate(
                    self._edge(entity, page.rows, _list_item(connection_type.fields[name]), sub, joins)
                )
            if name == "pageInfo":
                return self._page_info(page, _object_type(connection_type.fields[name]), sub)
            if name == "totalCount":
                return page.count
            raise Unsupported(f"connection field {name}")

        built = _json_object(connection_type, selected, value)
        # HAVING makes it one group, so an empty page is still one row (and its totalCount is 0, not null).
        return select(built).select_from(joins.onto(page.rows)).having(true()).scalar_subquery()

    def _page(
        self,
        entity: Entity,
        args: dict[str, Any],
        parent: Parent | None,
        after_variable: str | None,
        *,
        cursors: bool,
        lookahead: bool,
    ) -> _Page:
        """The page's rows (plus one look-ahead row, numbered then), as a derived table; and the count."""
        try:
            request = page_request(args.get("first"), args.get("after"), args.get("last"), args.get("before"))
            custom = self._custom_of(entity)
            where = filter_condition(entity, custom, args.get("filter"))
            if args.get("filter") is not None:
                where, all_written = written_into_text(where)
                self.filtered = True
                self.values_bound = self.values_bound or not all_written
            keys = order_keys(entity, custom, args.get("order_by"))
            after = decode_cursor(request.after, keys) if request.after is not None else None
        except BadInput as exc:
            raise Unsupported(str(exc)) from exc  # the resolver path reports it
        if request.backwards:
            raise Unsupported("backward paging")

        def scoped(alias: FromClause) -> ColumnElement[bool]:
            adapt = ClauseAdapter(alias).traverse
            condition = and_(adapt(base_condition(entity, self.tenant_id)), adapt(where))
            return condition if parent is None else and_(condition, alias.c[parent.column] == parent.id)

        table = entity.table.alias(self._name("t"))
        adapt = ClauseAdapter(table).traverse
        sort = [SortKey(k.name, adapt(k.expr), k.descending, k.nullable) for k in keys]
        condition = scoped(table)
        if after is not None:
            condition = and_(condition, after_condition(sort, after, self._cursor_binder(after_variable, keys, after)))
        ordering = order_clauses(sort)
        chosen = self.columns.get(table.name)
        selected = [c for c in table.columns if chosen is None or c.name in chosen]
        columns: list[Any] = [*selected, *(k.expr.label(f"_k{i}") for i, k in enumerate(sort))]
        if cursors:
            columns.append(cursor(sort).label("_cursor"))
        # One row more than the page tells whether another page follows (only fetched when pageInfo is asked
        # for: the extra row's nested lists would be built and thrown away).
        size = _page_size(request.size + int(lookahead), filtered=args.get("filter") is not None)
        limited = select(*columns).where(condition).order_by(*ordering).limit(size)
        counted = entity.table.alias(self._name("n"))
        count = select(func.count()).select_from(counted).where(scoped(counted))
        if parent is not None:
            limited, count = limited.correlate(parent.rows), count.correlate(parent.rows)
        page = limited.subquery(self._name("l"))

        def order_of(rows: FromClause) -> tuple[ColumnElement[Any], ...]:
            """The page order on ``rows``' columns of sort values."""
            keys = [SortKey(k.name, rows.c[f"_k{i}"], k.descending, k.nullable) for i, k in enumerate(sort)]
            return tuple(order_clauses(keys))

        if not lookahead:  # every row is on the page: lists are aggregated in sort order, no numbering needed
            self.pages[id(page)] = (page, table.name)
            return _Page(page, request.size, after is not None, count.scalar_subquery(), order_of(page), False)
        # Rows are numbered after the LIMIT. A window over the scan itself reads one row past the page (to end
        # its peer group), and when an index gives only the first sort key's order (an incremental sort) that
        # one row costs a whole further group of equal values: on a date key, a hundred rows.
        numbered = select(page, func.row_number().over(order_by=order_of(page)).label("_rn"))
        rows = numbered.subquery(self._name("p"))
        self.pages[id(rows)] = (rows, table.name)
        return _Page(rows, request.size, after is not None, count.scalar_subquery(), order_of(rows), True)

    def _edge(
        self,
        entity: Entity,
        page: FromClause,
        edge_type: GraphQLObjectType,
        details: Sequence[FieldDetails],
        joins: Joins,
    ) -> ColumnElement[Any]:
        def value(name: str, sub: list[FieldDetails]) -> ColumnElement[Any]:
            if name == "cursor":
                return page.c._cursor
            if name == "node":
                return self._object(entity, page, _object_type(edge_type.fields[name]), sub, joins)
            raise Unsupported(f"edge field {name}")

        return _json_object(edge_type, self._subfields(edge_type, details), value)

    def _page_info(
        self, page: _Page, info_type: GraphQLObjectType, details: Sequence[FieldDetails]
    ) -> ColumnElement[Any]:
        def value(name: str, sub: list[FieldDetails]) -> ColumnElement[Any]:
            if name == "hasNextPage":
                return func.count() > page.size
            if name == "hasPreviousPage":
                return true() if page.cursor_given else false()
            if name == "startCursor":
                return page.first_cursor(page.rows.c._rn)
            if name == "endCursor":
                return page.first_cursor(page.rows.c._rn.desc())
            raise Unsupported(f"pageInfo field {name}")

        return _json_object(info_type, self._subfields(info_type, details), value)

    # --- objects ----------------------------------------------------------------------------------------
    def _object(
        self,
        entity: Entity,
        row: FromClause,
        type_: GraphQLObjectType,
        details: Sequence[FieldDetails],
        joins: Joins,
    ) -> ColumnElement[Any]:
        """The JSON object of ``row``; references are LEFT JOINed (added to ``joins``) onto the caller's FROM."""
        fields = _fields_of(entity.name)

        def value(name: str, sub: list[FieldDetails]) -> ColumnElement[Any]:
            if name == "id":
                return global_id(entity.name, row.c.id)
            if name == "custom":
                return self._custom(entity, row, type_.fields[name], sub, joins)
            return self._field(fields.get(name), row, type_.fields[name], sub, joins)

        return _json_object(type_, self._subfields(type_, details), value)

    def _field(
        self,
        declared: Field | None,
        row: FromClause,
        field_def: GraphQLField,
        details: Sequence[FieldDetails],
        joins: Joins,
    ) -> ColumnElement[Any]:
        if isinstance(declared, Column):
            if not _plain_enum(declared.annotation):
                raise Unsupported(f"enum column {declared.name}")
            return output_value(row.c[declared.name])
        if isinstance(declared, Computed) and declared.columns is not None:
            return self._column_object(declared.columns, row, field_def, details)
        if isinstance(declared, Reference):
            # What a record points at stays readable after it is deleted (the by-id loader's include_deleted).
            return self._joined(
                ENTITIES[declared.target],
                lambda target: and_(target.c.tenant_id == self.tenant_id, target.c.id == row.c[declared.column]),
                _object_type(field_def),
                details,
                joins,
            )
        if isinstance(declared, Children):
            target = ENTITIES[declared.target]
            return self._connection(target, field_def, details, parent=Parent(declared.column, row.c.id, row))
        if isinstance(declared, Items):
            target = ENTITIES[declared.target]
            items = target.table.alias(self._name("i"))
            item_type = _list_item(field_def)
            item_joins = Joins()
            node = self._object(target, items, item_type, details, item_joins)
            listed = (
                select(
                    func.coalesce(
                        func.json_agg(aggregate_order_by(node, *(items.c[o] for o in declared.order))), _EMPTY_LIST
                    )
                )
                .select_from(item_joins.onto(items))
                .where(adapt_to(items, base_condition(target, self.tenant_id)), items.c[declared.column] == row.c.id)
                .correlate(row)
            )
            return listed.scalar_subquery()
        raise Unsupported(f"field {field_def}")

    def _column_object(
        self, columns: Mapping[str, str], row: FromClause, field_def: GraphQLField, details: Sequence[FieldDetails]
    ) -> ColumnElement[Any]:
        """An object made of the row's columns (an address), null when every one of them is."""
        object_type = _object_type(field_def)
        built = _json_object(object_type, self._subfields(object_type, details), lambda name, sub: row.c[columns[name]])
        empty = and_(*(row.c[c].is_(None) for c in columns.values()))
        return case((empty, null()), else_=built)

    def _custom(
        self,
        entity: Entity,
        row: FromClause,
        field_def: GraphQLField,
        details: Sequence[FieldDetails],
        joins: Joins,
    ) -> ColumnElement[Any]:
        custom_type = get_nullable_type(field_def.type)
        if not isinstance(custom_type, GraphQLObjectType):
            raise Unsupported("custom fields without a typed object")
        definitions = self._custom_of(entity)

        def value(name: str, sub: list[FieldDetails]) -> ColumnElement[Any]:
            definition = definitions.get(name)
            value_def = custom_type.fields[name]
            value_type = get_nullable_type(value_def.type)
            if definition is not None and definition.type == "REFERENCE" and isinstance(value_type, GraphQLObjectType):
                return self._custom_reference(definition, row, value_type, sub, joins)
            if definition is None or value_def.resolve is not None:
                raise Unsupported(f"custom field {name}")
            if isinstance(value_type, GraphQLObjectType):
                return _stored_object(row.c.custom[name], value_type, self._subfields(value_type, sub))
            return _custom_value(row.c.custom, name, value_type)

        return _json_object(custom_type, self._subfields(custom_type, details), value)

    def _custom_reference(
        self,
        definition: FieldDefinition,
        row: FromClause,
        target_type: GraphQLObjectType,
        details: Sequence[FieldDetails],
        joins: Joins,
    ) -> ColumnElement[Any]:
        """The record a REFERENCE value names, LEFT JOINed: null when it is missing or deleted (dangling), as
        the resolvers' by-id loader reads it."""
        target = ENTITIES[target_of(definition)]
        stored_id = cast(row.c.custom[definition.key].astext, PG_UUID(as_uuid=True))
        return self._joined(
            target,
            lambda found: and_(adapt_to(found, base_condition(target, self.tenant_id)), found.c.id == stored_id),
            target_type,
            details,
            joins,
        )

    def _joined(
        self,
        target: Entity,
        condition: Callable[[FromClause], ColumnElement[bool]],
        target_type: GraphQLObjectType,
        details: Sequence[FieldDetails],
        joins: Joins,
    ) -> ColumnElement[Any]:
        """A to-one object LEFT JOINed onto the caller's FROM on ``condition``; null when no row matches."""
        referenced = target.table.alias(self._name("r"))
        joins.append((referenced, condition(referenced)))
        found = self._object(target, referenced, target_type, details, joins)
        return case((referenced.c.id.is_(None), null()), else_=found)


def adapt_to(alias: FromClause, condition: ColumnElement[Any]) -> ColumnElement[Any]:
    adapted: ColumnElement[Any] = ClauseAdapter(alias).traverse(condition)
    return adapted


def _stored_object(
    stored: ColumnElement[Any], type_: GraphQLObjectType, fields: Mapping[str, list[FieldDetails]]
) -> ColumnElement[Any]:
    """A custom value stored as the object it is served as (MONEY: {"amount": "12.50", "currency": "CNY"})."""

    def value(name: str, sub: list[FieldDetails]) -> ColumnElement[Any]:
        if isinstance(get_nullable_type(type_.fields[name].type), GraphQLScalarType):
            return stored[name]
        raise Unsupported(f"{type_.name}.{name}")

    return case((stored.is_(None), null()), else_=_json_object(type_, fields, value))


def _custom_value(column: ColumnElement[Any], key: str, type_: Any) -> ColumnElement[Any]:
    """A custom value as the resolver path serves it: as stored (the types store their wire form), except
    options, stored by id and served as the enum's name."""
    stored = column[key]
    if isinstance(type_, GraphQLScalarType):
        return stored
    if isinstance(type_, GraphQLEnumType):
        return _option_name(stored.astext, type_)
    option_type = get_nullable_type(type_.of_type) if isinstance(type_, GraphQLList) else None
    if isinstance(option_type, GraphQLEnumType):
        chosen = func.jsonb_array_elements_text(stored).table_valued("value", with_ordinality="ordinality")
        names = func.json_agg(aggregate_order_by(_option_name(chosen.c.value, option_type), chosen.c.ordinality))
        return select(names).select_from(chosen).scalar_subquery()
    raise Unsupported(f"custom value of type {type_}")


def _option_name(stored_id: ColumnElement[Any], enum_type: GraphQLEnumType) -> ColumnElement[Any]:
    """Option id -> the enum value's name (null for an id no option has any more)."""
    whens = [(stored_id == literal(value.value), literal(name)) for name, value in enum_type.values.items()]
    return case(*whens) if whens else null()


def _list_item(field_def: GraphQLField) -> GraphQLObjectType:
    listed = get_nullable_type(field_def.type)
    assert isinstance(listed, GraphQLList)
    item = get_nullable_type(listed.of_type)
    assert isinstance(item, GraphQLObjectType)
    return item


def _object_type(field_def: GraphQLField) -> GraphQLObjectType:
    object_type = get_nullable_type(field_def.type)
    assert isinstance(object_type, GraphQLObjectType)
    return object_type


def _json_object(
    type_: GraphQLObjectType,
    selected: Mapping[str, list[FieldDetails]],
    value: Callable[[str, list[FieldDetails]], ColumnElement[Any]],
) -> ColumnElement[Any]:
    """The selected fields as one JSON object: ``__typename`` is the type's name, every other field is
    ``value(name, its field nodes)``, under its response key."""
    pairs = [
        (key, sql_string(type_.name) if sub[0].node.name.value == "__typename" else value(sub[0].node.name.value, sub))
        for key, sub in selected.items()
    ]
    return _object(pairs)


def _object(pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    if len(pairs) > _MAX_KEYS:
        raise Unsupported("more than 50 fields in one object")
    arguments: list[ColumnElement[Any]] = []
    for key, value in pairs:
        arguments += [sql_string(key), value]
    return func.json_build_object(*arguments)


def used_columns(statement: Select[Any], pages: Iterable[tuple[FromClause, str]]) -> dict[str, frozenset[str]]:
    """For each page (its rows, its table's alias name), the columns of its rows ``statement`` refers to."""
    names = {id(rows): name for rows, name in pages}
    used: dict[str, set[str]] = {name: set() for name in names.values()}
    for element in visitors.iterate(statement):
        table = getattr(element, "table", None)
        if isinstance(element, ColumnClause) and table is not None and id(table) in names:
            used[names[id(table)]].add(element.name)
    return {name: frozenset(columns) for name, columns in used.items()}


def _page_size(size: int, *, filtered: bool) -> Any:
    """A page's LIMIT. Written into the text when the page has no filter (decision 34): it is a constant of the
    cached statement, and as a parameter a generic plan costs the page as reading a tenth of the rows, so
    PostgreSQL planned such statements on every run (nested: 1.1 ms of 7-8). A filtered page keeps it bound: with
    the size known, customFilter's generic plan took the segment's index and sorted its rows (28 ms) instead of
    walking the date index from the cursor."""
    return size if filtered else bindparam(None, size, Integer, literal_execute=True)
