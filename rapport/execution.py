"""Running one GraphQL operation for one request: authenticate, pick the tenant's schema, open the request
transaction (tenant set by the same statement that checks the token), execute, commit, shape errors."""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast

import psycopg
import psycopg_pool
from graphql import GraphQLError
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types import ExecutionResult

from rapport import compiled as compiled_reads
from rapport import limits, metrics
from rapport.auth import tokens
from rapport.auth.tokens import Authenticated, authenticate, tenant_of
from rapport.config import Settings, get_settings
from rapport.context import Actor, RequestContext
from rapport.customfields.indexes import IndexBuilder
from rapport.db.read_pool import NeedsEngine, ReadConnection, ReadPool
from rapport.db.shielded import RequestConnection
from rapport.errors import BadInput
from rapport.idempotency import RequestKey, RequestReplay, for_request
from rapport.plans import plan_cache_mode
from rapport.ratelimit import RateLimiter, retry_after_header
from rapport.read_path import FirstStatementAuthentication, ReadMemo
from rapport.schema.cache import SchemaCache
from rapport.schema.tenant import TenantSchema

log = logging.getLogger("rapport.request")


class _StaleConnection(Exception):
    """A pooled connection was found closed before the request ran anything."""


@dataclass(frozen=True)
class Operation:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    # The Idempotency-Key header (mutations only; see rapport/idempotency.py).
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] | None = None


def error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extensions}}


def unauthenticated() -> Outcome:
    return Outcome(
        401,
        {"errors": [error("Missing or unknown API token. Send `Authorization: Bearer <token>`.", "UNAUTHENTICATED")]},
    )


def timeout_error(request_id: str) -> dict[str, Any]:
    message = (
        "This ran longer than the statement timeout and was cancelled; what it changed was not saved. "
        "Ask for less (smaller pages, narrower filters) or retry later."
    )
    return error(message, "TIMEOUT", requestId=request_id)


def unavailable_error(request_id: str) -> dict[str, Any]:
    return error("The database is unavailable; retry shortly.", "SERVICE_UNAVAILABLE", requestId=request_id)


def _is_timeout(exc: BaseException | None) -> bool:
    """statement_timeout (or a cancel) stopped a statement: SQLSTATE 57014, query_canceled."""
    return isinstance(exc, DBAPIError) and isinstance(exc.orig, pg_errors.QueryCanceled)


def format_error(err: GraphQLError, request_id: str) -> dict[str, Any]:
    """Client-safe error: known failures keep their message and code; anything unexpected is masked."""
    original = err.original_error
    formatted = err.formatted
    extensions = dict(formatted.get("extensions") or {})
    if original is None:
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
    elif isinstance(original, BadInput):
        extensions["code"] = "BAD_USER_INPUT"
    elif isinstance(original, GraphQLError) and "code" in (original.extensions or {}):
        extensions["code"] = original.extensions["code"]  # type: ignore[index]
    elif _is_timeout(original):
        return {**timeout_error(request_id), "path": formatted.get("path")}
    elif isinstance(original, PoolTimeout) or (isinstance(original, DBAPIError) and original.connection_invalidated):
        # Only a lost connection or an exhausted pool means "unavailable". Other OperationalErrors are raised
        # for this request alone (libpq refusing more than 65535 parameters, a deadlock): retrying the same
        # request would not help, so they are internal errors like any other.
        log.warning("database unavailable during request %s: %s", request_id, original)
        return {**unavailable_error(request_id), "path": formatted.get("path")}
    elif not formatted.get("path"):
        # Raised before execution, while the document or the variables were checked against the schema (a
        # scalar rejecting a variable, a missing required variable): the client's input, and a message for it.
        extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
    else:
        log.error("unexpected error in request %s", request_id, exc_info=original)
        return {
            **error(
                f"Internal error. Quote request id {request_id} when reporting it.", "INTERNAL", requestId=request_id
            ),
            "path": formatted.get("path"),
        }
    formatted["extensions"] = extensions
    return dict(formatted)


class Executor:
    def __init__(
        self,
        engine: AsyncEngine,
        cache: SchemaCache,
        index_builder: IndexBuilder | None = None,
        read_pool: ReadPool | None = None,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.index_builder = index_builder
        self.read_pool = read_pool
        self.read_memo = ReadMemo(cache) if read_pool is not None else None

    _settings: Settings | None = None
    _rate_limiter: RateLimiter | None = None

    def configure(self, settings: Settings) -> None:
        """Take request limits, the tenant rate limit and the statement timeout from ``settings``."""
        self._settings = settings
        self._rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self.configure(get_settings())
        assert self._settings is not None
        return self._settings

    @property
    def rate_limiter(self) -> RateLimiter:
        if self._rate_limiter is None:
            self.configure(self.settings)
        assert self._rate_limiter is not None
        return self._rate_limiter

    async def run(self, token: str | None, op: Operation, *, allow_mutations: bool = True) -> Outcome:
        started = time.perf_counter()
        # Limits first: a refused document costs no SQL, not even authentication.
        checked = limits.check(op.query, op.variables, op.operation_name, self.settings)
        if isinstance(checked, limits.Rejected):
            outcome = Outcome(200, {"errors": checked.errors})
        else:
            outcome = await self._run_checked(token, op, checked, allow_mutations)
        outcome = _finished(outcome, checked.cost, self.settings.hide_suggestions)
        metrics.LATENCY.observe(time.perf_counter() - started)
        metrics.REQUESTS.labels(_outcome_label(outcome)).inc()
        return outcome

    async def _run_checked(
        self, token: str | None, op: Operation, checked: limits.Checked, allow_mutations: bool
    ) -> Outcome:
        if not allow_mutations and checked.is_mutation:
            return Outcome(405, {"errors": [error("Mutations must be sent with POST.", "METHOD_NOT_ALLOWED")]})
        claimed = tenant_of(token) if token else None
        if claimed is not None:
            # A tenant already out of points is refused before authenticating (no SQL). Points are taken only
            # once the token is proven, so nobody can spend another tenant's points by naming it.
            wait = self.rate_limiter.wait(claimed, checked.cost.points)
            if wait > 0:
                return rate_limited(wait, checked.cost)
        document = limits.CURRENT.set(checked)
        timeout = tokens.statement_timeout_ms.set(self.settings.statement_timeout_ms)
        plans = tokens.plan_cache_mode.set(plan_cache_mode(checked.parsed))
        try:
            return await self._answer(token, op)
        finally:
            tokens.plan_cache_mode.reset(plans)
            tokens.statement_timeout_ms.reset(timeout)
            limits.CURRENT.reset(document)

    async def _answer(self, token: str | None, op: Operation) -> Outcome:
        request_id = uuid.uuid4().hex[:16]
        if not token:
            return unauthenticated()
        compiled = self.settings.compiled_reads
        try:
            try:
                charge = True
                if compiled and self._read_pool_may_answer(token, op):
                    answered, charged = await self._read(token, op, request_id)
                    if answered is not None:
                        return answered
                    charge = not charged
                try:
                    return await self._run(
                        token, op, request_id, compiled=compiled, stale_is_retried=True, charge=charge
                    )
                except _StaleConnection:
                    log.info("request %s: a pooled connection had been closed; retrying on a fresh one", request_id)
                    return await self._run(token, op, request_id, compiled=compiled, charge=charge)
            except compiled_reads.CompiledReadFailed:
                return await self._run(token, op, request_id, compiled=False, charge=False)
        except (OperationalError, PoolTimeout, DBAPIError) as exc:
            if isinstance(exc, DBAPIError) and not exc.connection_invalidated and not isinstance(exc, OperationalError):
                raise
            if _is_timeout(exc):
                return Outcome(200, {"errors": [timeout_error(request_id)]})
            log.warning("database unavailable (request %s): %s", request_id, exc)
            return Outcome(503, {"errors": [unavailable_error(request_id)]})

    def _seen(self, token: str, auth: Authenticated | None) -> None:
        if self.read_memo is not None:
            self.read_memo.authenticated(token, auth)

    def _answered(self, auth: Authenticated, tenant_schema: TenantSchema, op: Operation, *, on_driver: bool) -> None:
        """The compiled path answered on the request engine: next time the read pool may answer it."""
        if self.read_memo is not None:
            self.read_memo.answered(auth.tenant_id, tenant_schema, op.query, op.operation_name, on_driver)

    def _read_pool_may_answer(self, token: str, op: Operation) -> bool:
        checked = limits.CURRENT.get()
        return (
            self.read_memo is not None
            and self.read_pool is not None
            and self.read_pool.available()
            and checked is not None
            and not checked.is_mutation
        )

    async def _read(self, token: str, op: Operation, request_id: str) -> tuple[Outcome | None, bool]:
        """Answer a read on the read pool (decisions 31 and 32): its answer, or None when the request engine must
        answer after all; and whether the tenant's rate limit was charged."""
        assert self.read_pool is not None
        assert self.read_memo is not None
        checked = limits.CURRENT.get()
        assert checked is not None
        expected = self.read_memo.expected(token, op.query, op.operation_name)
        if expected is None:
            return None, False
        auth, tenant_schema = expected
        # Charged before this request's authentication: the memo holds only tokens authentication has proven.
        wait = self.rate_limiter.take(auth.tenant_id, checked.cost.points)
        if wait > 0:
            return rate_limited(wait, checked.cost), True
        authentication = FirstStatementAuthentication(token, request_id, auth)
        try:
            async with self.read_pool.connection(authentication) as conn:
                context = _context(conn, auth, tenant_schema, request_id)
                try:
                    data = await compiled_reads.data(
                        tenant_schema, checked, op.query, op.variables, op.operation_name, context
                    )
                    if data is not None and not authentication.checked:
                        await authentication.authenticate(conn)  # it sent no statement: the token is checked anyway
                except DBAPIError as exc:
                    await _rollback(conn)
                    if _is_timeout(exc):
                        return Outcome(200, {"errors": [timeout_error(request_id)], "data": None}), True
                    if not exc.connection_invalidated:
                        raise
                    self.read_pool.failed(lost=True)  # the request engine answers, on a connection of its own
                    return None, True
                except NeedsEngine:
                    data = None
                except compiled_reads.CompiledReadFailed:
                    await _rollback(conn)
                    raise  # answered again on the resolver path, as on the engine
                if authentication.changed:
                    await _rollback(conn)
                    self.read_memo.authenticated(token, authentication.actual)
                    if authentication.actual is None:
                        return unauthenticated(), True
                    return None, True  # a new schema version (or role): the request engine answers from it
                if data is None:
                    await _rollback(conn)
                    self.read_memo.answered(auth.tenant_id, tenant_schema, op.query, op.operation_name, False)
                    return None, True
                if authentication.in_transaction:
                    try:
                        await conn.driver_connection.commit()
                    except psycopg.Error:
                        self.read_pool.failed(lost=True)
                        return None, True
                self.read_pool.succeeded()
                return Outcome(200, {"data": data}), True
        except psycopg_pool.PoolTimeout:
            # Busier than the pool, or no connection can be opened: the request engine answers.
            log.info("no read-pool connection for request %s; the request engine answers it", request_id)
            self.read_pool.failed(lost=False)
            return None, True

    async def sdl(self, token: str | None) -> str | None:
        """The SDL of the schema this token's tenant and role see (for code generators); None if unknown."""
        if not token:
            return None
        async with self.engine.connect() as conn, conn.begin():
            auth = await authenticate(conn, token)
            if auth is None:
                return None
            tenant_schema = await self.cache.get(conn, auth.tenant_id, auth.schema_version, auth.role)
        from rapport.schema.sdl import sdl

        return sdl(tenant_schema)

    async def _run(
        self,
        token: str,
        op: Operation,
        request_id: str,
        *,
        compiled: bool,
        charge: bool = True,
        stale_is_retried: bool = False,
    ) -> Outcome:
        request_connection = RequestConnection(self.engine)
        async with request_connection as conn, conn.begin() as transaction:
            try:
                auth = await authenticate(conn, token, request_id)
            except DBAPIError as exc:
                # The first statement found the pooled connection closed (the database restarted, or an idle
                # timeout): nothing ran, so the request may start again on a fresh one. This replaces a ping
                # before every request (pool_pre_ping: a round trip, and a transaction, each time).
                if stale_is_retried and exc.connection_invalidated:
                    raise _StaleConnection from exc
                raise
            self._seen(token, auth)
            if auth is None:
                await transaction.rollback()
                return unauthenticated()
            checked = limits.CURRENT.get()
            cost = checked.cost if checked is not None else None
            wait = self.rate_limiter.take(auth.tenant_id, cost.points if cost is not None else 1) if charge else 0.0
            if wait > 0:
                await transaction.rollback()
                return rate_limited(wait, cost)
            tenant_schema = await self.cache.get(conn, auth.tenant_id, auth.schema_version, auth.role)
            context = _context(conn, auth, tenant_schema, request_id)
            if compiled and checked is not None and not checked.is_mutation:
                sent = request_connection.engine_statements
                try:
                    data = await compiled_reads.data(
                        tenant_schema, checked, op.query, op.variables, op.operation_name, context
                    )
                except OperationalError as exc:
                    if not _is_timeout(exc):
                        raise
                    await transaction.rollback()
                    return Outcome(200, {"errors": [timeout_error(request_id)], "data": None})
                if data is not None:
                    self._answered(auth, tenant_schema, op, on_driver=request_connection.engine_statements == sent)
                    return Outcome(200, {"data": data})
            idempotent: RequestKey | None = None
            if op.idempotency_key is not None and checked is not None and checked.is_mutation:
                claimed = await for_request(context, op.idempotency_key, op.query, op.variables, op.operation_name)
                if isinstance(claimed, RequestReplay):  # a retry (or a misused key): answer without executing
                    return Outcome(claimed.status, claimed.body)
                idempotent = claimed
            try:
                with request_connection.executing():
                    result = await tenant_schema.schema.execute(
                        op.query, variable_values=op.variables, context_value=context, operation_name=op.operation_name
                    )
            except CannotGetOperationTypeError as exc:
                # strawberry raises (instead of reporting) when operationName selects nothing.
                await transaction.rollback()
                message = (
                    f"The document has no operation named {exc.operation_name!r}."
                    if exc.operation_name is not None
                    else "The document defines no operation to run."
                )
                return Outcome(200, {"errors": [error(message, "GRAPHQL_VALIDATION_FAILED")]})
            failed = await _transaction_failed(conn)
            if failed:
                # A statement failed outside any savepoint: PostgreSQL has aborted the transaction and COMMIT
                # would silently roll it back. Say so instead of reporting the mutations that ran as saved.
                await transaction.rollback()
            # A failed read loses nothing (its errors say what went wrong); a failed write must say so.
            body = _response_body(result, context, request_id, failed and _writes())
            if idempotent is not None and not failed:
                await idempotent.remember(body)  # in the request's transaction: the key and the writes go together
        if context.index_jobs and not failed and self.index_builder is not None:
            for job in context.index_jobs:  # index DDL runs outside the (now committed) request transaction
                self.index_builder.submit(job)
        if any(e.get("extensions", {}).get("code") == "SERVICE_UNAVAILABLE" for e in body.get("errors", [])):
            return Outcome(503, body)
        return Outcome(200, body)


def _context(
    conn: AsyncConnection | ReadConnection, auth: Authenticated, tenant_schema: TenantSchema, request_id: str
) -> RequestContext:
    return RequestContext(
        # A read-pool connection serves the driver path only; any other use raises NeedsEngine (decision 31).
        conn=cast(AsyncConnection, conn),
        tenant_id=auth.tenant_id,
        tenant_slug=auth.tenant_slug,
        schema_version=auth.schema_version,
        actor=Actor(user_id=auth.user_id, role=auth.role, token_id=auth.token_id),
        custom_fields=tenant_schema.custom_fields,
        all_custom_fields=tenant_schema.all_fields,
        request_id=request_id,
        settings=auth.settings,
    )


async def _rollback(conn: ReadConnection) -> None:
    """End a read-pool transaction that answers nothing (a lost connection is discarded by the pool)."""
    with contextlib.suppress(psycopg.Error):
        await conn.driver_connection.rollback()


def _response_body(result: ExecutionResult, context: RequestContext, request_id: str, failed: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [format_error(e, request_id) for e in result.errors]
    # `data` is absent only when execution never started (the request was invalid); once it started, a
    # failure that nulls the whole result still answers `"data": null`, as the GraphQL spec asks.
    if result.data is not None or not result.errors or any(e.path for e in result.errors):
        body["data"] = result.data
    if failed:
        log.error("request %s failed part-way; its transaction was rolled back", request_id)
        message = "The request failed part-way and was rolled back: nothing it changed was saved."
        body = {"errors": [*body.get("errors", []), error(message, "INTERNAL", requestId=request_id)], "data": None}
    if context.extensions:
        body["extensions"] = context.extensions
    return body


def rate_limited(wait: float, cost: limits.Cost | None) -> Outcome:
    points = f"{cost.points} points" if cost is not None else "points"
    message = (
        f"This tenant's rate limit is spent: the request needs {points}; retry in {wait:.2f} s. "
        "Cheaper requests (smaller pages, fewer nested connections) cost fewer points."
    )
    return Outcome(
        429,
        {"errors": [error(message, "RATE_LIMITED", retryAfter=round(wait, 3))]},
        {"Retry-After": retry_after_header(wait)},
    )


_SUGGESTION = re.compile(r" Did you mean .*\?$")


def _finished(outcome: Outcome, cost: limits.Cost, hide_suggestions: bool) -> Outcome:
    """Every answer reports the operation's cost; production answers suggest no names of the schema."""
    body = outcome.body
    errors = body.get("errors") or []
    if any(e.get("extensions", {}).get("code") in ("TIMEOUT", "SERVICE_UNAVAILABLE") for e in errors):
        # A timeout or a lost connection ends the transaction: the statements refused after it, and the "failed
        # part-way" note, are its consequences, not internal errors of their own (each is logged).
        body = {**body, "errors": [e for e in errors if e.get("extensions", {}).get("code") != "INTERNAL"]}
    if hide_suggestions and errors:
        # Validation hides suggestions itself; variable values are checked by execution, which still adds them.
        body = {**body, "errors": [{**e, "message": _SUGGESTION.sub("", e["message"])} for e in body["errors"]]}
    body = {**body, "extensions": {**(body.get("extensions") or {}), "cost": cost.extension()}}
    return Outcome(outcome.status, body, outcome.headers)


def _outcome_label(outcome: Outcome) -> str:
    if outcome.status == 200:
        return "errors" if outcome.body.get("errors") else "ok"
    return {401: "unauthenticated", 429: "rate_limited", 503: "unavailable"}.get(outcome.status, "bad_request")


def _writes() -> bool:
    """Whether the running operation is a mutation (assumed when unknown)."""
    checked = limits.CURRENT.get()
    return checked is None or checked.is_mutation


async def _transaction_failed(conn: AsyncConnection) -> bool:
    """Whether the request transaction is aborted (a statement failed and no savepoint caught it), or lost: when a
    field fails, graphql-core cancels its siblings, and a statement cancelled mid-flight invalidates the
    connection (its protocol state is unknown)."""
    if isinstance(conn, RequestConnection):
        await conn.settle()
    if conn.invalidated:
        return True
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    return bool(driver is not None and driver.info.transaction_status == TransactionStatus.INERROR)
