"""Statements run through libpq itself, past psycopg's cursors and pipeline (decision 38).

A read on the read pool is two statements in a pipeline, authentication and the read (decisions 35 and 39); a
request's transaction sends statements in pairs (BEGIN with authentication, a write's lock with its version
read, SAVEPOINT with the write). Through psycopg, a pipeline of two was about half of a list50 request's CPU:
it waits on the socket six times and processes the results in Python; a cursor's single call cost 70 to 95 µs.
Here the statements go out with libpq's own pipeline calls on the connection's ``PGconn`` (psycopg's
documented libpq wrapper) in one write, and every result is read in one pass as the socket turns readable on
the event loop.

Values are still dumped and loaded by psycopg's adapters (one ``Transformer`` kept per connection), with the
types and formats a cursor would send, so rows come back exactly as a cursor reads them, and errors are
psycopg's own. Statements are either unnamed (parsed where they run) or prepared on a connection the first time
they run there (the Parse in the same pipeline, right before the statement), under a name made of their text
and their parameters' types, as psycopg keys its own; a connection keeps at most ``_Session.MAX_PREPARED`` of
them, the least recently used closed in a later pipeline. When the server's prepared statements are not what
this process knew (psycopg deallocates them all when it rolls back), they are closed and prepared again, once.
A pipeline cancelled or broken half-way closes its connection: results wait unread on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import psycopg
from psycopg import abc, errors, pq
from psycopg.adapt import PyFormat, Transformer

_row_types: dict[tuple[str, ...], Any] = {}
_CLOSE_PREPARED = pq.version() >= 170000  # protocol-level Close of a statement (else DEALLOCATE)
OK, ROWS, FAILED, SYNC = (
    pq.ExecStatus.COMMAND_OK,
    pq.ExecStatus.TUPLES_OK,
    pq.ExecStatus.FATAL_ERROR,
    pq.ExecStatus.PIPELINE_SYNC,
)


def _row_type(fields: tuple[str, ...]) -> Any:
    """A named tuple for rows of these columns, made once."""
    made = _row_types.get(fields)
    if made is None:
        made = _row_types[fields] = namedtuple("Row", fields)
    return made


class PreparedCall:
    """A statement with psycopg's ``%(name)s`` placeholders (``sql``, as a cursor takes it), sent with ``$n``
    parameters in their place: prepared under a name of its own, or unnamed (``pipelined``)."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        names: list[str] = []

        def numbered(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "%"  # ``%%``, a literal ``%`` to psycopg
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.text = re.sub(r"%%|%\((\w+)\)s", numbered, sql).encode()
        self.names = tuple(names)
        self._formats = [PyFormat.AUTO] * len(names)
        self._prepared_names: dict[tuple[int, ...], bytes] = {}
        # The row type for its columns (the statement's, so they are always the same), with their number.
        self._row: tuple[int, Any] = (-1, None)

    def prepared_name(self, types: tuple[int, ...]) -> bytes:
        name = self._prepared_names.get(types)
        if name is None:
            digest = hashlib.blake2b(self.text + repr(types).encode(), digest_size=8).hexdigest()
            name = self._prepared_names[types] = b"rapport_" + digest.encode()
        return name

    def row(self, result: pq.abc.PGresult, transformer: abc.Transformer) -> Any | None:
        """The result's first row as a named tuple, or None."""
        if result.status != ROWS or result.ntuples == 0:
            return None
        count, made = self._row
        if count != result.nfields:
            made = _row_type(tuple((result.fname(i) or b"").decode() for i in range(result.nfields)))
            self._row = (result.nfields, made)
        transformer.set_pgresult(result)
        return transformer.load_row(0, made._make)


def ready(driver: psycopg.AsyncConnection[Any]) -> bool:
    """Whether statements can go now: the connection is open, nothing runs on it, and no transaction is open on
    it."""
    pgconn = driver.pgconn
    return pgconn.status == pq.ConnStatus.OK and pgconn.transaction_status == pq.TransactionStatus.IDLE


async def pipelined(
    driver: psycopg.AsyncConnection[Any],
    calls: Sequence[tuple[PreparedCall, Mapping[str, Any]]],
    *,
    prepare: bool = True,
) -> list[Any | None]:
    """The first row of each call (None: no row), all sent in one pipeline: one round trip, and (outside a
    transaction block) one implicit transaction, which the Sync after them ends. Raises the first error, once
    every result is in. Without ``prepare`` each statement is parsed where it runs (unnamed), as for statements
    inside a transaction: there a name the server forgot could not be prepared again, the transaction being
    aborted by then."""
    session = _sessions.get(driver)
    if session is None:
        session = _sessions[driver] = _Session(driver)
    transformer = session.transformer
    sent: list[_Sent] = []
    for call, params in calls:
        values = transformer.dump_sequence([params[name] for name in call.names], call._formats)
        types = tuple(transformer.types or ())
        name = call.prepared_name(types) if prepare else b""
        sent.append(_Sent(call, name, values, types, transformer.formats or ()))
    try:
        results = await _exchange(driver, session, sent)
    except (errors.InvalidSqlStatementName, errors.DuplicatePreparedStatement):
        if not prepare:
            raise
        # The server's prepared statements are not what this process knew (psycopg deallocates them all when it
        # sees a ROLLBACK): close and prepare these again, once.
        session.prepared.clear()
        results = await _exchange(driver, session, sent, again=True)
    return [item.call.row(result, transformer) for item, result in zip(sent, results, strict=True)]


class _Sent(NamedTuple):
    call: PreparedCall
    name: bytes
    values: Sequence[Any]
    types: tuple[int, ...]
    formats: Sequence[int]


class _Session:
    """What this process keeps per connection: the statements it prepared there (most recently used last), and
    a ``Transformer`` that keeps the adapters it looked up (a new one per call looked them up every time)."""

    MAX_PREPARED = 100  # psycopg's own default

    def __init__(self, driver: psycopg.AsyncConnection[Any]) -> None:
        self.prepared: OrderedDict[bytes, None] = OrderedDict()
        self.transformer: abc.Transformer = Transformer(driver)


_sessions: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], _Session] = weakref.WeakKeyDictionary()


async def _exchange(
    driver: psycopg.AsyncConnection[Any], session: _Session, sent: list[_Sent], again: bool = False
) -> list[Any]:
    """Send the calls in one pipeline, each after its Parse if it is not prepared on this connection (or unnamed),
    after the Close of statements they push out (``again``: and of those they prepare, in case the server has
    them); return each call's result."""
    pgconn = driver.pgconn
    prepared = session.prepared
    parsing: set[bytes] = set()
    for item in sent:
        if not item.name:
            continue
        if item.name in prepared:
            prepared.move_to_end(item.name)
        elif item.name not in parsing:
            parsing.add(item.name)
            prepared[item.name] = None
    new = frozenset(parsing)
    closing = [prepared.popitem(last=False)[0] for _ in range(len(prepared) - _Session.MAX_PREPARED)]
    if again and _CLOSE_PREPARED:  # closing a statement the server does not have is no error
        closing.extend(parsing)
    # Whose each result is: a Close's or a Parse's (with the statement's name), or a call's.
    expected: list[tuple[str, bytes]] = []
    try:
        pgconn.enter_pipeline_mode()
        for name in closing:
            if _CLOSE_PREPARED:
                pgconn.send_close_prepared(name)
            else:
                pgconn.send_query_params(b"DEALLOCATE " + name, None)
            expected.append(("close", name))
        # Each Parse right before its statement: in an aborted transaction only a statement that ends it (ROLLBACK
        # TO) may be parsed, and the statements after it only once it has run.
        for item in sent:
            if not item.name:
                pgconn.send_query_params(
                    item.call.text, item.values, param_types=item.types, param_formats=item.formats
                )
                expected.append(("call", b""))
                continue
            if item.name in parsing:
                pgconn.send_prepare(item.name, item.call.text, param_types=item.types)
                parsing.discard(item.name)
                expected.append(("parse", item.name))
            pgconn.send_query_prepared(item.name, item.values, param_formats=item.formats)
            expected.append(("call", item.name))
        pgconn.pipeline_sync()
        results = await _results(driver)
        pgconn.exit_pipeline_mode()
    except BaseException:
        # Cancelled, or lost, half-way: statements may still run and results wait unread, so the connection is
        # closed (a pool drops it when it comes back), and what was being prepared is not known to be.
        if pgconn.pipeline_status != pq.PipelineStatus.OFF:
            pgconn.finish()
        for name in new:
            prepared.pop(name, None)
        raise
    calls = [result for (kind, _), result in zip(expected, results, strict=False) if kind == "call"]
    failed = next((result for result in results if result.status == FAILED), None)
    if failed is not None:
        for (kind, name), result in zip(expected, results, strict=False):
            if kind == "parse" and result.status != OK:
                prepared.pop(name, None)  # its Parse failed or never ran
        raise errors.error_from_result(failed, encoding=driver.info.encoding)
    return calls


async def _results(driver: psycopg.AsyncConnection[Any]) -> list[Any]:
    """Every result up to and with the pipeline's Sync, waiting on the event loop for the socket. A broken
    connection raises ``psycopg.OperationalError``."""
    pgconn = driver.pgconn
    loop = asyncio.get_running_loop()
    fd = pgconn.socket
    while pgconn.flush():
        await _ready(loop, fd, write=True)
    results: list[Any] = []
    while True:
        pgconn.consume_input()
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:
                continue  # the end of one statement's results
            results.append(result)
            if result.status == SYNC:
                return results
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
