"""A prepared statement run through libpq past psycopg's cursor (decision 38): the same rows and the same errors
as through a cursor, prepared once per connection, prepared again when the server forgot it, and never sent on
a connection with anything open."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import errors
from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.db import driver, libpq_call
from rapport.db.database import Database
from rapport.db.driver import DriverStatement
from rapport.db.libpq_call import PreparedCall
from rapport.db.read_pool import ReadConnection

TYPED = (
    "SELECT %(id)s::uuid AS id, %(n)s::bigint AS n, %(amount)s::numeric AS amount, %(at)s::timestamptz AS at,"
    " %(day)s::date AS day, %(doc)s::jsonb AS doc, %(name)s::text AS name, %(yes)s::boolean AS yes,"
    " %(raw)s::bytea AS raw, NULL::text AS nothing"
)
VALUES: dict[str, Any] = {
    "id": uuid.UUID("0d5b7c4e-93a8-4a8e-9ad7-3f1a1c2b3d4e"),
    "n": 2**40,
    "amount": Decimal("1234.5600"),
    "at": datetime(2026, 11, 27, 8, 30, 15, 123456, tzinfo=UTC),
    "day": date(2026, 2, 28),
    "doc": psycopg.types.json.Jsonb({"a": [1, "b", None]}),
    "name": "Zoë \N{EM DASH} 'quoted'",
    "yes": True,
    "raw": b"\x00\xff digest",
}


@pytest.fixture
async def conn(database: Database) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    url = database.owner_url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as c:
        yield c


async def _first(conn: psycopg.AsyncConnection[Any], call: PreparedCall, params: dict[str, Any]) -> Any | None:
    """One call's first row, in a pipeline of its own."""
    return (await libpq_call.pipelined(conn, [(call, params)]))[0]


async def _prepared_here(conn: psycopg.AsyncConnection[Any], call: PreparedCall) -> int:
    """How many prepared statements of ``call``'s text the connection has (one per set of parameter types)."""
    cursor = await conn.execute(
        "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'rapport!_%%' ESCAPE '!' AND statement = %s",
        [call.text.decode()],
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def test_placeholders_are_numbered_in_order_of_first_use() -> None:
    call = PreparedCall("SELECT %(a)s::int + %(b)s::int * %(a)s::int, '100%%'")
    assert call.names == ("a", "b")
    assert call.text == b"SELECT $1::int + $2::int * $1::int, '100%'"
    # Named by the text PostgreSQL prepares and the parameters' types, as psycopg keys its own.
    assert PreparedCall("SELECT %(b)s::int").prepared_name((23,)) == PreparedCall("SELECT %(a)s::int").prepared_name(
        (23,)
    )
    assert call.prepared_name((23, 23)) != call.prepared_name((21, 23))
    assert PreparedCall("SELECT %(a)s::bigint").prepared_name((23,)) != PreparedCall("SELECT %(a)s::int").prepared_name(
        (23,)
    )


async def test_rows_are_read_as_a_cursor_reads_them(conn: psycopg.AsyncConnection[Any]) -> None:
    row = await _first(conn, PreparedCall(TYPED), VALUES)
    cursor = conn.cursor(row_factory=namedtuple_row)
    await cursor.execute(TYPED, VALUES)
    expected = await cursor.fetchone()
    assert row is not None
    assert expected is not None
    assert row == expected
    assert row._fields == expected._fields
    assert row.doc == {"a": [1, "b", None]}
    assert row.raw == b"\x00\xff digest"
    assert row.nothing is None
    assert await _first(conn, PreparedCall("SELECT %(a)s::int + %(b)s::int * %(a)s::int AS v"), {"a": 3, "b": 2}) == (
        9,
    )


async def test_no_row_is_none(conn: psycopg.AsyncConnection[Any]) -> None:
    assert await _first(conn, PreparedCall("SELECT 1 WHERE %(x)s::int > 1"), {"x": 0}) is None


async def test_prepared_once_per_connection_and_again_when_the_server_forgot_it(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    call = PreparedCall("SELECT %(x)s::bigint * 2 AS twice")
    assert await _prepared_here(conn, call) == 0
    for x in (1, 2, 3):
        assert await _first(conn, call, {"x": x}) == (2 * x,)
    assert await _prepared_here(conn, call) == 1
    # psycopg dumps small ints as smallint and large ones as bigint: one statement per types, as psycopg's own.
    assert await _first(conn, call, {"x": 2**40}) == (2**41,)
    assert await _prepared_here(conn, call) == 2
    await conn.execute("DEALLOCATE ALL")  # what psycopg sends after it sees a ROLLBACK
    assert await _first(conn, call, {"x": 21}) == (42,)
    assert await _prepared_here(conn, call) == 1


async def test_a_statement_the_server_has_under_the_name_is_closed_and_prepared_again(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    call = PreparedCall("SELECT %(x)s::int + 1 AS next")
    assert await _first(conn, call, {"x": 1}) == (2,)
    (name,) = call._prepared_names.values()
    await conn.execute("DEALLOCATE ALL")
    await conn.execute(f"PREPARE {name.decode()} AS SELECT $1::int - 1 AS next")  # anything under that name
    libpq_call._sessions[conn].prepared.clear()
    assert await _first(conn, call, {"x": 1}) == (2,)
    assert await _prepared_here(conn, call) == 1


async def test_at_most_so_many_statements_stay_prepared_on_a_connection(
    conn: psycopg.AsyncConnection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(libpq_call._Session, "MAX_PREPARED", 3)
    calls = [PreparedCall(f"SELECT %(x)s::int + {n} AS v") for n in range(5)]
    for n, call in enumerate(calls):
        assert await _first(conn, call, {"x": 1}) == (1 + n,)
    assert [await _prepared_here(conn, call) for call in calls] == [0, 0, 1, 1, 1]
    assert await _first(conn, calls[0], {"x": 2}) == (2,)  # prepared again, pushing out the oldest
    assert [await _prepared_here(conn, call) for call in calls] == [1, 0, 0, 1, 1]


async def test_statements_in_one_pipeline_share_one_transaction(conn: psycopg.AsyncConnection[Any]) -> None:
    setting = PreparedCall("SELECT set_config('rapport.probe', %(v)s, true) AS set")
    reading = PreparedCall("SELECT current_setting('rapport.probe', true) AS seen, %(x)s::int AS x")
    assert await libpq_call.pipelined(conn, [(setting, {"v": "here"}), (reading, {"x": 7})]) == [("here",), ("here", 7)]
    # Transaction-local: gone once the pipeline's Sync ended its transaction.
    assert await _first(conn, reading, {"x": 8}) in (("", 8), (None, 8))
    assert conn.pgconn.transaction_status == TransactionStatus.IDLE


async def test_a_failure_in_a_pipeline_raises_the_first_error_and_undoes_it_all(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    await conn.execute("CREATE TEMPORARY TABLE probe (n int)")
    writing = PreparedCall("INSERT INTO probe VALUES (%(n)s::int) RETURNING n")
    dividing = PreparedCall("SELECT 1 / %(d)s::int AS q")
    with pytest.raises(errors.DivisionByZero):
        await libpq_call.pipelined(conn, [(writing, {"n": 1}), (dividing, {"d": 0})])
    with pytest.raises(errors.UndefinedFunction):  # a statement that cannot be prepared, first: the rest is skipped
        await libpq_call.pipelined(
            conn, [(PreparedCall("SELECT rapport_nothing(%(n)s::int)"), {"n": 1}), (writing, {"n": 2})]
        )
    assert await libpq_call.pipelined(conn, [(writing, {"n": 3}), (dividing, {"d": 1})]) == [(3,), (1,)]
    cursor = await conn.execute("SELECT array_agg(n) FROM probe")
    assert await cursor.fetchone() == ([3],)


async def test_errors_are_psycopgs_and_leave_the_connection_usable(conn: psycopg.AsyncConnection[Any]) -> None:
    call = PreparedCall("SELECT 10 / %(n)s::int AS q")
    with pytest.raises(errors.DivisionByZero) as raised:
        await _first(conn, call, {"n": 0})
    assert raised.value.sqlstate == "22012"
    assert raised.value.diag.message_primary == "division by zero"
    assert conn.pgconn.transaction_status == TransactionStatus.IDLE
    assert await _first(conn, call, {"n": 5}) == (2,)
    with pytest.raises(errors.UndefinedFunction):
        await _first(conn, PreparedCall("SELECT rapport_no_such_function(%(n)s::int)"), {"n": 1})
    assert await _first(conn, call, {"n": 2}) == (5,)


async def test_the_sessions_statement_timeout_holds(conn: psycopg.AsyncConnection[Any]) -> None:
    await conn.execute("SET statement_timeout = 50")
    with pytest.raises(errors.QueryCanceled):
        await _first(conn, PreparedCall("SELECT pg_sleep(%(s)s::float8)"), {"s": 2})
    assert conn.pgconn.transaction_status == TransactionStatus.IDLE


async def test_a_lost_connection_raises_and_is_broken(
    conn: psycopg.AsyncConnection[Any], owner_engine: AsyncEngine
) -> None:
    call = PreparedCall("SELECT %(x)s::int AS x")
    assert await _first(conn, call, {"x": 1}) == (1,)
    async with owner_engine.begin() as owner:
        await owner.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": conn.info.backend_pid})
    with pytest.raises(psycopg.OperationalError):
        await _first(conn, call, {"x": 2})
    assert conn.broken


async def test_a_cancelled_call_closes_its_connection(conn: psycopg.AsyncConnection[Any]) -> None:
    task = asyncio.ensure_future(_first(conn, PreparedCall("SELECT pg_sleep(%(s)s::float8)"), {"s": 5}))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Its statement may still run and its results were not read: nobody may use it again (a pool drops it).
    assert conn.closed
    assert not libpq_call.ready(conn)


async def test_a_connection_lost_in_a_transaction_is_closed_and_raises(
    conn: psycopg.AsyncConnection[Any], owner_engine: AsyncEngine
) -> None:
    await libpq_call.pipelined(conn, [(PreparedCall("BEGIN"), {}), (PreparedCall("SELECT 1 AS one"), {})])
    async with owner_engine.begin() as owner:
        await owner.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": conn.info.backend_pid})
    with pytest.raises(psycopg.OperationalError):
        await libpq_call.pipelined(conn, [(PreparedCall("SELECT 1 AS one"), {})], prepare=False)
    assert conn.closed


async def test_the_driver_pipelines_through_libpq_on_an_idle_connection_and_listeners_see_it(
    conn: psycopg.AsyncConnection[Any], app_role_engine: AsyncEngine
) -> None:
    ahead = DriverStatement("SELECT set_config('rapport.probe', %(v)s, true) AS set")
    read = DriverStatement("SELECT current_setting('rapport.probe') AS seen, %(x)s::int + 1 AS next")
    on_pool = ReadConnection(conn, app_role_engine)
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(app_role_engine.sync_engine, "before_cursor_execute", capture)
    try:
        assert await driver.first_pipelined(on_pool, ahead, {"v": "a"}, read, {"x": 1}) == (("a",), ("a", 2))
        assert await _prepared_here(conn, PreparedCall(read.sql)) == 1
        await conn.execute("BEGIN")
        # In a transaction: unnamed statements, in the transaction.
        assert await driver.first_pipelined(on_pool, ahead, {"v": "b"}, read, {"x": 2}) == (("b",), ("b", 3))
        assert conn.pgconn.transaction_status == TransactionStatus.INTRANS
        await conn.execute("ROLLBACK")
        with pytest.raises(DBAPIError) as raised:
            await driver.first_pipelined(on_pool, ahead, {"v": "c"}, read, {"x": "not a number"})
        assert isinstance(raised.value.orig, errors.InvalidTextRepresentation)
        assert not raised.value.connection_invalidated
    finally:
        event.remove(app_role_engine.sync_engine, "before_cursor_execute", capture)
    assert seen == [ahead.sql, read.sql] * 3


@pytest.mark.parametrize("prepare", [True, False])
async def test_a_pipeline_inside_a_transaction_can_end_its_abort(
    conn: psycopg.AsyncConnection[Any], prepare: bool
) -> None:
    """Each statement is parsed right before it runs: in an aborted transaction only ROLLBACK TO may be, and
    what follows it only once it has run."""
    begin = PreparedCall("BEGIN")
    mark = PreparedCall("SAVEPOINT probe_mark")
    await libpq_call.pipelined(conn, [(begin, {}), (mark, {})], prepare=prepare)
    assert conn.pgconn.transaction_status == TransactionStatus.INTRANS  # the Sync does not end a BEGIN
    with pytest.raises(errors.DivisionByZero):
        await _first(conn, PreparedCall("SELECT 1 / %(d)s::int AS q"), {"d": 0})
    assert conn.pgconn.transaction_status == TransactionStatus.INERROR
    back = PreparedCall("ROLLBACK TO SAVEPOINT probe_mark")
    after = PreparedCall(f"SELECT %(x)s::int AS x, {int(prepare)} AS prepared")
    assert await libpq_call.pipelined(conn, [(back, {}), (after, {"x": 5})], prepare=prepare) == [
        None,
        (5, int(prepare)),
    ]
    assert conn.pgconn.transaction_status == TransactionStatus.INTRANS
    await conn.execute("ROLLBACK")
