"""Hot statements sent straight through psycopg on the request's connection, past SQLAlchemy's execution layer.

Every request authenticates, and the answers mobile apps poll (``customerSummary``) need one more statement.
SQLAlchemy's Core execution (compiled-cache lookup, greenlet hand-off, result metadata) cost about 0.25 ms of
CPU per statement there, a third of the whole request (decision 27). These statements have fixed texts, so
SQLAlchemy compiles each once, for psycopg, and it runs on the same psycopg connection, inside the same
transaction, as everything else the request sends.

What callers rely on is kept: the engine's ``before_cursor_execute`` listeners see each statement (metrics,
the tests' statement logs); a failure is raised as SQLAlchemy raises it (``DBAPIError`` around the psycopg
error, with the connection invalidated when it is lost); and on a ``RequestConnection`` the statement cannot be
cancelled half-way, like any other.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from psycopg.pq import ExecStatus, TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy.dialects.postgresql.psycopg import PGDialectAsync_psycopg
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, TextClause

from rapport.db import libpq_call
from rapport.db.libpq_call import PreparedCall
from rapport.db.read_pool import ReadConnection
from rapport.db.shielded import RequestConnection

TUPLES_OK = ExecStatus.TUPLES_OK
_DIALECT = PGDialectAsync_psycopg()  # type: ignore[no-untyped-call]


def _fixed_text(clause: ClauseElement) -> SQLCompiler | None:
    """``clause`` compiled for psycopg, or None when its text would depend on values bound at execution
    (expanding IN lists) and so cannot be sent as compiled. Literal-execute values are written into the text
    now (``rapport.compiled.values_in_text``): they are constants of the statement."""
    compiled = cast(SQLCompiler, clause.compile(dialect=_DIALECT))
    if compiled.has_out_parameters:
        return None
    if any(b.expanding and not b.literal_execute for b in compiled.binds.values()):
        return None
    if compiled.literal_execute_params or compiled.post_compile_params:
        compiled = cast(SQLCompiler, clause.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True}))
    return compiled


@dataclass(frozen=True)
class DriverStatement:
    """A statement's text as psycopg takes it (``%(name)s`` placeholders), compiled once; and the
    plan_cache_mode it asks for when it is the first statement of a read-pool request, which authenticates
    with it (None: the request's, ``rapport.plans``)."""

    sql: str
    plans: str | None = None

    @classmethod
    def of(cls, clause: TextClause) -> DriverStatement:
        compiled = _fixed_text(clause)
        if compiled is None:
            raise ValueError("only statements with a fixed text can run on the driver")
        return cls(compiled.string)


@dataclass(frozen=True)
class BoundStatement:
    """A built statement (compiled reads) whose values were bound when it was built, as psycopg takes it:
    the text, and every parameter already through SQLAlchemy's bind processing (JSON serialised). Requests
    replace some values (cursor positions) with ``parameters``."""

    statement: DriverStatement
    defaults: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    @classmethod
    def of(cls, clause: ClauseElement, plans: str | None = None) -> BoundStatement | None:
        """None when the statement's text depends on its values (expanding IN lists and the like)."""
        compiled = _fixed_text(clause)
        if compiled is None:
            return None
        processors: dict[str, Callable[[Any], Any]] = {}
        for name, processor in compiled._bind_processors.items():
            if not callable(processor):  # one per element of a tuple value
                return None
            processors[name] = processor
        defaults = _processed(processors, compiled.construct_params() or {})
        return cls(DriverStatement(compiled.string, plans), defaults, processors)

    def parameters(self, replaced: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.defaults, **_processed(self.processors, replaced)}


def _processed(processors: Mapping[str, Callable[[Any], Any]], values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (processors[k](v) if k in processors else v) for k, v in values.items()}


async def first(
    conn: AsyncConnection | ReadConnection, statement: DriverStatement, params: Mapping[str, Any]
) -> Any | None:
    """The first row (attributes by column name, like SQLAlchemy's rows), or None (also for commands)."""
    if isinstance(conn, RequestConnection):
        return await conn.shielded(_first(conn, statement.sql, params))
    if isinstance(conn, ReadConnection) and conn.authentication is not None:
        return await conn.authentication.first(conn, statement, params)
    return await _first(conn, statement.sql, params)


async def first_after(
    conn: AsyncConnection, ahead: DriverStatement, statement: DriverStatement, params: Mapping[str, Any]
) -> Any | None:
    """``statement``'s first row, with ``ahead`` sent before it in the same pipeline: one round trip for two
    statements (parameters of both among ``params``). Each still takes its own snapshot (READ COMMITTED), so
    ``statement`` sees what committed while ``ahead`` waited for a lock."""
    if isinstance(conn, RequestConnection):
        return await conn.shielded(_first(conn, statement.sql, params, ahead=ahead.sql))
    return await _first(conn, statement.sql, params, ahead=ahead.sql)


async def first_sent(conn: ReadConnection, statement: DriverStatement, params: Mapping[str, Any]) -> Any | None:
    """``first``, sent as it is (the request's ``authentication`` is what calls this)."""
    return await _first(conn, statement.sql, params)


@functools.lru_cache(maxsize=1024)
def _prepared_call(sql: str) -> PreparedCall:
    return PreparedCall(sql)


async def first_pipelined(
    conn: ReadConnection,
    ahead: DriverStatement,
    ahead_params: Mapping[str, Any],
    statement: DriverStatement,
    params: Mapping[str, Any],
) -> tuple[Any | None, Any | None]:
    """The first rows of ``ahead`` and of ``statement``, sent together in pipeline mode: one round trip, and one
    transaction without BEGIN or COMMIT (the extended protocol's, which lasts until the Sync sent after both),
    so what ``ahead`` sets with ``set_config(..., true)`` holds for ``statement`` and is gone after it. Both go
    through libpq (decision 38), as prepared statements; on a connection with anything open or running, unnamed
    (a name the server forgot could not be prepared again inside a transaction)."""
    driver = conn.driver_connection
    dispatch = conn.engine.sync_engine.dispatch
    calls = ((_prepared_call(ahead.sql), ahead_params), (_prepared_call(statement.sql), params))
    for call, values in calls:
        dispatch.before_cursor_execute(None, None, call.sql, values, None, False)
    try:
        first_row, row = await libpq_call.pipelined(driver, calls, prepare=libpq_call.ready(driver))
    except psycopg.Error as exc:
        raise _raised(exc, statement.sql, params, _gone(driver)) from exc
    return first_row, row


async def _first_row(cursor: psycopg.AsyncCursor[Any]) -> Any | None:
    # A command (SAVEPOINT) has no rows to fetch; checked on the result, not on ``description``, which builds a
    # column object per column.
    result = cursor.pgresult
    return await cursor.fetchone() if result is not None and result.status == TUPLES_OK else None


async def begin_with(
    conn: AsyncConnection | ReadConnection, statement: DriverStatement, params: Mapping[str, Any]
) -> Any | None:
    """Start the transaction and run ``statement`` in one round trip; its first row, or None.

    The request engine's connections are in autocommit mode (``REQUEST_ENGINE_OPTIONS``), so psycopg sends no
    BEGIN of its own before a request's first statement, a round trip of its own every request. Here BEGIN
    goes with that statement, both in one pipeline. On a connection that begins
    transactions itself, or is already in one, this is ``first``.
    """
    return await _first(conn, statement.sql, params, begin=True)


# For the engine requests run on: every request transaction is started by ``begin_with`` (authentication).
REQUEST_ENGINE_OPTIONS: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}


class Savepoint:
    """A savepoint around one write, made in the same message as the write's first statement.

    SQLAlchemy's ``begin_nested`` sends SAVEPOINT and RELEASE as round trips of their own, through its execution
    layer: two of a create's six. Here SAVEPOINT goes ahead of the first statement (``first``), and a block that
    ends without an error releases nothing: COMMIT, or an enclosing savepoint's RELEASE or ROLLBACK TO, ends
    it with the transaction. Each write's savepoint has a name of its own, so undoing one can never reach
    another write's: a ROLLBACK TO whose SAVEPOINT never ran fails and leaves the transaction aborted, which the
    executor reports as nothing saved. Names are numbered per request, so their texts repeat across requests.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        if isinstance(conn, RequestConnection):
            conn.savepoints += 1
            number = conn.savepoints
        else:
            number = next(_SAVEPOINT_NUMBERS)
        self.name = f"rapport_write_{number}"
        self._make = DriverStatement(f"SAVEPOINT {self.name}")
        self.sent = False

    async def first(self, statement: DriverStatement, params: Mapping[str, Any]) -> Any | None:
        """``first`` inside the savepoint (made with this statement if not yet)."""
        if self.sent:
            return await first(self.conn, statement, params)
        self.sent = True
        return await first_after(self.conn, self._make, statement, params)

    async def make(self) -> None:
        """Make the savepoint now, before a statement sent some other way (SQLAlchemy's execute)."""
        if not self.sent:
            self.sent = True
            await first(self.conn, self._make, {})

    async def undo(self) -> None:
        """Roll back to the savepoint (and release it), in one message; a failure here leaves the transaction
        aborted and is not raised over the error being handled."""
        if not self.sent or self.conn.invalidated:
            return
        undo = DriverStatement(f"ROLLBACK TO SAVEPOINT {self.name}")
        with suppress(DBAPIError):
            await first_after(self.conn, undo, DriverStatement(f"RELEASE SAVEPOINT {self.name}"), {})


_SAVEPOINT_NUMBERS = itertools.count(1)


@asynccontextmanager
async def savepoint(conn: AsyncConnection) -> AsyncIterator[Savepoint]:
    """A ``Savepoint`` around a write: undone when the block raises, left to the transaction when it does not.
    Statements of the block go through it (``Savepoint.first``), or after ``Savepoint.make``."""
    made = Savepoint(conn)
    try:
        yield made
    except Exception:
        await made.undo()
        raise


async def _first(
    conn: AsyncConnection | ReadConnection,
    sql: str,
    params: Mapping[str, Any],
    begin: bool = False,
    ahead: str | None = None,
) -> Any | None:
    if isinstance(conn, ReadConnection):
        # The read pool's connection (decision 31): the pool discards it if it was lost.
        sync_engine = conn.engine.sync_engine
        return await _send(conn.driver_connection, sql, params, begin, sync_engine.dispatch, None, ahead=ahead)
    sync = conn.sync_connection
    assert sync is not None
    if not sync.in_transaction():
        # What SQLAlchemy's own execute does (autobegin; no I/O): its commit() and rollback() then end the
        # transaction psycopg begins here.
        sync.begin()
    # A valid connection's pooled connection is an attribute away; AsyncConnection.get_raw_connection() hops
    # through a greenlet in case it must reconnect.
    raw = sync.connection if not sync.invalidated else await conn.get_raw_connection()
    driver: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]

    async def lost(exc: psycopg.Error) -> None:
        # As SQLAlchemy does on a disconnect: connections opened before this one are replaced at their next
        # checkout (the server has probably restarted, so they are dead too), and this one is dropped.
        conn.sync_engine.pool._invalidate(raw, exc, _checkin=False)
        await conn.invalidate(exc)

    return await _send(driver, sql, params, begin, sync.dispatch, sync, lost, ahead=ahead)


async def _send(
    driver: psycopg.AsyncConnection[Any],
    sql: str,
    params: Mapping[str, Any],
    begin: bool,
    dispatch: Any,
    sync: Any,
    lost: Callable[[psycopg.Error], Awaitable[None]] | None = None,
    ahead: str | None = None,
) -> Any | None:
    begin = begin and driver.autocommit and driver.info.transaction_status == TransactionStatus.IDLE
    if begin:
        ahead = "BEGIN"
    sent = sql if ahead is None else f"{ahead}; {sql}"
    # A single statement goes through psycopg's cursor, which prepares it after five runs; a pair in one libpq
    # pipeline of unnamed statements, parsed each time as in one simple-protocol message (decision 38).
    cursor = driver.cursor(row_factory=namedtuple_row) if ahead is None else None
    dispatch.before_cursor_execute(sync, cursor, sent, params, None, False)
    try:
        if ahead is not None:
            calls = [(_prepared_call(ahead), params), (_prepared_call(sql), params)]
            row = (await libpq_call.pipelined(driver, calls, prepare=False))[-1]
        else:
            assert cursor is not None
            await cursor.execute(sql, params or None)
            row = await _first_row(cursor)
        if begin and driver.info.transaction_status != TransactionStatus.INTRANS:
            raise psycopg.InternalError("BEGIN did not start a transaction")
        return row
    except psycopg.Error as exc:
        gone = _gone(driver)
        if gone and lost is not None:
            await lost(exc)
        raise _raised(exc, sent, params, gone) from exc
    finally:
        if cursor is not None:
            await cursor.close()


def _gone(driver: psycopg.AsyncConnection[Any]) -> bool:
    """What SQLAlchemy's psycopg dialect calls a disconnect."""
    return driver.closed or driver.broken


def _raised(exc: psycopg.Error, sql: str, params: Mapping[str, Any], gone: bool) -> StatementError:
    """``exc`` as SQLAlchemy raises it. Parameters stay out of the message: these statements carry token
    digests."""
    return DBAPIError.instance(sql, dict(params), exc, psycopg.Error, hide_parameters=True, connection_invalidated=gone)
