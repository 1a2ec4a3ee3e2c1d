"""One prepared statement run through libpq itself, past psycopg's cursor (decision 38).

The polled summary is one statement on a read-pool connection (decisions 31, 32 and 37). Through a psycopg
cursor that statement cost 70 to 95 µs of CPU per call: the cursor, its query conversion, the prepared-statement
bookkeeping and the generator that waits for the answer. Sent with ``PGconn.send_query_prepared`` and waited
for on the event loop, it costs about 30 µs. Values are still dumped and loaded by psycopg's adapters (its
``Transformer``, in C), so they come back exactly as through a cursor.

The statement is prepared under a name of its own on each connection the first time it runs there. If the
server no longer knows the name (psycopg deallocates every prepared statement when it sees a ROLLBACK), it is
prepared again once.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import weakref
from collections import namedtuple
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer


class _Session:
    """What this process keeps per connection: the names it prepared there, and a ``Transformer`` that keeps the
    adapters it looked up (a new one per call looked them up for every column)."""

    def __init__(self, driver: psycopg.AsyncConnection[Any]) -> None:
        self.prepared: set[bytes] = set()
        self.transformer = Transformer(driver)


_sessions: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], _Session] = weakref.WeakKeyDictionary()
_row_types: dict[tuple[str, ...], Any] = {}


class PreparedCall:
    """A statement with psycopg's ``%(name)s`` placeholders (``sql``, as a cursor takes it), sent prepared
    with ``$n`` parameters in their place."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        names: list[str] = []

        def numbered(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        self._sql = re.sub(r"%\((\w+)\)s", numbered, sql).encode()
        self.names = tuple(names)
        self.name = b"rapport_" + hashlib.blake2b(self._sql, digest_size=8).hexdigest().encode()
        # Sent as text and prepared without types: PostgreSQL types each parameter from where it stands, once for
        # every call, whatever Python type (or size of int) a later call's value has.
        self._formats = [PyFormat.TEXT] * len(names)
        # The row type for its columns (the statement's, so they are always the same), with their number.
        self._row: tuple[int, Any] = (-1, None)

    def ready(self, driver: psycopg.AsyncConnection[Any]) -> bool:
        """Whether it can go now: the connection is open and nothing is running or open on it."""
        pgconn = driver.pgconn
        return pgconn.status == pq.ConnStatus.OK and pgconn.transaction_status == pq.TransactionStatus.IDLE

    async def first(self, driver: psycopg.AsyncConnection[Any], params: Mapping[str, Any]) -> Any | None:
        """Its first row (a named tuple), or None. Raises psycopg's errors, as a cursor would."""
        session = _sessions.get(driver)
        if session is None:
            session = _sessions[driver] = _Session(driver)
        transformer = session.transformer
        values = transformer.dump_sequence([params[name] for name in self.names], self._formats)
        if self.name not in session.prepared:
            await self._prepare(driver)
            session.prepared.add(self.name)
        result = await self._run(driver, values)
        if _failed_with(result, errors.InvalidSqlStatementName):
            await self._prepare(driver)
            result = await self._run(driver, values)
        _check(result, driver)
        if result.ntuples == 0:
            return None
        transformer.set_pgresult(result)
        return transformer.load_row(0, self._row_type(result)._make)

    def _row_type(self, result: pq.abc.PGresult) -> Any:
        count, made = self._row
        if count != result.nfields:
            made = row_type(tuple((result.fname(i) or b"").decode() for i in range(result.nfields)))
            self._row = (result.nfields, made)
        return made

    async def _prepare(self, driver: psycopg.AsyncConnection[Any]) -> None:
        driver.pgconn.send_prepare(self.name, self._sql)
        result = await _result(driver)
        if _failed_with(result, errors.DuplicatePreparedStatement):
            return  # prepared here before this process knew of the connection
        _check(result, driver)

    async def _run(self, driver: psycopg.AsyncConnection[Any], values: Any) -> pq.abc.PGresult:
        driver.pgconn.send_query_prepared(self.name, values)
        return await _result(driver)


def _failed_with(result: pq.abc.PGresult, error: type[psycopg.Error]) -> bool:
    if result.status != pq.ExecStatus.FATAL_ERROR:
        return False
    state = result.error_field(pq.DiagnosticField.SQLSTATE)
    return state is not None and state.decode() == error.sqlstate


def _check(result: pq.abc.PGresult, driver: psycopg.AsyncConnection[Any]) -> None:
    if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        raise errors.error_from_result(result, encoding=driver.info.encoding)


def row_type(fields: tuple[str, ...]) -> Any:
    """A named tuple for rows of these columns, made once."""
    made = _row_types.get(fields)
    if made is None:
        made = _row_types[fields] = namedtuple("Row", fields)
    return made


async def _result(driver: psycopg.AsyncConnection[Any]) -> pq.abc.PGresult:
    """The one result of what was just sent, waiting on the event loop for the socket. A broken connection
    raises ``psycopg.OperationalError``."""
    pgconn = driver.pgconn
    loop = asyncio.get_running_loop()
    fd = pgconn.socket
    while pgconn.flush():
        await _ready(loop, fd, write=True)
    results: list[pq.abc.PGresult] = []
    while True:
        pgconn.consume_input()
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:
                if not results:
                    raise psycopg.OperationalError("no result from the server")
                return results[-1]
            results.append(result)
        await _ready(loop, fd)


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, write: bool = False) -> None:
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    if write:
        loop.add_writer(fd, wake)
    else:
        loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)
