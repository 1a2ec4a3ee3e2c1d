"""Which requests go to the read pool (decision 31), decided before authenticating.

A request is sent there only when nothing it needs is missing on that pool: its token was seen before (so its
tenant, role and schema version are known), that schema is built, and the same document was answered before
on that schema by the compiled path with driver statements alone. Anything else goes to the request engine
at once; a guess that turns out wrong costs one more authentication, not a wrong answer, since the read pool
answers from what authentication returns, never from what was remembered.
"""

from __future__ import annotations

import hashlib
import uuid

from rapport.auth.tokens import Authenticated, digest
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
        # Token digests (never the tokens) to what authentication last said about them.
        self._tokens: LRU[bytes, tuple[uuid.UUID, int, str]] = LRU(size * 4)
        self._answered: LRU[_Document, bool] = LRU(size)

    def likely(self, token: str, query: str, operation_name: str | None) -> bool:
        """Whether this request can probably be answered on the read pool."""
        seen = self._tokens.get(digest(token))
        if seen is None:
            return False
        tenant_schema = self.cache.cached(*seen)
        return tenant_schema is not None and self.known(seen[0], tenant_schema, query, operation_name)

    def known(self, tenant_id: uuid.UUID, tenant_schema: TenantSchema, query: str, operation_name: str | None) -> bool:
        return self._answered.get(_document(tenant_id, tenant_schema, query, operation_name)) is not None

    def authenticated(self, token: str, auth: Authenticated | None) -> None:
        if auth is None:
            self._tokens.discard(digest(token))
        else:
            self._tokens.put(digest(token), (auth.tenant_id, auth.schema_version, auth.role))

    def answered(
        self, tenant_id: uuid.UUID, tenant_schema: TenantSchema, query: str, operation_name: str | None, on_driver: bool
    ) -> None:
        """The compiled path answered this document; ``on_driver``: with driver statements alone."""
        key = _document(tenant_id, tenant_schema, query, operation_name)
        if on_driver:
            self._answered.put(key, True)
        else:
            self._answered.discard(key)
