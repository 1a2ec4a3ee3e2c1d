"""Reads that authenticate in their own statement: one round trip instead of three (decision 32).

A read on the read pool (decision 31) sent BEGIN with authentication, the read, and COMMIT. For the answer
mobile apps poll (``customerSummary``) those three round trips through psycopg were half of the request's CPU.
(Other reads now send authentication pipelined with the read, decision 35; for the summary this is cheaper.)
Such a read has a PL/pgSQL function of its own, created by ``rapport migrate``: it runs
``rapport_authenticate`` (which sets the tenant for row-level security), stops if the token is unknown, and
only then runs the read, as the app role, under row-level security. Its rows carry what authentication
returned, which the caller checks against what it expected. The call goes in one message after the request's
settings (``rapport.read_path``): one implicit transaction, which ends with the message.

Nothing is written in two places: the function's body is the read's own SQL (its ``:name`` parameters become
the function's), and its name ends in a digest of what it was made from, so code that finds no function of
its name (not migrated since the read changed) reads the usual way until it appears.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, text

from rapport.auth.tokens import Authenticated, authenticated_row, digest, tenant_of
from rapport.config import get_settings
from rapport.db.driver import DriverStatement
from rapport.db.libpq_call import PreparedCall, row_type

log = logging.getLogger("rapport.db")

# What rapport_authenticate returns, as the function's first columns, in ``authenticated_row``'s order.
_RETURNED = (
    ("token_id", "uuid"),
    ("tenant_id", "uuid"),
    ("tenant_slug", "text"),
    ("schema_version", "integer"),
    ("user_id", "uuid"),
    ("token_role", "text"),
    ("tenant_settings", "jsonb"),
)
_AUTH_COLUMNS = (
    *((f"auth_{name}", kind) for name, kind in _RETURNED),
    # False when authentication succeeded and the read found nothing (its columns are then NULL).
    ("read_found", "boolean"),
)
_AUTH_PARAMETERS = {"auth_tenant": "uuid", "auth_hash": "bytea", "auth_request": "text"}


@dataclass(frozen=True)
class AuthenticatedRead:
    """A driver statement (``statement``, compiled from ``sql``) with a function that authenticates first."""

    key: str
    statement: DriverStatement
    sql: str
    # The read's parameters and their SQL types, in the function's order.
    parameters: tuple[tuple[str, str], ...]

    @cached_property
    def body(self) -> str:
        """The read's SQL with its ``:name`` parameters turned into the function's ``p_name``."""
        names = "|".join(re.escape(name) for name, _ in self.parameters)
        return re.sub(rf"(?<![:\w]):({names})\b", r"p_\1", self.sql)

    @cached_property
    def function(self) -> str:
        made_of = "|".join([self.body, repr(self.parameters), repr(_AUTH_COLUMNS), _TEMPLATE])
        return f"rapport_read_{self.key}_{hashlib.sha256(made_of.encode()).hexdigest()[:10]}"

    @cached_property
    def call(self) -> DriverStatement:
        arguments = [f"%({name})s" for name in _AUTH_PARAMETERS] + [f"%({name})s" for name, _ in self.parameters]
        return DriverStatement(f"SELECT * FROM {self.function}({', '.join(arguments)})")

    @cached_property
    def prepared(self) -> PreparedCall:
        """``call``, sent prepared through libpq when the session's settings are the request's (decision 38)."""
        return PreparedCall(self.call.sql)

    def arguments(self, token: str, request_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"auth_tenant": tenant_of(token), "auth_hash": digest(token), "auth_request": request_id, **params}

    def split(self, row: Any | None) -> tuple[Authenticated | None, Any | None]:
        """What authentication returned (None: refused), and the read's row (None: no row)."""
        if row is None:
            return None, None
        auth = authenticated_row(*row[: len(_RETURNED)])
        if not row.read_found:
            return auth, None
        return auth, row_type(tuple(row._fields[len(_AUTH_COLUMNS) :]))(*row[len(_AUTH_COLUMNS) :])

    def columns(self, conn: Connection) -> list[tuple[str, str]]:
        """The read's columns and their types, as PostgreSQL describes them now."""
        nulls = {name: f"NULL::{kind}" for name, kind in self.parameters}
        described = re.sub(r"\bp_(\w+)\b", lambda m: nulls.get(m.group(1), m.group(0)), self.body)
        conn.execute(text(f"CREATE TEMPORARY VIEW rapport_described AS {described}"))
        columns = conn.execute(
            text(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'rapport_described'::regclass AND attnum > 0 ORDER BY attnum"
            )
        ).all()
        conn.execute(text("DROP VIEW rapport_described"))
        return [(name, kind) for name, kind in columns]

    def create(self, conn: Connection, role: str, columns: list[tuple[str, str]]) -> None:
        returns = ", ".join(f"{name} {kind}" for name, kind in [*_AUTH_COLUMNS, *columns])
        parameters = ", ".join(
            [f"a_{name.removeprefix('auth_')} {kind}" for name, kind in _AUTH_PARAMETERS.items()]
            + [f"p_{name} {kind}" for name, kind in self.parameters]
        )
        absent = ", ".join(f"NULL::{kind}" for _, kind in columns)
        auth = ", ".join(f"a.{name}" for name, _ in _RETURNED)
        conn.execute(
            text(
                _TEMPLATE.format(
                    function=self.function,
                    parameters=parameters,
                    returns=returns,
                    auth=auth,
                    body=self.body,
                    absent=absent,
                )
            )
        )
        signature = ", ".join([*_AUTH_PARAMETERS.values(), *(kind for _, kind in self.parameters)])
        conn.execute(text(f"REVOKE ALL ON FUNCTION {self.function}({signature}) FROM PUBLIC"))
        conn.execute(text(f'GRANT EXECUTE ON FUNCTION {self.function}({signature}) TO "{role}"'))


# ``use_column``: the read's column names (id, name) are also the names of the function's result columns.
_TEMPLATE = """
CREATE OR REPLACE FUNCTION {function}({parameters})
RETURNS TABLE ({returns})
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  a record;
BEGIN
  SELECT * INTO a FROM rapport_authenticate(a_tenant, a_hash, a_request);
  IF NOT FOUND THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT {auth}, true, r.* FROM ({body}) AS r;
  IF NOT FOUND THEN
    RETURN QUERY SELECT {auth}, false, {absent};
  END IF;
END
$fn$
"""


_READS: dict[DriverStatement, AuthenticatedRead] = {}
# Functions this process found missing (the database was not migrated since the read changed), and when.
_missing: dict[str, float] = {}
RETRY_S = 60.0


def register(read: AuthenticatedRead) -> AuthenticatedRead:
    _READS[read.statement] = read
    return read


def for_statement(statement: DriverStatement) -> AuthenticatedRead | None:
    read = _READS.get(statement)
    if read is None:
        return None
    since = _missing.get(read.function)
    return read if since is None or time.monotonic() - since > RETRY_S else None


def missing(read: AuthenticatedRead) -> None:
    """The database has no function for ``read``: read it the usual way, and look again in a minute."""
    if read.function not in _missing:
        log.warning(
            "function %s is missing (run `rapport migrate`); %s reads authenticate apart", read.function, read.key
        )
    _missing[read.function] = time.monotonic()


def install(conn: Connection) -> None:
    """Create the functions of every read (idempotent), and drop those of earlier versions of them. A function
    whose result no longer matches the read's columns (a column's type changed since) is made again."""
    from rapport.resolvers import figures  # noqa: F401  # registers its reads

    role = get_settings().app_role
    drop(conn, keep={read.function for read in _READS.values()})
    for read in _READS.values():
        columns = read.columns(conn)
        expected = "TABLE(" + ", ".join(f"{name} {kind}" for name, kind in [*_AUTH_COLUMNS, *columns]) + ")"
        current = conn.execute(
            text("SELECT pg_get_function_result(to_regproc(:name))"), {"name": read.function}
        ).scalar()
        if current == expected:
            continue
        if current is not None:
            conn.execute(text(f"DROP FUNCTION {read.function}"))
        read.create(conn, role, columns)


def drop(conn: Connection, keep: Collection[str] = ()) -> None:
    """Drop the reads' functions, except those named in ``keep``."""
    functions = conn.execute(
        text(
            "SELECT p.proname, p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'rapport\\_read\\_%'"
        )
    ).all()
    for name, signature in functions:
        if name not in keep:
            conn.execute(text(f"DROP FUNCTION {signature}"))
