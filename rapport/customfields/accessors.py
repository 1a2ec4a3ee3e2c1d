"""Accessor functions for custom values that row-level security lets indexes serve.

Under row-level security PostgreSQL may use a query's condition as an index condition only when every
function in it is LEAKPROOF: otherwise it could run before the policy and reveal other tenants' rows (in an
error message, say). ``->>`` and text-to-number casts are not leakproof, so on ``custom ->> 'signupDate'``
the tenant's index served sorts but never a range, and page 2 of a sort walked the index past page 1.

``rapport_custom_text(custom, 'key')`` and ``rapport_custom_bigint(custom, 'key')`` are the value expressions
of text-valued and integer custom fields: filters, sorts, keysets and the expression indexes all use them.
Neither can fail (the bigint one casts only what a bigint always accepts, else NULL), so declaring them
LEAKPROOF is true. Only a superuser may declare that, so:

- run by a superuser (the embedded database's owner), they are PL/pgSQL functions marked LEAKPROOF. PL/pgSQL
  is never inlined, so the planner sees the leakproof call rather than the ``->>`` inside it; comparisons on
  text, bigint and uuid are leakproof too, so ranges and keyset bounds become index conditions;
- otherwise they are SQL functions, which the planner inlines into exactly the expressions used before, and
  nothing changes. ``rapport migrate`` run once by a superuser upgrades them in place (indexes keep working:
  they refer to the function, whose results do not change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Text, func, literal_column, text

# Whole numbers a bigint cast always accepts (stored values are 32-bit; other tenants' values may be anything).
WHOLE_NUMBER = "^-?[0-9]{1,18}$"


@dataclass(frozen=True)
class Accessor:
    name: str
    returns: str
    # One expression of the parameters ``doc`` (jsonb) and ``key`` (text); it must never raise.
    body: str

    def create(self, leakproof: bool) -> str:
        head = f"CREATE OR REPLACE FUNCTION {self.name}(doc jsonb, key text) RETURNS {self.returns}"
        if leakproof:
            return (
                f"{head} LANGUAGE plpgsql IMMUTABLE LEAKPROOF PARALLEL SAFE COST 1 "
                f"AS $fn$ BEGIN RETURN {self.body}; END $fn$"
            )
        return f"{head} LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT {self.body} $fn$"


ACCESSORS = (
    Accessor("rapport_custom_text", "text", "doc ->> key"),
    Accessor(
        "rapport_custom_bigint",
        "bigint",
        f"CASE WHEN (doc ->> key) ~ '{WHOLE_NUMBER}' THEN (doc ->> key)::bigint END",
    ),
)


def json_key(key: str) -> ColumnElement[Any]:
    """Keys are written into the SQL, never bound: an expression index only matches a query that spells the
    key the same way, also once a prepared statement switches to a generic plan. Keys are camelCase
    identifiers (checked when a field is defined), so inlining them is safe."""
    if not key.isalnum():
        raise ValueError(f"unsafe JSON key {key!r}")
    return literal_column(f"'{key}'")


def custom_text(column: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """The stored value under ``key`` as text (NULL when absent)."""
    return func.rapport_custom_text(column, json_key(key), type_=Text)


def custom_bigint(column: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """The stored value under ``key`` as a bigint, NULL when absent or not a whole number."""
    return func.rapport_custom_bigint(column, json_key(key), type_=BigInteger)


def install(conn: Connection) -> bool:
    """Create the accessors, or upgrade them to LEAKPROOF when a superuser runs this and they are not yet.

    Returns whether they are leakproof. Idempotent: ``rapport migrate`` calls it every time."""
    superuser = bool(conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())
    leakproof = True
    for accessor in ACCESSORS:
        current = conn.execute(
            text("SELECT proleakproof FROM pg_proc WHERE oid = to_regprocedure(:signature)"),
            {"signature": f"{accessor.name}(jsonb, text)"},
        ).scalar()
        if current is None or (superuser and not current):
            conn.execute(text(accessor.create(leakproof=superuser)))
            current = superuser
        leakproof = leakproof and bool(current)
    return leakproof
