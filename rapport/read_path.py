"""Which requests go to the read pool (decision 31), decided before authenticating, and how they authenticate
there: with their first statement (decision 35).

A request is sent there only when nothing it needs is missing on that pool: its token was seen before (so its
tenant, role and schema version are known), that schema is built, and the same document was answered before
on that schema by the compiled path with driver statements alone. Anything else goes to the request engine
at once. The read runs with what the token's last authentication returned; its first statement authenticates
again, and if that returns anything else (a revoked token, a new schema version) the read's result is thrown
away and the request engine answers (or 401): a guess that turns out wrong costs one more authentication, not
a wrong answer.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from rapport.auth import tokens
from rapport.auth.tokens import Authenticated, digest
from rapport.db import driver
from rapport.db.driver import DriverStatement
from rapport.db.read_pool import NeedsEngine, ReadConnection
from rapport.schema.cache import LRU, SchemaCache
from rapport.schema.tenant import TenantSchema

# Tenant, schema fingerprint, digest of the query text (documents may be 100,000 characters), operation name.
_Document = tuple[uuid.UUID, str, bytes, str | None]


def _document(tenant_id: uuid.UUID, tenant_schema: TenantSchema, query: str, operation_name: str | None) -> _Document:
    text = hashlib.blake2b(query.encode(), digest_size=16).digest()
    return tenant_id, tenant_schema.fingerprint, text, operation_name


class ReadMemo:
    def __init__(self, cache: SchemaCache, size: int = 4096) -> None:
        self.cache = cache
        # Token digests (never the tokens) to what authentication last returned for them.
        self._tokens: LRU[bytes, Authenticated] = LRU(size * 4)
        self._answered: LRU[_Document, bool] = LRU(size)

    def expected(self, token: str, query: str, operation_name: str | None) -> tuple[Authenticated, TenantSchema] | None:
        """What the token's authentication will probably return and the schema built for it, when this request
        can probably be answered on the read pool; else None."""
        seen = self._tokens.get(digest(token))
        if seen is None:
            return None
        tenant_schema = self.cache.cached(seen.tenant_id, seen.schema_version, seen.role)
        if tenant_schema is None or not self.known(seen.tenant_id, tenant_schema, query, operation_name):
            return None
        return seen, tenant_schema

    def known(self, tenant_id: uuid.UUID, tenant_schema: TenantSchema, query: str, operation_name: str | None) -> bool:
        return self._answered.get(_document(tenant_id, tenant_schema, query, operation_name)) is not None

    def authenticated(self, token: str, auth: Authenticated | None) -> None:
        if auth is None:
            self._tokens.discard(digest(token))
        else:
            self._tokens.put(digest(token), auth)

    def answered(
        self, tenant_id: uuid.UUID, tenant_schema: TenantSchema, query: str, operation_name: str | None, on_driver: bool
    ) -> None:
        """The compiled path answered this document; ``on_driver``: with driver statements alone."""
        key = _document(tenant_id, tenant_schema, query, operation_name)
        if on_driver:
            self._answered.put(key, True)
        else:
            self._answered.discard(key)


class AuthenticationChanged(NeedsEngine):
    """Authentication returned something other than what the read ran with: its result is not used."""


class FirstStatementAuthentication:
    """Authenticates a read-pool request with its first statement: authentication and the statement go in one
    pipeline, one round trip and one transaction (decision 35); for a read that sends no statement at all, as
    BEGIN with authentication. Raises ``AuthenticationChanged`` when authentication returns anything but
    ``expected``."""

    def __init__(self, token: str, request_id: str, expected: Authenticated) -> None:
        self.token = token
        self.request_id = request_id
        self.expected = expected
        self.checked = False
        self.actual: Authenticated | None = None
        self.in_transaction = False

    @property
    def changed(self) -> bool:
        return self.checked and self.actual != self.expected

    async def first(self, conn: ReadConnection, statement: DriverStatement, params: Mapping[str, Any]) -> Any:
        if self.in_transaction:
            return await driver.first_sent(conn, statement, params)
        # The request's plan_cache_mode is the one the statement asks for, if any (compiled reads whose filter
        # values are in their text take a generic plan; decision 34).
        asked = tokens.authentication_parameters(self.token, self.request_id, statement.plans)
        if asked is None:
            self._check(None)  # a malformed token: raises, as nothing was expected of it
        auth, row = await driver.first_pipelined(conn, tokens.AUTHENTICATE, asked or {}, statement, params)
        self._check(tokens.authenticated(auth))
        return row

    async def authenticate(self, conn: ReadConnection) -> None:
        """BEGIN with authentication, for a read that turned out to send no statement at all: its token is
        checked all the same."""
        auth = await tokens.authenticate(conn, self.token, self.request_id)
        self.in_transaction = True
        self._check(auth)

    def _check(self, auth: Authenticated | None) -> None:
        self.checked = True
        self.actual = auth
        if auth != self.expected:
            raise AuthenticationChanged("authentication returned something else than the read ran with")
