"""MULTI_SELECT: any number of options; a list of the field's per-tenant enum. Stores option ids in option
order; an empty selection is stored as no value."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInputType, GraphQLList, GraphQLNonNull, GraphQLOutputType
from sqlalchemy import ColumnElement, false, not_, or_

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import FieldType, FieldValueError, TypeScope
from rapport.customfields.types.select import canonical_options, option_id_of
from rapport.errors import BadInput, UserErrorCode
from rapport.schema.filters import MAX_IN_VALUES, is_set


class MultiSelectType(FieldType):
    name = "MULTI_SELECT"
    description = "Any number of options from a list (a list of a GraphQL enum per field)."
    settings = frozenset({"options"})
    sortable = False

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        config["options"] = canonical_options(config.get("options"), current=definition.options)

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        if not isinstance(value, list | tuple):
            raise FieldValueError(UserErrorCode.INVALID, "expected a list of options")
        chosen = {option_id_of(v, definition) for v in value}
        return [o.id for o in definition.options if o.id in chosen]

    def to_storage(self, value: Any, definition: FieldDefinition) -> Any:
        stored = self.parse(value, definition)
        return stored or None  # no selection is no value: isNull/isEmpty and `required` treat it so

    def output_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLOutputType:
        return GraphQLList(GraphQLNonNull(scope.option_enum(definition)))

    def input_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLInputType:
        return GraphQLList(GraphQLNonNull(scope.option_enum(definition)))

    def filter_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLInputType:
        return scope.option_filter(definition, multi=True)

    def filter_clauses(
        self, column: ColumnElement[Any], definition: FieldDefinition, filter_obj: Any
    ) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        key = definition.key
        any_of, all_of, empty = filter_obj.contains_any, filter_obj.contains_all, filter_obj.is_empty
        for values in (any_of, all_of):
            if is_set(values) and len(values) > MAX_IN_VALUES:
                raise BadInput(f"at most {MAX_IN_VALUES} values")
        if is_set(any_of):
            ids = [self._option(v, definition) for v in any_of]
            clauses.append(or_(*(column.contains({key: [i]}) for i in ids)) if ids else false())
        if is_set(all_of):
            clauses.append(column.contains({key: [self._option(v, definition) for v in all_of]}))
        if is_set(empty):
            clauses.append(not_(column.has_key(key)) if empty else column.has_key(key))
        return clauses

    def _option(self, value: Any, definition: FieldDefinition) -> str:
        try:
            return option_id_of(value, definition)
        except FieldValueError as exc:
            raise BadInput(f"filter on {definition.key}: {exc.message}") from exc
