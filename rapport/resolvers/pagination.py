"""Keyset pagination for Relay connections: one page of one table, or the first N children of many parents.

Every ordering ends with the primary key, so positions are total. A cursor carries the row's sort values
(and a tag of the ordering it belongs to); "after" becomes a WHERE condition, never an OFFSET, so deep pages
cost the same as the first. NULLs sort last ascending and first descending (PostgreSQL's default, which
matches plain btree indexes): a NULL acts as the largest value either way.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import literal

from rapport.errors import BadInput
from rapport.schema.scalars import format_datetime

MAX_PAGE = 100


@dataclass(frozen=True)
class SortKey:
    name: str
    expr: ColumnElement[Any]
    descending: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def size(self) -> int:
        return self.first if self.first is not None else self.last  # type: ignore[return-value]

    @property
    def backwards(self) -> bool:
        return self.last is not None

    @property
    def cursor(self) -> str | None:
        return self.before if self.backwards else self.after


def page_request(first: int | None, after: str | None, last: int | None, before: str | None) -> PageRequest:
    """Check Relay arguments: exactly one of first/last, 1..100, cursors on the matching side."""
    if (first is None) == (last is None):
        raise BadInput(f"give either `first` or `last` (1 to {MAX_PAGE})")
    size = first if first is not None else last
    assert size is not None
    if not 1 <= size <= MAX_PAGE:
        raise BadInput(f"`first`/`last` must be between 1 and {MAX_PAGE}")
    if first is not None and before is not None:
        raise BadInput("use `before` with `last`, not with `first`")
    if last is not None and after is not None:
        raise BadInput("use `after` with `first`, not with `last`")
    return PageRequest(first, after, last, before)


@dataclass
class Page:
    records: list[Any]
    cursors: list[str]
    has_next: bool
    has_previous: bool


def ordering_tag(keys: Sequence[SortKey]) -> str:
    spec = ",".join(f"{k.name}:{'d' if k.descending else 'a'}" for k in keys)
    return hashlib.blake2s(spec.encode(), digest_size=4).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_datetime(value)  # canonical (UTC), as compiled reads write it in SQL
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def encode_cursor(tag: str, values: Sequence[Any]) -> str:
    raw = orjson.dumps([tag, *(_jsonable(v) for v in values)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    try:
        if len(cursor) > 4096:
            raise ValueError
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, list) or len(data) != len(keys) + 1 or data[0] != ordering_tag(keys):
            raise ValueError
        return [_typed(value, key) for value, key in zip(data[1:], keys, strict=True)]
    except (ValueError, TypeError, binascii.Error, decimal.InvalidOperation, orjson.JSONDecodeError) as exc:
        raise BadInput("invalid cursor: it is malformed or belongs to a different ordering") from exc


def _typed(value: Any, key: SortKey) -> Any:
    if value is None:
        return None
    python_type = key.expr.type.python_type
    if python_type in (dt.datetime, dt.date, decimal.Decimal, uuid.UUID) and not isinstance(value, str):
        raise ValueError("cursor value has the wrong type")
    if python_type is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    if python_type is decimal.Decimal:
        return decimal.Decimal(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type in (int, str, bool) and not isinstance(value, python_type):
        raise ValueError("cursor value has the wrong type")
    return value


Bind = Callable[[Any, SortKey, int], ColumnElement[Any]]


def _bind(value: Any, key: SortKey, position: int) -> ColumnElement[Any]:
    return literal(value, key.expr.type)


def after_condition(keys: Sequence[SortKey], values: Sequence[Any], bind: Bind = _bind) -> ColumnElement[bool]:
    """Rows strictly after the position ``values`` in the ordering ``keys``. ``bind`` makes the SQL value of
    the sort value at a position (compiled reads bind named parameters, to reuse the statement)."""
    bounds = [None if v is None else bind(v, k, i) for i, (k, v) in enumerate(zip(keys, values, strict=True))]
    if all(not k.nullable for k in keys) and len({k.descending for k in keys}) == 1:
        # One direction, no NULLs: a row comparison, which a composite index serves directly.
        left = tuple_(*(k.expr for k in keys))
        return left < tuple_(*bounds) if keys[0].descending else left > tuple_(*bounds)
    condition = _after(list(keys), bounds)
    leading = _leading_range(keys[0], bounds[0])
    return condition if leading is None else and_(leading, condition)


def _after(keys: list[SortKey], bounds: list[ColumnElement[Any] | None]) -> ColumnElement[bool]:
    key, bound, rest = keys[0], bounds[0], keys[1:]
    expr = key.expr
    if bound is None:
        beyond: ColumnElement[bool] = expr.is_not(None) if key.descending else false()
        same: ColumnElement[bool] = expr.is_(None)
    else:
        beyond = expr < bound if key.descending else or_(expr > bound, expr.is_(None))
        same = expr == bound
    if not rest:
        return beyond
    return or_(beyond, and_(same, _after(rest, bounds[1:])))


def _leading_range(key: SortKey, bound: ColumnElement[Any] | None) -> ColumnElement[bool] | None:
    """What the position implies for the first sort key alone, as one range an index on that key can start
    from: the OR of ``_after`` cannot be an index condition, so without it page N scans pages 1..N-1 again.
    Redundant, so only where it holds for every row after the position: NULLs come last ascending and first
    descending, so ascending past a value NULLs still follow, and descending past NULL every value does."""
    if bound is None:
        return None if key.descending else key.expr.is_(None)
    if key.descending:
        return key.expr <= bound
    return None if key.nullable else key.expr >= bound


def order_clauses(keys: Sequence[SortKey], reverse: bool = False) -> list[ColumnElement[Any]]:
    clauses: list[ColumnElement[Any]] = []
    for key in keys:
        descending = key.descending != reverse
        clause = key.expr.desc() if descending else key.expr.asc()
        if key.nullable:
            clause = clause.nulls_first() if descending else clause.nulls_last()
        clauses.append(clause)
    return clauses


def _reversed(keys: Sequence[SortKey]) -> list[SortKey]:
    return [SortKey(k.name, k.expr, not k.descending, k.nullable) for k in keys]


def page_statement(
    columns: Sequence[ColumnElement[Any]],
    where: ColumnElement[bool],
    keys: Sequence[SortKey],
    request: PageRequest,
) -> Select[Any]:
    """SELECT columns + sort values for one page (one extra row tells whether another page follows)."""
    effective = _reversed(keys) if request.backwards else list(keys)
    condition = where
    if request.cursor is not None:
        condition = and_(where, after_condition(effective, decode_cursor(request.cursor, keys)))
    sort_columns = [k.expr.label(f"_sort{i}") for i, k in enumerate(keys)]
    return select(*columns, *sort_columns).where(condition).order_by(*order_clauses(effective)).limit(request.size + 1)


def build_page(
    rows: Sequence[Any], width: int, record_cls: type, keys: Sequence[SortKey], request: PageRequest
) -> Page:
    """Split fetched rows into records and cursors; ``width`` is how many record columns precede sort values."""
    more = len(rows) > request.size
    rows = list(rows[: request.size])
    if request.backwards:
        rows.reverse()
    tag = ordering_tag(keys)
    make = record_cls._make  # type: ignore[attr-defined]
    records = [make(row[:width]) for row in rows]
    cursors = [encode_cursor(tag, row[width:]) for row in rows]
    cursor_given = request.cursor is not None
    return Page(
        records=records,
        cursors=cursors,
        has_next=more if not request.backwards else cursor_given,
        has_previous=more if request.backwards else cursor_given,
    )


async def fetch_page(
    conn: AsyncConnection,
    columns: Sequence[ColumnElement[Any]],
    where: ColumnElement[bool],
    keys: Sequence[SortKey],
    request: PageRequest,
    record_cls: type,
) -> Page:
    rows = (await conn.execute(page_statement(columns, where, keys, request))).all()
    return build_page(rows, len(columns), record_cls, keys, request)


async def fetch_child_pages(
    conn: AsyncConnection,
    columns: Sequence[ColumnElement[Any]],
    parent_column: ColumnElement[Any],
    parent_ids: Sequence[uuid.UUID],
    where: ColumnElement[bool],
    keys: Sequence[SortKey],
    request: PageRequest,
    record_cls: type,
) -> dict[uuid.UUID, Page]:
    """The same page of children for each parent, in one statement: a LATERAL subquery per parent id, each
    an index range scan with its own LIMIT."""
    parents = (
        func.unnest(literal(list(parent_ids), ARRAY(UUID(as_uuid=True))))
        .table_valued("id")
        .render_derived(name="parent")
    )
    inner = page_statement(columns, and_(where, parent_column == parents.c.id), keys, request).lateral("child")
    stmt = select(parents.c.id, inner).select_from(parents.join(inner, true()))
    grouped: dict[uuid.UUID, list[Any]] = {pid: [] for pid in parent_ids}
    for row in (await conn.execute(stmt)).all():
        grouped[row[0]].append(row[1:])
    return {pid: build_page(rows, len(columns), record_cls, keys, request) for pid, rows in grouped.items()}
