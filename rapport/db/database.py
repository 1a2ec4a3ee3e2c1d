"""Which PostgreSQL to use and how to connect to it: the owner (migrations) and the app role (requests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from rapport.config import Settings
from rapport.db import embedded

# JSONB from the database (tenant settings on every request, custom values, audit changes) is parsed by
# orjson: several times faster than the standard library's json, with the same Python values.
set_json_loads(orjson.loads)


@dataclass
class Database:
    owner_url: URL
    app_url: URL
    # Set when requests must connect with the owner's URL: every connection then switches to this role.
    switch_to_role: str | None = None
    server: embedded.EmbeddedServer | None = None
    _engines: list[AsyncEngine] = field(default_factory=list)

    def app_engine(self, settings: Settings, **overrides: Any) -> AsyncEngine:
        """The pooled async engine requests use; connections fail fast when the database is away."""
        options: dict[str, Any] = {
            "pool_size": settings.pool_size,
            "max_overflow": settings.pool_max_overflow,
            "pool_timeout": settings.pool_timeout_s,
            # No ping before each request: the executor retries a request whose first statement finds its
            # pooled connection closed (decision 26).
            "pool_pre_ping": False,
            "connect_args": connect_options(settings),
        }
        options.update(overrides)
        engine = create_async_engine(self.app_url, **options)
        if self.switch_to_role:
            role = self.switch_to_role

            @event.listens_for(engine.sync_engine, "connect")
            def _set_role(dbapi_connection: Any, _record: Any) -> None:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute(f'SET ROLE "{role}"')
                dbapi_connection.commit()

        self._engines.append(engine)
        return engine

    def owner_engine(self) -> AsyncEngine:
        engine = create_async_engine(self.owner_url, pool_size=2, max_overflow=0)
        self._engines.append(engine)
        return engine

    async def dispose(self) -> None:
        for engine in self._engines:
            await engine.dispose()
        self._engines.clear()

    def close(self) -> None:
        """Stop the embedded server if this process was its last user (no-op for external databases)."""
        if self.server is not None:
            self.server.stop()
            self.server = None


def connect_options(settings: Settings) -> dict[str, Any]:
    """libpq options of every request connection (the request engine's and the read pool's)."""
    return {
        "connect_timeout": max(1, int(settings.connect_timeout_s)),
        "application_name": "rapport",
        # Over TCP, a database host that vanishes (no FIN, no RST) is noticed within ~15 s instead of the OS
        # default of hours: keepalive probes while waiting, and a bound on unacknowledged sends.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 15_000,
    }


def _psycopg(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def open_database(settings: Settings, *, data_dir: Path | None = None, temporary: bool = False) -> Database:
    """The configured database, or the embedded one started (or joined) under ``data_dir``."""
    if settings.database_url:
        owner = _psycopg(settings.database_url)
        if settings.app_database_url:
            return Database(owner_url=owner, app_url=_psycopg(settings.app_database_url))
        return Database(owner_url=owner, app_url=owner, switch_to_role=settings.app_role)
    server = embedded.start(data_dir or settings.data_dir, app_role=settings.app_role, temporary=temporary)
    return Database(owner_url=server.url("postgres"), app_url=server.url(settings.app_role), server=server)
