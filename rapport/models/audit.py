"""The audit trail: one append-only row per created, changed, deleted, restored, erased or purged record.

Rows are written by a trigger on every audited table (migration 0005), in the transaction that made the
change; the app role may read and add rows, never change or remove them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, func
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, TenantScoped

AUDIT_ACTIONS = ("CREATE", "UPDATE", "DELETE", "RESTORE", "ERASE", "PURGE")


class AuditEntry(TenantScoped, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        CheckConstraint("action IN ('CREATE', 'UPDATE', 'DELETE', 'RESTORE', 'ERASE', 'PURGE')", name="action"),
        # auditLog(entityId:), newest first; a customer's history (export, erase); a user's own entries.
        Index("ix_audit_log_tenant_id_entity_id_id", "tenant_id", "entity_id", "id"),
        Index("ix_audit_log_tenant_id_customer_id_id", "tenant_id", "customer_id", "id"),
        Index("ix_audit_log_tenant_id_actor_user_id_id", "tenant_id", "actor_user_id", "id"),
    )

    occurred_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    # Who: set per request by rapport_authenticate; NULL for the operators' CLI (seed, purge).
    actor_user_id: Mapped[uuid.UUID | None]
    actor_token_id: Mapped[uuid.UUID | None]
    request_id: Mapped[str | None]
    # What: the GraphQL type name and the record's id; the customer it is about, when there is one.
    entity: Mapped[str]
    entity_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID | None]
    action: Mapped[str]
    # {column or "custom.<key>": {"before": stored value, "after": stored value}}, changed fields only.
    changes: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
