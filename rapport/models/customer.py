"""Customers: the people and companies a tenant does business with."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKeyConstraint, Index
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned


class Customer(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"]),
        CheckConstraint("kind IN ('PERSON', 'COMPANY')", name="kind"),
        Index("ix_customers_tenant_id_name", "tenant_id", "name"),
        Index("ix_customers_tenant_id_email", "tenant_id", "email"),
        Index("ix_customers_tenant_id_owner_id", "tenant_id", "owner_id"),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_customers_custom",
            "custom",
            postgresql_using="gin",
            postgresql_ops={"custom": "jsonb_path_ops"},
        ),
    )

    kind: Mapped[str]
    name: Mapped[str]
    gender: Mapped[str | None]
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    occupation: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    address_country: Mapped[str | None]
    address_region: Mapped[str | None]
    address_city: Mapped[str | None]
    address_street: Mapped[str | None]
    address_postal_code: Mapped[str | None]
    source_channel: Mapped[str | None]
    tags: Mapped[list[str]] = mapped_column(server_default="{}")
    # Preferences: how to reach the customer and what they care about.
    preferred_channel: Mapped[str | None]
    interests: Mapped[list[str]] = mapped_column(server_default="{}")
    payment_method_preference: Mapped[str | None]
    owner_id: Mapped[uuid.UUID | None]
    deleted_at: Mapped[dt.datetime | None]
    # Set by customerErase: personal data was anonymised (the row stays for non-personal aggregates).
    erased_at: Mapped[dt.datetime | None]
