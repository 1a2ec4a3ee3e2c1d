"""Test fixtures: one throwaway PostgreSQL per session (embedded, or a fresh database on
RAPPORT_TEST_DATABASE_URL), migrated once with alembic; the real app over httpx's ASGI transport; a fresh
tenant per test, so tests never see each other's rows."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, event, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.app import create_app
from rapport.config import Settings
from rapport.db import migrate
from rapport.db.database import Database, open_database
from rapport.tenants import TenantRef, create_tenant, issue_token


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(env="test", database_url=None, demo=False, pool_size=5, pool_max_overflow=20)


def _external_database(base_url: str) -> tuple[str, str]:
    """A fresh database on the given server: (owner url, database name)."""
    name = f"rapport_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        base_url.replace("postgresql://", "postgresql+psycopg://", 1),
        poolclass=pool.NullPool,
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
    return url.render_as_string(hide_password=False), name


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[Database]:
    external = os.environ.get("RAPPORT_TEST_DATABASE_URL")
    if external:
        owner_url, name = _external_database(external)
        db = open_database(Settings(database_url=owner_url, app_role=settings.app_role))
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="rapport-test-"))
        db = open_database(settings, data_dir=data_dir, temporary=True)
    migrate.upgrade(db.owner_url)
    try:
        yield db
    finally:
        db.close()
        if external:
            admin = create_engine(
                external.replace("postgresql://", "postgresql+psycopg://", 1),
                poolclass=pool.NullPool,
                isolation_level="AUTOCOMMIT",
            )
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        else:
            shutil.rmtree(data_dir, ignore_errors=True)  # the server deletes its data; the folder was ours


@dataclass
class StatementLog:
    statements: list[str] = field(default_factory=list)
    active: bool = False

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        self.statements.clear()
        self.active = True
        try:
            yield self.statements
        finally:
            self.active = False


@dataclass
class App:
    app: Any
    engine: AsyncEngine
    sql: StatementLog


@pytest.fixture(scope="session")
async def rapport(settings: Settings, database: Database) -> AsyncIterator[App]:
    app = create_app(settings, database)
    state = app.state.rapport
    await state.start()
    sql = StatementLog()

    @event.listens_for(state.executor.engine.sync_engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if sql.active:
            sql.statements.append(statement)

    try:
        yield App(app=app, engine=state.executor.engine, sql=sql)
    finally:
        await state.stop()


@contextmanager
def resolver_path(rapport: App) -> Iterator[None]:
    """Requests inside answer every query by the resolvers (compiled reads off): to test both paths."""
    executor = rapport.app.state.rapport.executor
    settings = executor.settings
    executor._settings = settings.model_copy(update={"compiled_reads": False})
    try:
        yield
    finally:
        executor._settings = settings


@pytest.fixture(scope="session")
async def http(rapport: App) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rapport.app), base_url="http://rapport.test") as c:
        yield c


@pytest.fixture(scope="session")
async def app_role_engine(settings: Settings, database: Database) -> AsyncIterator[AsyncEngine]:
    """The app role's connections as SQL sees them (transactions begun by the driver), for tests of the
    database's own walls; requests run on the executor's engine, whose transactions start in authentication."""
    engine = database.app_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def owner_engine(database: Database) -> AsyncIterator[AsyncEngine]:
    engine = database.owner_engine()
    yield engine
    await engine.dispose()


class GraphQLFailure(AssertionError):
    pass


@dataclass
class Tenant:
    """A fresh tenant with an OWNER token, and helpers to talk to the API as it."""

    ref: TenantRef
    token: str
    http: httpx.AsyncClient
    owner_engine: AsyncEngine

    @property
    def id(self) -> uuid.UUID:
        return self.ref.id

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token or self.token}", **(headers or {})},
        )

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The full response body (HTTP 200 required)."""
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """``data`` of a response that must have no errors."""
        body = await self.gql(query, variables, token)
        if body.get("errors"):
            raise GraphQLFailure(body["errors"])
        result: dict[str, Any] = body["data"]
        return result

    async def mutate(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The single mutation payload of a response; its userErrors must be empty."""
        data = await self.data(query, variables, token)
        (payload,) = data.values()
        assert payload["userErrors"] == [], payload["userErrors"]
        result: dict[str, Any] = payload
        return result

    async def token_for(self, role: str) -> str:
        async with self.owner_engine.begin() as conn:
            return await issue_token(conn, self.ref, role, name=f"test {role}")

    async def add_person(self, name: str) -> dict[str, Any]:
        """Create a PERSON customer through the API: its ``id`` and ``version``."""
        payload = await self.mutate(
            "mutation($n: String!) { customerCreate(input: {kind: PERSON, name: $n}) "
            "{ customer { id version } userErrors { code } } }",
            {"n": name},
        )
        created: dict[str, Any] = payload["customer"]
        return created

    async def add_field(self, entity: str, key: str, type_: str, **settings: Any) -> dict[str, Any]:
        """Create a custom field through the API; settings are GraphQL input literals (already encoded)."""
        extra = "".join(f", {k}: {v}" for k, v in settings.items())
        payload = await self.mutate(
            f'mutation {{ customFieldCreate(input: {{entity: {entity}, key: "{key}", type: {type_}, '
            f'label: "{key} label"{extra}}}) {{ customField {{ id key type version options {{ id value label }} }} '
            f"userErrors {{ code field message }} }} }}"
        )
        field_: dict[str, Any] = payload["customField"]
        return field_


@pytest.fixture
async def make_tenant(http: httpx.AsyncClient, owner_engine: AsyncEngine) -> Any:
    async def make(name: str = "Test Tenant") -> Tenant:
        async with owner_engine.begin() as conn:
            created = await create_tenant(conn, name)
        return Tenant(ref=created.tenant, token=created.token, http=http, owner_engine=owner_engine)

    return make


@pytest.fixture
async def tenant(make_tenant: Any) -> Tenant:
    t: Tenant = await make_tenant("Tenant A")
    return t


@pytest.fixture
async def other_tenant(make_tenant: Any) -> Tenant:
    t: Tenant = await make_tenant("Tenant B")
    return t
