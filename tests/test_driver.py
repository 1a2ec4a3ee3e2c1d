"""Statements sent straight to psycopg (rapport/db/driver.py) behave as SQLAlchemy's would for their callers."""

from __future__ import annotations

import uuid

import pytest
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, column, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.exc import DataError, InternalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rapport.db import driver
from rapport.db.driver import DriverStatement
from tests.conftest import App

DIVIDE = DriverStatement.of(text("SELECT 1 / :by AS quotient"))


async def _values(conn: AsyncConnection) -> list[int]:
    return list((await conn.execute(text("SELECT v FROM driver_test ORDER BY v"))).scalars())


def test_only_fixed_texts_are_accepted() -> None:
    with pytest.raises(ValueError, match="fixed text"):
        DriverStatement.of(text("SELECT 1 WHERE 1 IN :ids").bindparams(bindparam("ids", expanding=True)))


async def test_rows_read_like_sqlalchemy_rows_and_listeners_see_the_statement(rapport: App) -> None:
    async with rapport.engine.connect() as conn:
        with rapport.sql.capture() as statements:
            row = await driver.first(conn, DIVIDE, {"by": 1})
        assert row is not None
        assert row.quotient == 1
        assert row[0] == 1
        assert statements == [DIVIDE.sql]
        assert await driver.first(conn, DriverStatement.of(text("SELECT 1 WHERE false")), {}) is None


async def test_a_failure_is_raised_as_sqlalchemy_raises_it(app_role_engine: AsyncEngine) -> None:
    async with app_role_engine.connect() as conn:
        with pytest.raises(DataError) as failed:
            await driver.first(conn, DIVIDE, {"by": 0})
        assert isinstance(failed.value.orig, pg_errors.DivisionByZero)
        assert not failed.value.connection_invalidated
        assert "[SQL parameters hidden" in str(failed.value)  # statements here carry token digests
        await conn.rollback()
        row = await driver.first(conn, DIVIDE, {"by": 1})  # the connection is still good
        assert row is not None
        assert row.quotient == 1


INSERT = DriverStatement.of(text("INSERT INTO driver_test VALUES (:v)"))


async def _refused_write(conn: AsyncConnection, value: int) -> None:
    async with driver.savepoint(conn) as savepoint:
        await savepoint.first(INSERT, {"v": value})
        raise RuntimeError("refused")


async def _nested_writes_then_a_failure(conn: AsyncConnection) -> None:
    async with driver.savepoint(conn) as outer:
        await outer.first(INSERT, {"v": 4})
        async with driver.savepoint(conn) as inner:
            await inner.first(INSERT, {"v": 5})
        await outer.first(DIVIDE, {"by": 0})  # fails the outer savepoint: 4 and 5 go


async def _transaction_status(conn: AsyncConnection) -> str:
    raw = await conn.get_raw_connection()
    assert raw.driver_connection is not None
    return str(raw.driver_connection.info.transaction_status.name)


async def test_savepoints_nest_and_roll_back_only_their_own_writes(app_role_engine: AsyncEngine) -> None:
    async with app_role_engine.connect() as conn, conn.begin():
        await conn.execute(text("CREATE TEMP TABLE driver_test (v int) ON COMMIT DROP"))
        async with driver.savepoint(conn) as savepoint:
            await savepoint.first(INSERT, {"v": 1})
            with pytest.raises(RuntimeError):
                await _refused_write(conn, 2)
            await savepoint.first(INSERT, {"v": 3})
        assert await _values(conn) == [1, 3]
        with pytest.raises(DataError):
            await _nested_writes_then_a_failure(conn)
        assert await _values(conn) == [1, 3]
        assert await _transaction_status(conn) == "INTRANS"


async def test_a_savepoint_goes_with_its_first_statement_and_is_left_to_the_commit(rapport: App) -> None:
    async with rapport.engine.connect() as conn, conn.begin():
        await driver.begin_with(conn, DIVIDE, {"by": 1})  # the request engine's transactions begin so
        await conn.execute(text("CREATE TEMP TABLE driver_test (v int) ON COMMIT DROP"))
        with rapport.sql.capture() as statements:
            async with driver.savepoint(conn) as savepoint:
                await savepoint.first(INSERT, {"v": 1})
                await savepoint.first(INSERT, {"v": 2})
            async with driver.savepoint(conn) as unused:
                assert not unused.sent
        first, second = statements
        assert first.startswith("SAVEPOINT rapport_write_")
        assert first.endswith(INSERT.sql)
        assert second == INSERT.sql
        assert not any("RELEASE" in s or "ROLLBACK" in s for s in statements)
        assert await _values(conn) == [1, 2]


async def _made_then_a_failure(conn: AsyncConnection) -> None:
    async with driver.savepoint(conn) as savepoint:
        await savepoint.make()
        await conn.execute(text("INSERT INTO driver_test VALUES (7)"))
        await conn.execute(text("SELECT 1 / 0"))


async def test_a_savepoint_made_before_a_statement_sent_elsewhere(app_role_engine: AsyncEngine) -> None:
    async with app_role_engine.connect() as conn, conn.begin():
        await conn.execute(text("CREATE TEMP TABLE driver_test (v int) ON COMMIT DROP"))
        with pytest.raises(DataError):
            await _made_then_a_failure(conn)
        assert await _values(conn) == []
        assert await _transaction_status(conn) == "INTRANS"


async def test_undoing_a_write_never_reaches_an_earlier_one(app_role_engine: AsyncEngine) -> None:
    """When the transaction is already aborted, a write's SAVEPOINT never runs; undoing it must not roll back
    to another write's savepoint (which would revive the transaction without that write). It stays aborted."""
    async with app_role_engine.connect() as conn, conn.begin():
        await conn.execute(text("CREATE TEMP TABLE driver_test (v int) ON COMMIT DROP"))
        async with driver.savepoint(conn) as kept:
            await kept.first(INSERT, {"v": 1})
        with pytest.raises(DataError):
            await driver.first(conn, DIVIDE, {"by": 0})  # outside any savepoint: the transaction is aborted
        with pytest.raises(InternalError) as failed:
            async with driver.savepoint(conn) as late:
                await late.first(INSERT, {"v": 2})
        assert isinstance(failed.value.orig, pg_errors.InFailedSqlTransaction)
        assert await _transaction_status(conn) == "INERROR"


async def test_begin_with_on_a_connection_that_begins_by_itself(app_role_engine: AsyncEngine) -> None:
    async with app_role_engine.connect() as conn, conn.begin():
        row = await driver.begin_with(conn, DIVIDE, {"by": 1})
        assert row is not None
        assert row.quotient == 1
        raw = await conn.get_raw_connection()
        assert raw.driver_connection is not None
        assert raw.driver_connection.info.transaction_status.name == "INTRANS"


def test_a_built_statement_carries_its_values_through_bind_processing() -> None:
    position = bindparam("after0_0", uuid.UUID(int=1), type_=UUID)
    statement = select(literal({"a": "b"}, JSONB).label("doc"), literal(7).label("n"), position.label("at"))
    bound = driver.BoundStatement.of(statement)
    assert bound is not None
    assert "%(after0_0)s::UUID" in bound.statement.sql
    params = bound.parameters({"after0_0": uuid.UUID(int=2)})
    assert params["after0_0"] == uuid.UUID(int=2)  # replaced per request
    (document,) = [v for v in params.values() if isinstance(v, Jsonb)]  # adapted as SQLAlchemy would
    assert document.obj == {"a": "b"}
    assert 7 in params.values()


def test_a_statement_whose_text_depends_on_its_values_is_left_to_sqlalchemy() -> None:
    assert driver.BoundStatement.of(select(column("x")).where(column("x").in_([1, 2, 3]))) is None


async def test_a_built_statement_runs_on_the_driver(rapport: App) -> None:
    statement = select(
        literal({"a": "b"}, JSONB)["a"].astext.label("a"), bindparam("at", uuid.UUID(int=1), type_=UUID).label("at")
    )
    bound = driver.BoundStatement.of(statement)
    assert bound is not None
    async with rapport.engine.connect() as conn:
        row = await driver.first(conn, bound.statement, bound.parameters({"at": uuid.UUID(int=5)}))
    assert row is not None
    assert (row.a, row.at) == ("b", uuid.UUID(int=5))


def test_every_entity_is_created_on_the_driver() -> None:
    """Creates send their INSERT straight to psycopg whatever columns they set: no entity falls back."""
    from rapport.resolvers.mutations.crud import _insert_statement
    from rapport.schema.entities import ENTITIES

    for name, entity in ENTITIES.items():
        columns = tuple(sorted(c.name for c in entity.table.columns))
        bound = _insert_statement(name, columns)
        assert bound is not None, name
        assert bound.statement.sql.startswith(f"INSERT INTO {entity.table.name}"), bound.statement.sql
        assert "RETURNING" in bound.statement.sql
