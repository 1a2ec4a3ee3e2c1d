"""SQL expressions that render values exactly as the resolver path serialises them, so a compiled read's
JSON (built by PostgreSQL) equals the one strawberry would have produced: global IDs, ISO timestamps,
decimals as strings, and cursors."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from collections.abc import Sequence
from functools import cache
from itertools import product
from typing import Any

from sqlalchemy import ColumnElement, Date, DateTime, Numeric, Text, cast, func, literal_column

from rapport.resolvers.pagination import SortKey, ordering_tag


class Unsupported(Exception):
    """The selection needs the resolver path (a computed field, a type the compiler does not render)."""


def sql_string(value: str) -> ColumnElement[Any]:
    """A constant string inlined in the statement. Only for names the server controls or GraphQL has
    checked (type names, response keys: ``[_A-Za-z][_0-9A-Za-z]*``), never for client values."""
    if not value.replace("_", "").replace(":", "").isalnum() or not value.isascii():
        raise Unsupported(f"not a plain name: {value!r}")
    return literal_column(f"'{value}'")


_BASE64: ColumnElement[Any] = literal_column("'base64'")


def _url_safe(encoded: ColumnElement[Any]) -> ColumnElement[Any]:
    # Two replace calls cost a quarter of one translate (which was a third of a nested page's time).
    plus = func.replace(encoded, literal_column("'+'"), literal_column("'-'"))
    return func.replace(plus, literal_column("'/'"), literal_column("'_'"))


def _base64url(data: ColumnElement[Any]) -> ColumnElement[Any]:
    """Unpadded base64url of a text (ASCII here), as ``base64.urlsafe_b64encode(...).rstrip("=")``."""
    encoded = func.encode(func.textsend(data), _BASE64)
    # PostgreSQL breaks base64 lines after 76 characters.
    unbroken = func.replace(encoded, literal_column("E'\\n'"), literal_column("''"))
    return func.rtrim(_url_safe(unbroken), literal_column("'='"))


def global_id(type_name: str, id_column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``rapport.ids.to_global_id`` in SQL. Base64 encodes three bytes at a time, so the type's prefix is
    encoded here, once, up to its last whole group; PostgreSQL encodes the rest of it (0 to 2 characters) with the
    UUID's text. That part is at most 38 bytes, below the 57 after which PostgreSQL breaks lines, its padding
    is known from its length, and a UUID's text cannot encode to '+' or '/' (``_url_safe_already``)."""
    head, rest = _id_prefix(type_name)
    text = cast(id_column, Text) if not rest else literal_column(f"'{rest}'", Text).concat(cast(id_column, Text))
    encoded: ColumnElement[Any] = func.encode(func.textsend(text), _BASE64)
    if not _url_safe_already(rest):
        encoded = _url_safe(encoded)
    padding = -(len(rest) + 36) % 3
    if padding:
        encoded = func.left(encoded, -padding)
    return literal_column(f"'{head}'", Text).concat(encoded) if head else encoded


_UUID_CHARACTERS = "0123456789abcdef-"  # a UUID as text: lowercase hex digits and dashes


@cache
def _id_prefix(type_name: str) -> tuple[str, str]:
    """The global ID prefix's whole base64 groups, encoded; and what is left of it. Both are inlined in the
    statement: the type name is checked as ``sql_string`` checks names, and base64url has no quote."""
    prefix = f"{type_name}:"
    sql_string(prefix)
    whole = len(prefix) - len(prefix) % 3
    return base64.urlsafe_b64encode(prefix[:whole].encode()).decode(), prefix[whole:]


@cache
def _url_safe_already(rest: str) -> bool:
    """Whether base64 of ``rest`` followed by any UUID's text is free of '+' and '/', so that base64url needs
    no replacing: every group of three bytes it can hold is tried (the first starts with ``rest``)."""
    first = {rest + "".join(p) for p in product(_UUID_CHARACTERS, repeat=3 - len(rest))}
    later = {"".join(p) for size in (1, 2, 3) for p in product(_UUID_CHARACTERS, repeat=size)}
    return not any(b"+" in e or b"/" in e for e in (base64.b64encode(g.encode()) for g in first | later))


def iso_timestamp(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """``schema.scalars.format_datetime`` in SQL: UTC, fixed width, e.g. 2024-05-01T09:30:00.000000Z."""
    utc = func.timezone(literal_column("'UTC'"), value)
    return func.to_char(utc, literal_column('\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\''))


def output_value(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    """A column's value as the resolver path serialises it: timestamps in ISO form, decimals as strings
    (their exact digits), everything else as PostgreSQL's JSON renders it."""
    sql_type = expr.type
    if isinstance(sql_type, DateTime):
        return iso_timestamp(expr)
    if isinstance(sql_type, Numeric) and sql_type.asdecimal:
        return cast(expr, Text)
    return expr


def _cursor_value(key: SortKey) -> ColumnElement[Any]:
    """One sort value as JSON text, as ``pagination.encode_cursor`` writes it."""
    expr = key.expr
    try:
        python_type = expr.type.python_type
    except NotImplementedError as exc:
        raise Unsupported(f"sort key {key.name} has no Python type") from exc
    if python_type is dt.datetime:
        text = func.to_json(iso_timestamp(expr))
    elif python_type is dt.date and isinstance(expr.type, Date):
        text = func.to_json(func.to_char(expr, literal_column("'YYYY-MM-DD'")))
    elif python_type in (decimal.Decimal, uuid.UUID):
        text = func.to_json(cast(expr, Text))
    elif python_type in (int, str, bool):
        text = func.to_json(expr)
    else:
        raise Unsupported(f"sort key {key.name} of type {python_type.__name__}")
    return func.coalesce(cast(text, Text), literal_column("'null'"))


def cursor(keys: Sequence[SortKey]) -> ColumnElement[Any]:
    """``pagination.encode_cursor`` in SQL, from the row's sort values."""
    tag = ordering_tag(keys)  # hex digits
    parts: list[ColumnElement[Any]] = [literal_column(f"'[\"{tag}\"'")]
    for key in keys:
        parts += [literal_column("','"), _cursor_value(key)]
    parts.append(literal_column("']'"))
    return _base64url(func.concat(*parts))
