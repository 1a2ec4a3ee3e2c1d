"""Helpers for the trust tests: an app of its own with chosen settings, and answers' error codes."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from rapport.app import create_app
from rapport.config import Settings
from rapport.db.database import Database
from tests.conftest import Tenant


def settings_with(**overrides: Any) -> Settings:
    """The test session's settings with some changed."""
    base: dict[str, Any] = {"env": "test", "database_url": None, "demo": False, "pool_size": 5, "pool_max_overflow": 20}
    return Settings(**{**base, **overrides})


@asynccontextmanager
async def app_client(
    database: Database, settings: Settings, clock: Callable[[], float] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A second, real app on the session database (its own engine, limits and rate limiter).

    ``clock`` replaces the rate limiter's, so a test decides when buckets refill instead of the machine's speed.
    """
    app = create_app(settings, database)
    state = app.state.rapport
    await state.start()
    if clock is not None:
        assert state.executor is not None
        state.executor.rate_limiter.clock = clock
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rapport.test") as client:
            yield client
    finally:
        await state.stop()


def on(tenant: Tenant, client: httpx.AsyncClient) -> Tenant:
    """The same tenant, talking to another app."""
    return dataclasses.replace(tenant, http=client)


def codes(response: httpx.Response) -> list[str]:
    body: dict[str, Any] = response.json()
    errors = body.get("errors") or []
    for e in errors:
        assert isinstance(e.get("message"), str), e
        assert e["message"], e
    return [e["extensions"]["code"] for e in errors]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
