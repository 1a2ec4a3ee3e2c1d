"""Executing a document the request limits already parsed (``rapport.limits``): a strawberry extension.

Execution reuses that document instead of parsing the text again, and validation against the tenant's schema
is cached and, in production, says no "Did you mean ...?" (suggestions would reveal the schema, field by
field, to a client that cannot introspect it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, GraphQLSchema, specified_rules, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from rapport.limits import CURRENT, recheck

_CACHE_SIZE = 1024
_RULES = (*specified_rules, MaybeNullValidationRule, OneOfInputValidationRule)
# Holding the schema in the key keeps it alive while cached, so identity never names a different schema.
_validated: OrderedDict[tuple[GraphQLSchema, str, bool], list[GraphQLError]] = OrderedDict()


def _prepared() -> tuple[DocumentNode, bool] | None:
    """The request's parsed document and whether to hide suggestions, when the limits checked it."""
    checked = CURRENT.get()
    return None if checked is None else (checked.document, checked.hide_suggestions)


class PreparedDocument(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        prepared = _prepared()
        if prepared is not None:
            self.execution_context.graphql_document = prepared[0]
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        prepared = _prepared()
        if prepared is not None and context.graphql_document is prepared[0] and context.query is not None:
            document, hide = prepared
            context.pre_execution_errors = validation_errors(context.schema._schema, document, context.query, hide)
        yield


def validation_errors(schema: GraphQLSchema, document: DocumentNode, query: str, hide: bool) -> list[GraphQLError]:
    """The document's validation errors against a tenant's schema (cached per schema and text), then the
    limits measured again against that schema (custom REFERENCE fields add connections)."""
    key = (schema, query, hide)
    errors = _validated.get(key)
    if errors is None:
        errors = validate(schema, document, _RULES, hide_suggestions=hide)
        _validated[key] = errors
        while len(_validated) > _CACHE_SIZE:
            _validated.popitem(last=False)
    else:
        _validated.move_to_end(key)
    if not errors:
        checked = CURRENT.get()
        if checked is not None:
            errors = recheck(checked, schema)
    return errors
