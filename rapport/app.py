"""The Starlette application: ``/graphql`` (POST; GET serves GraphiQL or runs queries), ``/healthz``,
``/readyz`` and ``/metrics``."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.http.ides import get_graphql_ide_html

from rapport import metrics
from rapport.config import DEFAULT_MAX_BODY_BYTES, Settings, get_settings
from rapport.customfields.indexes import IndexBuilder
from rapport.db import driver
from rapport.db.database import Database, open_database
from rapport.db.migrate import head_revision
from rapport.db.read_pool import ReadPool
from rapport.execution import Executor, Operation, error, unauthenticated
from rapport.idempotency import HEADER
from rapport.schema.cache import SchemaCache

log = logging.getLogger("rapport")
MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES  # RAPPORT_MAX_BODY_BYTES changes it
DRAIN_BYTES = 64_000_000  # beyond this (or 16 times the limit), an oversized body is cut off, not read


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _bad_request(message: str, status: int = 400, code: str = "BAD_REQUEST") -> Response:
    return ORJSONResponse({"errors": [error(message, code)]}, status_code=status)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` (checked while streaming)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        await _discard(request, limit)
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            await _discard(request, limit)
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _discard(request: Request, limit: int) -> None:
    """Read (and drop) the rest of an oversized body, up to a bound, so the 413 reaches a client that sends its
    whole body before reading the answer: closing with unread data resets the connection instead."""
    bound = max(DRAIN_BYTES, 16 * limit)
    drained = 0
    with contextlib.suppress(ClientDisconnect):
        async for chunk in request.stream():
            drained += len(chunk)
            if drained > bound:
                return


def _operation(payload: Any) -> Operation | str:
    """The operation in a decoded request, or a message saying what is wrong with it."""
    if isinstance(payload, list):
        return "Batched requests are not supported; send one operation per request."
    if not isinstance(payload, dict):
        return "The body must be a JSON object with `query`."
    query, variables, name = payload.get("query"), payload.get("variables"), payload.get("operationName")
    if not isinstance(query, str) or not query.strip():
        return "`query` must be a non-empty string."
    if variables is not None and not isinstance(variables, dict):
        return "`variables` must be a JSON object."
    if name is not None and not isinstance(name, str):
        return "`operationName` must be a string."
    return Operation(query=query, variables=variables, operation_name=name)


class GraphQLEndpoint:
    def __init__(self, state: AppState) -> None:
        self.state = state

    async def handle(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            return await self.get(request)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _bad_request("Send the operation as application/json.", 415, "UNSUPPORTED_MEDIA_TYPE")
        limit = self.state.settings.max_body_bytes
        body = await _read_body(request, limit)
        if body is None:
            return _bad_request(f"The body is larger than {limit} bytes.", 413, "PAYLOAD_TOO_LARGE")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _bad_request("The body is not valid JSON (UTF-8).")
        op = _operation(payload)
        if isinstance(op, str):
            return _bad_request(op)
        key = request.headers.get(HEADER)
        if key is not None:
            op = dataclasses.replace(op, idempotency_key=key)
        return await self.execute(request, op, allow_mutations=True)

    async def get(self, request: Request) -> Response:
        params = request.query_params
        if "query" not in params:
            if "text/html" in request.headers.get("accept", ""):
                return HTMLResponse(get_graphql_ide_html())
            return _bad_request("Give `query` as a URL parameter, or POST application/json.")
        try:
            variables = orjson.loads(params["variables"]) if params.get("variables") else None
        except orjson.JSONDecodeError:
            return _bad_request("`variables` is not valid JSON.")
        op = _operation(
            {"query": params["query"], "variables": variables, "operationName": params.get("operationName")}
        )
        if isinstance(op, str):
            return _bad_request(op)
        return await self.execute(request, op, allow_mutations=False)

    async def execute(self, request: Request, op: Operation, *, allow_mutations: bool) -> Response:
        executor = self.state.executor
        assert executor is not None
        outcome = await executor.run(_bearer(request), op, allow_mutations=allow_mutations)
        # RFC 9110: a 401 names the scheme the client should use.
        headers = dict(outcome.headers or {})
        if outcome.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="rapport"'
        return ORJSONResponse(outcome.body, status_code=outcome.status, headers=headers)


class RapportApp(Starlette):
    """Starlette, with ``POST /graphql`` (nearly every request) answered past its router and exception
    middleware: they cost about a tenth of a ``customerSummary``'s CPU and do nothing for that route. What
    remains is what they would have done for it: a ``Request``, the endpoint, and a plain 500 for a bug."""

    def __init__(self, graphql: GraphQLEndpoint, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.graphql = graphql
        self._graphql_post = ServerErrorMiddleware(self._post)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Not when mounted under a prefix (``root_path``): the router strips it from the path first.
        if (
            scope["type"] == "http"
            and scope["path"] == "/graphql"
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            scope["app"] = self
            await self._graphql_post(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.graphql.handle(Request(scope, receive, send))
        await response(scope, receive, send)


class AppState:
    """What the app holds between requests: the database, its engine and the schema cache."""

    def __init__(self, settings: Settings, database: Database | None) -> None:
        self.settings = settings
        self.database = database
        self.owns_database = database is None
        self.executor: Executor | None = None
        self.index_builder: IndexBuilder | None = None
        self.read_pool: ReadPool | None = None

    async def start(self) -> None:
        if self.database is None:
            self.database = open_database(self.settings)
        engine = self.database.app_engine(self.settings, **driver.REQUEST_ENGINE_OPTIONS)
        metrics.count_statements(engine)
        # Index DDL needs the table owner; builds run in the background, after the change commits.
        self.owner_engine = self.database.owner_engine()
        self.index_builder = IndexBuilder(self.owner_engine)
        self.index_builder.start()
        await self.index_builder.resume()
        # Reads the compiled path answers with driver statements alone skip SQLAlchemy's pool (decision 31).
        self.read_pool = ReadPool(self.database, self.settings, engine) if self.settings.read_pool_connections else None
        if self.read_pool is not None:
            await self.read_pool.open()
        cache = SchemaCache(self.settings.schema_cache_size)
        self.executor = Executor(engine, cache, self.index_builder, self.read_pool)
        self.executor.configure(self.settings)

    async def stop(self) -> None:
        if self.index_builder is not None:
            await self.index_builder.stop()
            await self.owner_engine.dispose()
            self.index_builder = None
        if self.read_pool is not None:
            await self.read_pool.close()
            self.read_pool = None
        if self.executor is not None:
            await self.executor.engine.dispose()
            self.executor = None
        if self.database is not None and self.owns_database:
            await self.database.dispose()
            self.database.close()


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    """The ASGI app. Without a ``database`` it opens the configured one on start-up (uvicorn --factory)."""
    state = AppState(settings or get_settings(), database)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    async def healthz(request: Request) -> Response:
        return ORJSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        assert state.executor is not None
        try:
            async with state.executor.engine.connect() as conn:
                current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        except Exception:  # readiness reports any failure to reach the database as "not ready"
            # The reason goes to the log only: this endpoint is public, and driver messages name hosts and users.
            log.warning("readiness check cannot reach the database", exc_info=True)
            return ORJSONResponse({"status": "unavailable"}, status_code=503)
        head = head_revision()
        if current != head:
            return ORJSONResponse({"status": "migrations pending", "current": current, "head": head}, status_code=503)
        return ORJSONResponse({"status": "ready", "migration": current})

    async def schema_endpoint(request: Request) -> Response:
        """The tenant's SDL (as the token's role sees it), for code generators."""
        assert state.executor is not None
        text_sdl = await state.executor.sdl(_bearer(request))
        if text_sdl is None:
            return ORJSONResponse(unauthenticated().body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return PlainTextResponse(text_sdl, media_type="application/graphql")

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")

    endpoint = GraphQLEndpoint(state)
    app = RapportApp(
        endpoint,
        routes=[
            Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/graphql/schema.graphql", schema_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.rapport = state
    return app
