"""Running one GraphQL operation for one request: authenticate, pick the tenant's schema, open the request
transaction (tenant set by the same statement that checks the token), execute, commit, shape errors."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, OperationType, parse
from graphql.error import GraphQLSyntaxError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.auth.tokens import authenticate
from rapport.context import Actor, RequestContext
from rapport.errors import BadInput
from rapport.schema.cache import SchemaCache

log = logging.getLogger("rapport.request")


@dataclass(frozen=True)
class Operation:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]


def error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extensions}}


def unauthenticated() -> Outcome:
    return Outcome(401, {"errors": [error("Missing or unknown API token. Send `Authorization: Bearer <token>`.",
                                          "UNAUTHENTICATED")]})


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
    elif isinstance(original, OperationalError | PoolTimeout):
        log.warning("database unavailable during request %s: %s", request_id, original)
        return {**error("The database is unavailable; retry shortly.", "SERVICE_UNAVAILABLE", requestId=request_id),
                "path": formatted.get("path")}
    else:
        log.error("unexpected error in request %s", request_id, exc_info=original)
        return {**error(f"Internal error. Quote request id {request_id} when reporting it.", "INTERNAL",
                        requestId=request_id), "path": formatted.get("path")}
    formatted["extensions"] = extensions
    return dict(formatted)


class Executor:
    def __init__(self, engine: AsyncEngine, cache: SchemaCache) -> None:
        self.engine = engine
        self.cache = cache

    async def run(self, token: str | None, op: Operation, *, allow_mutations: bool = True) -> Outcome:
        request_id = uuid.uuid4().hex[:16]
        if not allow_mutations and _is_mutation(op):
            return Outcome(405, {"errors": [error("Mutations must be sent with POST.", "METHOD_NOT_ALLOWED")]})
        if not token:
            return unauthenticated()
        try:
            return await self._run(token, op, request_id)
        except (OperationalError, PoolTimeout, DBAPIError) as exc:
            if isinstance(exc, DBAPIError) and not exc.connection_invalidated and not isinstance(exc, OperationalError):
                raise
            log.warning("database unavailable (request %s): %s", request_id, exc)
            return Outcome(503, {"errors": [error("The database is unavailable; retry shortly.",
                                                  "SERVICE_UNAVAILABLE", requestId=request_id)]})

    async def _run(self, token: str, op: Operation, request_id: str) -> Outcome:
        async with self.engine.connect() as conn, conn.begin() as transaction:
            auth = await authenticate(conn, token)
            if auth is None:
                await transaction.rollback()
                return unauthenticated()
            tenant_schema = await self.cache.get(conn, auth.tenant_id, auth.schema_version)
            context = RequestContext(
                conn=conn,
                tenant_id=auth.tenant_id,
                tenant_slug=auth.tenant_slug,
                schema_version=auth.schema_version,
                actor=Actor(user_id=auth.user_id, role=auth.role, token_id=auth.token_id),
                custom_fields=tenant_schema.custom_fields,
                request_id=request_id,
            )
            result = await tenant_schema.schema.execute(
                op.query, variable_values=op.variables, context_value=context, operation_name=op.operation_name
            )
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [format_error(e, request_id) for e in result.errors]
        if result.data is not None or not result.errors:
            body["data"] = result.data
        if context.extensions:
            body["extensions"] = context.extensions
        if any(e.get("extensions", {}).get("code") == "SERVICE_UNAVAILABLE" for e in body.get("errors", [])):
            return Outcome(503, body)
        return Outcome(200, body)


def _is_mutation(op: Operation) -> bool:
    try:
        document = parse(op.query)
    except GraphQLSyntaxError:
        return False
    for definition in document.definitions:
        operation = getattr(definition, "operation", None)
        name = getattr(getattr(definition, "name", None), "value", None)
        if operation == OperationType.MUTATION and (op.operation_name is None or op.operation_name == name):
            return True
    return False
