"""API tokens: random, shown once, stored only as a SHA-256 hash.

A token reads ``rpt_<tenant id>_<secret>``. The tenant part is not secret: it lets the request transaction
set its tenant first and then find the token under row-level security like any other row, so
authentication needs no privileged cross-tenant lookup. Tokens are 256-bit random values, so a fast hash is
enough and lookups stay cheap.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.db import driver
from rapport.db.driver import DriverStatement
from rapport.db.read_pool import ReadConnection
from rapport.ids import new_id
from rapport.models import ApiToken, table_of
from rapport.tenant_settings import TenantSettings

PREFIX = "rpt_"
_FORMAT = re.compile(r"^rpt_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$")


def generate(tenant_id: uuid.UUID) -> str:
    return f"{PREFIX}{tenant_id.hex}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def tenant_of(token: str) -> uuid.UUID | None:
    match = _FORMAT.match(token)
    return uuid.UUID(match.group(1)) if match else None


@dataclass(frozen=True)
class Authenticated:
    token_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_slug: str
    schema_version: int
    user_id: uuid.UUID
    role: str
    settings: TenantSettings


# The request's statement timeout (ms; 0 leaves the database's own setting), set by the executor. It rides on
# the authentication statement: set_config(..., true) lasts for the transaction like SET LOCAL (so it is safe
# behind PgBouncer), and no extra round trip is needed.
statement_timeout_ms: ContextVar[int] = ContextVar("rapport_statement_timeout_ms", default=0)


def _timeout_setting() -> str | None:
    milliseconds = statement_timeout_ms.get()
    return f"{milliseconds}ms" if milliseconds > 0 else None


# The request's plan_cache_mode (None leaves the database's own), set by the executor and carried the same way:
# requests that filter rows are planned for their values (``rapport.plans``).
plan_cache_mode: ContextVar[str | None] = ContextVar("rapport_plan_cache_mode", default=None)

# The request's settings, for its transaction (``:timeout`` and ``:plans``, from ``transaction_settings``).
_SETTINGS = (
    "set_config('statement_timeout', coalesce(:timeout, current_setting('statement_timeout')), true) "
    "AS statement_timeout, set_config('plan_cache_mode', coalesce(:plans, current_setting('plan_cache_mode')), "
    "true) AS plan_cache_mode"
)
_SETTING_TYPES = (bindparam("timeout", type_=String), bindparam("plans", type_=String))

# Every request sends it, first: straight to the driver (rapport/db/driver.py), with the BEGIN (or, on the read
# pool, pipelined with the read: ``rapport.read_path``).
AUTHENTICATE = DriverStatement.of(
    text(f"SELECT *, {_SETTINGS} FROM rapport_authenticate(:tenant, :hash, :request)").bindparams(*_SETTING_TYPES)
)


def transaction_settings(plans: str | None = None) -> dict[str, str | None]:
    """The request's settings; ``plans`` overrides its plan_cache_mode (a statement's own, see DriverStatement)."""
    return {"timeout": _timeout_setting(), "plans": plans or plan_cache_mode.get()}


async def authenticate(
    conn: AsyncConnection | ReadConnection, token: str, request_id: str | None = None
) -> Authenticated | None:
    """Resolve a bearer token and set the transaction's tenant, and its actor and request id for the audit
    trail; None for malformed, unknown or revoked tokens."""
    params = authentication_parameters(token, request_id)
    if params is None:
        return None
    return authenticated(await driver.begin_with(conn, AUTHENTICATE, params))


def authentication_parameters(
    token: str, request_id: str | None = None, plans: str | None = None
) -> dict[str, Any] | None:
    """``AUTHENTICATE``'s parameters; None when the token names no tenant (malformed: nothing to ask)."""
    tenant_id = tenant_of(token)
    if tenant_id is None:
        return None
    return {"tenant": tenant_id, "hash": digest(token), "request": request_id, **transaction_settings(plans)}


def authenticated(row: Any | None) -> Authenticated | None:
    """What ``AUTHENTICATE`` returned: None when it refused the token (no row)."""
    if row is None:
        return None
    return authenticated_row(
        row.token_id,
        row.tenant_id,
        row.tenant_slug,
        row.schema_version,
        row.user_id,
        row.token_role,
        row.tenant_settings,
    )


def authenticated_row(
    token_id: uuid.UUID,
    tenant_id: uuid.UUID,
    tenant_slug: str,
    schema_version: int,
    user_id: uuid.UUID,
    token_role: str,
    tenant_settings: Any,
) -> Authenticated:
    """What ``rapport_authenticate`` returned (here, or in a read that authenticates itself)."""
    return Authenticated(
        token_id=token_id,
        tenant_id=tenant_id,
        tenant_slug=tenant_slug,
        schema_version=schema_version,
        user_id=user_id,
        role=token_role,
        settings=TenantSettings.from_json(tenant_settings),
    )


async def issue(conn: AsyncConnection, tenant_id: uuid.UUID, user_id: uuid.UUID, role: str, name: str) -> str:
    """Create a token (inside the tenant's transaction) and return it; only its hash is kept."""
    token = generate(tenant_id)
    await conn.execute(
        insert(table_of(ApiToken)).values(
            tenant_id=tenant_id, id=new_id(), user_id=user_id, name=name, token_hash=digest(token), role=role
        )
    )
    return token
