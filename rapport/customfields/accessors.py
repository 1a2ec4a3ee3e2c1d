"""Accessor functions for custom values that row-level security lets indexes serve.

Under row-level security PostgreSQL may use a query's condition as an index condition only when every
function in it is LEAKPROOF: otherwise it could run before the policy and reveal other tenants' rows (in an
error message, say). ``->>`` and text-to-number casts are not leakproof, so on ``custom ->> 'signupDate'``
the tenant's index served sorts but never a range, and page 2 of a sort walked the index past page 1.

``rapport_custom_text(custom, 'key')`` and ``rapport_custom_bigint(custom, 'key')`` are the value expressions
of text-valued and integer custom fields: filters, sorts, keysets and the expression indexes all use them.
Exact decimals (DECIMAL, PERCENT, and MONEY's amount) compare as numerics, whose comparisons are not leakproof;
``rapport_custom_float8`` and ``rapport_custom_amount_float8`` give their values as float8, whose comparisons
are: a decimal range filter also states its range on them, a superset of the exact one (the conversion is
monotonic), which an index can serve while the numeric comparison rechecks. None of them can fail (the number
casts take only what they always accept, else NULL), so declaring them LEAKPROOF is true. Only a superuser may
declare that, so:

- run by a superuser (the embedded database's owner), they are marked LEAKPROOF and are never inlined, so the
  planner sees the leakproof call rather than the ``->>`` inside it; comparisons on text, bigint and uuid are
  leakproof too, so ranges and keyset bounds become index conditions. The text one is the C function behind
  ``->>`` itself (``jsonb_object_field_text``); the bigint one is PL/pgSQL;
- otherwise they are SQL functions, which the planner inlines into exactly the expressions used before, and
  nothing changes. ``rapport migrate`` run once by a superuser upgrades them in place (indexes keep working:
  they refer to the function, whose results do not change).

Whatever the definition, the results are those of ``Accessor.body``: the expression indexes on them depend on
it. The declared costs are measured ones (``->>`` is 1): filters on a custom field that no index serves are
evaluated cheapest first, so a text equality rules a record out before its number is parsed.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Float, Text, func, literal_column, text

# Whole numbers a bigint cast always accepts (stored values are 32-bit; other tenants' values may be anything).
WHOLE_NUMBER = "^-?[0-9]{1,18}$"
# The canonical spelling of exact decimals (``types.decimal.canonical_decimal``): what numeric and float8 casts
# always accept (at most 38 digits on either side: within float8's range, never an overflow).
CANONICAL_DECIMAL = r"^-?[0-9]{1,38}(\.[0-9]{1,38})?$"


@dataclass(frozen=True)
class Leakproof:
    """How a superuser defines an accessor: as pg_proc records it, so an outdated definition can be told."""

    language: str
    source: str  # the C function's name, or the PL/pgSQL body
    cost: int
    strict: bool = False


@dataclass(frozen=True)
class Accessor:
    name: str
    returns: str
    # One expression of the parameters ``doc`` (jsonb) and ``key`` (text); it must never raise. What the
    # accessor returns, however it is defined.
    body: str
    leakproof: Leakproof

    def create(self, leakproof: bool) -> str:
        head = f"CREATE OR REPLACE FUNCTION {self.name}(doc jsonb, key text) RETURNS {self.returns}"
        if leakproof:
            fast = self.leakproof
            strict = " STRICT" if fast.strict else ""
            return (
                f"{head} LANGUAGE {fast.language} IMMUTABLE LEAKPROOF PARALLEL SAFE{strict} COST {fast.cost} "
                f"AS $fn${fast.source}$fn$"
            )
        return f"{head} LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT {self.body} $fn$"


# The bigint accessor's body without a regular expression for numbers (about 2 µs a call against 2.8): a JSON
# number prints without an exponent, so its text is 1-18 digits exactly when its scale is 0 and it is below
# 10^18. Strings keep the pattern. ``tests/customfields/test_accessors.py`` holds it to ``body``.
_BIGINT_PLPGSQL = f"""
DECLARE
  v jsonb := doc -> key;
  n numeric;
BEGIN
  IF jsonb_typeof(v) = 'number' THEN
    n := v::numeric;
    IF scale(n) = 0 AND abs(n) < 1000000000000000000 THEN
      RETURN n::bigint;
    END IF;
  ELSIF jsonb_typeof(v) = 'string' AND (v #>> '{{}}') ~ '{WHOLE_NUMBER}' THEN
    RETURN (v #>> '{{}}')::bigint;
  END IF;
  RETURN NULL;
END
"""


def _float8_plpgsql(value: str) -> str:
    """A float8 accessor's body: the canonical decimal ``value`` (an expression of doc and key) as float8."""
    return f"""
DECLARE
  t text := {value};
BEGIN
  IF t ~ '{CANONICAL_DECIMAL}' THEN
    RETURN t::float8;
  END IF;
  RETURN NULL;
END
"""


def _float8_body(value: str) -> str:
    return f"CASE WHEN ({value}) ~ '{CANONICAL_DECIMAL}' THEN CAST({value} AS float8) END"


_AMOUNT = "doc -> key ->> 'amount'"

ACCESSORS = (
    # ``->>`` is this C function: the same results at the same cost. It assumes its arguments are not NULL, so
    # it must be declared STRICT, as the operator is.
    Accessor("rapport_custom_text", "text", "doc ->> key", Leakproof("internal", "jsonb_object_field_text", 1, True)),
    Accessor(
        "rapport_custom_bigint",
        "bigint",
        f"CASE WHEN (doc ->> key) ~ '{WHOLE_NUMBER}' THEN (doc ->> key)::bigint END",
        Leakproof("plpgsql", _BIGINT_PLPGSQL, 4),
    ),
    Accessor(
        "rapport_custom_float8",
        "float8",
        _float8_body("doc ->> key"),
        Leakproof("plpgsql", _float8_plpgsql("doc ->> key"), 4),
    ),
    Accessor(
        "rapport_custom_amount_float8",
        "float8",
        _float8_body(_AMOUNT),
        Leakproof("plpgsql", _float8_plpgsql(_AMOUNT), 4),
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


def custom_float8(column: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """The exact decimal under ``key`` as float8 (NULL when absent or not a canonical decimal)."""
    return func.rapport_custom_float8(column, json_key(key), type_=Float(53))


def custom_amount_float8(column: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """The amount of the money value under ``key`` as float8 (NULL when absent or not a canonical decimal)."""
    return func.rapport_custom_amount_float8(column, json_key(key), type_=Float(53))


def install(conn: Connection) -> bool:
    """Create the accessors, or, when a superuser runs this, make them leakproof or bring their leakproof
    definitions up to date (in place: the indexes on them stay valid, as their results do not change).

    Returns whether they are leakproof. Idempotent: ``rapport migrate`` calls it every time."""
    superuser = bool(conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())
    leakproof = True
    for accessor in ACCESSORS:
        current = conn.execute(
            text(
                "SELECT p.proleakproof, l.lanname, p.prosrc, p.procost, p.proisstrict FROM pg_proc p "
                "JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = to_regprocedure(:signature)"
            ),
            {"signature": f"{accessor.name}(jsonb, text)"},
        ).one_or_none()
        if current is None or (superuser and tuple(current) != (True, *astuple(accessor.leakproof))):
            conn.execute(text(accessor.create(leakproof=superuser)))
            is_leakproof = superuser
        else:
            is_leakproof = bool(current.proleakproof)
        leakproof = leakproof and is_leakproof
    return leakproof
