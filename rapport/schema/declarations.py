"""How a core entity is declared once and generated into every tenant's schema.

An ``Entity`` lists its GraphQL fields (columns, references, child connections, computed values) and its
mutation input fields. The schema factory turns each declaration into the object type, connection, filter,
ordering, inputs and mutations for one tenant, adding that tenant's custom fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table

from rapport.customfields.types.base import FieldValueError


@dataclass(frozen=True)
class Column:
    """A column served as stored. ``filter`` (an input class from ``schema.filters``) makes it filterable;
    ``sort`` adds it to the entity's order fields."""

    name: str
    annotation: Any
    description: str
    filter: type | None = None
    sort: bool = False


@dataclass(frozen=True)
class Reference:
    """A to-one link through a foreign key column, resolved with a by-id dataloader."""

    name: str
    target: str
    column: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class Children:
    """A connection of the target entity's rows whose ``column`` points at this row (batched per page)."""

    name: str
    target: str
    column: str
    description: str


@dataclass(frozen=True)
class Computed:
    """A value derived from the record by a plain function (no I/O). ``columns``: the value is an object of
    these columns (GraphQL field -> column), null when all of them are; compiled reads build it in SQL."""

    name: str
    annotation: Any
    description: str
    resolve: Callable[[Any], Any]
    columns: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Items:
    """All of the target's rows pointing at this row, as a plain list in ``order`` (for small bounded sets:
    order lines, pipeline stages, tracking events). Batched per parent like ``Children``."""

    name: str
    target: str
    column: str
    description: str
    order: tuple[str, ...] = ("id",)


@dataclass(frozen=True)
class Resolved:
    """A field with its own resolver (loaders, figures). ``make`` gets the generated object types by name
    (still being filled, so they can be referenced) and returns the resolver."""

    name: str
    description: str
    make: Callable[[Mapping[str, Any]], Callable[..., Any]]


Field = Column | Reference | Children | Computed | Items | Resolved

Parser = Callable[[Any], Any]
"""Turns an input value into what is stored; raises FieldValueError with a code and message."""


@dataclass(frozen=True)
class Input:
    """A mutation input field. ``required`` fields are non-null on create; on update every field is optional
    and null clears it (a userError if the column may not be empty). ``reference`` names the entity a global ID
    must point to; the stored value is that row's UUID."""

    name: str
    annotation: Any
    description: str
    column: str | None = None
    required: bool = False
    parse: Parser | None = None
    reference: str | None = None
    nullable: bool = True
    # For an input object spread over several columns (an address): parsed value -> {column: value}.
    expand: Callable[[Any], dict[str, Any]] | None = None
    # Not a column: handed to the entity's rules as sent (e.g. an order's lines).
    virtual: bool = False

    @property
    def target_column(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class Entity:
    name: str
    table: Table
    description: str
    fields: tuple[Field, ...]
    inputs: tuple[Input, ...] = ()
    # The key custom field definitions use for this entity (CUSTOMER, CONTACT, ...); None: no custom fields.
    custom_entity: str | None = None
    root_field: str | None = None
    plural: str | None = None
    soft_delete: bool = True
    # Who may create, update and delete (MEMBER: any writer; ADMIN: configuration such as users, pipelines).
    write_role: str = "MEMBER"
    # False: no delete mutation (users are deactivated, not deleted: their history points at them).
    deletable: bool = True
    extra_filters: dict[str, Callable[[Any], ColumnElement[bool]]] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(f for f in self.fields if isinstance(f, Column))

    def field_named(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def run_parser(parse: Parser | None, value: Any) -> Any:
    return value if parse is None else parse(value)


__all__ = [
    "Children",
    "Column",
    "Computed",
    "Entity",
    "Field",
    "FieldValueError",
    "Input",
    "Items",
    "Reference",
    "Resolved",
    "run_parser",
]
