"""Contacts: the people at a company customer."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKeyConstraint, Index
from sqlalchemy.orm import Mapped

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned


class Contact(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        # Serves "first N contacts of each of these customers" (the batched LATERAL loader).
        Index("ix_contacts_tenant_id_customer_id_id", "tenant_id", "customer_id", "id"),
        Index(
            "ix_contacts_custom",
            "custom",
            postgresql_using="gin",
            postgresql_ops={"custom": "jsonb_path_ops"},
        ),
    )

    customer_id: Mapped[uuid.UUID]
    name: Mapped[str]
    title: Mapped[str | None]
    decision_role: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    deleted_at: Mapped[dt.datetime | None]
