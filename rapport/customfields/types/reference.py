"""REFERENCE: a link to another object (a customer, contact, user, product, order or opportunity).

The GraphQL field is the referenced object type, loaded through the request's dataloader; a reference whose
target was deleted reads as null (``rapport check references`` lists them). Stored as the target's UUID.
"""

from __future__ import annotations

import uuid
from typing import Any

from graphql import GraphQLField, GraphQLOutputType
from sqlalchemy import ColumnElement

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import ConfigProblem, FieldType, FieldValueError, TypeScope
from rapport.errors import BadInput, UserErrorCode
from rapport.ids import from_global_id

TARGETS = {
    "CUSTOMER": "Customer",
    "CONTACT": "Contact",
    "USER": "User",
    "PRODUCT": "Product",
    "ORDER": "Order",
    "OPPORTUNITY": "Opportunity",
}


def target_of(definition: FieldDefinition) -> str:
    """The GraphQL type name the field points at."""
    return TARGETS[definition.setting("target")]


class ReferenceType(FieldType):
    name = "REFERENCE"
    description = "A link to a Customer, Contact, User, Product, Order or Opportunity (setting `target`)."
    scalar = "ID"
    filter_input = "IDFilter"
    settings = frozenset({"target"})
    sortable = False

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        if config.get("target") not in TARGETS:
            raise ConfigProblem(
                "target", UserErrorCode.REQUIRED, "the type of object it points at: one of " + ", ".join(TARGETS)
            )

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        decoded = from_global_id(str(value)) if isinstance(value, str) else None
        if decoded is None or decoded[0] != target_of(definition):
            raise FieldValueError(UserErrorCode.INVALID, f"expected the ID of a {target_of(definition)}")
        return str(decoded[1])

    def output_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLOutputType:
        return scope.named(target_of(definition))  # type: ignore[return-value]

    def output_field(self, definition: FieldDefinition, scope: TypeScope, description: str) -> GraphQLField:
        from rapport.schema.entities import ENTITIES

        entity, key = ENTITIES[target_of(definition)], definition.key

        def resolve(source: Any, info: Any) -> Any:
            stored = source.get(key)
            if stored is None:
                return None
            return info.context.loaders.by_id(entity).load(uuid.UUID(stored))

        return GraphQLField(self.output_type(definition, scope), description=description, resolve=resolve)

    def filter_clauses(
        self, column: ColumnElement[Any], definition: FieldDefinition, filter_obj: Any
    ) -> list[ColumnElement[bool]]:
        from rapport.schema.filters import compare

        return compare(self.value_expr(column, definition), filter_obj, lambda v: self._id(v, definition))

    def _id(self, value: Any, definition: FieldDefinition) -> str:
        try:
            return str(self.parse(value, definition))
        except FieldValueError as exc:
            raise BadInput(f"filter on {definition.key}: {exc.message}") from exc
