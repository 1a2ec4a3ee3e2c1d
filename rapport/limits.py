"""Limits on what one request may ask for, checked before authentication: a refused request runs no SQL.

The document is parsed once, here (the parse itself is bounded by length and token count), and then measured
against the base schema, whose connections are the same in every tenant's schema:

- fragments must exist and must not form cycles; the operation to run must be unambiguous;
- every connection (a field taking ``first``/``last``) asks for ``first`` or ``last`` between 1 and 100;
- the *cost*, like GitHub's node limit: each connection's page size multiplied by the page sizes of the
  connections around it, summed over all connections (``nodes(ids:)`` counts its ids; plain lists count 1);
- depth (introspection fields included), aliases, nesting of input values.

Fields the base schema does not know (a tenant's custom fields, or a typo) still count towards depth and
aliases; they cannot be connections. Everything else about the document (unknown fields, argument types) is
checked against the tenant's own schema after authentication, by ``PreparedDocument``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutableDefinitionsRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    KnownFragmentNamesRule,
    ListValueNode,
    LoneAnonymousOperationRule,
    NoFragmentCyclesRule,
    NoUnusedFragmentsRule,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    UniqueFragmentNamesRule,
    UniqueOperationNamesRule,
    ValidationRule,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from rapport.config import Settings
from rapport.resolvers.pagination import MAX_PAGE

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
INVALID = "GRAPHQL_VALIDATION_FAILED"
BAD_INPUT = "BAD_USER_INPUT"
MAX_REPORTED_ERRORS = 10
# Costs can be astronomically large (100^15); JSON numbers stay exact up to 2^53.
_JSON_SAFE_INT = 2**53 - 1


@dataclass(frozen=True)
class Cost:
    """Nodes an operation may return at most (``requested``) against the per-operation ``limit``."""

    requested: int
    limit: int

    @property
    def points(self) -> int:
        """What the operation is charged against the tenant's rate limit: 1, plus 1 per 100 nodes."""
        return 1 + min(self.requested, self.limit) // 100

    def extension(self) -> dict[str, int]:
        return {"requested": min(self.requested, _JSON_SAFE_INT), "limit": self.limit}


@dataclass(eq=False)
class Parsed:
    """A document parsed and its operation chosen, kept per text (with the walks measured on it).

    Hashed by identity, so caches of what is derived from a document key on this: graphql-core's nodes are
    frozen dataclasses that hash their whole tree on every lookup (5% of a small request's CPU once)."""

    document: DocumentNode
    operation: OperationDefinitionNode
    # Per limit settings: (variable values a walk read, its outcome), at most _WALKS_PER_DOCUMENT.
    walks: dict[tuple[Any, ...], list[tuple[tuple[tuple[str, Any], ...], Checked | Rejected]]] = field(
        default_factory=dict
    )


@dataclass
class Checked:
    """A document within every limit: parsed once, the operation to run chosen, its cost known."""

    parsed: Parsed
    cost: Cost
    hide_suggestions: bool = False
    # Set when the base schema did not know a subtree (a tenant's custom fields): ``recheck`` measures again
    # against the tenant's schema, since a REFERENCE custom field leads back to objects with connections.
    settings: Settings | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    partly_unknown: bool = False

    @property
    def document(self) -> DocumentNode:
        return self.parsed.document

    @property
    def operation(self) -> OperationDefinitionNode:
        return self.parsed.operation

    @property
    def is_mutation(self) -> bool:
        return self.parsed.operation.operation == OperationType.MUTATION


# The checked document of the request being executed (read by ``rapport.schema.prepared.PreparedDocument``).
CURRENT: ContextVar[Checked | None] = ContextVar("rapport_checked_document", default=None)


@dataclass(frozen=True)
class Rejected:
    """Why a document was refused, as client-ready GraphQL errors (answered with HTTP 200, no ``data``)."""

    errors: list[dict[str, Any]]
    cost: Cost


def check(
    query: str, variables: Mapping[str, Any] | None, operation_name: str | None, settings: Settings
) -> Checked | Rejected:
    """Parse ``query`` and hold it against every limit; no database, no tenant needed."""
    nothing = Cost(0, settings.max_cost)
    # What does not depend on variables (parse, fragments, operation choice) is kept for documents seen before.
    key = (
        query,
        operation_name,
        settings.max_query_length,
        settings.max_tokens,
        settings.max_depth,
        settings.max_input_depth,
    )
    cacheable = len(query) <= _CACHED_LENGTH
    found = _documents.get(key) if cacheable else None
    if found is None:
        found = _document(query, operation_name, settings)
        if cacheable:
            _documents[key] = found
            while len(_documents) > _CACHED_DOCUMENTS:
                _documents.popitem(last=False)
    else:
        _documents.move_to_end(key)
    if isinstance(found, list):
        return Rejected([dict(e) for e in found], nothing)
    variable_errors = list(_check_variables(variables or {}, settings.max_input_depth))
    if variable_errors:
        return Rejected(variable_errors, nothing)
    try:
        return _check_operation(found, variables or {}, settings)
    except RecursionError:
        # Parsing bounds nesting, but a long chain of fragments spreading each other does not nest.
        message = "The document nests selections or fragments too deeply to be checked."
        return Rejected([_error(message, TOO_COMPLEX, limit="depth")], nothing)


_CACHED_LENGTH = 20_000
_CACHED_DOCUMENTS = 512
_documents: OrderedDict[tuple[Any, ...], Parsed | list[dict[str, Any]]] = OrderedDict()


def _document(query: str, operation_name: str | None, settings: Settings) -> Parsed | list[dict[str, Any]]:
    """The parsed document and the operation to run, or what is wrong with them (client-ready errors)."""
    if len(query) > settings.max_query_length:
        message = (
            f"The document is {len(query)} characters long; the limit is {settings.max_query_length}. "
            "Pass large values as variables."
        )
        return [_error(message, TOO_COMPLEX, limit="length")]
    try:
        document = parse(query, max_lexical_tokens=settings.max_tokens, max_comments=settings.max_tokens)
    except GraphQLError as exc:
        if exc.message.endswith("nested too deeply. Parsing aborted."):
            message = f"The document is nested too deeply to parse; the limit is {settings.max_depth} levels."
            return [_error(message, TOO_COMPLEX, limit="depth")]
        if exc.message.endswith("Parsing aborted."):
            message = f"The document has more than {settings.max_tokens} tokens (or comments); split the request."
            return [_error(message, TOO_COMPLEX, limit="tokens")]
        return [_formatted(exc, INVALID)]
    input_rule = _input_rule(settings.max_input_depth)
    errors = validate(_base(), document, [*_DOCUMENT_RULES, input_rule], max_errors=MAX_REPORTED_ERRORS)
    if errors:
        return [_document_error(e) for e in errors]
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        if operation_name is not None:
            shown = operation_name if len(operation_name) <= 64 else operation_name[:64] + "..."
            message = f"The document has no operation named {shown!r}."
        elif any(isinstance(d, OperationDefinitionNode) for d in document.definitions):
            message = "The document has several operations: say which to run with `operationName`."
        else:
            message = "The document defines no operation to run."
        return [_error(message, INVALID)]
    if operation.operation == OperationType.SUBSCRIPTION:
        return [_error("Subscriptions are not supported; send queries and mutations.", INVALID)]
    return Parsed(document, operation)


def _check_operation(parsed: Parsed, variables: Mapping[str, Any], settings: Settings) -> Checked | Rejected:
    values = _variable_values(parsed.operation, variables)
    key = (
        settings.max_cost,
        settings.max_depth,
        settings.max_aliases,
        settings.introspection,
        settings.hide_suggestions,
    )
    walks = parsed.walks.setdefault(key, [])
    for read, walked in walks:
        if all(values.get(name, _UNSET) == value for name, value in read):
            return _fresh(walked, values)
    reads = _Reads(values)
    cost, problems, unknown = _measure(_base(), parsed.document, parsed.operation, reads, settings)
    result: Checked | Rejected
    if problems:
        result = Rejected([_formatted(e, INVALID) for e in problems], cost)
    else:
        result = Checked(parsed, cost, settings.hide_suggestions, settings, values, unknown)
    if len(walks) < _WALKS_PER_DOCUMENT:
        walks.append((tuple((name, values.get(name, _UNSET)) for name in sorted(reads.read)), result))
    return _fresh(result, values)


class _Reads(dict[str, Any]):
    """Variable values that remember which ones a walk read: only page sizes and ``nodes(ids:)`` are, so a walk
    depends on those alone and a document paged with a new cursor each time is walked once."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


def _fresh(result: Checked | Rejected, values: Mapping[str, Any]) -> Checked | Rejected:
    """A per-request copy of a cached result (``recheck`` updates a Checked's cost)."""
    if isinstance(result, Rejected):
        return Rejected([dict(e) for e in result.errors], result.cost)
    return replace(result, values=values)


_UNSET = object()
_WALKS_PER_DOCUMENT = 8


def recheck(checked: Checked, schema: GraphQLSchema) -> list[GraphQLError]:
    """Measure a document again against the tenant's own schema (after authentication), when the base schema
    could not see all of it. Updates ``checked.cost``; returns what is over the limits."""
    if not checked.partly_unknown or checked.settings is None:
        return []
    cost, problems, _ = _measure(schema, checked.document, checked.operation, checked.values, checked.settings)
    checked.cost = cost
    return problems


def _measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    values: Mapping[str, Any],
    settings: Settings,
) -> tuple[Cost, list[GraphQLError], bool]:
    """The operation's cost, its problems (page sizes, cost, depth, aliases), and whether part was unknown."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walker = _Walker(schema, fragments, values, introspection=settings.introspection)
    root = schema.mutation_type if operation.operation == OperationType.MUTATION else schema.query_type
    measure = walker.selections(operation.selection_set, root)
    cost = Cost(measure.cost, settings.max_cost)

    problems = walker.errors[:MAX_REPORTED_ERRORS]
    if len(walker.errors) > MAX_REPORTED_ERRORS:
        problems.append(GraphQLError(f"... and {len(walker.errors) - MAX_REPORTED_ERRORS} more problems like these."))
    if measure.cost > settings.max_cost:
        message = (
            f"The query may return up to {_amount(measure.cost)} nodes; the limit is {settings.max_cost}. "
            "Ask for smaller pages (first/last) or fewer nested connections."
        )
        problems.append(GraphQLError(message, extensions={"code": TOO_COMPLEX, "limit": "cost"}))
    if measure.depth > settings.max_depth:
        message = f"The query is nested {measure.depth} fields deep; the limit is {settings.max_depth}."
        problems.append(GraphQLError(message, extensions={"code": TOO_COMPLEX, "limit": "depth"}))
    if measure.aliases > settings.max_aliases:
        message = f"The query uses {_amount(measure.aliases)} aliases; the limit is {settings.max_aliases}."
        problems.append(GraphQLError(message, extensions={"code": TOO_COMPLEX, "limit": "aliases"}))
    return cost, problems, walker.unknown


def _amount(n: int) -> str:
    return str(n) if n <= _JSON_SAFE_INT else "more than 2^53"


def _error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extensions}}


def _formatted(error: GraphQLError, default_code: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    extensions: dict[str, Any] = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", default_code)
    formatted["extensions"] = extensions
    return formatted


def _document_error(error: GraphQLError) -> dict[str, Any]:
    if error.message == "Validation aborted.":  # graphql-core's answer to fragments nested past its recursion limit
        message = "The document nests fields or fragments too deeply to be checked."
        return _error(message, TOO_COMPLEX, limit="depth")
    return _formatted(error, INVALID)


def _base() -> GraphQLSchema:
    from rapport.schema.base import base_schema

    return base_schema()._schema


# Rules that need no types, so the base schema answers them for every tenant.
_DOCUMENT_RULES: tuple[type[ASTValidationRule], ...] = (
    ExecutableDefinitionsRule,
    UniqueOperationNamesRule,
    LoneAnonymousOperationRule,
    KnownFragmentNamesRule,
    UniqueFragmentNamesRule,
    NoUnusedFragmentsRule,
    NoFragmentCyclesRule,
)


@lru_cache(maxsize=8)
def _input_rule(max_depth: int) -> type[ValidationRule]:
    """Literal input values nest at most ``max_depth`` levels (coercing them recurses)."""

    class InputValues(ValidationRule):
        depth = 0
        reported = False

        def enter_object_value(self, node: ObjectValueNode, *_: Any) -> None:
            self._enter(node)

        def enter_list_value(self, node: ListValueNode, *_: Any) -> None:
            self._enter(node)

        def leave_object_value(self, *_: Any) -> None:
            self.depth -= 1

        def leave_list_value(self, *_: Any) -> None:
            self.depth -= 1

        def _enter(self, node: ValueNode) -> None:
            self.depth += 1
            if self.depth > max_depth and not self.reported:
                self.reported = True
                message = f"An input value is nested more than {max_depth} levels deep."
                self.report_error(GraphQLError(message, node, extensions={"code": BAD_INPUT}))

    return InputValues


def _check_variables(variables: Mapping[str, Any], max_depth: int) -> Iterator[dict[str, Any]]:
    for name, value in variables.items():
        stack: list[tuple[Any, int]] = [(value, 0)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, dict | list):
                if depth >= max_depth:
                    yield _error(f"Variable ${name} is nested more than {max_depth} levels deep.", BAD_INPUT)
                    break
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, depth + 1) for child in children)


def _variable_values(operation: OperationDefinitionNode, given: Mapping[str, Any]) -> dict[str, Any]:
    """The operation's variables as execution will see them (defaults filled in), for page sizes."""
    values = dict(given)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


@dataclass
class _Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


_INVALID = object()


@dataclass
class _Walker:
    """One pass over the operation's selections; each named fragment is measured once (costs are linear)."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    values: Mapping[str, Any]
    introspection: bool
    errors: list[GraphQLError] = field(default_factory=list)
    unknown: bool = False  # a field with a selection set that the schema does not know
    _measured: dict[str, _Measure] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> _Measure:
        total = _Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                measure = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                measure = self.selections(selection.selection_set, scope)
            elif isinstance(selection, FragmentSpreadNode):
                measure = self.spread(selection)
            else:  # pragma: no cover - the parser makes no other selections
                continue
            total.depth = max(total.depth, measure.depth)
            total.aliases += measure.aliases
            total.cost += measure.cost
        return total

    def spread(self, node: FragmentSpreadNode) -> _Measure:
        name = node.name.value
        known = self._measured.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self._active:  # rejected by the document rules already
            return _Measure()
        self._active.add(name)
        measure = self.selections(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
        self._active.discard(name)
        self._measured[name] = measure
        return measure

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> _Measure:
        name = node.name.value
        if name in ("__schema", "__type") and not self.introspection:
            self.errors.append(GraphQLError("Introspection is turned off on this server.", node))
        definition = self._definition(parent, name)
        if definition is None and node.selection_set is not None:
            self.unknown = True
        child = _Measure()
        if node.selection_set is not None:
            child_type = get_named_type(definition.type) if definition is not None else None
            child = self.selections(node.selection_set, child_type)
        measure = _Measure(depth=1 + child.depth, aliases=child.aliases + (1 if node.alias else 0), cost=child.cost)
        if definition is None:
            return measure
        if "first" in definition.args or "last" in definition.args:
            size = self.page_size(node, parent)
            measure.cost = size * (1 + child.cost)
        elif "ids" in definition.args and is_list_type(get_nullable_type(definition.type)):
            count = self.id_count(node)
            measure.cost = count * (1 + child.cost)
        return measure

    def _definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = parent.fields.get(name)
            return found
        return None

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, NullValueNode):
                    return None
                if isinstance(value, VariableNode):
                    return self.values.get(value.name.value)
                return value_from_ast_untyped(value, self.values)  # type: ignore[arg-type]
        return None

    def page_size(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        where = f"`{parent.name if parent else '?'}.{node.name.value}`"
        first, last = self._argument(node, "first"), self._argument(node, "last")
        if first is None and last is None:
            sides = "`first` or `last`" if "last" in self._args(node, parent) else "`first`"
            self._complain(f"{where} needs {sides} (1 to {MAX_PAGE}): every list is paged.", node)
            return MAX_PAGE
        if first is not None and last is not None:
            self._complain(f"{where}: give either `first` or `last`, not both.", node)
            return MAX_PAGE
        argument, value = ("first", first) if first is not None else ("last", last)
        size = _as_int(value)
        if size is _INVALID or not isinstance(size, int):
            self._complain(f"{where}: `{argument}` must be an integer from 1 to {MAX_PAGE}.", node)
            return MAX_PAGE
        if not 1 <= size <= MAX_PAGE:
            self._complain(f"{where}: `{argument}` must be between 1 and {MAX_PAGE}, not {size}.", node)
            return MAX_PAGE
        return size

    def _args(self, node: FieldNode, parent: GraphQLNamedType | None) -> set[str]:
        definition = self._definition(parent, node.name.value)
        return set(definition.args) if definition is not None else set()

    def id_count(self, node: FieldNode) -> int:
        ids = self._argument(node, "ids")
        return len(ids) if isinstance(ids, list) else 1

    def _complain(self, message: str, node: FieldNode) -> None:
        self.errors.append(GraphQLError(message, node))


def _as_int(value: Any) -> object:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _INVALID
