"""The request's connection: statements that cannot be cancelled half-way.

When a non-null field fails, graphql-core cancels the sibling resolvers still running. A resolver cancelled
while its statement is on the wire makes psycopg abort the query and close the connection, so the rest of
the request (other fields, the commit) would fail as if the database had gone away. Here each statement
runs in a task of its own: cancelling the resolver abandons the wait, not the statement, and the executor
waits for abandoned statements before it decides to commit.

Only statements sent while graphql-core executes need this (``executing()``): before it (authentication) and
on the ways around it (compiled reads, direct answers) nothing cancels a statement, and a task per statement
costs CPU on every request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")


class RequestConnection(AsyncConnection):
    _pending: set[asyncio.Task[Any]] | None = None
    _executing = False
    # Statements sent through SQLAlchemy's execution rather than the driver path (``rapport.db.driver``): a read
    # that needed none can be answered on the read pool (decision 31).
    engine_statements = 0
    # Savepoints made for writes (``rapport.db.driver.Savepoint``), which names each after this count.
    savepoints = 0

    @contextmanager
    def executing(self) -> Iterator[None]:
        """While graphql-core executes the operation: statements are shielded from its cancellations."""
        self._executing = True
        try:
            yield
        finally:
            self._executing = False

    async def execute(
        self, statement: Any, parameters: Any = None, *, execution_options: Any = None
    ) -> CursorResult[Any]:
        self.engine_statements += 1
        return await self.shielded(super().execute(statement, parameters, execution_options=execution_options))

    async def shielded(self, statement: Awaitable[T]) -> T:
        """Run a statement in a task of its own while graphql-core executes (see above); also for those sent
        straight to the driver."""
        if not self._executing:
            return await statement
        task = asyncio.ensure_future(statement)
        if self._pending is None:
            self._pending = set()
        self._pending.add(task)
        task.add_done_callback(self._done)
        return await asyncio.shield(task)

    def _done(self, task: asyncio.Task[Any]) -> None:
        if self._pending is not None:
            self._pending.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: an abandoned statement's failure is seen by the transaction check

    async def settle(self) -> None:
        """Wait for statements whose resolvers were cancelled (their outcome no longer matters)."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
