"""Idempotent writes: a retry with the same key returns the first outcome instead of writing again.

Two forms, each with its own key space per tenant:

- The ``Idempotency-Key`` HTTP header covers a whole request (a mutation operation): the first request's
  response body is stored with the key, in the request's transaction, and retries get that body back
  unchanged. The same key with a different request (document, variables, operation name or caller) is refused
  with the request-level error ``IDEMPOTENCY_KEY_REUSED``. Queries ignore the header.
- The ``idempotencyKey`` argument of a create mutation (and ``ledgerRecord``) covers that one mutation: the
  record it created is stored with the key, and retries get that record (as it is now). The same key with
  different input gives the userError ``IDEMPOTENCY_KEY_REUSED``. A mutation refused with userErrors keeps
  nothing, so its key stays free.

Concurrency: claiming a key is an ``INSERT ... ON CONFLICT`` on the unique index ``(tenant_id, scope, key)``.
While the first request's transaction is open, a second INSERT of the same key waits on that index; when the
first commits, the second finds its row (locked by ``DO UPDATE``) and replays it; when the first rolls back,
the second claims the key itself. Keys are kept ``RAPPORT_IDEMPOTENCY_TTL_HOURS`` (at least 24 h); an
expired key is taken over by the next request that uses it, and ``rapport purge`` deletes expired keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
import strawberry
from sqlalchemy import func, null, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.config import get_settings
from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.ids import new_id
from rapport.models import IdempotencyKey, table_of
from rapport.schema.common import UserError

KEYS = table_of(IdempotencyKey)
HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
REQUEST = "REQUEST"
MUTATION = "MUTATION"


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be used, or None."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        return f"an idempotency key is 1 to {MAX_KEY_LENGTH} printable characters (a UUID is a good choice)"
    return None


def fingerprint(*parts: Any) -> bytes:
    """SHA-256 of what a key was first used for; parts must be JSON-serialisable (or have a stable repr)."""
    encoded = orjson.dumps(parts, default=repr, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(encoded).digest()


def _ttl() -> dt.timedelta:
    return dt.timedelta(hours=get_settings().idempotency_ttl_hours)


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: ``owned`` (this transaction is the first) or the first use's row."""

    row_id: uuid.UUID | None
    fingerprint: bytes | None = None
    response: dict[str, Any] | None = None

    @property
    def owned(self) -> bool:
        return self.row_id is not None


async def claim(conn: AsyncConnection, tenant_id: uuid.UUID, scope: str, key: str, print_: bytes) -> Claim:
    """Take ``key`` for this transaction, or wait for the transaction holding it and return its row."""
    insert = pg_insert(KEYS).values(
        tenant_id=tenant_id, id=new_id(), scope=scope, key=key, fingerprint=print_, expires_at=func.now() + _ttl()
    )
    statement = insert.on_conflict_do_update(
        index_elements=[KEYS.c.tenant_id, KEYS.c.scope, KEYS.c.key],
        # An expired key is free again: the next request to use it takes it over.
        set_={
            "fingerprint": insert.excluded.fingerprint,
            "response": null(),
            "created_at": func.now(),
            "expires_at": insert.excluded.expires_at,
        },
        where=KEYS.c.expires_at <= func.now(),
    ).returning(KEYS.c.id)
    row_id = (await conn.execute(statement)).scalar_one_or_none()
    if row_id is not None:
        return Claim(row_id)
    first = (
        await conn.execute(
            select(KEYS.c.fingerprint, KEYS.c.response).where(
                KEYS.c.tenant_id == tenant_id, KEYS.c.scope == scope, KEYS.c.key == key
            )
        )
    ).one()
    return Claim(None, bytes(first.fingerprint), first.response)


async def remember(conn: AsyncConnection, tenant_id: uuid.UUID, row_id: uuid.UUID, response: dict[str, Any]) -> None:
    """Store the outcome with the claimed key (in the same transaction as the write it describes)."""
    await conn.execute(update(KEYS).where(KEYS.c.tenant_id == tenant_id, KEYS.c.id == row_id).values(response=response))


# --- the Idempotency-Key header: one whole request ------------------------------------------------------------


@dataclass(frozen=True)
class RequestKey:
    """A claimed header key: remember the response before the request commits."""

    conn: AsyncConnection
    tenant_id: uuid.UUID
    row_id: uuid.UUID

    async def remember(self, body: dict[str, Any]) -> None:
        # Round-trip through JSON so what is stored is exactly what was sent.
        await remember(self.conn, self.tenant_id, self.row_id, orjson.loads(orjson.dumps(body)))


@dataclass(frozen=True)
class RequestReplay:
    """What to answer instead of executing: the first response, or a refusal (HTTP status and body)."""

    status: int
    body: dict[str, Any]


def _refusal(status: int, message: str, code: str) -> RequestReplay:
    return RequestReplay(status, {"errors": [{"message": message, "extensions": {"code": code}}]})


async def for_request(
    ctx: RequestContext, key: str, query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> RequestKey | RequestReplay:
    """Claim a header key for a mutation request, or say what to answer instead."""
    problem = key_problem(key)
    if problem is not None:
        return _refusal(400, f"Idempotency-Key: {problem}.", "BAD_REQUEST")
    print_ = fingerprint(REQUEST, query, operation_name, variables, str(ctx.actor.user_id), ctx.actor.role)
    found = await claim(ctx.conn, ctx.tenant_id, REQUEST, key, print_)
    if found.row_id is not None:
        return RequestKey(ctx.conn, ctx.tenant_id, found.row_id)
    if found.fingerprint != print_:
        return _refusal(
            422,
            "This Idempotency-Key was already used for a different request (another document, variables or "
            "caller). Use a new key for a new request.",
            "IDEMPOTENCY_KEY_REUSED",
        )
    assert found.response is not None  # stored in the same transaction that made the key visible
    return RequestReplay(200, found.response)


# --- the idempotencyKey argument: one mutation ---------------------------------------------------------------

Write = Callable[[], Awaitable[tuple[Any, list[UserError]]]]
KeyArgument = Annotated[
    str | None,
    strawberry.argument(
        description="Your unique id for this write (a UUID): retrying with the same key returns the first result "
        "instead of writing again; the same key with different input is refused (IDEMPOTENCY_KEY_REUSED). Kept "
        "for at least 24 hours."
    ),
]


async def idempotent_write(
    ctx: RequestContext,
    key: str | None,
    entity: Any,
    what: str,
    payload: Any,
    write: Write,
) -> tuple[Any, list[UserError]]:
    """Run ``write`` (which creates one ``entity`` record) at most once per key.

    ``what`` names the mutation and ``payload`` is its input: together with the caller they are what the key
    stands for. Returns ``write``'s result, or the first use's record on a retry.
    """
    if key is None:
        return await write()
    path = ["idempotencyKey"]
    problem = key_problem(key)
    if problem is not None:
        return None, [UserError(code=UserErrorCode.INVALID, field=path, message=problem)]
    from rapport.resolvers.loaders import freeze

    print_ = fingerprint(MUTATION, what, repr(freeze(payload)), str(ctx.actor.user_id), ctx.actor.role)
    async with ctx.conn.begin_nested() as savepoint:
        found = await claim(ctx.conn, ctx.tenant_id, MUTATION, key, print_)
        if found.row_id is not None:
            record, errors = await write()
            if record is None:  # refused: keep nothing, so the key stays free for a corrected retry
                await savepoint.rollback()
                return None, errors
            await remember(ctx.conn, ctx.tenant_id, found.row_id, {"entity": entity.name, "id": str(record.id)})
            return record, errors
    if found.fingerprint != print_:
        message = f"this key was already used for a different {what} (other input, mutation or caller)"
        return None, [UserError(code=UserErrorCode.IDEMPOTENCY_KEY_REUSED, field=path, message=message)]
    assert found.response is not None
    record = await ctx.loaders.by_id(entity).load(uuid.UUID(found.response["id"]))
    if record is None:
        message = f"the {entity.name} created with this key has since been deleted"
        return None, [UserError(code=UserErrorCode.NOT_FOUND, field=path, message=message)]
    return record, []
