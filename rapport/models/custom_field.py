"""Custom field definitions: what a tenant's admins added to an entity, and how values are checked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, TenantScoped, Timestamped, Versioned


class CustomFieldDefinition(TenantScoped, Timestamped, Versioned, Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("uq_custom_field_definitions_tenant_id_entity_key", "tenant_id", "entity", "key", unique=True),
    )

    entity: Mapped[str]
    key: Mapped[str]
    type: Mapped[str]
    label: Mapped[str]
    description: Mapped[str | None]
    # Type-specific settings: required, default, min/max, regex, options (with stable ids), flags.
    config: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    position: Mapped[int] = mapped_column(server_default="0")
    archived_at: Mapped[dt.datetime | None]
    # Where the field's indexes stand (customfields/indexes.py): NONE, PENDING, BUILDING, READY or FAILED.
    index_status: Mapped[str] = mapped_column(server_default="NONE")
    index_error: Mapped[str | None]
