"""The read pool: psycopg connections, from ``psycopg_pool``, for reads answered without SQLAlchemy.

A read the compiled path answers (decision 25) sends three statements, all straight to psycopg: BEGIN with
authentication, the read, COMMIT. Around them SQLAlchemy's pool, ``Connection`` and transaction cost
0.26 to 0.37 ms of CPU per request (a third of a summary's); ``psycopg_pool`` hands out a connection in 6 µs.
So such reads run here (decision 31), and everything else keeps the request engine. The connections are
the request engine's: same role, same connect options, autocommit. A read's authentication now goes with it,
in one round trip (decisions 35 and 39; ``rapport.read_path``), and no transaction outlives it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.config import Settings
from rapport.db.database import Database, connect_options

if TYPE_CHECKING:
    from rapport.db.driver import DriverStatement

log = logging.getLogger("rapport.db")


class Authentication(Protocol):
    """How a request on the read pool authenticates: with its first statement (``rapport.read_path``)."""

    async def first(self, conn: ReadConnection, statement: DriverStatement, params: Mapping[str, Any]) -> Any: ...


class ReadConnection:
    """A read-pool connection for one request: what ``rapport.db.driver`` runs statements on, and the
    request engine whose ``before_cursor_execute`` listeners (metrics, tests' statement logs) see them.
    ``authentication``, when set, runs the statements sent through ``driver.first``."""

    def __init__(
        self,
        driver_connection: psycopg.AsyncConnection[Any],
        engine: AsyncEngine,
        authentication: Authentication | None = None,
    ) -> None:
        self.driver_connection = driver_connection
        self.engine = engine
        self.authentication = authentication

    async def execute(self, *_: Any, **__: Any) -> Any:
        # Only statements with fixed texts run here; anything built per request needs SQLAlchemy.
        raise NeedsEngine("this read needs SQLAlchemy's execution")

    def __getattr__(self, name: str) -> Any:
        # Any other use of SQLAlchemy's connection API (scalar, begin_nested, ...): the engine must answer.
        raise NeedsEngine(f"this read needs SQLAlchemy's connection ({name})")


class NeedsEngine(AttributeError):
    """The read cannot be answered on the read pool: the request engine must answer it. (An AttributeError, so
    ``hasattr`` and ``getattr`` with a default keep working on a ``ReadConnection``.)"""


class ReadPool:
    # A read waits this long at most for a connection, then the request engine answers it: a burst past the
    # pool's size overflows into the engine's pool instead of queueing here.
    WAIT_S = 0.5
    # While the pool is failing, one request a second still tries it, so it is used again once the database
    # is back even if no connection is being opened.
    RETRY_S = 1.0

    def __init__(self, database: Database, settings: Settings, engine: AsyncEngine) -> None:
        self.engine = engine
        role = database.switch_to_role

        async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
            if role is not None:
                await conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))

        url = database.app_url.set(drivername="postgresql")
        self.pool = AsyncConnectionPool(
            url.render_as_string(hide_password=False),
            # Named apart from the request engine's in pg_stat_activity.
            kwargs={**connect_options(settings), "application_name": "rapport-reads", "autocommit": True},
            # Connections are opened as reads need them (up to the size) and kept: no backend per request.
            min_size=0,
            max_size=settings.read_pool_connections,
            configure=configure if role is not None else None,
            timeout=min(self.WAIT_S, settings.pool_timeout_s),
            name="rapport-reads",
            open=False,
        )
        self._checking: asyncio.Task[None] | None = None
        self._failing = False
        self._next_try = 0.0

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        if self._checking is not None:
            await asyncio.gather(self._checking, return_exceptions=True)
        await self.pool.close()

    def available(self) -> bool:
        """Whether to send a read here: not while connections are being lost or cannot be had (the request
        engine answers, and reports the database unavailable if it is), except one try a second."""
        if not self._failing:
            return True
        if self.pool.get_stats().get("pool_available", 0) > 0:
            self._failing = False
            return True
        now = time.monotonic()
        if now < self._next_try:
            return False
        self._next_try = now + self.RETRY_S
        return True

    def succeeded(self) -> None:
        self._failing = False

    def failed(self, *, lost: bool) -> None:
        """No connection could be had in time, or one was ``lost``: skip the pool for now. After a loss, test the
        idle connections in the background, so later requests do not find the dead ones one by one."""
        self._failing = True
        self._next_try = time.monotonic() + self.RETRY_S
        if lost and (self._checking is None or self._checking.done()):
            self._checking = asyncio.ensure_future(self._check())

    @asynccontextmanager
    async def connection(self, authentication: Authentication | None = None) -> AsyncIterator[ReadConnection]:
        """A connection for one request; returned to the pool (rolled back if still in a transaction) after.
        Raises ``psycopg_pool.PoolTimeout`` when none frees up within ``WAIT_S``."""
        conn = await self.pool.getconn()
        try:
            yield ReadConnection(conn, self.engine, authentication)
        finally:
            await self.pool.putconn(conn)

    async def _check(self) -> None:
        try:
            await self.pool.check()
        except Exception:  # the database may still be away: the next failure checks again
            log.warning("checking the read pool's connections failed", exc_info=True)
