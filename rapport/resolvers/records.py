"""Rows as light, typed records: one named tuple class per table.

Resolvers pass records around instead of ORM objects: building one is a single C-level tuple copy, reading a
field is attribute access, and the record's class tells the Node interface which GraphQL type it is.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Table

_BY_TABLE: dict[str, type] = {}
_ENTITY_OF: dict[type, str] = {}


def record_class(table: Table, entity: str | None = None) -> type:
    """The record class for ``table`` (fields in column order)."""
    cls = _BY_TABLE.get(table.name)
    if cls is None:
        cls = _BY_TABLE[table.name] = _named_tuple(table)
    if entity is not None:
        _ENTITY_OF[cls] = entity
    return cls


def _named_tuple(table: Table) -> type:
    name = table.name.title().replace("_", "") + "Record"
    made: type = namedtuple(name, [c.key for c in table.columns])  # type: ignore[misc]
    return made


def entity_of(record: Any) -> str | None:
    """The GraphQL type name a record belongs to."""
    return _ENTITY_OF.get(type(record))


def to_records(cls: type, rows: Iterable[Row[Any]]) -> list[Any]:
    make = cls._make  # type: ignore[attr-defined]
    return [make(row) for row in rows]
