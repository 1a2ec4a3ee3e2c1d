"""Idempotency keys: the first outcome of a keyed request (or mutation), replayed to its retries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, LargeBinary, func
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, TenantScoped


class IdempotencyKey(TenantScoped, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        CheckConstraint("scope IN ('REQUEST', 'MUTATION')", name="scope"),
        # The claim: a second INSERT of the same key waits on this index until the first transaction ends.
        Index("uq_idempotency_keys_tenant_id_scope_key", "tenant_id", "scope", "key", unique=True),
        Index("ix_idempotency_keys_tenant_id_expires_at", "tenant_id", "expires_at"),
    )

    # REQUEST: the Idempotency-Key header (the whole response is kept); MUTATION: an idempotencyKey argument
    # (the record it created is kept).
    scope: Mapped[str]
    key: Mapped[str]
    # SHA-256 of what was asked (document, variables, caller): the same key with another request is refused.
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)
    response: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[dt.datetime]
